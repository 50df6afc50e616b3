// SPDX-License-Identifier: GPL-2.0
/*
 * bench_vcompound: in-kernel benchmark of virtual compound pages
 * (__GFP_VFALLBACK, Documentation/mm/vcompound.rst).
 *
 * Runs at module load, prints one parseable line per result to the kernel
 * log and returns -EAGAIN so that it unloads again, like test_vmalloc:
 *
 *   insmod bench_vcompound.ko [cells=LIST] [phase=before|after|auto]
 *          [iters=2000] [access_iters=100] [hot_batch=1000]
 *          [fragment_mb=0] [frag_n=50] [drain_order=3] [frag_hold=0]
 *          [clock=auto|ktime|tsc]
 *   insmod bench_vcompound.ko frag_keep=1 fragment_mb=N [drain_order=3]
 *          [frag_hole_order=0]
 *          (fragment memory as the frag cell does, keep it so until rmmod)
 *
 * cells is a comma-separated list of
 *   clock     overhead of an empty timed region (always run)
 *   hot       kmalloc(64)/kfree() and virt_to_folio(), batches of hot_batch
 *   fastpath  alloc_pages()+__free_pages() with and without __GFP_VFALLBACK,
 *             policy "late", orders 3, 4, 6, 9
 *   fallback  policy "always": vcompound vs vmalloc() vs kvmalloc() of
 *             the same size, alloc + touch every page + free, orders 3..10
 *   access    sequential/random 8-byte reads and writes over 2 MiB that is
 *             an order-9 page, a forced vcompound, or vmalloc() memory
 *   frag      fragment_mb of order-0 pages, every page with an even pfn
 *             freed, then frag_n requests per order 4..10 and contender
 *   all       all of the above (the default)
 *
 * Every result is measured with its contenders interleaved: in each
 * iteration every contender runs once, in an order rotated by one per
 * iteration (ABC, BCA, CAB, ...), so drift and the after-effects of one
 * contender (lazy vmap purges, pcp refills) hit all of them alike.  One
 * line per row and contender:
 *
 *   bench_vcompound: cell=fastpath phase=before order=4 op=alloc_free
 *     contender=vfallback n=2000 median_ns=... p10_ns=... p90_ns=...
 *     min_ns=... max_ns=... ratio=1.003 base=plain [more key=value]
 *
 * All *_ns values are nanoseconds with three decimals; ratio is this
 * contender's median over the median of the row's baseline (base=).
 * Values with spaces are double-quoted.
 *
 * Timing: ktime_get_ns() deltas per iteration.  When ktime_get_ns() is
 * coarse (a QEMU TCG guest without a usable TSC clocksource runs on
 * jiffies: 4 ms steps at HZ=250), clock=auto uses the TSC instead
 * (x86 only), converted with tsc_khz.  Either way the benchmark pins
 * itself to the CPU it starts on (set_cpus_allowed_ptr(), which may
 * sleep, unlike preempt_disable()) and restores the affinity at the end.
 * Neither preemption nor interrupts are disabled anywhere: the timed
 * regions contain sleeping allocations.  The timer tick lands in some
 * samples; that is what the median and the p10/p90 spread absorb.
 *
 * The fallback policy is switched with vcompound_set_policy() and put back
 * as it was at the end.  vcompound_set_policy(), vcompound_get_policy(),
 * vcompound_flush_deferred() and vcompound_nr_live() are declared in
 * mm/internal.h (below again) and not exported by the series: the
 * benchmark's kernel tree adds harness/bench/exports.patch
 * (harness/bench/tree.sh, make bench).
 */

#define pr_fmt(fmt) "bench_vcompound: " fmt

#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vcompound.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#ifdef CONFIG_X86
#include <asm/processor.h>
#endif
#ifdef CONFIG_X86_TSC
#include <asm/tsc.h>
#endif

/* mm/internal.h's, which a module cannot include. */
enum vcompound_policy vcompound_get_policy(void);
int vcompound_set_policy(enum vcompound_policy policy);
void vcompound_flush_deferred(void);
long vcompound_nr_live(void);

static char *cells = "all";
module_param(cells, charp, 0444);
MODULE_PARM_DESC(cells, "Comma-separated cells: clock,hot,fastpath,fallback,access,frag or all");

static char *phase = "auto";
module_param(phase, charp, 0444);
MODULE_PARM_DESC(phase, "before|after|auto: label of the hot and fastpath lines (auto: from vcompound_in_use())");

static unsigned int iters = 2000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Iterations (samples) per contender in the clock, hot, fastpath and fallback cells");

static unsigned int access_iters = 100;
module_param(access_iters, uint, 0444);
MODULE_PARM_DESC(access_iters, "Passes over the 2 MiB region per contender and pattern in the access cell");

static unsigned int hot_batch = 1000;
module_param(hot_batch, uint, 0444);
MODULE_PARM_DESC(hot_batch, "Operations per sample in the hot cell");

static int fragment_mb;
module_param(fragment_mb, int, 0444);
MODULE_PARM_DESC(fragment_mb, "MB of order-0 pages to allocate for the frag cell (taken until allocation fails; 0 skips the cell)");

static unsigned int frag_n = 50;
module_param(frag_n, uint, 0444);
MODULE_PARM_DESC(frag_n, "Requests per order and contender in the frag cell");

static unsigned int drain_order = VCOMPOUND_MIN_ORDER;
module_param(drain_order, uint, 0444);
MODULE_PARM_DESC(drain_order, "After fragmenting, hold every free block of this order or above (0: do not)");

static bool frag_hold;
module_param(frag_hold, bool, 0444);
MODULE_PARM_DESC(frag_hold, "Keep successful frag requests until the end of their order instead of freeing each at once");

static unsigned int frag_hole_order;
module_param(frag_hole_order, uint, 0444);
MODULE_PARM_DESC(frag_hole_order, "Fragment into free holes of this order (0: every even pfn freed; 2: aligned order-2 holes, so no order-3 block but head chunks)");

static bool frag_keep;
module_param(frag_keep, bool, 0444);
MODULE_PARM_DESC(frag_keep, "Only fragment memory as the frag cell does, and keep it so until rmmod (for the ring cell under fragmentation); needs fragment_mb");

static char *bench_clock = "auto";
module_param_named(clock, bench_clock, charp, 0444);
MODULE_PARM_DESC(clock, "auto|ktime|tsc: time source of the samples");

#define CELL_CLOCK	BIT(0)
#define CELL_HOT	BIT(1)
#define CELL_FASTPATH	BIT(2)
#define CELL_FALLBACK	BIT(3)
#define CELL_ACCESS	BIT(4)
#define CELL_FRAG	BIT(5)
#define CELL_ALL	(CELL_CLOCK | CELL_HOT | CELL_FASTPATH | CELL_FALLBACK | \
			 CELL_ACCESS | CELL_FRAG)

/* Series of samples one cell can fill at the same time. */
#define NSERIES		8

static const char * const policy_names[NR_VCOMPOUND_POLICIES] = {
	[VCOMPOUND_LATE] = "late",
	[VCOMPOUND_EARLY] = "early",
	[VCOMPOUND_ALWAYS] = "always",
};

static u64 *bench_pool;		/* NSERIES x bench_cols samples */
static unsigned int bench_cols;
static bool use_tsc;
static u64 ktime_res_ns;
static const char *phase_name;
static char bench_tag[96];		/* phase/in_use, appended to hot and fastpath lines */
static unsigned long bench_sink;	/* keeps computed values alive */

static inline u64 *series(unsigned int s)
{
	return bench_pool + (size_t)s * bench_cols;
}

/* --- time ---------------------------------------------------------------- */

static __always_inline u64 bench_now(void)
{
	u64 t;

	barrier();
#ifdef CONFIG_X86_TSC
	if (use_tsc)
		t = rdtsc_ordered();
	else
#endif
		t = ktime_get_ns();
	barrier();
	return t;
}

static inline u64 bench_delta(u64 t0, u64 t1)
{
	return t1 > t0 ? t1 - t0 : 0;
}

/* Clock ticks to picoseconds. */
static u64 ticks_to_ps(u64 t)
{
#ifdef CONFIG_X86_TSC
	if (use_tsc)
		return mul_u64_u32_div(t, 1000000000U, tsc_khz);
#endif
	return t * 1000;
}

/* The smallest step of ktime_get_ns() seen in a few tries. */
static u64 measure_ktime_resolution(void)
{
	u64 best = U64_MAX;
	int attempt;

	for (attempt = 0; attempt < 5; attempt++) {
		unsigned long spins = 0;
		u64 t0 = ktime_get_ns(), t1, t2;

		/* Wait for one step to start at a step boundary... */
		do {
			t1 = ktime_get_ns();
		} while (t1 == t0 && ++spins < 50000000UL);
		/* ...and measure the next one. */
		do {
			t2 = ktime_get_ns();
		} while (t2 == t1 && ++spins < 100000000UL);
		if (t2 > t1)
			best = min(best, t2 - t1);
		cond_resched();
	}
	return best;
}

/* --- statistics ---------------------------------------------------------- */

struct bstat {
	unsigned int n;
	u64 med, p10, p90, min, max;	/* picoseconds */
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Turn n samples of clock ticks into picoseconds per operation (div
 * operations per sample), in place, and compute their statistics.
 */
static void bstat_compute(u64 *v, unsigned int n, unsigned int div,
			  struct bstat *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->n = n;
	if (!n)
		return;
	for (i = 0; i < n; i++)
		v[i] = div64_u64(ticks_to_ps(v[i]), div ?: 1);
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	st->min = v[0];
	st->max = v[n - 1];
	st->p10 = v[(u64)n * 10 / 100];
	st->p90 = v[(u64)n * 90 / 100];
	st->med = (n & 1) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Picoseconds as nanoseconds with three decimals. */
static const char *fmt_ns(char *buf, size_t len, u64 ps)
{
	u32 rem;
	u64 ns = div_u64_rem(ps, 1000, &rem);

	snprintf(buf, len, "%llu.%03u", ns, rem);
	return buf;
}

static const char *fmt_ratio(char *buf, size_t len, u64 num, u64 den)
{
	u32 rem;
	u64 q;

	if (!den)
		return "nan";
	q = div_u64_rem(div64_u64(num * 1000 + den / 2, den), 1000, &rem);
	snprintf(buf, len, "%llu.%03u", q, rem);
	return buf;
}

/*
 * One result line: ctx ("cell=... order=..."), the contender, its
 * statistics, its ratio to the row's baseline @base (if any) and @extra.
 */
static noinline_for_stack void report(const char *ctx, const char *contender,
				      const struct bstat *st,
				      const struct bstat *base,
				      const char *base_name, const char *extra)
{
	char med[24], p10[24], p90[24], mn[24], mx[24], r[24];
	char ratio[64] = "";

	if (base)
		snprintf(ratio, sizeof(ratio), " ratio=%s base=%s",
			 fmt_ratio(r, sizeof(r), st->med, base->med), base_name);
	pr_info("%s contender=%s n=%u median_ns=%s p10_ns=%s p90_ns=%s min_ns=%s max_ns=%s%s%s%s\n",
		ctx, contender, st->n,
		fmt_ns(med, sizeof(med), st->med),
		fmt_ns(p10, sizeof(p10), st->p10),
		fmt_ns(p90, sizeof(p90), st->p90),
		fmt_ns(mn, sizeof(mn), st->min),
		fmt_ns(mx, sizeof(mx), st->max),
		ratio, extra && *extra ? " " : "", extra ?: "");
}

/* --- system state -------------------------------------------------------- */

static unsigned long vc_event(enum vm_event_item item)
{
#ifdef CONFIG_VM_EVENT_COUNTERS
	unsigned long *ev, v;

	ev = kmalloc_array(NR_VM_EVENT_ITEMS, sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return 0;
	all_vm_events(ev);
	v = ev[item];
	kfree(ev);
	return v;
#else
	return 0;
#endif
}

static unsigned long free_mb(void)
{
	return global_zone_page_state(NR_FREE_PAGES) >> (20 - PAGE_SHIFT);
}

static void update_tag(void)
{
	snprintf(bench_tag, sizeof(bench_tag), "in_use=%d", vcompound_in_use());
}

static void set_policy(enum vcompound_policy p)
{
	int err = vcompound_set_policy(p);

	if (err)
		pr_info("note=\"vcompound_set_policy(%s) failed: %d\"\n",
			policy_names[p], err);
}

static void hypervisor_signature(char *buf, size_t len)
{
	strscpy(buf, "none", len);
#ifdef CONFIG_X86
	if (boot_cpu_has(X86_FEATURE_HYPERVISOR) && len > 12) {
		unsigned int eax, sig[3];
		int i;

		cpuid(0x40000000, &eax, &sig[0], &sig[1], &sig[2]);
		memcpy(buf, sig, 12);
		buf[12] = '\0';
		for (i = 0; i < 12; i++)
			if (buf[i] < 0x21 || buf[i] > 0x7e)
				buf[i] = '.';
	}
#endif
}

/* --- cell: clock --------------------------------------------------------- */

static void cell_clock(void)
{
	struct bstat st;
	unsigned int it;
	char extra[96];

	for (it = 0; it < iters; it++) {
		u64 t0 = bench_now();
		u64 t1 = bench_now();

		series(0)[it] = bench_delta(t0, t1);
	}
	bstat_compute(series(0), iters, 1, &st);
	snprintf(extra, sizeof(extra), "clock=%s ktime_res_ns=%llu",
		 use_tsc ? "tsc" : "ktime", ktime_res_ns);
	report("cell=clock op=empty_timed_region", "empty", &st, NULL, NULL, extra);
}

/* --- cell 3: hot paths --------------------------------------------------- */

#define HOT_OBJS	16

enum { H_KMALLOC, H_VIRT_TO_FOLIO, H_LEGACY, H_N };

static void cell_hot(void)
{
	void *objs[HOT_OBJS];
	struct bstat st[H_N];
	unsigned int it, k, j, kfail = 0;
	char ctx[128], extra[160];

	for (j = 0; j < HOT_OBJS; j++) {
		objs[j] = kmalloc(64, GFP_KERNEL);
		if (!objs[j])
			break;
	}
	if (j < HOT_OBJS) {
		while (j--)
			kfree(objs[j]);
		pr_info("cell=hot note=\"no memory for the test objects, cell skipped\"\n");
		return;
	}

	for (it = 0; it < iters; it++) {
		for (k = 0; k < H_N; k++) {
			unsigned int c = (k + it) % H_N;
			unsigned long acc = 0;
			u64 t0, t1;

			switch (c) {
			case H_KMALLOC:
				t0 = bench_now();
				for (j = 0; j < hot_batch; j++) {
					void *p = kmalloc(64, GFP_KERNEL);

					OPTIMIZER_HIDE_VAR(p);
					if (unlikely(!p))
						kfail++;
					kfree(p);
				}
				t1 = bench_now();
				break;
			case H_VIRT_TO_FOLIO:
				t0 = bench_now();
				for (j = 0; j < hot_batch; j++) {
					const void *o = objs[j % HOT_OBJS];

					OPTIMIZER_HIDE_VAR(o);
					acc += (unsigned long)virt_to_folio(o);
				}
				t1 = bench_now();
				break;
			default:
				/* virt_to_folio() as it was before the series. */
				t0 = bench_now();
				for (j = 0; j < hot_batch; j++) {
					const void *o = objs[j % HOT_OBJS];

					OPTIMIZER_HIDE_VAR(o);
					acc += (unsigned long)page_folio(virt_to_page(o));
				}
				t1 = bench_now();
				break;
			}
			WRITE_ONCE(bench_sink, bench_sink + acc);
			series(c)[it] = bench_delta(t0, t1);
		}
		cond_resched();
	}
	for (j = 0; j < HOT_OBJS; j++)
		kfree(objs[j]);

	for (k = 0; k < H_N; k++)
		bstat_compute(series(k), iters, hot_batch, &st[k]);

	update_tag();
	/* The baseline of this row is the phase=before run (host side). */
	snprintf(ctx, sizeof(ctx), "cell=hot phase=%s op=kmalloc64_kfree", phase_name);
	snprintf(extra, sizeof(extra), "per=op batch=%u fail=%u %s", hot_batch, kfail, bench_tag);
	report(ctx, "kmalloc_kfree", &st[H_KMALLOC], NULL, NULL, extra);

	snprintf(ctx, sizeof(ctx), "cell=hot phase=%s op=virt_to_folio", phase_name);
	snprintf(extra, sizeof(extra), "per=op batch=%u %s", hot_batch, bench_tag);
	report(ctx, "legacy", &st[H_LEGACY], &st[H_LEGACY], "legacy", extra);
	report(ctx, "virt_to_folio", &st[H_VIRT_TO_FOLIO], &st[H_LEGACY], "legacy", extra);
}

/* --- cell 1: fast path --------------------------------------------------- */

static void cell_fastpath(void)
{
	static const unsigned int orders[] = { 3, 4, 6, 9 };
	static const char * const ops[3] = { "alloc_free", "alloc", "free" };
	unsigned int oi, it, k, op;
	char ctx[128], extra[192];

	set_policy(VCOMPOUND_LATE);
	for (oi = 0; oi < ARRAY_SIZE(orders); oi++) {
		unsigned int order = orders[oi], fail[2] = { 0, 0 };
		unsigned long vc0, vc;

		if (order > MAX_PAGE_ORDER)
			continue;
		update_tag();
		vc0 = vc_event(VCOMPOUND_ALLOC);
		for (it = 0; it < iters; it++) {
			for (k = 0; k < 2; k++) {
				unsigned int c = (k + it) & 1;
				gfp_t gfp = GFP_KERNEL | __GFP_COMP;
				struct page *page;
				u64 t0, t1, t2;

				if (c)
					gfp |= __GFP_VFALLBACK;

				t0 = bench_now();
				page = alloc_pages(gfp, order);
				t1 = bench_now();
				if (page)
					__free_pages(page, order);
				t2 = bench_now();
				if (!page)
					fail[c]++;
				series(c * 3 + 0)[it] = bench_delta(t0, t2);
				series(c * 3 + 1)[it] = bench_delta(t0, t1);
				series(c * 3 + 2)[it] = bench_delta(t1, t2);
			}
			cond_resched();
		}
		vc = vc_event(VCOMPOUND_ALLOC) - vc0;

		for (op = 0; op < 3; op++) {
			struct bstat plain, vf;

			bstat_compute(series(op), iters, 1, &plain);
			bstat_compute(series(3 + op), iters, 1, &vf);
			snprintf(ctx, sizeof(ctx), "cell=fastpath phase=%s order=%u op=%s",
				 phase_name, order, ops[op]);
			snprintf(extra, sizeof(extra), "policy=late fail=%u %s",
				 fail[0], bench_tag);
			report(ctx, "plain", &plain, &plain, "plain", extra);
			snprintf(extra, sizeof(extra),
				 "policy=late fail=%u vcompound_created=%lu %s",
				 fail[1], vc, bench_tag);
			report(ctx, "vfallback", &vf, &plain, "plain", extra);
		}
	}
}

/* --- cell 2: fallback path ----------------------------------------------- */

/* Write one word per page. */
static noinline void touch_pages(void *addr, unsigned long nr)
{
	char *p = addr;
	unsigned long i;

	for (i = 0; i < nr; i++)
		WRITE_ONCE(*(unsigned long *)(p + i * PAGE_SIZE), i);
}

enum { F_VC, F_VMALLOC, F_KVMALLOC, F_N, F_VC_NOFLUSH = F_N };

static void cell_fallback(void)
{
	const unsigned int max_order = min_t(unsigned int, 10, MAX_PAGE_ORDER);
	unsigned int order, it, k;
	char ctx[128], extra[256];

	pr_info("cell=fallback note=\"contender vcompound = alloc + touch + free + vcompound_flush_deferred() (the deferred vunmap and page frees, timed separately and added); vcompound_noflush = the same without the flush; kvmalloc takes its kmalloc leg while contiguous memory exists\"\n");
	set_policy(VCOMPOUND_ALWAYS);
	for (order = VCOMPOUND_MIN_ORDER; order <= max_order; order++) {
		unsigned long nr = 1UL << order, vc0, def0, fr0, vc, def, fr;
		size_t size = PAGE_SIZE << order;
		unsigned int fail[F_N] = { 0 }, vleg = 0;
		struct bstat st[F_N + 1];

		vc0 = vc_event(VCOMPOUND_ALLOC);
		def0 = vc_event(VCOMPOUND_FREE_DEFERRED);
		fr0 = vc_event(VCOMPOUND_FREE);
		for (it = 0; it < iters; it++) {
			for (k = 0; k < F_N; k++) {
				unsigned int c = (k + it) % F_N;
				struct page *page;
				void *p;
				u64 t0, t1, t2, d;

				switch (c) {
				case F_VC:
					t0 = bench_now();
					page = alloc_pages(GFP_KERNEL | __GFP_COMP |
							   __GFP_VFALLBACK, order);
					if (page) {
						touch_pages(page_to_addr(page), nr);
						__free_pages(page, order);
					}
					t1 = bench_now();
					vcompound_flush_deferred();
					t2 = bench_now();
					if (!page)
						fail[c]++;
					d = bench_delta(t0, t1);
					series(F_VC_NOFLUSH)[it] = d;
					series(F_VC)[it] = d + bench_delta(t1, t2);
					break;
				case F_VMALLOC:
					t0 = bench_now();
					p = vmalloc(size);
					if (p) {
						touch_pages(p, nr);
						vfree(p);
					}
					t1 = bench_now();
					if (!p)
						fail[c]++;
					series(c)[it] = bench_delta(t0, t1);
					break;
				default:
					t0 = bench_now();
					p = kvmalloc(size, GFP_KERNEL);
					if (p) {
						touch_pages(p, nr);
						kvfree(p);
					}
					t1 = bench_now();
					/* Only the address is compared: no access. */
					if (!p)
						fail[c]++;
					else if (is_vmalloc_addr(p))
						vleg++;
					series(c)[it] = bench_delta(t0, t1);
					break;
				}
			}
			cond_resched();
		}
		vc = vc_event(VCOMPOUND_ALLOC) - vc0;
		def = vc_event(VCOMPOUND_FREE_DEFERRED) - def0;
		fr = vc_event(VCOMPOUND_FREE) - fr0;

		for (k = 0; k <= F_VC_NOFLUSH; k++)
			bstat_compute(series(k), iters, 1, &st[k]);
		snprintf(ctx, sizeof(ctx), "cell=fallback order=%u size_kib=%zu",
			 order, size >> 10);
		snprintf(extra, sizeof(extra),
			 "policy=always virtual=%lu/%u fail=%u deferred_frees=%lu released=%lu accounting=alloc+touch+free+flush",
			 vc, iters, fail[F_VC], def, fr);
		report(ctx, "vcompound", &st[F_VC], &st[F_VMALLOC], "vmalloc", extra);
		snprintf(extra, sizeof(extra),
			 "policy=always virtual=%lu/%u fail=%u deferred_frees=%lu accounting=alloc+touch+free",
			 vc, iters, fail[F_VC], def);
		report(ctx, "vcompound_noflush", &st[F_VC_NOFLUSH], &st[F_VMALLOC],
		       "vmalloc", extra);
		snprintf(extra, sizeof(extra), "fail=%u", fail[F_VMALLOC]);
		report(ctx, "vmalloc", &st[F_VMALLOC], &st[F_VMALLOC], "vmalloc", extra);
		snprintf(extra, sizeof(extra),
			 "fail=%u vmalloc_leg=%u/%u label=\"kvmalloc (%s)\"",
			 fail[F_KVMALLOC], vleg, iters,
			 !vleg ? "kmalloc leg while contiguous memory exists" :
			 vleg == iters ? "vmalloc leg" : "kmalloc and vmalloc legs mixed");
		report(ctx, "kvmalloc", &st[F_KVMALLOC], &st[F_VMALLOC], "vmalloc", extra);
	}
}

/* --- cell 5: access cost ------------------------------------------------- */

enum { A_SEQ_READ, A_SEQ_WRITE, A_RAND_READ, A_RAND_WRITE, A_NPAT };
static const char * const pattern_names[A_NPAT] = {
	"seq_read", "seq_write", "rand_read", "rand_write",
};

enum { R_CONTIG, R_VCOMPOUND, R_VMALLOC, R_N };
static const char * const region_names[R_N] = { "contig", "vcompound", "vmalloc" };

#define XORSHIFT_SEED	0x9e3779b97f4a7c15ULL

/* One pass of nwords (a power of two) 8-byte accesses; same code for all. */
static noinline u64 access_pass(u64 *w, unsigned long nwords, int pattern)
{
	u64 acc = 0, x = XORSHIFT_SEED;
	unsigned long i;

	switch (pattern) {
	case A_SEQ_READ:
		for (i = 0; i < nwords; i++)
			acc += READ_ONCE(w[i]);
		break;
	case A_SEQ_WRITE:
		for (i = 0; i < nwords; i++)
			WRITE_ONCE(w[i], i);
		break;
	case A_RAND_READ:
		for (i = 0; i < nwords; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			acc += READ_ONCE(w[x & (nwords - 1)]);
		}
		break;
	default:
		for (i = 0; i < nwords; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			WRITE_ONCE(w[x & (nwords - 1)], i);
		}
		break;
	}
	return acc;
}

static void cell_access(void)
{
	const unsigned int order = 9;
	const size_t size = PAGE_SIZE << order;
	const unsigned long nwords = size / sizeof(u64);
	struct page *pc = NULL, *pv = NULL;
	void *addr[R_N] = { NULL };
	enum vcompound_policy saved = vcompound_get_policy();
	unsigned int pat, it, k;
	bool forced_virtual;
	char hyp[16], ctx[128], extra[192], nsa[24];

	if (order > MAX_PAGE_ORDER) {
		pr_info("cell=access note=\"MAX_PAGE_ORDER < 9, cell skipped\"\n");
		return;
	}
	hypervisor_signature(hyp, sizeof(hyp));
	pr_info("cell=access hypervisor=%s note=\"under QEMU TCG (no KVM) the software MMU dominates every access: TLB effects are not representative\"\n",
		hyp);

	set_policy(VCOMPOUND_LATE);
	pc = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN, order);
	set_policy(VCOMPOUND_ALWAYS);
	pv = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_VFALLBACK | __GFP_NOWARN, order);
	set_policy(saved);
	addr[R_VMALLOC] = vmalloc(size);
	if (!pc || !pv || !addr[R_VMALLOC]) {
		pr_info("cell=access note=\"allocation failed (contig=%d vcompound=%d vmalloc=%d), cell skipped\"\n",
			!!pc, !!pv, !!addr[R_VMALLOC]);
		goto out;
	}
	addr[R_CONTIG] = page_address(pc);
	addr[R_VCOMPOUND] = page_to_addr(pv);
	forced_virtual = PageVcompound(pv);
	for (k = 0; k < R_N; k++)
		memset(addr[k], 0x5a, size);

	for (pat = 0; pat < A_NPAT; pat++) {
		struct bstat st[R_N];

		for (it = 0; it < access_iters; it++) {
			for (k = 0; k < R_N; k++) {
				unsigned int c = (k + it) % R_N;
				u64 t0, t1, acc;

				t0 = bench_now();
				acc = access_pass(addr[c], nwords, pat);
				t1 = bench_now();
				WRITE_ONCE(bench_sink, bench_sink + acc);
				series(c)[it] = bench_delta(t0, t1);
			}
			cond_resched();
		}
		snprintf(ctx, sizeof(ctx), "cell=access pattern=%s region_kib=%zu",
			 pattern_names[pat], size >> 10);
		for (k = 0; k < R_N; k++)
			bstat_compute(series(k), access_iters, 1, &st[k]);
		for (k = 0; k < R_N; k++) {
			u64 mbps = st[k].med ?
				div64_u64((u64)size * 1000000ULL, st[k].med) : 0;

			snprintf(extra, sizeof(extra),
				 "per=pass accesses=%lu ns_per_access=%s mbps=%llu%s",
				 nwords,
				 fmt_ns(nsa, sizeof(nsa), div64_u64(st[k].med, nwords)),
				 mbps,
				 k == R_VCOMPOUND ?
					(forced_virtual ? " virtual=1" : " virtual=0") : "");
			report(ctx, region_names[k], &st[k], &st[R_CONTIG],
			       "contig", extra);
		}
	}
out:
	vfree(addr[R_VMALLOC]);
	if (pc)
		__free_pages(pc, order);
	if (pv)
		__free_pages(pv, order);
	vcompound_flush_deferred();
}

/* --- cell 4: under fragmentation ----------------------------------------- */

enum { G_PLAIN, G_LATE, G_EARLY, G_KVMALLOC, G_N };
static const char * const frag_names[G_N] = {
	"plain", "vfallback_late", "vfallback_early", "kvmalloc",
};

static void frag_free(int c, void *obj, unsigned int order)
{
	if (!obj)
		return;
	if (c == G_KVMALLOC)
		kvfree(obj);
	else
		__free_pages(obj, order);
}

/* Memory held fragmented: order-0 pages with odd pfns, and drained blocks. */
struct frag_state {
	struct page **pages;
	unsigned long got;
	struct list_head drain_list;
};

/*
 * Fragment: take order-0 pages until fragment_mb or until the allocator
 * says no (__GFP_NORETRY: no OOM killer), then free every page whose pfn
 * has bit frag_hole_order clear (frag_hole_order 0: every even pfn).  The
 * buddy of a freed hole is pages we keep (or not ours), so no hole can
 * merge: free memory is left in holes of order frag_hole_order.  Then
 * hold every free block of drain_order and above that is left (what was
 * below the watermarks when we stopped, and what reclaim and compaction
 * can still produce), so high-order requests cannot be served from it.
 * Blocks below drain_order (order-2 head chunks with the default of 3)
 * stay available.  @tag names the cell in the setup line.  Returns 0, or
 * -ENOMEM when the page array cannot be had (nothing is held then).
 */
static int frag_setup(struct frag_state *st, const char *tag)
{
	unsigned long want, kept = 0, freed = 0, drained = 0, i;
	unsigned long free0, free1;
	struct page *p;
	unsigned int o;
	u64 s0, s1;

	INIT_LIST_HEAD(&st->drain_list);
	st->got = 0;
	want = min_t(unsigned long, (unsigned long)fragment_mb << (20 - PAGE_SHIFT),
		     totalram_pages());
	st->pages = kvmalloc_array(want, sizeof(*st->pages), GFP_KERNEL | __GFP_NOWARN);
	if (!st->pages)
		return -ENOMEM;

	free0 = free_mb();
	s0 = ktime_get_ns();
	for (i = 0; i < want; i++) {
		p = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!p)
			break;
		st->pages[st->got++] = p;
		if (!(i & 1023))
			cond_resched();
	}
	for (i = 0; i < st->got; i++) {
		if ((page_to_pfn(st->pages[i]) >> frag_hole_order) & 1) {
			kept++;
		} else {
			__free_page(st->pages[i]);
			st->pages[i] = NULL;
			freed++;
		}
		if (!(i & 1023))
			cond_resched();
	}
	if (drain_order && drain_order <= MAX_PAGE_ORDER) {
		for (o = MAX_PAGE_ORDER; ; o--) {
			while ((p = alloc_pages(GFP_KERNEL | __GFP_NORETRY |
						__GFP_NOWARN, o))) {
				set_page_private(p, o);
				list_add(&p->lru, &st->drain_list);
				drained += 1UL << o;
				cond_resched();
			}
			if (o == drain_order)
				break;
		}
	}
	s1 = ktime_get_ns();
	free1 = free_mb();
	pr_info("cell=%s setup requested_mb=%d got_mb=%lu kept_mb=%lu freed_mb=%lu drained_mb=%lu drain_order=%u hole_order=%u free_mb_before=%lu free_mb_after=%lu setup_ms=%llu hold=%d\n",
		tag, fragment_mb, st->got >> (20 - PAGE_SHIFT),
		kept >> (20 - PAGE_SHIFT), freed >> (20 - PAGE_SHIFT),
		drained >> (20 - PAGE_SHIFT), drain_order, frag_hole_order, free0, free1,
		div_u64(s1 - s0, NSEC_PER_MSEC), frag_hold);
	return 0;
}

static void frag_release(struct frag_state *st)
{
	struct page *p, *tmp;
	unsigned long i;

	list_for_each_entry_safe(p, tmp, &st->drain_list, lru) {
		unsigned int o = page_private(p);

		list_del(&p->lru);
		set_page_private(p, 0);
		__free_pages(p, o);
	}
	if (st->pages) {
		for (i = 0; i < st->got; i++) {
			if (st->pages[i])
				__free_page(st->pages[i]);
			if (!(i & 1023))
				cond_resched();
		}
	}
	kvfree(st->pages);
	st->pages = NULL;
	st->got = 0;
}

static void cell_frag(void)
{
	const unsigned int max_order = min_t(unsigned int, 10, MAX_PAGE_ORDER);
	unsigned int order, it, k;
	enum vcompound_policy saved = vcompound_get_policy();
	struct frag_state st = { };
	void **held = NULL;
	char ctx[128], extra[256], okm[24];

	INIT_LIST_HEAD(&st.drain_list);
	if (fragment_mb <= 0) {
		pr_info("cell=frag note=\"fragment_mb=0, cell skipped\"\n");
		return;
	}
	held = kcalloc(G_N * frag_n, sizeof(*held), GFP_KERNEL);
	if (!held || frag_setup(&st, "frag")) {
		pr_info("cell=frag note=\"no memory for the page arrays, cell skipped\"\n");
		goto out;
	}

	for (order = 4; order <= max_order; order++) {
		size_t size = PAGE_SIZE << order;
		unsigned int ok[G_N] = { 0 }, virt[G_N] = { 0 };
		struct bstat all[G_N], oks;

		for (it = 0; it < frag_n; it++) {
			for (k = 0; k < G_N; k++) {
				unsigned int c = (k + it) % G_N;
				struct page *page = NULL;
				void *obj = NULL;
				u64 t0, t1, d;

				if (c == G_LATE)
					set_policy(VCOMPOUND_LATE);
				else if (c == G_EARLY)
					set_policy(VCOMPOUND_EARLY);

				t0 = bench_now();
				switch (c) {
				case G_PLAIN:
					page = alloc_pages(GFP_KERNEL | __GFP_COMP |
							   __GFP_NORETRY | __GFP_NOWARN,
							   order);
					break;
				case G_LATE:
				case G_EARLY:
					page = alloc_pages(GFP_KERNEL | __GFP_COMP |
							   __GFP_VFALLBACK | __GFP_NOWARN,
							   order);
					break;
				default:
					obj = kvmalloc(size, GFP_KERNEL | __GFP_NOWARN);
					break;
				}
				t1 = bench_now();
				d = bench_delta(t0, t1);
				series(c)[it] = d;
				if (page)
					obj = page;
				if (obj) {
					series(G_N + c)[ok[c]++] = d;
					if (page ? PageVcompound(page) : is_vmalloc_addr(obj))
						virt[c]++;
					if (frag_hold)
						held[c * frag_n + it] = obj;
					else
						frag_free(c, obj, order);
				}
				vcompound_flush_deferred();
			}
			cond_resched();
		}
		for (k = 0; k < G_N; k++) {
			for (it = 0; it < frag_n; it++) {
				frag_free(k, held[k * frag_n + it], order);
				held[k * frag_n + it] = NULL;
			}
		}
		vcompound_flush_deferred();

		for (k = 0; k < G_N; k++)
			bstat_compute(series(k), frag_n, 1, &all[k]);
		snprintf(ctx, sizeof(ctx), "cell=frag order=%u size_kib=%zu",
			 order, size >> 10);
		for (k = 0; k < G_N; k++) {
			bstat_compute(series(G_N + k), ok[k], 1, &oks);
			snprintf(extra, sizeof(extra),
				 "ok=%u/%u success_pct=%u %s=%u ok_median_ns=%s hold=%d%s",
				 ok[k], frag_n, ok[k] * 100 / frag_n,
				 k == G_KVMALLOC ? "vmalloc_leg" : "virtual", virt[k],
				 ok[k] ? fmt_ns(okm, sizeof(okm), oks.med) : "nan",
				 frag_hold,
				 k == G_PLAIN ? " flags=NORETRY" :
				 k == G_KVMALLOC ? "" : " flags=VFALLBACK");
			report(ctx, frag_names[k], &all[k], &all[G_PLAIN], "plain", extra);
		}
	}

out:
	set_policy(saved);
	frag_release(&st);
	kfree(held);
	vcompound_flush_deferred();
	pr_info("cell=frag teardown free_mb=%lu\n", free_mb());
}

/*
 * frag_keep: fragment as the frag cell does and keep it so until the
 * module is removed, for the user-space ring cell (ringbench frag).
 */
static struct frag_state frag_kept;

/* --- module -------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned int mask;
} cell_names[] = {
	{ "all", CELL_ALL },
	{ "clock", CELL_CLOCK },
	{ "hot", CELL_HOT },
	{ "fastpath", CELL_FASTPATH },
	{ "fallback", CELL_FALLBACK },
	{ "access", CELL_ACCESS },
	{ "frag", CELL_FRAG },
};

static int parse_cells(const char *s, unsigned int *mask)
{
	char *copy, *cur, *tok;
	unsigned int i;
	int ret = 0;

	*mask = CELL_CLOCK;
	copy = kstrdup(s, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((tok = strsep(&cur, ",")) != NULL) {
		if (!*tok)
			continue;
		for (i = 0; i < ARRAY_SIZE(cell_names); i++)
			if (!strcmp(tok, cell_names[i].name))
				break;
		if (i < ARRAY_SIZE(cell_names)) {
			*mask |= cell_names[i].mask;
		} else {
			pr_err("unknown cell '%s'\n", tok);
			ret = -EINVAL;
		}
	}
	kfree(copy);
	return ret;
}

static int __init bench_vcompound_init(void)
{
	enum vcompound_policy saved_policy = vcompound_get_policy();
	long live0 = vcompound_nr_live();
	unsigned long alloc0 = vc_event(VCOMPOUND_ALLOC);
	cpumask_var_t saved_mask;
	bool in_use = vcompound_in_use(), pinned = false;
	unsigned int mask, khz = 0;
	int cpu, ret;
	u64 start = ktime_get_ns();
	char hyp[16];

	if (frag_hole_order >= VCOMPOUND_MIN_ORDER) {
		pr_err("frag_hole_order must be below %u\n", VCOMPOUND_MIN_ORDER);
		return -EINVAL;
	}
	if (frag_keep) {
		if (fragment_mb <= 0) {
			pr_err("frag_keep needs fragment_mb\n");
			return -EINVAL;
		}
		ret = frag_setup(&frag_kept, "frag_keep");
		if (ret)
			return ret;
		pr_info("cell=frag_keep note=\"memory held fragmented until rmmod\"\n");
		return 0;
	}
	ret = parse_cells(cells, &mask);
	if (ret)
		return ret;
	if (!strcmp(phase, "auto")) {
		phase_name = in_use ? "after" : "before";
	} else if (!strcmp(phase, "before") || !strcmp(phase, "after")) {
		phase_name = phase;
	} else {
		pr_err("phase must be before, after or auto\n");
		return -EINVAL;
	}
	if (strcmp(bench_clock, "auto") && strcmp(bench_clock, "ktime") &&
	    strcmp(bench_clock, "tsc")) {
		pr_err("clock must be auto, ktime or tsc\n");
		return -EINVAL;
	}
	iters = clamp(iters, 10U, 1000000U);
	access_iters = clamp(access_iters, 3U, 100000U);
	hot_batch = clamp(hot_batch, 1U, 1000000U);
	frag_n = clamp(frag_n, 1U, 10000U);

	bench_cols = max3(iters, access_iters, frag_n);
	bench_pool = kvmalloc_array((size_t)NSERIES * bench_cols,
				    sizeof(*bench_pool), GFP_KERNEL | __GFP_ZERO);
	if (!bench_pool)
		return -ENOMEM;
	if (!zalloc_cpumask_var(&saved_mask, GFP_KERNEL)) {
		kvfree(bench_pool);
		return -ENOMEM;
	}

	/* Stay on one CPU: per-CPU TSCs may differ, and less noise anyway. */
	cpumask_copy(saved_mask, current->cpus_ptr);
	cpu = raw_smp_processor_id();
	if (!set_cpus_allowed_ptr(current, cpumask_of(cpu)))
		pinned = true;
	cpu = raw_smp_processor_id();

	ktime_res_ns = measure_ktime_resolution();
	use_tsc = false;
#ifdef CONFIG_X86_TSC
	khz = tsc_khz;
	if (boot_cpu_has(X86_FEATURE_TSC) && tsc_khz &&
	    (!strcmp(bench_clock, "tsc") ||
	     (!strcmp(bench_clock, "auto") && ktime_res_ns > 1000)))
		use_tsc = true;
#endif
	if (!strcmp(bench_clock, "tsc") && !use_tsc)
		pr_info("note=\"clock=tsc asked for but no usable TSC: using ktime\"\n");
	if (!use_tsc && ktime_res_ns > 1000)
		pr_info("note=\"ktime_get_ns() resolution is %llu ns: samples below that are quantised\"\n",
			ktime_res_ns);

	hypervisor_signature(hyp, sizeof(hyp));
	pr_info("start phase=%s in_use=%d policy=%s cells=%s iters=%u access_iters=%u hot_batch=%u fragment_mb=%d frag_n=%u drain_order=%u clock=%s ktime_res_ns=%llu tsc_khz=%u cpu=%d pinned=%d online_cpus=%u hz=%d preempt_count=%d jump_label=%d vcompound_alloc=%lu live=%ld free_mb=%lu hypervisor=%s\n",
		phase_name, in_use, policy_names[saved_policy], cells, iters,
		access_iters, hot_batch, fragment_mb, frag_n, drain_order,
		use_tsc ? "tsc" : "ktime", ktime_res_ns, khz, cpu, pinned, num_online_cpus(), HZ,
		IS_ENABLED(CONFIG_PREEMPT_COUNT), IS_ENABLED(CONFIG_JUMP_LABEL),
		alloc0, live0, free_mb(), hyp);
	if (!strcmp(phase_name, "before") && in_use)
		pr_info("note=\"phase=before asked for, but a virtual compound page already existed in this boot (in_use=1): the hot and fastpath lines measure the after state\"\n");
	if (!strcmp(phase_name, "after") && !in_use && (mask & (CELL_HOT | CELL_FASTPATH)))
		pr_info("note=\"phase=after asked for, but no virtual compound page has existed yet (in_use=0)\"\n");
	update_tag();

	/* Cells that do not create virtual compound pages come first. */
	if (mask & CELL_CLOCK)
		cell_clock();
	if (mask & CELL_HOT)
		cell_hot();
	if (mask & CELL_FASTPATH)
		cell_fastpath();
	if (mask & CELL_FALLBACK)
		cell_fallback();
	if (mask & CELL_ACCESS)
		cell_access();
	if (mask & CELL_FRAG)
		cell_frag();

	set_policy(saved_policy);
	vcompound_flush_deferred();
	pr_info("done phase=%s live_before=%ld live_after=%ld vcompound_alloc_delta=%lu in_use=%d elapsed_ms=%llu%s\n",
		phase_name, live0, vcompound_nr_live(),
		vc_event(VCOMPOUND_ALLOC) - alloc0, vcompound_in_use(),
		div_u64(ktime_get_ns() - start, NSEC_PER_MSEC),
		vcompound_nr_live() != live0 ? " note=\"live count changed: leak?\"" : "");

	if (pinned)
		set_cpus_allowed_ptr(current, saved_mask);
	free_cpumask_var(saved_mask);
	kvfree(bench_pool);
	bench_pool = NULL;
	/* Like test_vmalloc: fail the load so the module unloads at once. */
	return -EAGAIN;
}
module_init(bench_vcompound_init);

static void __exit bench_vcompound_exit(void)
{
	if (frag_kept.pages) {
		frag_release(&frag_kept);
		pr_info("cell=frag_keep teardown free_mb=%lu\n", free_mb());
	}
}
module_exit(bench_vcompound_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark of virtual compound pages (__GFP_VFALLBACK)");
