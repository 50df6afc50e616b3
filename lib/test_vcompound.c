// SPDX-License-Identifier: GPL-2.0
/*
 * Test module for virtual compound pages (__GFP_VFALLBACK).
 *
 * The in-guest counterpart of the KUnit suite in mm/tests/vcompound_kunit.c:
 * it exercises the fallback in a running system, from several CPUs at once,
 * under fail_page_alloc, over memory fragmented for the whole of a long
 * stress, and with pages held for the pfn walkers, and checks after every
 * case that no page and no virtual compound page was leaked.  It is driven
 * by tools/testing/selftests/vcompound/run_vcompound.sh, which configures
 * the fault injection and loads the module once per case.
 *
 * Cases (run_test_mask bits):
 *
 *  1 functional  every order 3..MAX_PAGE_ORDER with the virtual path forced:
 *                contents written through page_to_addr() read back through
 *                compound_nth_page() and kmap_local_page(), freed in turn
 *                with __free_pages(), free_pages(), put_page() of a tail
 *                holding the last reference and folio_put();
 *  2 stress      nr_threads kthreads bound to the online CPUs, nr_cycles
 *                allocations each (or for duration_s seconds) of random
 *                orders 3..9, a few held at a time, freed in every context:
 *                plain, interrupts disabled, under a spinlock, bottom halves
 *                disabled, RCU read side; with fragment_mb > 0, memory is
 *                fragmented first (fragment_mb of order-0 pages pinned at
 *                every other page) for the whole case; every request must
 *                be served, and virtual under the policy "always";
 *  4 fault       nr_cycles allocations of mixed orders while the calling
 *                task is a fail_page_alloc target: each either fails with
 *                NULL or returns a complete compound page;
 *  8 memcg       __GFP_ACCOUNT charges the loading task's memory cgroup
 *                once and the free uncharges it, at once even when the release is
 *                deferred (skipped in the root cgroup);
 * 16 contig      alloc_contig_range() of every pageblock around live
 *                virtual compound pages of every order: each call finishes,
 *                and none takes a range holding one of their pages.
 *
 * The "late" policy over fragmented memory is the KUnit suite's
 * (vc_test_late_fragmented), which can fragment all of free memory.
 *
 * functional, memcg and contig force the "always" policy; stress
 * and fault run under the policy chosen
 * with policy= (as found if empty): run_vcompound.sh passes policy=always
 * so that they use the virtual path.
 *
 * With hold_mb > 0, the module then allocates hold_mb MiB of virtual
 * compound pages, logs their pfns and keeps them until rmmod, for the pfn
 * walkers run_vcompound.sh runs meanwhile.
 *
 * Every case runs a warm-up pass, which lets vmalloc page tables, slab and
 * per-cpu caches settle, then test_repeat_count (at least two) measured
 * passes.  The free page count (per-cpu lists and counter deltas included)
 * is taken around each pass, and the smallest loss of a pass is judged: a
 * leak comes back every pass, memory taken once for good does not (with
 * generic KASAN, whose quarantine holds freed objects, it is reported but
 * not judged).  The number of live virtual compound pages and the vmstat
 * counters are compared over all measured passes, where nothing else
 * makes virtual compound pages.
 *
 * For each case the kernel log gets a line of figures, then the verdict:
 *
 *	test_vcompound: <case>: ok
 *	test_vcompound: <case>: FAIL <reason>
 *	test_vcompound: <case>: SKIP <reason>
 *
 * Module init returns 0 when every selected case passed; the module then
 * stays loaded, holding nothing (or the hold_mb pages), until rmmod.  It
 * returns -EINVAL when a case failed or a parameter is invalid, and -ENOMEM
 * when hold_mb could not be held, so the exit status of modprobe or insmod
 * is the verdict.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/memory_hotplug.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/nodemask.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stdarg.h>
#include <linux/string.h>
#include <linux/thread_info.h>
#include <linux/vcompound.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/wait.h>

enum {
	VC_FUNCTIONAL,
	VC_STRESS,
	VC_FAULT,
	VC_MEMCG,
	VC_CONTIG,
	VC_NR_CASES
};

#define VC_ALL_CASES		((1U << VC_NR_CASES) - 1)
#define VC_MAX_THREADS		1024
/* Pages the free page count may lose over a case before it is a leak. */
#define VC_LEAK_SLACK		64
/* Largest order of the stress and fault cases. */
#define VC_MIXED_MAX_ORDER	MIN(9, MAX_PAGE_ORDER)
#define VC_MIXED_ORDERS		(VC_MIXED_MAX_ORDER - VCOMPOUND_MIN_ORDER + 1)

/*
 * Without CONFIG_VMAP_STACK, stacks of order VCOMPOUND_MIN_ORDER or more
 * are virtual compound pages too, and the global live count moves with
 * every fork and exit: then only this module's own checks and the free
 * page count tell a leak.
 */
static bool vc_live_count_is_ours(void)
{
	return IS_ENABLED(CONFIG_VMAP_STACK) ||
	       THREAD_SIZE_ORDER < VCOMPOUND_MIN_ORDER;
}

/* Largest order hold_mb allocates. */
#define VC_HOLD_MAX_ORDER	MIN(10, MAX_PAGE_ORDER)
/* Allocations a stress thread holds at a time. */
#define VC_STRESS_HOLD		4

#define VC_GFP			(GFP_VFALLBACK | __GFP_NOWARN)
#define VC_WORDS		(PAGE_SIZE / sizeof(u32))

static unsigned int run_test_mask = VC_ALL_CASES;
module_param(run_test_mask, uint, 0444);
MODULE_PARM_DESC(run_test_mask,
		 "Cases to run (default: all):\n"
		 "\t\tid: 1, name: functional\n"
		 "\t\tid: 2, name: stress\n"
		 "\t\tid: 4, name: fault\n"
		 "\t\tid: 8, name: memcg\n"
		 "\t\tid: 16, name: contig");

static int nr_threads = 2;
module_param(nr_threads, int, 0444);
MODULE_PARM_DESC(nr_threads, "Threads of the stress case, bound to the online CPUs in turn (default: 2)");

static int test_repeat_count = 2;
module_param(test_repeat_count, int, 0444);
MODULE_PARM_DESC(test_repeat_count, "Measured passes of each case after the warm-up pass, at least 2 (default: 2)");

static int nr_cycles = 1000;
module_param(nr_cycles, int, 0444);
MODULE_PARM_DESC(nr_cycles, "Allocations per pass of the stress (per thread) and fault cases (default: 1000)");

static char *policy = "";
module_param(policy, charp, 0444);
MODULE_PARM_DESC(policy, "Fallback policy for the run: late, early or always; empty: leave it (default: empty)");

static unsigned int fragment_mb;
module_param(fragment_mb, uint, 0444);
MODULE_PARM_DESC(fragment_mb, "MiB of order-0 pages the stress case pins at every other page first (default: 0)");

static unsigned int duration_s;
module_param(duration_s, uint, 0444);
MODULE_PARM_DESC(duration_s, "Seconds each pass of the stress case runs instead of nr_cycles; 0: nr_cycles (default: 0)");

static unsigned int hold_mb;
module_param(hold_mb, uint, 0444);
MODULE_PARM_DESC(hold_mb, "MiB of virtual compound pages held from load to rmmod after the cases (default: 0)");

/*
 * A size no other kmalloc() in the test kernels uses, so that the report
 * names it, and above 1 MiB, so that its vmap_area is never one recycled
 * from vmalloc's per-node pools, whose kmemleak scan area may be the whole
 * object (va_start would then count as a reference).
 */
#define VC_LEAK_SIZE	1060921
static unsigned int leak_kmalloc;
module_param(leak_kmalloc, uint, 0444);
MODULE_PARM_DESC(leak_kmalloc,
		 "Leak this many large kmalloc()s that took the fallback, for kmemleak (default: 0)");

static const char * const vc_policy_names[NR_VCOMPOUND_POLICIES] = {
	[VCOMPOUND_LATE] = "late",
	[VCOMPOUND_EARLY] = "early",
	[VCOMPOUND_ALWAYS] = "always",
};

struct vc_stats {
	unsigned long cycles;		/* allocation requests */
	unsigned long allocated;	/* requests that got a page */
	unsigned long virt;		/* ... a virtual compound page */
	unsigned long nulls;		/* requests that got NULL */
	unsigned long errors;		/* failed checks */
	unsigned long pinned;		/* stress: order-0 pages pinned */
	char reason[96];		/* the first failed check */
};

static __printf(2, 3) bool vc_error(struct vc_stats *st, const char *fmt, ...)
{
	va_list args;

	if (!st->errors++) {
		va_start(args, fmt);
		vsnprintf(st->reason, sizeof(st->reason), fmt, args);
		va_end(args);
	}
	return false;
}

static void vc_stats_add(struct vc_stats *to, const struct vc_stats *from)
{
	if (from->errors && !to->errors)
		strscpy(to->reason, from->reason, sizeof(to->reason));
	to->cycles += from->cycles;
	to->allocated += from->allocated;
	to->virt += from->virt;
	to->nulls += from->nulls;
	to->errors += from->errors;
	to->pinned = max(to->pinned, from->pinned);
}

static u32 vc_pattern(u32 seed, unsigned long word)
{
	return seed ^ (u32)(word * 2654435761UL);
}

/* The words of each page a sparse check looks at: first, middle, last. */
static const unsigned int vc_sparse[] = { 0, VC_WORDS / 2, VC_WORDS - 1 };

/* Write the pattern of @seed through the contiguous address of @head. */
static void vc_touch(struct page *head, unsigned int order, u32 seed, bool full)
{
	unsigned long nr = 1UL << order, i, j, w;
	u32 *addr = page_to_addr(head);

	if (full) {
		for (w = 0; w < nr * VC_WORDS; w++)
			addr[w] = vc_pattern(seed, w);
		return;
	}
	for (i = 0; i < nr; i++) {
		for (j = 0; j < ARRAY_SIZE(vc_sparse); j++) {
			w = i * VC_WORDS + vc_sparse[j];
			addr[w] = vc_pattern(seed, w);
		}
	}
}

/*
 * Read the pattern back page by page, through compound_nth_page() and
 * kmap_local_page(), so that a vmap of the wrong pages shows.
 */
static bool vc_check(struct vc_stats *st, struct page *head, unsigned int order,
		     u32 seed, bool full)
{
	unsigned long nr = 1UL << order, i, j, w = 0;
	unsigned long n = full ? VC_WORDS : ARRAY_SIZE(vc_sparse);

	for (i = 0; i < nr; i++) {
		struct page *p = compound_nth_page(head, i);
		u32 got = 0, want = 0;
		u32 *kaddr;

		if (!p)
			return vc_error(st, "order %u: no page %lu", order, i);
		if (compound_head(p) != head)
			return vc_error(st, "order %u: page %lu has another head", order, i);
		kaddr = kmap_local_page(p);
		for (j = 0; j < n; j++) {
			w = full ? j : vc_sparse[j];
			want = vc_pattern(seed, i * VC_WORDS + w);
			got = kaddr[w];
			if (got != want)
				break;
		}
		kunmap_local(kaddr);
		if (got != want)
			return vc_error(st, "order %u: page %lu word %lu reads %#x, %#x written",
					order, i, w, got, want);
	}
	return true;
}

/* Check the metadata of a fresh allocation and count it if virtual. */
static bool vc_check_page(struct vc_stats *st, struct page *page,
			  unsigned int order)
{
	bool virt = PageVcompound(page);
	void *addr = page_to_addr(page);

	if (!PageHead(page) || compound_order(page) != order)
		return vc_error(st, "order %u: got a page of order %u", order,
				compound_order(page));
	if (!addr)
		return vc_error(st, "order %u: no kernel address", order);
	if (is_vmalloc_addr(addr) != virt)
		return vc_error(st, "order %u: %s page at a %s address", order,
				virt ? "virtual" : "physical",
				virt ? "linear map" : "vmalloc");
	if (virt && addr_to_page(addr) != page)
		return vc_error(st, "order %u: addr_to_page() of the vmap address is not the head",
				order);
	if (virt)
		st->virt++;
	return true;
}

enum vc_free_how {
	VC_FREE_PAGES,		/* __free_pages(head, order) */
	VC_FREE_ADDR,		/* free_pages(page_to_addr(head), order) */
	VC_FREE_TAIL,		/* get_page(tail), put_page(head), put_page(tail) */
	VC_FOLIO_PUT,		/* folio_put(folio) */
	VC_NR_SIMPLE_FREES,
	VC_FREE_IRQS_OFF = VC_NR_SIMPLE_FREES, /* __free_pages(), irqs disabled */
	VC_FREE_SPINLOCK,	/* folio_put() under a spinlock */
	VC_FREE_TAIL_BH,	/* last reference dropped from a tail, BH disabled */
	VC_FREE_RCU,		/* put_page() in an RCU read-side critical section */
	VC_NR_FREES
};

static DEFINE_SPINLOCK(vc_lock);

/* The last page of @page's compound page, or NULL (an error). */
static struct page *vc_tail(struct vc_stats *st, struct page *page,
			    unsigned int order)
{
	struct page *tail = compound_nth_page(page, (1UL << order) - 1);

	if (!tail)
		vc_error(st, "order %u: compound_nth_page() found no last page", order);
	return tail;
}

/* Drop the only reference to a compound page of @order, as @how says. */
static void vc_free(struct vc_stats *st, struct page *page, unsigned int order,
		    enum vc_free_how how)
{
	bool virt = PageVcompound(page);
	unsigned long flags;
	struct page *tail;

	switch (how) {
	case VC_FREE_PAGES:
		__free_pages(page, order);
		break;
	case VC_FREE_ADDR:
		free_pages((unsigned long)page_to_addr(page), order);
		break;
	case VC_FREE_TAIL:
		tail = vc_tail(st, page, order);
		if (!tail) {
			__free_pages(page, order);
			break;
		}
		get_page(tail);
		put_page(page);
		/* The reference taken through the tail keeps it all alive. */
		if (PageVcompound(tail) != virt || page_count(tail) != 1)
			vc_error(st, "order %u: put_page(head) freed a referenced page",
				 order);
		put_page(tail);
		break;
	case VC_FOLIO_PUT:
		folio_put(page_folio(page));
		break;
	case VC_FREE_IRQS_OFF:
		local_irq_save(flags);
		__free_pages(page, order);
		local_irq_restore(flags);
		break;
	case VC_FREE_SPINLOCK:
		spin_lock(&vc_lock);
		folio_put(page_folio(page));
		spin_unlock(&vc_lock);
		break;
	case VC_FREE_TAIL_BH:
		tail = vc_tail(st, page, order);
		if (!tail) {
			__free_pages(page, order);
			break;
		}
		get_page(tail);
		__free_pages(page, order);
		local_bh_disable();
		put_page(tail);
		local_bh_enable();
		break;
	case VC_FREE_RCU:
		rcu_read_lock();
		put_page(page);
		rcu_read_unlock();
		break;
	default:
		__free_pages(page, order);
		break;
	}
}

/* functional: every order, full pattern, the simple free paths in turn. */
static void vc_functional(struct vc_stats *st, unsigned int pass)
{
	unsigned int order;

	for (order = VCOMPOUND_MIN_ORDER; order <= MAX_PAGE_ORDER; order++) {
		enum vc_free_how how = (order + pass) % VC_NR_SIMPLE_FREES;
		long live = vcompound_nr_live();
		u32 seed = get_random_u32();
		struct page *page;

		st->cycles++;
		page = alloc_pages(VC_GFP, order);
		if (!page) {
			st->nulls++;
			vc_error(st, "order %u: allocation failed", order);
			continue;
		}
		st->allocated++;
		if (vc_check_page(st, page, order)) {
			if (!PageVcompound(page))
				vc_error(st, "order %u: physical with the fallback forced", order);
			else if (vc_live_count_is_ours() && vcompound_nr_live() != live + 1)
				vc_error(st, "order %u: live count %ld allocated, expected %ld",
					 order, vcompound_nr_live(), live + 1);
			vc_touch(page, order, seed, true);
			vc_check(st, page, order, seed, true);
		}
		vc_free(st, page, order, how);
		if (vc_live_count_is_ours() && vcompound_nr_live() != live)
			vc_error(st, "order %u: live count %ld after free #%d, expected %ld",
				 order, vcompound_nr_live(), (int)how, live);
		cond_resched();
	}
}

/*
 * stress: kthreads bound to the online CPUs, released for one pass at a
 * time by vc_stress_run(), kept between passes so that the free page count
 * measured around the passes does not see their stacks come and go.
 */
struct vc_worker {
	struct task_struct *task;
	unsigned int round;		/* the last round done */
	struct vc_stats st;
	struct page *held[VC_STRESS_HOLD];
	unsigned int held_order[VC_STRESS_HOLD];
	u32 held_seed[VC_STRESS_HOLD];
};

static int vc_pin(struct vc_stats *st);
static void vc_unpin(void);

static struct vc_worker *vc_workers;
/* With duration_s: when the current pass ends. */
static unsigned long vc_stress_deadline;
static unsigned int vc_nr_workers;
static unsigned int vc_stress_round;
static atomic_t vc_stress_undone;
static DECLARE_WAIT_QUEUE_HEAD(vc_stress_wq);
static DECLARE_COMPLETION(vc_stress_done);

static void vc_stress_release(struct vc_worker *w, unsigned int slot,
			      enum vc_free_how how)
{
	struct page *page = w->held[slot];

	if (!page)
		return;
	w->held[slot] = NULL;
	/* Nobody else wrote to it while it was held. */
	vc_check(&w->st, page, w->held_order[slot], w->held_seed[slot], false);
	vc_free(&w->st, page, w->held_order[slot], how);
}

static void vc_stress_cycles(struct vc_worker *w)
{
	unsigned int slot;
	int i;

	for (i = 0; duration_s ? time_before(jiffies, READ_ONCE(vc_stress_deadline)) :
			      i < nr_cycles; i++) {
		unsigned int order = VCOMPOUND_MIN_ORDER +
				     get_random_u32_below(VC_MIXED_ORDERS);
		struct page *page;

		slot = i % VC_STRESS_HOLD;
		vc_stress_release(w, slot, i % VC_NR_FREES);
		w->st.cycles++;
		page = alloc_pages(VC_GFP, order);
		if (!page) {
			w->st.nulls++;
			continue;
		}
		w->st.allocated++;
		if (!vc_check_page(&w->st, page, order)) {
			__free_pages(page, order);
			continue;
		}
		w->held_seed[slot] = get_random_u32();
		w->held_order[slot] = order;
		vc_touch(page, order, w->held_seed[slot], false);
		w->held[slot] = page;
		cond_resched();
	}
	for (slot = 0; slot < VC_STRESS_HOLD; slot++)
		vc_stress_release(w, slot, (i + slot) % VC_NR_FREES);
}

static unsigned int vc_stress_round_acquire(void)
{
	/* Pairs with the release in vc_stress_run(): see the undone count. */
	return smp_load_acquire(&vc_stress_round);
}

static int vc_stress_thread(void *data)
{
	struct vc_worker *w = data;

	for (;;) {
		wait_event_idle(vc_stress_wq, kthread_should_stop() ||
				vc_stress_round_acquire() != w->round);
		if (kthread_should_stop())
			break;
		w->round = vc_stress_round_acquire();
		vc_stress_cycles(w);
		if (atomic_dec_and_test(&vc_stress_undone))
			complete(&vc_stress_done);
	}
	return 0;
}

static void vc_stress_teardown(struct vc_stats *st)
{
	unsigned int i;

	for (i = 0; i < vc_nr_workers; i++)
		kthread_stop(vc_workers[i].task);
	kfree(vc_workers);
	vc_workers = NULL;
	vc_nr_workers = 0;
	vc_unpin();
}

static int vc_stress_setup(struct vc_stats *st)
{
	unsigned int online = num_online_cpus(), i;

	/* Fragmented for the whole case: the pages stay pinned until teardown. */
	if (fragment_mb && vc_pin(st))
		return -ENOMEM;
	vc_workers = kcalloc(nr_threads, sizeof(*vc_workers), GFP_KERNEL);
	if (!vc_workers) {
		vc_unpin();
		return -ENOMEM;
	}
	vc_nr_workers = 0;
	for (i = 0; i < nr_threads; i++) {
		struct vc_worker *w = &vc_workers[vc_nr_workers];
		unsigned int cpu = cpumask_nth(i % online, cpu_online_mask);
		struct task_struct *task;

		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
		w->round = vc_stress_round;
		task = kthread_create_on_cpu(vc_stress_thread, w, cpu, "vcompound/%u");
		if (IS_ERR(task)) {
			pr_warn("stress: no thread for CPU %u: %ld\n", cpu, PTR_ERR(task));
			continue;
		}
		w->task = task;
		vc_nr_workers++;
		wake_up_process(task);
	}
	if (!vc_nr_workers) {
		vc_stress_teardown(st);
		return -ECHILD;
	}
	if (duration_s)
		pr_info("stress: %u threads on %u online CPUs, %u s per pass, %lu MiB pinned\n",
			vc_nr_workers, online, duration_s, st->pinned >> (20 - PAGE_SHIFT));
	else
		pr_info("stress: %u threads on %u online CPUs, %d cycles each per pass, %lu MiB pinned\n",
			vc_nr_workers, online, nr_cycles, st->pinned >> (20 - PAGE_SHIFT));
	return 0;
}

static void vc_stress_run(struct vc_stats *st, unsigned int pass)
{
	unsigned long done;
	unsigned int i;

	reinit_completion(&vc_stress_done);
	atomic_set(&vc_stress_undone, vc_nr_workers);
	WRITE_ONCE(vc_stress_deadline, jiffies + duration_s * HZ);
	/* Publish the count of undone workers before the new round. */
	smp_store_release(&vc_stress_round, vc_stress_round + 1);
	wake_up_all(&vc_stress_wq);
	/* Wake up every second: a long pass must not look like a hung task. */
	do {
		done = wait_for_completion_timeout(&vc_stress_done, HZ);
	} while (!done);

	for (i = 0; i < vc_nr_workers; i++) {
		vc_stats_add(st, &vc_workers[i].st);
		memset(&vc_workers[i].st, 0, sizeof(vc_workers[i].st));
	}
}

/* Make the current task a fail_page_alloc target (task-filter=Y). */
static int vc_make_it_fail(int on)
{
#ifdef CONFIG_FAULT_INJECTION
	int old = current->make_it_fail;

	current->make_it_fail = on;
	return old;
#else
	return 0;
#endif
}

/*
 * fault: fail_page_alloc, configured by the caller, fails the request
 * itself or the allocations the fallback is built from.  Either the request
 * gets NULL or a complete compound page; the leak check does the rest.
 */
static void vc_fault(struct vc_stats *st, unsigned int pass)
{
	int saved = vc_make_it_fail(1);
	int i;

	for (i = 0; i < nr_cycles; i++) {
		unsigned int order = VCOMPOUND_MIN_ORDER + i % VC_MIXED_ORDERS;
		u32 seed = get_random_u32();
		struct page *page;

		st->cycles++;
		page = alloc_pages(VC_GFP, order);
		if (!page) {
			st->nulls++;
			continue;
		}
		st->allocated++;
		if (vc_check_page(st, page, order)) {
			vc_touch(page, order, seed, false);
			vc_check(st, page, order, seed, false);
		}
		vc_free(st, page, order, (i + pass) % VC_NR_SIMPLE_FREES);
		cond_resched();
	}
	vc_make_it_fail(saved);
}

/* The order-0 pages vc_pin() keeps: every other one of those it took. */
static struct page **vc_pinned;
static unsigned long vc_pinned_nr;

/*
 * Fragment memory: take fragment_mb of order-0 pages, then free every
 * other one, so that what is left free is scattered between pinned pages.
 */
static int vc_pin(struct vc_stats *st)
{
	unsigned long nr = (unsigned long)fragment_mb << (20 - PAGE_SHIFT);
	unsigned long got, i;

	vc_pinned = kvcalloc(nr, sizeof(*vc_pinned), GFP_KERNEL);
	if (!vc_pinned)
		return -ENOMEM;
	for (got = 0; got < nr; got++) {
		vc_pinned[got] = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!vc_pinned[got])
			break;
		if (!(got % 1024))
			cond_resched();
	}
	for (i = 1; i < got; i += 2) {
		__free_page(vc_pinned[i]);
		vc_pinned[i] = NULL;
	}
	vc_pinned_nr = got;
	st->pinned = max(st->pinned, (got + 1) / 2);
	return 0;
}

static void vc_unpin(void)
{
	unsigned long i;

	for (i = 0; i < vc_pinned_nr; i += 2)
		__free_page(vc_pinned[i]);
	kvfree(vc_pinned);
	vc_pinned = NULL;
	vc_pinned_nr = 0;
}

/* all_vm_events()'s buffer, from module init to exit. */
static unsigned long *vc_ev_buf;

#ifdef CONFIG_MEMCG
/* Charges of other tasks of the cgroup the counter may see meanwhile. */
#define VC_MEMCG_SLACK	64
/* Deferred frees in a row: far over the slack if they stayed charged. */
#define VC_MEMCG_BURST	16

static const char *vc_memcg_skip(void)
{
	struct mem_cgroup *memcg;
	bool root;

	if (mem_cgroup_disabled())
		return "memory cgroups are disabled";
	if (!current->mm)
		return "the loading task has no mm";
	memcg = get_mem_cgroup_from_mm(current->mm);
	/* root_mem_cgroup is not exported: the root has no parent. */
	root = !memcg || !parent_mem_cgroup(memcg);
	mem_cgroup_put(memcg);
	return root ? "the loading task is in the root memory cgroup" : NULL;
}

/*
 * memcg: __GFP_ACCOUNT charges a virtual compound page once, to the memory
 * cgroup of the task that allocates it, and the free uncharges it, at
 * once even when the release is deferred.  Order
 * 8 is above the per-cpu charge batch, so the counter moves by exactly the
 * page's size.
 */
static void vc_memcg(struct vc_stats *st, unsigned int pass)
{
	const unsigned int order = min(8, MAX_PAGE_ORDER);
	const long nr = 1L << order;
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);
	long before, during, after;
	struct page *page;
	struct folio *folio;
	int i;

	before = page_counter_read(&memcg->memory);
	st->cycles++;
	page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_COMP | __GFP_VFALLBACK |
			   __GFP_NOWARN, order);
	if (!page) {
		st->nulls++;
		vc_error(st, "allocation failed");
		goto out;
	}
	st->allocated++;
	during = page_counter_read(&memcg->memory);
	folio = page_folio(page);
	if (vc_check_page(st, page, order) && !PageVcompound(page))
		vc_error(st, "physical with the fallback forced");
	rcu_read_lock();	/* folio_memcg() of a kmem folio */
	if (!folio_memcg_kmem(folio) || folio_memcg(folio) != memcg)
		vc_error(st, "not charged to the allocating task's memory cgroup");
	rcu_read_unlock();
	if (during - before < nr || during - before > nr + VC_MEMCG_SLACK)
		vc_error(st, "charged %ld pages for %ld", during - before, nr);
	__free_pages(page, order);
	vcompound_flush_deferred();
	after = page_counter_read(&memcg->memory);
	if (during - after < nr || after - before > VC_MEMCG_SLACK)
		vc_error(st, "uncharged %ld pages of %ld", during - after, nr);
	if (pass == 0)
		pr_info("memcg: order %u charged %ld pages, uncharged %ld\n", order,
			during - before, during - after);

	/*
	 * A burst of frees that must be deferred (under a spinlock): the
	 * charges go at once, not when the work item releases the memory,
	 * so deferred memory never counts against a memcg limit.  Read
	 * before anything waits for the work item.
	 */
	before = page_counter_read(&memcg->memory);
	for (i = 0; i < VC_MEMCG_BURST; i++) {
		st->cycles++;
		page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_COMP | __GFP_VFALLBACK |
				   __GFP_NOWARN, order);
		if (!page) {
			st->nulls++;
			vc_error(st, "burst: allocation %d failed", i);
			break;
		}
		st->allocated++;
		spin_lock(&vc_lock);
		__free_pages(page, order);
		spin_unlock(&vc_lock);
	}
	after = page_counter_read(&memcg->memory);
	if (after - before > VC_MEMCG_SLACK)
		vc_error(st, "burst: %ld pages still charged after %d deferred frees of %ld",
			 after - before, VC_MEMCG_BURST, nr);
	vcompound_flush_deferred();
out:
	mem_cgroup_put(memcg);
}
#else
static const char *vc_memcg_skip(void)
{
	return "CONFIG_MEMCG is off";
}

static void vc_memcg(struct vc_stats *st, unsigned int pass)
{
}
#endif

#ifdef CONFIG_CONTIG_ALLOC
#define VC_WALK_NR	16

static const char *vc_contig_skip(void)
{
	return NULL;
}

/* Does [start, end) hold a page of a virtual compound page? */
static bool vc_range_has_vcompound(unsigned long start, unsigned long end)
{
	unsigned long pfn;

	for (pfn = start; pfn < end; pfn++) {
		struct page *page = pfn_to_online_page(pfn);

		if (page && PageCompound(page) && PageVcompound(compound_head(page)))
			return true;
	}
	return false;
}

/* A virtual compound page of @order, or NULL (an error). */
static struct page *vc_alloc_virtual(struct vc_stats *st, unsigned int order)
{
	struct page *page;

	st->cycles++;
	page = alloc_pages(VC_GFP, order);
	if (!page) {
		st->nulls++;
		vc_error(st, "order %u: allocation failed", order);
		return NULL;
	}
	st->allocated++;
	if (!vc_check_page(st, page, order) || !PageVcompound(page)) {
		vc_error(st, "order %u: not a virtual compound page", order);
		__free_pages(page, order);
		return NULL;
	}
	return page;
}

/*
 * contig: with virtual compound pages of every order live, isolate and
 * allocate each pageblock around their pages with alloc_contig_range(), as
 * CMA and gigantic hugetlb pages do.  The isolation scans land on tails
 * whose head is elsewhere; every call must finish, and a range holding a
 * page of a virtual compound page must be refused.
 */
static void vc_contig(struct vc_stats *st, unsigned int pass)
{
	struct page *held[VC_WALK_NR];
	unsigned int order[VC_WALK_NR];
	unsigned long lo = ULONG_MAX, hi = 0, tried = 0, tried_vc = 0, pfn, j;
	u32 seed = get_random_u32();
	struct zone *zone = NULL;
	int i, ret;

	for (i = 0; i < VC_WALK_NR; i++) {
		order[i] = VCOMPOUND_MIN_ORDER + i % (MAX_PAGE_ORDER - VCOMPOUND_MIN_ORDER + 1);
		held[i] = vc_alloc_virtual(st, order[i]);
		if (!held[i])
			continue;
		vc_touch(held[i], order[i], seed + i, false);
		if (!zone)
			zone = page_zone(held[i]);
		for (j = 0; j < (1UL << order[i]); j++) {
			pfn = page_to_pfn(compound_nth_page(held[i], j));
			if (page_zone(pfn_to_page(pfn)) != zone)
				continue;
			lo = min(lo, pfn);
			hi = max(hi, pfn);
		}
	}

	for (pfn = ALIGN_DOWN(lo, pageblock_nr_pages); zone && pfn <= hi;
	     pfn += pageblock_nr_pages) {
		unsigned long end = pfn + pageblock_nr_pages;
		bool vc;

		if (!zone_spans_pfn(zone, pfn) || !zone_spans_pfn(zone, end - 1) ||
		    !pfn_to_online_page(pfn) || !pfn_to_online_page(end - 1))
			continue;
		vc = vc_range_has_vcompound(pfn, end);
		ret = alloc_contig_range(pfn, end, MIGRATE_MOVABLE,
					 GFP_KERNEL | __GFP_NOWARN);
		tried++;
		tried_vc += vc;
		if (!ret) {
			free_contig_range(pfn, pageblock_nr_pages);
			if (vc)
				vc_error(st, "pfn %#lx: got a range with a vcompound page", pfn);
		}
		cond_resched();
	}
	if (!tried_vc)
		vc_error(st, "no tried pageblock held a virtual compound page (%lu tried)",
			 tried);
	if (pass == 0)
		pr_info("contig: pfns %#lx-%#lx, %lu pageblocks tried, %lu with a vcompound page\n",
			lo, hi, tried, tried_vc);

	for (i = 0; i < VC_WALK_NR; i++) {
		if (!held[i])
			continue;
		vc_check(st, held[i], order[i], seed + i, false);
		__free_pages(held[i], order[i]);
	}
}
#else
static const char *vc_contig_skip(void)
{
	return "CONFIG_CONTIG_ALLOC is off";
}

static void vc_contig(struct vc_stats *st, unsigned int pass)
{
}
#endif

/* hold_mb: virtual compound pages kept from module init to module exit. */
static struct page **vc_hold_pages;
static unsigned int *vc_hold_orders;
static unsigned int vc_hold_nr;

static void vc_hold_release(void)
{
	unsigned int i;

	for (i = 0; i < vc_hold_nr; i++)
		__free_pages(vc_hold_pages[i], vc_hold_orders[i]);
	kvfree(vc_hold_pages);
	kvfree(vc_hold_orders);
	vc_hold_pages = NULL;
	vc_hold_orders = NULL;
	vc_hold_nr = 0;
}

/*
 * Allocate hold_mb MiB of virtual compound pages of orders 3..10 in turn
 * and keep them until rmmod, so that run_vcompound.sh can run the pfn
 * walkers (compaction, /proc/kpageflags, page_owner, hwpoison injection,
 * memory offlining) over them.  Each one is logged with the pfn of its
 * head and of its last page (a tail outside the head chunk).
 */
static int vc_hold(void)
{
	unsigned long want = (unsigned long)hold_mb << (20 - PAGE_SHIFT), got = 0;
	unsigned int max = want >> VCOMPOUND_MIN_ORDER, i = 0, order;
	enum vcompound_policy saved = vcompound_get_policy();
	struct page *page;
	int ret = 0;

	vc_hold_pages = kvcalloc(max, sizeof(*vc_hold_pages), GFP_KERNEL);
	vc_hold_orders = kvcalloc(max, sizeof(*vc_hold_orders), GFP_KERNEL);
	if (!vc_hold_pages || !vc_hold_orders) {
		vc_hold_release();
		return -ENOMEM;
	}
	vcompound_set_policy(VCOMPOUND_ALWAYS);
	while (got < want && vc_hold_nr < max) {
		order = VCOMPOUND_MIN_ORDER + i++ % (VC_HOLD_MAX_ORDER - VCOMPOUND_MIN_ORDER + 1);
		if (got + (1UL << order) > want)
			order = VCOMPOUND_MIN_ORDER;
		page = alloc_pages(VC_GFP, order);
		if (!page || !PageVcompound(page)) {
			pr_err("hold: FAIL order %u: %s\n", order,
			       page ? "physical with the fallback forced" : "allocation failed");
			if (page)
				__free_pages(page, order);
			ret = -ENOMEM;
			break;
		}
		vc_hold_pages[vc_hold_nr] = page;
		vc_hold_orders[vc_hold_nr++] = order;
		got += 1UL << order;
		pr_info("hold: order %u head pfn %lu tail pfn %lu\n", order,
			page_to_pfn(page),
			page_to_pfn(compound_nth_page(page, (1UL << order) - 1)));
	}
	vcompound_set_policy(saved);
	if (ret)
		vc_hold_release();
	else
		pr_info("hold: %u virtual compound pages, %lu MiB, held until rmmod\n",
			vc_hold_nr, got >> (20 - PAGE_SHIFT));
	return ret;
}

/*
 * Free pages of all zones, counting the pages on per-cpu lists and the
 * per-cpu deltas of NR_FREE_PAGES: the same figure before and after a case
 * whatever the per-cpu lists and vmstat counters happened to hold.
 */
static unsigned long vc_free_pages(void)
{
	unsigned long sum = 0;
	int nid, cpu, z;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (!populated_zone(zone))
				continue;
			sum += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_online_cpu(cpu)
				sum += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, cpu)->count);
		}
	}
	return sum;
}

/* Let deferred frees and lazy vunmaps finish, then count free pages. */
static unsigned long vc_settle(void)
{
	vcompound_flush_deferred();
	vm_unmap_aliases();
	return vc_free_pages();
}

enum {
	VC_EV_ALLOC,
	VC_EV_ALLOC_FAIL,
	VC_EV_FREE,
	VC_EV_FREE_DEFERRED,
	VC_NR_EV
};

static void vc_events(unsigned long *ev)
{
	memset(ev, 0, VC_NR_EV * sizeof(*ev));
	if (!vc_ev_buf)
		return;
	all_vm_events(vc_ev_buf);
	ev[VC_EV_ALLOC] = vc_ev_buf[VCOMPOUND_ALLOC];
	ev[VC_EV_ALLOC_FAIL] = vc_ev_buf[VCOMPOUND_ALLOC_FAIL];
	ev[VC_EV_FREE] = vc_ev_buf[VCOMPOUND_FREE];
	ev[VC_EV_FREE_DEFERRED] = vc_ev_buf[VCOMPOUND_FREE_DEFERRED];
}

#define VC_RUN_POLICY	(-1)

struct vc_case {
	const char *name;
	/* The policy the case needs, or VC_RUN_POLICY for policy=. */
	int policy;
	/* A reason not to run, or NULL. */
	const char *(*skip)(void);
	/* Before the warm-up pass: 0 or -errno. */
	int (*setup)(struct vc_stats *st);
	/* One pass; pass 0 is the warm-up. */
	void (*run)(struct vc_stats *st, unsigned int pass);
	/* After the leak check. */
	void (*teardown)(struct vc_stats *st);
	/* Every request must get a page; with the policy "always", virtual. */
	bool all_served;
};

static const struct vc_case vc_cases[VC_NR_CASES] = {
	[VC_FUNCTIONAL] = {
		.name = "functional",
		.policy = VCOMPOUND_ALWAYS,
		.run = vc_functional,
	},
	[VC_STRESS] = {
		.name = "stress",
		.policy = VC_RUN_POLICY,
		.setup = vc_stress_setup,
		.run = vc_stress_run,
		.teardown = vc_stress_teardown,
		.all_served = true,
	},
	[VC_FAULT] = {
		.name = "fault",
		.policy = VC_RUN_POLICY,
		.run = vc_fault,
	},
	[VC_MEMCG] = {
		.name = "memcg",
		.policy = VCOMPOUND_ALWAYS,
		.skip = vc_memcg_skip,
		.run = vc_memcg,
	},
	[VC_CONTIG] = {
		.name = "contig",
		.policy = VCOMPOUND_ALWAYS,
		.skip = vc_contig_skip,
		.run = vc_contig,
	},
};

/* Run one case with its warm-up pass and leak check; true if it passed. */
static bool vc_run_case(const struct vc_case *c, enum vcompound_policy run_policy)
{
	unsigned long ev0[VC_NR_EV], ev1[VC_NR_EV], free_after;
	struct vc_stats st = { };
	long live_before, live_after, leaked;
	enum vcompound_policy policy_now;
	const char *why;
	unsigned int pass;
	int ret;

	why = c->skip ? c->skip() : NULL;
	if (why) {
		pr_info("%s: SKIP %s\n", c->name, why);
		return true;
	}

	policy_now = c->policy == VC_RUN_POLICY ? run_policy : c->policy;
	vcompound_set_policy(policy_now);
	ret = c->setup ? c->setup(&st) : 0;
	if (ret) {
		vcompound_set_policy(run_policy);
		pr_err("%s: FAIL setup: %d\n", c->name, ret);
		return false;
	}

	c->run(&st, 0);
	/*
	 * Measured pass by pass, from after the warm-up pass.  Some pages
	 * are taken once and kept whatever happens (the vmalloc page tables
	 * of a part of the vmalloc range reached for the first time, slab
	 * pages of the vmap_area cache), in whichever pass first needs
	 * them; a leak comes back in every pass.  So the loss judged is the
	 * smallest of at least two passes' (a leak of L pages a pass shows
	 * as at least L in each), and every pass's loss is reported.
	 */
	vc_settle();
	live_before = vcompound_nr_live();
	vc_events(ev0);
	leaked = LONG_MAX;
	for (pass = 1; pass <= test_repeat_count; pass++) {
		unsigned long free_pass = vc_settle();
		long lost;

		c->run(&st, pass);
		free_after = vc_settle();
		lost = (long)(free_pass - free_after);
		pr_info("%s: pass %u: %ld pages not back\n", c->name, pass, lost);
		leaked = min(leaked, lost);
	}
	live_after = vcompound_nr_live();
	vc_events(ev1);

	if (c->teardown)
		c->teardown(&st);
	vcompound_set_policy(run_policy);

	pr_info("%s: passes=%d cycles=%lu allocated=%lu virtual=%lu failed=%lu errors=%lu fallback_failed=%lu deferred_frees=%lu leaked=%ld live=%ld\n",
		c->name, test_repeat_count + 1, st.cycles, st.allocated, st.virt,
		st.nulls, st.errors, ev1[VC_EV_ALLOC_FAIL] - ev0[VC_EV_ALLOC_FAIL],
		ev1[VC_EV_FREE_DEFERRED] - ev0[VC_EV_FREE_DEFERRED], leaked,
		live_after - live_before);
	if (st.pinned)
		pr_info("%s: %lu MiB of order-0 pages pinned at every other page\n",
			c->name, st.pinned >> (20 - PAGE_SHIFT));

	if (st.errors) {
		pr_err("%s: FAIL %s (%lu failed checks)\n", c->name, st.reason, st.errors);
		return false;
	}
	if (c->all_served && st.nulls) {
		pr_err("%s: FAIL %lu of %lu requests got NULL\n", c->name, st.nulls,
		       st.cycles);
		return false;
	}
	if (c->all_served && policy_now == VCOMPOUND_ALWAYS &&
	    st.virt != st.allocated) {
		pr_err("%s: FAIL %lu of %lu pages physical with the fallback forced\n",
		       c->name, st.allocated - st.virt, st.allocated);
		return false;
	}
	if (vc_live_count_is_ours() && live_after != live_before) {
		pr_err("%s: FAIL %ld virtual compound pages leaked\n", c->name,
		       live_after - live_before);
		return false;
	}
	/* Each allocation counted once, each release once. */
	if (vc_live_count_is_ours() && vc_ev_buf &&
	    (long)(ev1[VC_EV_ALLOC] - ev0[VC_EV_ALLOC]) -
	    (long)(ev1[VC_EV_FREE] - ev0[VC_EV_FREE]) != live_after - live_before) {
		pr_err("%s: FAIL vcompound_alloc +%lu, vcompound_free +%lu, live %+ld\n",
		       c->name, ev1[VC_EV_ALLOC] - ev0[VC_EV_ALLOC],
		       ev1[VC_EV_FREE] - ev0[VC_EV_FREE], live_after - live_before);
		return false;
	}
	/*
	 * Generic KASAN's quarantine keeps freed slab objects, and the pages
	 * under them, for a while: there the free page count is reported,
	 * not judged (kmemleak and the live count still are).
	 */
	if (leaked > VC_LEAK_SLACK && IS_ENABLED(CONFIG_KASAN_GENERIC)) {
		pr_info("%s: %ld pages not back, not judged under KASAN's quarantine\n",
			c->name, leaked);
	} else if (leaked > VC_LEAK_SLACK) {
		pr_err("%s: FAIL %ld pages leaked\n", c->name, leaked);
		return false;
	}
	pr_info("%s: ok\n", c->name);
	return true;
}

/*
 * leak_kmalloc: large kmalloc()s that took the fallback, whose only
 * pointers are then dropped.  Their vm_structs and struct pages still know
 * their addresses; kmemleak must report them all the same
 * (harness/guest/tests/90-kmemleak.sh).  Several, because kmemleak is
 * conservative: a stale copy of an address in memory it scans (a per-CPU
 * interrupt stack, which stack=off does not leave out, say) hides that
 * object, by design; the guest test wants at least one reported.
 */
static bool __init vc_leak_kmalloc(void)
{
	enum vcompound_policy saved = vcompound_get_policy();
	unsigned int i;
	void *p;

	vcompound_set_policy(VCOMPOUND_ALWAYS);
	for (i = 0; i < leak_kmalloc; i++) {
		p = kmalloc(VC_LEAK_SIZE, GFP_KERNEL | __GFP_VFALLBACK | __GFP_NOWARN);
		if (!p || !is_vmalloc_addr(p)) {
			pr_err("leak_kmalloc: FAIL: kmalloc(%d) %s\n", VC_LEAK_SIZE,
			       p ? "did not take the fallback" : "failed");
			kfree(p);
			break;
		}
	}
	vcompound_set_policy(saved);
	if (i < leak_kmalloc)
		return false;
	pr_info("leak_kmalloc: leaked %u x %d bytes\n", leak_kmalloc, VC_LEAK_SIZE);
	return true;
}

static int __init test_vcompound_init(void)
{
	enum vcompound_policy saved = vcompound_get_policy();
	enum vcompound_policy run_policy = saved;
	unsigned int i, ran = 0, failed = 0;
	int ret;

	if (policy && *policy) {
		ret = match_string(vc_policy_names, ARRAY_SIZE(vc_policy_names), policy);
		if (ret < 0) {
			pr_err("unknown policy=%s: late, early or always\n", policy);
			return -EINVAL;
		}
		run_policy = ret;
	}
	nr_threads = clamp(nr_threads, 1, VC_MAX_THREADS);
	test_repeat_count = max(test_repeat_count, 2);
	nr_cycles = max(nr_cycles, 1);

	vc_ev_buf = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*vc_ev_buf), GFP_KERNEL);

	pr_info("start: run_test_mask=%#x nr_threads=%d test_repeat_count=%d nr_cycles=%d policy=%s fragment_mb=%u\n",
		run_test_mask, nr_threads, test_repeat_count, nr_cycles,
		vc_policy_names[run_policy], fragment_mb);

	for (i = 0; i < VC_NR_CASES; i++) {
		if (!(run_test_mask & BIT(i)))
			continue;
		ran++;
		if (!vc_run_case(&vc_cases[i], run_policy))
			failed++;
	}

	vcompound_set_policy(saved);
	kfree(vc_ev_buf);
	vc_ev_buf = NULL;
	pr_info("done: %u of %u cases failed\n", failed, ran);
	if (failed)
		return -EINVAL;
	if (leak_kmalloc && !vc_leak_kmalloc())
		return -ENOMEM;
	return hold_mb ? vc_hold() : 0;
}

static void __exit test_vcompound_exit(void)
{
	vc_hold_release();
}

module_init(test_vcompound_init);
module_exit(test_vcompound_exit);

MODULE_AUTHOR("Vcompound Team <team@vcompound.example.org>");
MODULE_DESCRIPTION("Test module for virtual compound pages (__GFP_VFALLBACK)");
MODULE_LICENSE("GPL");
