// SPDX-License-Identifier: GPL-2.0
/*
 * Test module for virtual compound pages (__GFP_VFALLBACK): what the KUnit
 * suite (mm/tests/vcompound_kunit.c) cannot do well in a test case.  It
 * allocates and frees from every CPU at once for as long as asked,
 * injects allocation failures over time and charges the
 * memory cgroup of the loading task; each case is described above its
 * function, and run_test_mask selects them (bit 0: vc_cases[0]).
 *
 * The cases need the fallback policy "always" (debugfs vcompound/policy),
 * which tools/testing/selftests/vcompound/run_vcompound.sh sets, and a
 * system where nothing else uses __GFP_VFALLBACK meanwhile; vc_run_case()
 * says what is judged.  Module init returns 0 if every selected case
 * passed, -EOPNOTSUPP if one cannot run in this kernel and none failed,
 * -EINVAL otherwise: the exit status of modprobe is the verdict.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vcompound.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

static unsigned int run_test_mask = ~0U;
module_param(run_test_mask, uint, 0444);
MODULE_PARM_DESC(run_test_mask, "Cases to run, a bit each in the order of vc_cases[] (default: all)");
static int nr_cycles = 1000;
module_param(nr_cycles, int, 0444);
MODULE_PARM_DESC(nr_cycles, "Allocations per pass of the stress (per thread) and fault cases (default: 1000)");
static unsigned int duration_s;
module_param(duration_s, uint, 0444);
MODULE_PARM_DESC(duration_s, "Seconds each pass of the stress case runs instead of nr_cycles (default: 0)");

/* A size kmemleak's report names, above 1 MiB: no recycled vmap_area. */
#define VC_LEAK_SIZE	1060921
static unsigned int leak_kmalloc;
module_param(leak_kmalloc, uint, 0444);
MODULE_PARM_DESC(leak_kmalloc, "Large kmalloc()s to leak after the cases, for kmemleak (default: 0)");

#define VC_GFP		(GFP_VFALLBACK | __GFP_NOWARN)
#define VC_PASSES	2	/* measured passes, after a warm-up pass */
/*
 * Free pages a pass may lose before it is a leak: what the kernel keeps
 * for itself moves too (slab, and kernel page tables of vmalloc ranges
 * used first: 94 pages at most a pass in two-node boots, at 1,000 and
 * 4,000 cycles alike).  An order-9 page, or a page array (slab), lost at
 * every free is over it; a leak of a few pages is for KUnit's per-pfn checks.
 */
#define VC_LEAK_SLACK	192
#define VC_MAX_ORDER	MIN(9, MAX_PAGE_ORDER)
#define VC_NR_ORDERS	(VC_MAX_ORDER - VCOMPOUND_MIN_ORDER + 1)
/* Allocations a stress thread holds at a time. */
#define VC_HOLD		4
#define VC_WORDS	(PAGE_SIZE / sizeof(u32))

struct vc_stats {
	unsigned long allocated;	/* requests that got a page */
	unsigned long virt;		/* ... a virtual compound page */
	unsigned long nulls;		/* requests that got NULL */
	unsigned long errors;		/* failed checks */
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

/*
 * A request of @order: NULL, or a compound page of that order, virtual
 * unless @any (fault injection may make the virtual path fail first).
 */
static struct page *vc_alloc(struct vc_stats *st, gfp_t gfp, unsigned int order,
			     bool any)
{
	struct page *page;

	page = alloc_pages(gfp, order);
	if (!page) {
		st->nulls++;
		return NULL;
	}
	st->allocated++;
	if ((!any && !PageVcompound(page)) || compound_order(page) != order ||
	    addr_to_page(page_to_addr(page)) != page) {
		vc_error(st, "order %u: not a virtual compound page of that order (policy?)",
			 order);
		__free_pages(page, order);
		return NULL;
	}
	st->virt += PageVcompound(page);
	return page;
}

/*
 * Write the first, middle and last word of each page through the vmap
 * address, or check them page by page through compound_nth_page() and
 * kmap_local_page(): a vmap of the wrong pages, or another writer, shows.
 */
static bool vc_pattern(struct vc_stats *st, struct page *head, u32 seed, bool check)
{
	static const unsigned int words[] = { 0, VC_WORDS / 2, VC_WORDS - 1 };
	unsigned long nr = compound_nr(head), i, j;
	u32 *vaddr = page_to_addr(head);
	bool ok = true;

	for (i = 0; i < nr && ok; i++) {
		u32 *kaddr = check ? kmap_local_page(compound_nth_page(head, i)) : NULL;

		for (j = 0; j < ARRAY_SIZE(words); j++) {
			unsigned long w = i * VC_WORDS + words[j];
			u32 want = seed ^ hash_32(w, 32);

			if (!check)
				vaddr[w] = want;
			else if (kaddr[words[j]] != want)
				ok = vc_error(st, "page %lu of %lu: word %u reads %#x, %#x written",
					      i, nr, words[j], kaddr[words[j]], want);
		}
		if (kaddr)
			kunmap_local(kaddr);
	}
	return ok;
}

static DEFINE_SPINLOCK(vc_lock);

/*
 * Drop the last reference from each context a caller may free in: the
 * release is deferred where it cannot sleep.  KUnit's vc_test_free checks
 * each way of freeing once; here they run concurrently.
 */
static void vc_release(struct page *page, unsigned int i)
{
	unsigned int order = compound_order(page);
	unsigned long flags;

	switch (i % 4) {
	case 0:
		put_page(page);
		break;
	case 1:
		local_irq_save(flags);
		__free_pages(page, order);
		local_irq_restore(flags);
		break;
	case 2:
		spin_lock_bh(&vc_lock);
		folio_put(page_folio(page));
		spin_unlock_bh(&vc_lock);
		break;
	default:
		rcu_read_lock();
		free_pages((unsigned long)page_to_addr(page), order);
		rcu_read_unlock();
		break;
	}
}

/*
 * stress: a kthread bound to each online CPU (at load), each making
 * nr_cycles requests (or for duration_s) of random orders, holding a few at
 * a time and checking that nobody wrote to them meanwhile, freeing them
 * from every context in turn.  Every request must be served.  The threads live from setup
 * to teardown, so that the free page count does not see them come and go.
 */
struct vc_worker {
	struct task_struct *task;
	unsigned int round;		/* the last round done */
	struct vc_stats st;
};

static struct vc_worker *vc_workers;
static int vc_nr_workers;
static unsigned int vc_round;
static unsigned long vc_deadline;
static atomic_t vc_workers_busy;
static DECLARE_WAIT_QUEUE_HEAD(vc_workers_wq);
static DECLARE_COMPLETION(vc_workers_done);

static void vc_stress_round(struct vc_worker *w)
{
	struct page *held[VC_HOLD] = { };
	u32 seed[VC_HOLD];
	unsigned int i, slot;

	for (i = 0; duration_s ? time_before(jiffies, vc_deadline) : i < nr_cycles; i++) {
		slot = i % VC_HOLD;
		if (held[slot]) {
			vc_pattern(&w->st, held[slot], seed[slot], true);
			vc_release(held[slot], i / VC_HOLD);
		}
		held[slot] = vc_alloc(&w->st, VC_GFP,
				      VCOMPOUND_MIN_ORDER + get_random_u32_below(VC_NR_ORDERS),
				      false);
		seed[slot] = get_random_u32();
		if (held[slot])
			vc_pattern(&w->st, held[slot], seed[slot], false);
		cond_resched();
	}
	for (slot = 0; slot < VC_HOLD; slot++)
		if (held[slot])
			vc_release(held[slot], slot);
}

static unsigned int vc_round_acquire(void)
{
	/* Pairs with the release in vc_stress(): busy count and deadline set. */
	return smp_load_acquire(&vc_round);
}

static int vc_stress_thread(void *data)
{
	struct vc_worker *w = data;

	for (;;) {
		wait_event_idle(vc_workers_wq, kthread_should_stop() ||
				vc_round_acquire() != w->round);
		if (kthread_should_stop())
			return 0;
		w->round = vc_round_acquire();
		vc_stress_round(w);
		if (atomic_dec_and_test(&vc_workers_busy))
			complete(&vc_workers_done);
	}
}

static void vc_stress_teardown(void)
{
	while (vc_nr_workers)
		kthread_stop(vc_workers[--vc_nr_workers].task);
	kfree(vc_workers);
	vc_workers = NULL;
}

static int vc_stress_setup(void)
{
	struct task_struct *task;
	unsigned int cpu;
	int i;

	vc_workers = kcalloc(nr_cpu_ids, sizeof(*vc_workers), GFP_KERNEL);
	if (!vc_workers) {
		vc_stress_teardown();
		return -ENOMEM;
	}
	for_each_online_cpu(cpu) {
		i = vc_nr_workers;
		vc_workers[i].round = vc_round;
		task = kthread_create_on_cpu(vc_stress_thread, &vc_workers[i], cpu,
					     "vcompound/%u");
		if (IS_ERR(task)) {
			vc_stress_teardown();
			return PTR_ERR(task);
		}
		vc_workers[vc_nr_workers++].task = task;
		wake_up_process(task);
	}
	return 0;
}

static void vc_stress(struct vc_stats *st, unsigned int pass)
{
	unsigned long nulls = st->nulls, served = st->allocated;
	int i;

	reinit_completion(&vc_workers_done);
	atomic_set(&vc_workers_busy, vc_nr_workers);
	vc_deadline = jiffies + duration_s * HZ;
	/* Publish the busy count and the deadline with the new round. */
	smp_store_release(&vc_round, vc_round + 1);
	wake_up_all(&vc_workers_wq);
	/* Wake up every second: a long pass is not a hung task. */
	while (!wait_for_completion_timeout(&vc_workers_done, HZ))
		;
	for (i = 0; i < vc_nr_workers; i++) {
		struct vc_stats *w = &vc_workers[i].st;

		if (w->errors && !st->errors)
			strscpy(st->reason, w->reason, sizeof(st->reason));
		st->errors += w->errors;
		st->allocated += w->allocated;
		st->virt += w->virt;
		st->nulls += w->nulls;
		memset(w, 0, sizeof(*w));
	}
	if (st->nulls > nulls)
		vc_error(st, "%lu of %lu requests got NULL", st->nulls - nulls,
			 st->nulls - nulls + st->allocated - served);
}

/* The vmstat events, read with all_vm_events(). */
static unsigned long vc_ev[NR_VM_EVENT_ITEMS];

#ifdef CONFIG_FAIL_PAGE_ALLOC
/*
 * fault: nr_cycles requests of every order in turn while the loading task
 * is a target (task-filter) of fail_page_alloc and fail_vcompound, which
 * run_vcompound.sh configures: the request itself, the allocations the
 * fallback is built from (head chunk, bulk rounds) or its vmap fail.  Each
 * request gets NULL or a complete page; some requests and some fallbacks
 * must fail (VCOMPOUND_ALLOC_FAIL is global; that fail_vcompound fired is
 * for the kselftest to check), and every failure must unwind: the free
 * page count is judged as for every case.
 */
static void vc_fault(struct vc_stats *st, unsigned int pass)
{
	unsigned long nulls = st->nulls, virt = st->virt, unwound;
	struct page *page;
	int i;

	all_vm_events(vc_ev);
	unwound = vc_ev[VCOMPOUND_ALLOC_FAIL];
	current->make_it_fail = 1;
	for (i = 0; i < nr_cycles; i++) {
		u32 seed = get_random_u32();

		page = vc_alloc(st, VC_GFP, VCOMPOUND_MIN_ORDER + i % VC_NR_ORDERS, true);
		if (!page)
			continue;
		vc_pattern(st, page, seed, false);
		vc_pattern(st, page, seed, true);
		__free_pages(page, compound_order(page));
		cond_resched();
	}
	current->make_it_fail = 0;
	all_vm_events(vc_ev);
	if (st->nulls == nulls)
		vc_error(st, "no request failed: is fault injection set up?");
	else if (vc_ev[VCOMPOUND_ALLOC_FAIL] == unwound)
		vc_error(st, "no fallback failed and unwound");
	else if (st->virt == virt)
		vc_error(st, "no request got a virtual compound page");
}

#else
#define vc_fault NULL
#endif

#ifdef CONFIG_MEMCG
/* Charges of other tasks of the cgroup the counter may see meanwhile. */
#define VC_MEMCG_SLACK	64

static const char *vc_memcg_skip(void)
{
	/* NULL if disabled; root_mem_cgroup is not exported: it has no parent. */
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);
	bool root = !memcg || !parent_mem_cgroup(memcg);

	mem_cgroup_put(memcg);
	if (!memcg_kmem_online())
		return "kernel memory accounting is off (cgroup.memory=nokmem)";
	return root ? "not loaded from a child memory cgroup" : NULL;
}

/*
 * memcg: __GFP_ACCOUNT charges a virtual compound page once, to the memory
 * cgroup of the allocating task, and the free uncharges it at once, also
 * when its release is deferred (frees under a spinlock).  Order 8 is
 * above the per-cpu charge batch: the counter moves by the page's size.
 */
static void vc_memcg(struct vc_stats *st, unsigned int pass)
{
	const unsigned int order = min(8, MAX_PAGE_ORDER);
	const long nr = 1L << order;
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(current->mm);
	long before, during, after;
	struct page *page;
	int i;

	for (i = 0; i < 16; i++) {
		before = page_counter_read(&memcg->memory);
		page = vc_alloc(st, GFP_KERNEL_ACCOUNT | __GFP_COMP | __GFP_VFALLBACK |
				__GFP_NOWARN, order, false);
		if (!page) {
			vc_error(st, "allocation %d failed", i);
			break;
		}
		during = page_counter_read(&memcg->memory);
		if (during - before < nr - VC_MEMCG_SLACK || during - before > nr + VC_MEMCG_SLACK)
			vc_error(st, "charged %ld pages for %ld", during - before, nr);
		rcu_read_lock();
		if (folio_memcg(page_folio(page)) != memcg)
			vc_error(st, "not charged to the allocating task's memory cgroup");
		rcu_read_unlock();
		spin_lock(&vc_lock);
		__free_pages(page, order);
		spin_unlock(&vc_lock);
		after = page_counter_read(&memcg->memory);
		if (after - before > VC_MEMCG_SLACK)
			vc_error(st, "%ld pages still charged after a deferred free",
				 after - before);
	}
	mem_cgroup_put(memcg);
}
#else
#define vc_memcg_skip NULL
#define vc_memcg NULL
#endif

struct vc_case {
	const char *name;
	void (*run)(struct vc_stats *st, unsigned int pass); /* NULL: not built */
	const char *needs;		/* the option it is built with */
	const char *(*skip)(void);	/* a reason not to run, or NULL */
	int (*setup)(void);
	void (*teardown)(void);
};

static const struct vc_case vc_cases[] = {
	{ "stress", vc_stress, NULL, NULL, vc_stress_setup, vc_stress_teardown },
	{ "fault", vc_fault, "CONFIG_FAIL_PAGE_ALLOC" },
	{ "memcg", vc_memcg, "CONFIG_MEMCG", vc_memcg_skip },
};

/* Virtual compound pages not released yet, deferred frees included. */
static long vc_outstanding(void)
{
	all_vm_events(vc_ev);
	return vc_ev[VCOMPOUND_ALLOC] - vc_ev[VCOMPOUND_FREE];
}

/* The count once earlier deferred frees are released: still for 100 ms. */
static long vc_quiesce(void)
{
	long now = vc_outstanding(), last;
	int i, still = 0;

	for (i = 0; i < 100 && still < 5; i++) {
		msleep(20);
		last = now;
		now = vc_outstanding();
		still = now == last ? still + 1 : 0;
	}
	return now;
}

/*
 * Wait (up to 10 s) until the work item released the frees a pass deferred
 * (vcompound_flush_deferred() is for KUnit only), let lazy vunmaps finish,
 * then count the free pages of all zones, per-cpu lists included.
 */
static long vc_settle(long outstanding)
{
	long sum = 0;
	struct zone *zone;
	int i, cpu, nid, z;

	/* Where stacks may be virtual, forks move the count too: 1 s. */
	for (i = 0; i < (VCOMPOUND_TASK_STACKS ? 50 : 500) &&
	     vc_outstanding() > outstanding; i++)
		msleep(20);
	vm_unmap_aliases();
	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			sum += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_online_cpu(cpu)
				sum += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, cpu)->count);
		}
	}
	return sum;
}

/*
 * One case: 0, -EOPNOTSUPP or -EINVAL.  Each measured pass (after a warm-up
 * pass) may lose VC_LEAK_SLACK free pages (the smaller loss of the two is
 * judged, so a leak must show in both); every virtual compound page it made
 * must be released, each counted once by the vmstat events.
 */
static int vc_run_case(const struct vc_case *c)
{
	const char *why = !c->run ? c->needs : c->skip ? c->skip() : NULL;
	long base, left, before, after, leaked = LONG_MAX;
	unsigned long alloc0, fail0, virt0;
	struct vc_stats st = { };
	unsigned int pass;
	int ret;

	if (why) {
		pr_info("%s: SKIP %s%s\n", c->name, why, c->run ? "" : " is off");
		return -EOPNOTSUPP;
	}
	ret = c->setup ? c->setup() : 0;
	if (ret) {
		pr_err("%s: FAIL setup: %d\n", c->name, ret);
		return -EINVAL;
	}
	/* After setup: where stacks are virtual, its threads are counted. */
	base = vc_quiesce();
	c->run(&st, 0);
	before = vc_settle(base);
	alloc0 = vc_ev[VCOMPOUND_ALLOC];
	fail0 = vc_ev[VCOMPOUND_ALLOC_FAIL];
	virt0 = st.virt;
	for (pass = 1; pass <= VC_PASSES; pass++) {
		c->run(&st, pass);
		after = vc_settle(base);
		leaked = min(leaked, before - after);
		before = after;
	}
	left = vc_outstanding() - base;
	if (c->teardown)
		c->teardown();

	pr_info("%s: passes=%d allocated=%lu failed=%lu vcompound_alloc=%lu vcompound_alloc_fail=%lu leaked=%ld\n",
		c->name, VC_PASSES + 1, st.allocated, st.nulls,
		vc_ev[VCOMPOUND_ALLOC] - alloc0,
		vc_ev[VCOMPOUND_ALLOC_FAIL] - fail0, leaked);
	if (!VCOMPOUND_TASK_STACKS && !st.errors && left > 0)
		vc_error(&st, "%ld virtual compound pages not released", left);
	/* Each measured allocation counted once (the warm-up's are not). */
	if (!VCOMPOUND_TASK_STACKS && !st.errors &&
	    vc_ev[VCOMPOUND_ALLOC] - alloc0 != st.virt - virt0)
		vc_error(&st, "vcompound_alloc +%lu for %lu pages (another user meanwhile?)",
			 vc_ev[VCOMPOUND_ALLOC] - alloc0, st.virt - virt0);
	/* Generic KASAN's quarantine keeps freed objects, and their pages. */
	if (!st.errors && leaked > VC_LEAK_SLACK && !IS_ENABLED(CONFIG_KASAN_GENERIC))
		vc_error(&st, "%ld pages leaked", leaked);
	if (st.errors) {
		pr_err("%s: FAIL %s (%lu failed checks)\n", c->name, st.reason, st.errors);
		return -EINVAL;
	}
	pr_info("%s: ok\n", c->name);
	return 0;
}

/*
 * leak_kmalloc: large kmalloc()s that took the fallback, whose pointers are
 * then dropped; kmemleak must report them although their vm_structs and
 * struct pages still know their addresses.
 */
static int vc_leak_kmalloc(void)
{
	unsigned int i;
	void *p;

	for (i = 0; i < leak_kmalloc; i++) {
		p = kmalloc(VC_LEAK_SIZE, GFP_KERNEL | __GFP_VFALLBACK | __GFP_NOWARN);
		if (!is_vmalloc_addr(p)) {
			pr_err("leak_kmalloc: FAIL kmalloc(%d) failed or is physical\n",
			       VC_LEAK_SIZE);
			kfree(p);
			return -ENOMEM;
		}
	}
	pr_info("leak_kmalloc: leaked %u x %d bytes\n", leak_kmalloc, VC_LEAK_SIZE);
	return 0;
}

static int __init test_vcompound_init(void)
{
	unsigned int i;
	int ret = 0, r;

	nr_cycles = max(nr_cycles, 1);
	for (i = 0; i < ARRAY_SIZE(vc_cases); i++) {
		if (run_test_mask & BIT(i)) {
			r = vc_run_case(&vc_cases[i]);
			if (r && ret != -EINVAL)
				ret = r;
		}
	}
	if (!ret && leak_kmalloc)
		ret = vc_leak_kmalloc();
	return ret;
}

static void __exit test_vcompound_exit(void)
{
}

module_init(test_vcompound_init);
module_exit(test_vcompound_exit);

MODULE_AUTHOR("Vcompound Team <team@vcompound.example.org>");
MODULE_DESCRIPTION("Test module for virtual compound pages (__GFP_VFALLBACK)");
MODULE_LICENSE("GPL");
