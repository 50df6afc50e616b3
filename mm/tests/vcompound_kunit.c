// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for virtual compound pages (__GFP_VFALLBACK).
 *
 * Every test switches the fallback policy itself, so one kernel tests both
 * the virtual path ("always") and the physical path ("late", with memory
 * plentiful at boot), whatever CONFIG_FALLBACK_ALWAYS says.
 */

#include <kunit/test.h>
#include <linux/bug.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/fault-inject.h>
#include <linux/gfp.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/delay.h>
#include <linux/kmsg_dump.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmzone.h>
#include <linux/page-isolation.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/vcompound.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include <asm/sections.h>

#include "../internal.h"

#define VC_GFP	(GFP_KERNEL | __GFP_COMP | __GFP_VFALLBACK | __GFP_NOWARN)

struct vc_case {
	unsigned int order;
	bool virtual;
};

static const struct vc_case vc_cases[] = {
	{ 3, true }, { 4, true }, { 5, true }, { 6, true }, { 7, true },
	{ 8, true }, { 9, true }, { 10, true },
	{ 3, false }, { 4, false }, { 6, false }, { 9, false }, { 10, false },
};

static void vc_case_desc(const struct vc_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "order %u, %s path", c->order,
		 c->virtual ? "virtual" : "physical");
}

KUNIT_ARRAY_PARAM(vc, vc_cases, vc_case_desc);

static enum vcompound_policy saved_policy;

static int vc_test_init(struct kunit *test)
{
	saved_policy = vcompound_get_policy();
	return 0;
}

static void vc_test_exit(struct kunit *test)
{
	vcompound_set_policy(saved_policy);
	vcompound_flush_deferred();
}

static void vc_force(struct kunit *test, bool virtual)
{
	KUNIT_ASSERT_EQ(test, 0, vcompound_set_policy(virtual ?
			VCOMPOUND_ALWAYS : VCOMPOUND_LATE));
}

static u32 vc_pattern(unsigned long i)
{
	return hash_32(i, 32) ^ 0x5a5a5a5a;
}

/*
 * Write a pattern through the contiguous address, read it back through
 * each page found by compound_nth_page() and kmap_local_page(), and check
 * compound_head(), addr_to_page() and virt_to_folio() of every page.
 */
static void vc_check_pages(struct kunit *test, struct page *head,
			   unsigned int order)
{
	unsigned long nr = 1UL << order, i, words = PAGE_SIZE / sizeof(u32);
	u32 *addr = page_to_addr(head);
	struct folio *folio = page_folio(head);

	KUNIT_ASSERT_NOT_NULL(test, addr);
	KUNIT_EXPECT_EQ(test, folio_order(folio), order);
	KUNIT_EXPECT_EQ(test, folio_nr_pages(folio), nr);
	KUNIT_EXPECT_TRUE(test, PageHead(head));

	for (i = 0; i < nr * words; i++)
		addr[i] = vc_pattern(i);

	for (i = 0; i < nr; i++) {
		struct page *p = compound_nth_page(head, i);
		u32 *kaddr;

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_PTR_EQ(test, compound_head(p), head);
		KUNIT_EXPECT_PTR_EQ(test, page_folio(p), folio);
		KUNIT_EXPECT_PTR_EQ(test, addr_to_page((void *)addr + i * PAGE_SIZE), p);
		KUNIT_EXPECT_PTR_EQ(test, virt_to_folio((void *)addr + i * PAGE_SIZE + 123),
				    folio);
		KUNIT_EXPECT_PTR_EQ(test, page_to_addr(p), (void *)addr + i * PAGE_SIZE);
		kaddr = kmap_local_page(p);
		KUNIT_EXPECT_EQ(test, kaddr[0], vc_pattern(i * words));
		KUNIT_EXPECT_EQ(test, kaddr[words - 1], vc_pattern(i * words + words - 1));
		kunmap_local(kaddr);
	}
}

/* The pages of a virtual compound page, recorded before it is freed. */
struct vc_backing {
	struct page **pages;
	struct page *head;
	unsigned int nr;
	void *addr;
	long live;
};

static struct vc_backing *vc_record(struct kunit *test, struct page *head,
				    unsigned int order)
{
	struct vc_backing *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->nr = 1U << order;
	b->pages = kunit_kcalloc(test, b->nr, sizeof(*b->pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->pages);
	/*
	 * Mark each page with a flag bit the page allocator's free path
	 * clears (PAGE_FLAGS_CHECK_AT_PREP, not CHECK_AT_FREE): the pages
	 * are ours until the free.
	 */
	for (i = 0; i < b->nr; i++) {
		b->pages[i] = compound_nth_page(head, i);
		set_bit(PG_owner_priv_1, &b->pages[i]->flags);
	}
	b->head = head;
	b->addr = page_to_addr(head);
	b->live = vcompound_nr_live();
	return b;
}

static bool vc_free_buddy(struct page *page)
{
	struct zone *zone = page_zone(page);
	unsigned long flags;
	bool free;

	/* Stable only under the zone lock. */
	spin_lock_irqsave(&zone->lock, flags);
	free = is_free_buddy_page(page);
	spin_unlock_irqrestore(&zone->lock, flags);
	return free;
}

/*
 * Back in the page allocator: through its free path, which cleared the
 * mark vc_record() set, whatever happened to the page after (taken again
 * at once, even as a tail of a high-order page that is not compound, with
 * a zero refcount).  A page still marked never went through that path:
 * missing, unless a new owner set the bit again, which then holds a
 * reference and is not the freed head @old_head.  A bad page that
 * free_pages_prepare() refuses, or a hwpoisoned one, keeps its mark (the
 * tails of a bad compound head do not): missing, and bad_page() reports.
 */
static bool vc_page_returned(struct page *page, struct page *old_head)
{
	struct page *head = compound_head(page);

	if (!test_bit(PG_owner_priv_1, &page->flags))
		return true;
	return head != old_head && page_ref_count(head) > 0;
}

static unsigned int vc_count_missing(const struct vc_backing *b)
{
	unsigned int i, missing = 0;

	for (i = 0; i < b->nr; i++)
		missing += !vc_page_returned(b->pages[i], b->head);
	return missing;
}

/*
 * After the free of the virtual compound page recorded in @b, once the
 * deferred releases are done: its vmap area is gone, each of its pages
 * went back to the page allocator (exact, page by page, whatever else
 * allocates meanwhile), and where nothing else makes virtual compound
 * pages, the live count is back.
 */
static void vc_expect_released(struct kunit *test, const struct vc_backing *b)
{
	unsigned int missing;

	vcompound_flush_deferred();
	KUNIT_EXPECT_NULL_MSG(test, find_vm_area(b->addr),
			      "vmap area %p still there after the free", b->addr);
	missing = vc_count_missing(b);
	KUNIT_EXPECT_EQ_MSG(test, missing, 0U,
			    "%u of the %u pages of %p not back in the page allocator",
			    missing, b->nr, b->addr);
	/* Where stacks may be virtual, forks move the count too. */
	if (!VCOMPOUND_TASK_STACKS)
		KUNIT_EXPECT_EQ_MSG(test, vcompound_nr_live(), b->live - 1,
				    "live virtual compound pages");
}

/* Only the vmap area, for a free that is not a virtual compound page's. */
static void vc_expect_unmapped(struct kunit *test, void *addr)
{
	vcompound_flush_deferred();
	KUNIT_EXPECT_NULL_MSG(test, find_vm_area(addr),
			      "vmap area %p still there after the free", addr);
}

/* Both paths, every order: contents, metadata, helpers, then free. */
static void vc_test_alloc(struct kunit *test)
{
	const struct vc_case *c = test->param_value;
	struct page *page;
	void *addr;

	if (c->order > MAX_PAGE_ORDER)
		kunit_skip(test, "order %u > MAX_PAGE_ORDER", c->order);
	vc_force(test, c->virtual);
	page = alloc_pages(VC_GFP, c->order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, PageVcompound(page), c->virtual);
	addr = page_to_addr(page);
	KUNIT_EXPECT_EQ(test, is_vmalloc_addr(addr), c->virtual);
	if (c->virtual)
		KUNIT_EXPECT_NOT_NULL(test, find_vm_area(addr));
	vc_check_pages(test, page, c->order);
	if (c->virtual) {
		struct vc_backing *b = vc_record(test, page, c->order);

		__free_pages(page, c->order);
		vc_expect_released(test, b);
	} else {
		__free_pages(page, c->order);
	}
}

enum vc_free_how {
	VC_FREE_PAGES,		/* __free_pages(head, order) */
	VC_FREE_ADDR,		/* free_pages(vmalloc address, order) */
	VC_PUT_HEAD,		/* put_page(head) */
	VC_FOLIO_PUT,		/* folio_put(folio) */
	VC_PUT_TAIL,		/* get_page(tail); put_page(head); put_page(tail) */
	VC_FREE_IRQ,		/* __free_pages() with interrupts disabled */
	VC_FREE_BH,		/* __free_pages() with bottom halves disabled */
	VC_FREE_SPINLOCK,	/* __free_pages() under a spinlock */
};

static const char * const vc_free_names[] = {
	"__free_pages", "free_pages(addr)", "put_page(head)", "folio_put",
	"put_page(tail)", "irqs off", "bh off", "spinlock",
};

static const enum vc_free_how vc_free_cases[] = {
	VC_FREE_PAGES, VC_FREE_ADDR, VC_PUT_HEAD, VC_FOLIO_PUT, VC_PUT_TAIL,
	VC_FREE_IRQ, VC_FREE_BH, VC_FREE_SPINLOCK,
};

static void vc_free_desc(const enum vc_free_how *how, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", vc_free_names[*how]);
}

KUNIT_ARRAY_PARAM(vc_free, vc_free_cases, vc_free_desc);

static DEFINE_SPINLOCK(vc_lock);

/* Every way of freeing unmaps the virtual compound page and frees it. */
static void vc_test_free(struct kunit *test)
{
	const enum vc_free_how how = *(const enum vc_free_how *)test->param_value;
	const unsigned int order = 5;
	struct page *page, *tail;
	struct vc_backing *b;
	unsigned long flags;
	void *addr;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	tail = compound_nth_page(page, (1U << order) - 3);
	addr = page_to_addr(page);
	b = vc_record(test, page, order);

	switch (how) {
	case VC_FREE_PAGES:
		__free_pages(page, order);
		break;
	case VC_FREE_ADDR:
		free_pages((unsigned long)page_to_addr(page), order);
		break;
	case VC_PUT_HEAD:
		put_page(page);
		break;
	case VC_FOLIO_PUT:
		folio_put(page_folio(page));
		break;
	case VC_PUT_TAIL:
		get_page(tail);
		KUNIT_EXPECT_EQ(test, page_count(page), 2);
		KUNIT_EXPECT_EQ(test, page_count(tail), 2);
		put_page(page);
		/* Still alive: the tail holds a reference. */
		vcompound_flush_deferred();
		KUNIT_EXPECT_NOT_NULL(test, find_vm_area(addr));
		KUNIT_EXPECT_TRUE(test, PageVcompound(tail));
		put_page(tail);
		break;
	case VC_FREE_IRQ:
		local_irq_save(flags);
		__free_pages(page, order);
		local_irq_restore(flags);
		break;
	case VC_FREE_BH:
		local_bh_disable();
		__free_pages(page, order);
		local_bh_enable();
		break;
	case VC_FREE_SPINLOCK:
		spin_lock(&vc_lock);
		__free_pages(page, order);
		spin_unlock(&vc_lock);
		break;
	}
	vc_expect_released(test, b);
}

/* __get_free_pages() returns the usable (virtual) address. */
static void vc_test_get_free_pages(struct kunit *test)
{
	const unsigned int order = 4;
	unsigned long addr;
	struct page *page;

	vc_force(test, true);
	addr = __get_free_pages(VC_GFP, order);
	KUNIT_ASSERT_NE(test, addr, 0UL);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr((void *)addr));
	memset((void *)addr, 0xa5, PAGE_SIZE << order);
	page = virt_to_head_page((void *)addr + (PAGE_SIZE << order) - 1);
	KUNIT_EXPECT_TRUE(test, PageVcompound(page));
	KUNIT_EXPECT_PTR_EQ(test, page_to_addr(page), (void *)addr);
	free_pages(addr, order);
}

/* __GFP_ZERO zeroes every page, including reused dirty ones. */
static void vc_test_zero(struct kunit *test)
{
	const unsigned int order = 6;
	unsigned long i, nr = (PAGE_SIZE << order) / sizeof(unsigned long);
	unsigned long *addr;
	struct page *page;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page_to_addr(page), 0xff, PAGE_SIZE << order);
	__free_pages(page, order);
	vcompound_flush_deferred();

	page = alloc_pages(VC_GFP | __GFP_ZERO, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, PageVcompound(page));
	addr = page_to_addr(page);
	for (i = 0; i < nr; i++)
		if (addr[i])
			break;
	KUNIT_EXPECT_EQ(test, i, nr);
	__free_pages(page, order);
}

/*
 * Requests the fallback cannot serve get today's behaviour: atomic
 * context, no __GFP_COMP, too small, and beyond MAX_PAGE_ORDER.
 */
static void vc_test_ineligible(struct kunit *test)
{
	struct page *page;

	vc_force(test, true);

	/* Atomic: no sleeping, so physically contiguous or NULL. */
	spin_lock(&vc_lock);
	page = alloc_pages(GFP_ATOMIC | __GFP_COMP | __GFP_VFALLBACK | __GFP_NOWARN, 4);
	spin_unlock(&vc_lock);
	if (page) {
		KUNIT_EXPECT_FALSE(test, PageVcompound(page));
		__free_pages(page, 4);
	}

	/* Below VCOMPOUND_MIN_ORDER: nothing to gain. */
	page = alloc_pages(VC_GFP, VCOMPOUND_HEAD_ORDER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_FALSE(test, PageVcompound(page));
	__free_pages(page, VCOMPOUND_HEAD_ORDER);

	/* Beyond MAX_PAGE_ORDER: still NULL, the flag does not lift it. */
	page = alloc_pages(VC_GFP, MAX_PAGE_ORDER + 1);
	KUNIT_EXPECT_NULL(test, page);
	if (page)
		__free_pages(page, MAX_PAGE_ORDER + 1);
}

/* __GFP_NOFAIL and __GFP_HIGHMEM requests take the fallback like others. */
static void vc_test_nofail_highmem(struct kunit *test)
{
	static const gfp_t extra[] = {
		__GFP_NOFAIL, __GFP_HIGHMEM, __GFP_NOFAIL | __GFP_HIGHMEM,
	};
	const unsigned int order = VCOMPOUND_MIN_ORDER + 1;
	struct page *page;
	unsigned int i;
	void *addr;

	vc_force(test, true);
	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		page = alloc_pages(VC_GFP | extra[i], order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_TRUE_MSG(test, PageVcompound(page), "gfp %pGg",
				      &(gfp_t){ VC_GFP | extra[i] });
		addr = page_to_addr(page);
		vc_check_pages(test, page, order);
		__free_pages(page, order);
		if (is_vmalloc_addr(addr))
			vc_expect_unmapped(test, addr);
	}
}

/*
 * A node preference applies to every page.  Meaningful only with a second
 * node to ask for (harness/test.sh's boot-numa): on one node every page is
 * on it anyway.
 */
static void vc_test_node(struct kunit *test)
{
	const unsigned int order = 5;
	int nid, here = numa_node_id();
	struct page *page;
	unsigned long i;

	/* A node other than this CPU's, with memory. */
	for_each_node_state(nid, N_MEMORY)
		if (nid != here)
			break;
	if (nid >= MAX_NUMNODES)
		kunit_skip(test, "one node with memory: every page is on it");
	vc_force(test, true);
	page = alloc_pages_node(nid, VC_GFP | __GFP_THISNODE, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, PageVcompound(page));
	for (i = 0; i < (1UL << order); i++)
		KUNIT_EXPECT_EQ(test, page_to_nid(compound_nth_page(page, i)), nid);
	__free_pages(page, order);
}

/*
 * A zone modifier applies to every page.  Meaningful only with memory
 * above 4 GiB (harness/test.sh's boot-4g): below it every page is a DMA32
 * page.
 */
static void vc_test_dma32(struct kunit *test)
{
#ifdef CONFIG_ZONE_DMA32
	const unsigned int order = 5;
	bool above = false;
	struct page *page;
	unsigned long i;
	int nid;

	for_each_online_node(nid)
		above |= populated_zone(&NODE_DATA(nid)->node_zones[ZONE_NORMAL]);
	if (!above)
		kunit_skip(test, "no memory above 4 GiB: every page is a DMA32 page");
	vc_force(test, true);
	page = alloc_pages(VC_GFP | __GFP_DMA32, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, PageVcompound(page));
	for (i = 0; i < (1UL << order); i++)
		KUNIT_EXPECT_LE(test, page_zonenum(compound_nth_page(page, i)), ZONE_DMA32);
	__free_pages(page, order);
#else
	kunit_skip(test, "needs CONFIG_ZONE_DMA32");
#endif
}

#ifdef CONFIG_FAULT_INJECTION
/*
 * Make fail_vcompound fail this task's steps only (not those of a
 * concurrent fork), @times times with @probability percent: the filter
 * first, the probability last.  vc_fail_disarm() restores every field
 * from @saved, the probability first.
 */
static void vc_fail_arm(unsigned long probability, int times)
{
	current->make_it_fail = 1;
	fail_vcompound.task_filter = true;
	fail_vcompound.verbose = 0;
	fail_vcompound.interval = 1;
	atomic_set(&fail_vcompound.space, 0);
	atomic_set(&fail_vcompound.times, times);
	fail_vcompound.probability = probability;
}

static void vc_fail_disarm(const struct fault_attr *saved)
{
	fail_vcompound.probability = saved->probability;
	current->make_it_fail = 0;
	fail_vcompound.interval = saved->interval;
	fail_vcompound.verbose = saved->verbose;
	atomic_set(&fail_vcompound.times, atomic_read(&saved->times));
	atomic_set(&fail_vcompound.space, atomic_read(&saved->space));
	fail_vcompound.task_filter = saved->task_filter;
}
#endif

/*
 * Fragment free memory above order 3: take every free block of order 4
 * and more, split it, and give back every other block of 8 pages.  Each
 * free block is then of order 3 at most (its buddy is held here), so no
 * request of order 4 or more can be served from the free lists, while
 * half of the memory that was free stays free, a fallback still finds
 * its head chunk, and order 3 (PAGE_ALLOC_COSTLY_ORDER, which the
 * allocator retries up to the OOM killer) still gets served meanwhile.
 * The held pages are chained on @held.  The pageblocks taken change
 * migratetype for good, as after any burst of unmovable allocations.
 */
#define VC_FRAG_ORDER	(PAGE_ALLOC_COSTLY_ORDER + 1)
static unsigned long vc_fragment_all(struct list_head *held)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC;
	unsigned long nr_held = 0, got;
	int order;

	do {
		got = 0;
		drain_all_pages(NULL);
		for (order = MAX_PAGE_ORDER; order >= VC_FRAG_ORDER; order--) {
			struct page *page;

			while ((page = alloc_pages(gfp, order))) {
				unsigned long i, nr = 1UL << order;

				split_page(page, order);
				for (i = 0; i < nr; i++) {
					if ((page_to_pfn(page + i) >> (VC_FRAG_ORDER - 1)) & 1) {
						__free_page(page + i);
					} else {
						list_add(&page[i].lru, held);
						nr_held++;
					}
				}
				got++;
				cond_resched();
			}
		}
	} while (got);
	return nr_held;
}

static void vc_unfragment(struct list_head *held)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, held, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/* Pages migrated by compaction (direct or kcompactd) so far. */
static unsigned long vc_migrations(void)
{
#if defined(CONFIG_VM_EVENT_COUNTERS) && defined(CONFIG_MIGRATION)
	unsigned long ev[NR_VM_EVENT_ITEMS];

	all_vm_events(ev);
	return ev[PGMIGRATE_SUCCESS];
#else
	return 0;
#endif
}

/*
 * Where the buddy allocator cannot serve a request (memory fragmented by
 * vc_fragment_all()), the policy "late" falls back: order 4 up to
 * MAX_PAGE_ORDER, __GFP_NORETRY so that the request reaches the last
 * resort quickly.  Compaction (direct, or kcompactd woken by the
 * fragmenting) could still assemble a block out of movable pages (not
 * under UML's KUnit, which has none): a physical page is accepted only if
 * pages were migrated meanwhile.
 */
static void vc_test_late_fragmented(struct kunit *test)
{
	unsigned long held_nr, migrated;
	unsigned int order;
	LIST_HEAD(held);

	vc_force(test, false);
	held_nr = vc_fragment_all(&held);
	kunit_info(test, "%lu pages held to fragment memory\n", held_nr);
	for (order = VC_FRAG_ORDER; order <= MAX_PAGE_ORDER; order++) {
		struct page *page = NULL;
		int tries;

		/*
		 * Pages that others free meanwhile can merge with the free
		 * blocks left into a block of this order: take those again
		 * right before asking, and ask again if a page came back
		 * physical all the same.
		 */
		for (tries = 0; tries < 3; tries++) {
			held_nr += vc_fragment_all(&held);
			migrated = vc_migrations();
			page = alloc_pages(VC_GFP | __GFP_NORETRY, order);
			if (!page || PageVcompound(page) || vc_migrations() != migrated)
				break;
			__free_pages(page, order);
			page = NULL;
		}
		KUNIT_EXPECT_NOT_NULL_MSG(test, page,
					  "order %u: NULL or physical (no compaction) %d times",
					  order, tries);
		if (page)
			__free_pages(page, order);
	}
	vc_unfragment(&held);
}

/*
 * The last resort catches what an earlier point did not take: with the
 * policy "always" and the first attempt failed (fail_vcompound, once),
 * a request the buddy allocator cannot serve falls back at the end.
 */
static void vc_test_last_resort(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	struct fault_attr saved = fail_vcompound;
	const unsigned int order = 5;
	unsigned long migrated;
	struct page *page;
	int left;
	LIST_HEAD(held);

	vc_force(test, true);
	vc_fragment_all(&held);
	vc_fail_arm(100, 1);
	migrated = vc_migrations();
	page = alloc_pages(VC_GFP | __GFP_NORETRY, order);
	left = atomic_read(&fail_vcompound.times);
	vc_fail_disarm(&saved);

	KUNIT_EXPECT_EQ_MSG(test, left, 0, "the injected failure did not happen");
	KUNIT_EXPECT_NOT_NULL(test, page);
	if (page) {
		KUNIT_EXPECT_TRUE_MSG(test, PageVcompound(page) ||
				      vc_migrations() != migrated,
				      "physical with memory fragmented and no compaction");
		__free_pages(page, order);
	}
	vc_unfragment(&held);
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

/*
 * Page isolation (memory offlining, alloc_contig_range()) must refuse a
 * pageblock that holds tails of a virtual compound page, even when they
 * are all it holds: with a zero refcount and no THP to recognise them,
 * they would pass for pages in flight to the allocator, and offlining
 * would then retry forever waiting for them to become free.  The test
 * takes a whole pageblock, gives back as many of its odd pages as the
 * virtual compound page it then makes has order-0 pages (they come from
 * those just freed, on this CPU; its head chunk cannot, and what the
 * mapping allocates next, page tables and KASAN shadow, finds none of
 * them left), gives back the rest, checks that the
 * pageblock now holds only free pages and tails of that virtual compound
 * page, and isolates it.  A pageblock that something else got into
 * meanwhile is given back and another one tried.
 */
#ifdef CONFIG_MEMORY_ISOLATION
static bool vc_block_only(unsigned long start, struct page *head,
			  unsigned long *tails)
{
	unsigned long pfn;

	*tails = 0;
	drain_all_pages(NULL);
	for (pfn = start; pfn < start + pageblock_nr_pages; pfn++) {
		struct page *page = pfn_to_page(pfn);

		if (PageTail(page) && compound_head(page) == head)
			(*tails)++;
		else if (!vc_free_buddy(page))
			return false;
	}
	return true;
}

/*
 * Split BLOCK (2^block_order pages), give back as many of its first
 * pageblock's odd pages as a virtual compound page of ORDER has order-0
 * pages, make one (its order-0 pages come from those just freed, on this
 * CPU), and give back the rest of BLOCK.  Returns the virtual compound
 * page, or NULL.
 */
static struct page *vc_tails_into(struct page *block, unsigned int block_order,
				  unsigned int order)
{
	const unsigned long nr_tails = (1UL << order) - VCOMPOUND_HEAD_NR;
	const unsigned long n = 1UL << block_order;
	unsigned long i, freed;
	struct page *page;

	split_page(block, block_order);
	migrate_disable();
	for (i = 1, freed = 0; freed < nr_tails && i < pageblock_nr_pages;
	     i += 2, freed++)
		__free_page(block + i);
	page = alloc_pages(VC_GFP, order);
	for (; i < n; i += 2)
		__free_page(block + i);
	for (i = 0; i < n; i += 2)
		__free_page(block + i);
	migrate_enable();
	return page;
}
#endif

static void vc_test_isolation(struct kunit *test)
{
#ifdef CONFIG_MEMORY_ISOLATION
	const unsigned int order = min(9, MAX_PAGE_ORDER);
	unsigned long start, tails = 0;
	struct page *block, *page;
	int ret, mt, attempt;

	vc_force(test, true);
	for (attempt = 0; attempt < 4; attempt++) {
		block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, pageblock_order);
		if (!block)
			kunit_skip(test, "no free pageblock");
		start = page_to_pfn(block);
		mt = get_pageblock_migratetype(block);
		page = vc_tails_into(block, pageblock_order, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_ASSERT_TRUE(test, PageVcompound(page));
		if (vc_block_only(start, page, &tails) && tails)
			break;
		__free_pages(page, order);
		page = NULL;
	}
	if (!page)
		kunit_skip(test, "no pageblock held only free pages and tails in %d tries",
			   attempt);
	kunit_info(test, "pageblock %#lx: %lu tails of one virtual compound page, the rest free\n",
		   start, tails);
	ret = start_isolate_page_range(start, start + pageblock_nr_pages, mt, 0,
				       GFP_KERNEL);
	if (!ret)
		undo_isolate_page_range(start, start + pageblock_nr_pages, mt);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EBUSY,
			    "a pageblock holding %lu tails was isolated", tails);
	__free_pages(page, order);
#else
	kunit_skip(test, "needs CONFIG_MEMORY_ISOLATION");
#endif
}

/*
 * Isolating a free pageblock scans the other pageblocks of its
 * MAX_PAGE_ORDER block for a compound page that straddles into it, and
 * steps over a compound page to its head's pfn plus its size.  A tail of
 * a virtual compound page is no such page: its head is elsewhere, and
 * that step would go backwards (for ever) or refuse the free pageblock.
 * The test makes the lower pageblock of a MAX_PAGE_ORDER block hold only
 * tails and free pages, the upper one only free pages, and isolates the
 * upper one.  Only where pageblock_order < MAX_PAGE_ORDER (THP or
 * hugetlb): otherwise no two pageblocks share a buddy block.
 */
static void vc_test_isolation_neighbour(struct kunit *test)
{
#ifdef CONFIG_MEMORY_ISOLATION
	const unsigned int order = min(9, MAX_PAGE_ORDER);
	unsigned long start, upper, tails = 0, stray = 0;
	struct page *block, *page = NULL;
	int ret, mt, attempt;

	if (pageblock_order >= MAX_PAGE_ORDER)
		kunit_skip(test, "pageblock_order is MAX_PAGE_ORDER");
	vc_force(test, true);
	for (attempt = 0; attempt < 4; attempt++) {
		block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER);
		if (!block)
			kunit_skip(test, "no free MAX_PAGE_ORDER block");
		start = page_to_pfn(block);
		upper = start + pageblock_nr_pages;
		page = vc_tails_into(block, MAX_PAGE_ORDER, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		if (!PageVcompound(page)) {
			__free_pages(page, order);
			KUNIT_FAIL_AND_ABORT(test, "not a virtual compound page");
		}
		/*
		 * The lower pageblock's last page a tail: a step to the
		 * head's pfn plus 512 cannot pass it, so the old step
		 * either goes backwards or refuses.
		 */
		if (vc_block_only(start, page, &tails) &&
		    compound_head(pfn_to_page(upper - 1)) == page &&
		    vc_block_only(upper, page, &stray) && !stray)
			break;
		__free_pages(page, order);
		page = NULL;
	}
	if (!page)
		kunit_skip(test, "no block held tails below and free pages above in %d tries",
			   attempt);
	kunit_info(test, "block %#lx: %lu tails in the lower pageblock (head at %+ld), the upper free\n",
		   start, tails, (long)(page_to_pfn(page) - start));
	mt = get_pageblock_migratetype(pfn_to_page(upper));
	ret = start_isolate_page_range(upper, upper + pageblock_nr_pages, mt, 0,
				       GFP_KERNEL);
	if (!ret)
		undo_isolate_page_range(upper, upper + pageblock_nr_pages, mt);
	/* Somebody else may have taken a page of it meanwhile. */
	if (ret && !(vc_block_only(upper, page, &stray) && !stray)) {
		__free_pages(page, order);
		kunit_skip(test, "the upper pageblock was taken meanwhile");
	}
	KUNIT_EXPECT_EQ_MSG(test, ret, 0,
			    "the free pageblock above %lu tails was not isolated", tails);
	__free_pages(page, order);
#else
	kunit_skip(test, "needs CONFIG_MEMORY_ISOLATION");
#endif
}

/*
 * Large kmalloc() with __GFP_VFALLBACK returns the vmap address, which
 * ksize() and kfree() understand; small kmalloc() and kvmalloc() never
 * return a virtual compound page.
 */
static void vc_test_kmalloc(struct kunit *test)
{
	const size_t size = 64 * 1024 + 100;
	struct vc_backing *b;
	void *p;

	vc_force(test, true);
	p = kmalloc(size, GFP_KERNEL | __GFP_VFALLBACK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	if (!is_vmalloc_addr(p))
		kfree(p);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(p));
	KUNIT_EXPECT_TRUE(test, PageVcompound(virt_to_head_page(p)));
	KUNIT_EXPECT_EQ(test, ksize(p), (size_t)PAGE_SIZE << get_order(size));
	memset(p, 0x5a, size);
	b = vc_record(test, virt_to_head_page(p), get_order(size));
	kfree(p);
	vc_expect_released(test, b);

	/* kvfree() sees a vmalloc address and calls vfree(): still a kfree(). */
	p = kmalloc(size, GFP_KERNEL | __GFP_VFALLBACK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	if (!is_vmalloc_addr(p))
		kfree(p);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(p));
	b = vc_record(test, virt_to_head_page(p), get_order(size));
	kvfree(p);
	vc_expect_released(test, b);

	/* kmalloc() aligns power-of-two sizes naturally, virtual or not. */
	p = kmalloc(32 * 1024, GFP_KERNEL | __GFP_VFALLBACK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(p));
	KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, 32 * 1024),
			      "kmalloc(32 KiB) at %p", p);
	kfree(p);

	/* Without the flag: physically contiguous as always. */
	p = kmalloc(size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(p));
	kfree(p);

	/* Slab objects are never virtual, whatever the flags. */
	p = kmalloc(256, GFP_KERNEL | __GFP_VFALLBACK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(p));
	kfree(p);

	/* kvmalloc() drops the flag: kvfree() would vfree() the result. */
	p = kvmalloc(size, GFP_KERNEL | __GFP_VFALLBACK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, PageVcompound(addr_to_page(p)));
	kvfree(p);
}

/*
 * The static key behind vcompound_in_use() is enabled at boot, in process
 * context, before any virtual compound page can exist: never from the
 * allocation path, which may run under cpus_read_lock() (memory hot-add,
 * CPU online).  A boot with vcompound_fallback=late runs this suite before
 * any fallback has happened, so a key that is switched on lazily fails here.
 */
static void vc_test_key_at_boot(struct kunit *test)
{
	KUNIT_EXPECT_TRUE_MSG(test, static_key_enabled(&vcompound_in_use_key),
			      "vcompound_in_use_key is not enabled: it would be enabled from the allocation path");
}

/*
 * A high-order page is naturally aligned, and kmalloc() promises it for
 * power-of-two sizes: so is a virtual compound page's address.
 */
static void vc_test_align(struct kunit *test)
{
	unsigned int order;
	struct page *page;
	void *addr;

	vc_force(test, true);
	for (order = VCOMPOUND_MIN_ORDER; order <= min(MAX_PAGE_ORDER, 10); order++) {
		page = alloc_pages(VC_GFP, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_TRUE(test, PageVcompound(page));
		addr = page_to_addr(page);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)addr, PAGE_SIZE << order),
				      "order %u at %p is not aligned to %lu", order, addr,
				      PAGE_SIZE << order);
		__free_pages(page, order);
	}
}

/*
 * A free that must be deferred (here under a spinlock) unlinks the tails
 * from the head at once: until the work item runs, a pfn walker that meets
 * a tail must not find it pointing at a head that is already an order-2
 * page.  Checked before the work item can run on this CPU.
 */
static void vc_test_deferred_unlink(struct kunit *test)
{
	const unsigned int order = 5, nr = 1U << order;
	struct page *page, *tails[1U << 5];
	unsigned int i, linked = 0;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	for (i = VCOMPOUND_HEAD_NR; i < nr; i++)
		tails[i] = compound_nth_page(page, i);
	spin_lock(&vc_lock);
	__free_pages(page, order);
	for (i = VCOMPOUND_HEAD_NR; i < nr; i++)
		linked += compound_head(tails[i]) == page;
	spin_unlock(&vc_lock);
	KUNIT_EXPECT_EQ_MSG(test, linked, 0U,
			    "%u tails still linked to the freed head", linked);
}

/*
 * A deferred free is released by the work item on its own, without
 * vcompound_flush_deferred(): wait for it (up to 10 s, the work item runs
 * on the system workqueue) and check each page went back.
 */
static void vc_test_deferred_work(struct kunit *test)
{
	const unsigned int order = 5;
	unsigned long deadline;
	struct vc_backing *b;
	struct page *page;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	b = vc_record(test, page, order);
	spin_lock(&vc_lock);
	__free_pages(page, order);
	spin_unlock(&vc_lock);
	deadline = jiffies + 10 * HZ;
	while (find_vm_area(b->addr) && time_before(jiffies, deadline))
		msleep(20);
	KUNIT_EXPECT_NULL_MSG(test, find_vm_area(b->addr),
			      "a deferred free was not released within 10 s");
	vc_expect_released(test, b);
}

/*
 * Pages given back may be taken again at once, also by a high-order
 * allocation that is not compound, whose tail pages have a zero refcount
 * and are not free: they went back all the same.  Take the head chunk
 * again that way, from this CPU's per-cpu list of its pageblock's
 * migratetype, before the check.  Anything else may take it first (a
 * drain, another allocation, a release run elsewhere): a few tries.
 */
static void vc_test_reused(struct kunit *test)
{
	const unsigned int order = 5;
	unsigned int tries;
	struct vc_backing *b;
	struct page *page, *again = NULL;
	bool virt;
	gfp_t gfp;

	vc_force(test, true);
	for (tries = 0; tries < 8; tries++) {
		if (again)
			__free_pages(again, VCOMPOUND_HEAD_ORDER);
		page = alloc_pages(VC_GFP, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		virt = PageVcompound(page);
		if (!virt)
			__free_pages(page, order);
		KUNIT_ASSERT_TRUE(test, virt);
		b = vc_record(test, page, order);
		/* As free_unref_page() picks the per-cpu list. */
		switch (get_pageblock_migratetype(page)) {
		case MIGRATE_UNMOVABLE:
			gfp = GFP_KERNEL;
			break;
		case MIGRATE_RECLAIMABLE:
			gfp = GFP_KERNEL | __GFP_RECLAIMABLE;
			break;
		default:
			gfp = GFP_KERNEL | __GFP_MOVABLE;
			break;
		}
		migrate_disable();
		__free_pages(page, order);
		/* A deferred release is queued on this CPU. */
		vcompound_flush_deferred();
		again = alloc_pages(gfp, VCOMPOUND_HEAD_ORDER);
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, again);
		if (again == b->head)
			break;
	}
	vc_expect_released(test, b);
	__free_pages(again, VCOMPOUND_HEAD_ORDER);
	/* A skip would hide a failure of the check. */
	if (again != b->head && test->status != KUNIT_FAILURE)
		kunit_skip(test, "the head chunk was not taken again in %u tries",
			   tries);
}

/*
 * Reclaim releases deferred frees.  Without CONFIG_PREEMPT_COUNT every
 * free is deferred, and a task that frees in a loop without sleeping
 * keeps the work item off its CPU: the memory then waits for the work
 * item while other allocations enter reclaim and, finding nothing, the
 * OOM killer.  Modelled here: a thread bound to one CPU frees virtual
 * compound pages with preemption off, and keeps that CPU until told to
 * stop, so the work item queued there cannot run; reclaim's shrinker
 * walk (drop_slab(), what "echo 2 >/proc/sys/vm/drop_caches" runs) from
 * another CPU must release them.  Needs two online CPUs.
 */
#define VC_HOG_NR	4

struct vc_hog {
	struct page *pages[VC_HOG_NR];
	unsigned int order;
	struct completion freed;
	bool timed_out;
};

static int vc_hog_fn(void *data)
{
	struct vc_hog *h = data;
	unsigned long deadline = jiffies + 10 * HZ;
	unsigned int i;

	preempt_disable();
	for (i = 0; i < VC_HOG_NR; i++)
		__free_pages(h->pages[i], h->order);
	complete(&h->freed);
	/* Bounded, far below the soft-lockup and RCU-stall timeouts. */
	while (!kthread_should_stop() && time_before(jiffies, deadline))
		cpu_relax();
	h->timed_out = !kthread_should_stop();
	preempt_enable();
	return 0;
}

/* Pages of deferred frees that reclaim's shrinker released so far. */
static unsigned long vc_reclaimed(void)
{
#ifdef CONFIG_VM_EVENT_COUNTERS
	unsigned long ev[NR_VM_EVENT_ITEMS];

	all_vm_events(ev);
	return ev[VCOMPOUND_FREE_RECLAIM];
#else
	return 0;
#endif
}

static void vc_test_reclaim_deferred(struct kunit *test)
{
	struct vc_backing *b[VC_HOG_NR];
	unsigned int here, there, i, tries, queued = 0, left = 0;
	unsigned long reclaimed = 0;
	struct task_struct *hog = NULL;
	bool done = false;
	struct vc_hog *h;
	long live;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	vc_force(test, true);
	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->order = 8;
	here = cpumask_first(cpu_online_mask);
	there = cpumask_next(here, cpu_online_mask);
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(here)), 0);
	/*
	 * Another deferred free queued just before ours (a task stack freed
	 * from RCU) puts the work item on another CPU, where it can run, and
	 * a vcompound_alloc() elsewhere releases deferred frees first: then
	 * nothing, or not only reclaim, released ours.  Try again.
	 */
	for (tries = 0; tries < 3 && !done; tries++) {
		live = vcompound_nr_live();
		for (i = 0; i < VC_HOG_NR; i++) {
			h->pages[i] = alloc_pages(VC_GFP, h->order);
			if (!h->pages[i] || !PageVcompound(h->pages[i]))
				break;
			b[i] = vc_record(test, h->pages[i], h->order);
			/* All four are freed before any is checked. */
			b[i]->live = live + 1;
		}
		if (i < VC_HOG_NR) {
			if (h->pages[i])
				__free_pages(h->pages[i], h->order);
			while (i--)
				__free_pages(h->pages[i], h->order);
			KUNIT_FAIL(test, "no virtual compound page of order %u", h->order);
			break;
		}
		/* An empty list: our first free queues the work item. */
		vcompound_flush_deferred();
		init_completion(&h->freed);
		h->timed_out = false;
		hog = kthread_create_on_cpu(vc_hog_fn, h, there, "vc_hog/%u");
		if (IS_ERR(hog)) {
			for (i = 0; i < VC_HOG_NR; i++)
				__free_pages(h->pages[i], h->order);
			KUNIT_FAIL(test, "no thread: %pe", hog);
			break;
		}
		get_task_struct(hog);
		wake_up_process(hog);
		wait_for_completion(&h->freed);
		queued = 0;
		left = 0;
		for (i = 0; i < VC_HOG_NR; i++)
			queued += !!find_vm_area(b[i]->addr);
		if (queued == VC_HOG_NR) {
			reclaimed = vc_reclaimed();
			drop_slab();
			reclaimed = vc_reclaimed() - reclaimed;
			for (i = 0; i < VC_HOG_NR; i++)
				left += !!find_vm_area(b[i]->addr);
			done = left || reclaimed >= VC_HOG_NR << h->order ||
			       !IS_ENABLED(CONFIG_VM_EVENT_COUNTERS);
		}
		kthread_stop(hog);
		put_task_struct(hog);
		for (i = 0; i < VC_HOG_NR; i++)
			vc_expect_released(test, b[i]);
		/* The work item may have run once the hog gave up its CPU. */
		KUNIT_ASSERT_FALSE_MSG(test, h->timed_out,
				       "reclaim took more than 10 s: the hog gave its CPU back");
	}
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	KUNIT_ASSERT_TRUE_MSG(test, done,
			      "%u tries, each released elsewhere (queued %u, reclaim released %lu pages)",
			      tries, queued, reclaimed);
	KUNIT_EXPECT_EQ_MSG(test, left, 0U,
			    "%u of %u deferred frees still waiting for the work item after reclaim",
			    left, VC_HOG_NR);
}

/*
 * The flag alone is enough: a caller that passes __GFP_VFALLBACK has said
 * it needs no physical contiguity, so the request is made compound and
 * can fall back, e.g. __get_free_pages(GFP_KERNEL | __GFP_VFALLBACK, n).
 */
static void vc_test_flag_alone(struct kunit *test)
{
	const unsigned int order = 4;
	unsigned long addr;
	struct page *page;

	vc_force(test, true);
	addr = __get_free_pages(GFP_KERNEL | __GFP_VFALLBACK | __GFP_NOWARN, order);
	KUNIT_ASSERT_NE(test, addr, 0UL);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr((void *)addr));
	memset((void *)addr, 0x3c, PAGE_SIZE << order);
	free_pages(addr, order);

	page = alloc_pages(GFP_KERNEL | __GFP_VFALLBACK | __GFP_NOWARN, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, PageVcompound(page));
	KUNIT_EXPECT_EQ(test, compound_order(page), order);
	__free_pages(page, order);
}

/*
 * Folios go to the page cache and to anonymous memory, which index them
 * by pfn: every folio allocator strips the flag (on NUMA kernels
 * folio_alloc() is the one in mm/mempolicy.c).
 */
static void vc_test_folio_alloc(struct kunit *test)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_VFALLBACK | __GFP_NOWARN;
	const unsigned int order = 4;
	struct folio *folio;

	vc_force(test, true);
	folio = folio_alloc(gfp, order);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_FALSE_MSG(test, folio_test_vcompound(folio), "folio_alloc()");
	folio_put(folio);

	folio = __folio_alloc_node(gfp, order, numa_node_id());
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_FALSE_MSG(test, folio_test_vcompound(folio), "__folio_alloc_node()");
	folio_put(folio);

	folio = filemap_alloc_folio(gfp, order);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_FALSE_MSG(test, folio_test_vcompound(folio), "filemap_alloc_folio()");
	folio_put(folio);
}

static int vc_stack_fn(void *data)
{
	return 0;
}

/*
 * Task stacks are virtual compound pages only where the architecture's
 * stack code was audited for it (HAVE_ARCH_VCOMPOUND_STACK), with
 * CONFIG_VMAP_STACK off and stacks of VCOMPOUND_MIN_ORDER or more.  UML
 * is not audited: harness/kunit.sh gives it 32 KiB stacks (order 3).
 */
static void vc_test_task_stack(struct kunit *test)
{
	bool want = VCOMPOUND_TASK_STACKS;
	struct task_struct *tsk;
	struct page *page;
	void *stack;

	vc_force(test, true);
	tsk = kthread_create(vc_stack_fn, NULL, "vc_stack");
	KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));
	stack = task_stack_page(tsk);
	page = is_vmalloc_addr(stack) ? vmalloc_to_page(stack) : virt_to_page(stack);
	KUNIT_EXPECT_EQ_MSG(test, PageVcompound(page), want,
			    "stack order %d, HAVE_ARCH_VCOMPOUND_STACK=%d, VMAP_STACK=%d",
			    THREAD_SIZE_ORDER,
			    IS_ENABLED(CONFIG_HAVE_ARCH_VCOMPOUND_STACK),
			    IS_ENABLED(CONFIG_VMAP_STACK));
	if (PageVcompound(page))
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)stack, THREAD_SIZE));
	kthread_stop(tsk);
}

/* The vmstat counters count each allocation and free exactly once. */
static void vc_test_vmstat(struct kunit *test)
{
#ifdef CONFIG_VM_EVENT_COUNTERS
	unsigned long ev[NR_VM_EVENT_ITEMS], a0, f0;
	struct page *page;

	if (VCOMPOUND_TASK_STACKS)
		kunit_skip(test, "stacks are virtual compound pages here: forks move the counters");
	vc_force(test, true);
	vcompound_flush_deferred();
	all_vm_events(ev);
	a0 = ev[VCOMPOUND_ALLOC];
	f0 = ev[VCOMPOUND_FREE];
	page = alloc_pages(VC_GFP, 3);
	KUNIT_ASSERT_NOT_NULL(test, page);
	__free_pages(page, 3);
	vcompound_flush_deferred();
	all_vm_events(ev);
	KUNIT_EXPECT_EQ(test, ev[VCOMPOUND_ALLOC], a0 + 1);
	KUNIT_EXPECT_EQ(test, ev[VCOMPOUND_FREE], f0 + 1);
#else
	kunit_skip(test, "needs CONFIG_VM_EVENT_COUNTERS");
#endif
}

/*
 * Page table batching (zap, fork, mlock, madvise) groups the ptes that
 * map consecutive pfns of one folio.  A virtual compound page's pages are
 * not pfn-contiguous: the pte after one of its pages may map the next pfn
 * and still belong to another folio (two ring blocks mapped back to
 * back), so folio_pte_batch() must never batch one.  Checked on a page
 * of the folio whose next pfn is another folio's, yet below
 * folio_pfn() + folio_nr_pages(), the bound folio_pte_batch() applies (at
 * or above it, it would stop at one page anyway); a physical compound page
 * batches as before.
 */
static void vc_test_pte_batch(struct kunit *test)
{
	const unsigned int order = 4, nr = 1U << order;
	struct page *page, *cand = NULL;
	struct folio *folio;
	unsigned long pfn;
	unsigned int i;
	pte_t ptes[2];

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	folio = page_folio(page);
	/* The head chunk's last page is one, unless a tail follows it. */
	for (i = 0; i < nr && !cand; i++) {
		pfn = page_to_pfn(compound_nth_page(page, i)) + 1;
		if (pfn < folio_pfn(folio) + nr && pfn_valid(pfn) &&
		    page_folio(pfn_to_page(pfn)) != folio)
			cand = compound_nth_page(page, i);
	}
	if (!cand) {
		__free_pages(page, order);
		kunit_skip(test, "no page of the folio is followed by another folio's");
	}
	ptes[0] = pfn_pte(page_to_pfn(cand), PAGE_KERNEL);
	ptes[1] = pte_advance_pfn(ptes[0], 1);
	KUNIT_EXPECT_EQ_MSG(test, folio_pte_batch(folio, 0, ptes, ptes[0], 2, 0,
						  NULL, NULL, NULL), 1,
			    "pfn %lx of another folio batched with the virtual compound page",
			    page_to_pfn(cand) + 1);
	__free_pages(page, order);

	/* The control: two pages of a physical compound page batch. */
	vc_force(test, false);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_FALSE(test, PageVcompound(page));
	ptes[0] = pfn_pte(page_to_pfn(page), PAGE_KERNEL);
	ptes[1] = pte_advance_pfn(ptes[0], 1);
	KUNIT_EXPECT_EQ(test, folio_pte_batch(page_folio(page), 0, ptes, ptes[0],
					      2, 0, NULL, NULL, NULL), 2);
	__free_pages(page, order);
}

/*
 * Map @page at a new user address of @flags (MAP_SHARED or MAP_PRIVATE,
 * anonymous) in the KUnit test's mm, as af_packet and io_uring map theirs
 * with vm_insert_page(); 0 on failure, reported.
 */
static unsigned long vc_user_map(struct kunit *test, struct page *page,
				 unsigned long flags)
{
	struct vm_area_struct *vma;
	unsigned long uaddr;
	int err;

	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      flags | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(uaddr) || !uaddr) {
		KUNIT_FAIL(test, "kunit_vm_mmap() failed: %ld", (long)uaddr);
		return 0;
	}
	mmap_write_lock(current->mm);
	vma = find_vma(current->mm, uaddr);
	err = vma ? vm_insert_page(vma, uaddr, page) : -ENOENT;
	mmap_write_unlock(current->mm);
	if (err) {
		KUNIT_FAIL(test, "vm_insert_page() failed: %d", err);
		return 0;
	}
	return uaddr;
}

/*
 * A page of a virtual compound page mapped to user space, as af_packet and
 * io_uring map theirs: get_user_pages() and pin_user_pages() refuse it,
 * pins with FOLL_FORCE or FOLL_LONGTERM included (their users may do folio
 * arithmetic), while a FOLL_FORCE reference (ptrace, /proc/PID/mem) still
 * gets it, and a read-only long-term pin of a private mapping gets an
 * anonymous copy, as for any other page.
 */
static void vc_test_gup(struct kunit *test)
{
	const unsigned int order = 3;
	struct page *page, *tail, *got;
	unsigned long uaddr, shared[2];
	u64 magic = 0x76636f6d706f756eULL, seen = 0;
	long ret;
	int i;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	/* A tail beyond the head chunk: scattered in pfn space. */
	tail = compound_nth_page(page, VCOMPOUND_HEAD_NR + 1);
	*(u64 *)page_to_addr(tail) = magic;

	/* Shared and writable, as the rings are: a head-chunk page, a tail. */
	shared[0] = vc_user_map(test, compound_nth_page(page, 1), MAP_SHARED);
	shared[1] = vc_user_map(test, tail, MAP_SHARED);
	uaddr = vc_user_map(test, tail, MAP_PRIVATE);
	if (!shared[0] || !shared[1] || !uaddr) {
		__free_pages(page, order);
		return;
	}
	for (i = 0; i < 2; i++) {
		mmap_read_lock(current->mm);
		ret = pin_user_pages(shared[i], 1, FOLL_WRITE | FOLL_LONGTERM, &got);
		mmap_read_unlock(current->mm);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT,
				    "pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) of page %d", i);
		if (ret == 1)
			unpin_user_page(got);
	}

	ret = get_user_pages_fast(uaddr, 1, 0, &got);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT, "get_user_pages_fast()");
	if (ret == 1)
		put_page(got);
	ret = pin_user_pages_fast(uaddr, 1, 0, &got);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT, "pin_user_pages_fast()");
	if (ret == 1)
		unpin_user_page(got);
	mmap_read_lock(current->mm);
	ret = pin_user_pages(uaddr, 1, FOLL_FORCE, &got);
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EFAULT, "pin_user_pages(FOLL_FORCE)");
	if (ret == 1)
		unpin_user_page(got);

	/* ptrace's and /proc/PID/mem's way: one page at a time, by reference. */
	mmap_read_lock(current->mm);
	ret = get_user_pages(uaddr, 1, FOLL_FORCE, &got);
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_EQ_MSG(test, ret, 1, "get_user_pages(FOLL_FORCE)");
	if (ret == 1) {
		KUNIT_EXPECT_PTR_EQ(test, got, tail);
		put_page(got);
	}
	KUNIT_EXPECT_EQ(test, access_remote_vm(current->mm, uaddr, &seen,
					       sizeof(seen), FOLL_FORCE),
			(int)sizeof(seen));
	KUNIT_EXPECT_EQ(test, seen, magic);

	/* Last: it replaces the private mapping's page with a copy. */
	mmap_read_lock(current->mm);
	ret = pin_user_pages(uaddr, 1, FOLL_LONGTERM, &got);
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_EQ_MSG(test, ret, 1, "pin_user_pages(FOLL_LONGTERM) of a private mapping");
	if (ret == 1) {
		KUNIT_EXPECT_FALSE(test, PageVcompound(got));
		KUNIT_EXPECT_EQ(test, *(u64 *)page_to_addr(got), magic);
		unpin_user_page(got);
	}

	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, vm_munmap(shared[i], PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, vm_munmap(uaddr, PAGE_SIZE), 0);
	__free_pages(page, order);
}

/*
 * MADV_COLD and MADV_PAGEOUT of one page of a large folio mapped to user
 * space (a ring page: vm_insert_page(), not on the LRU), physically
 * contiguous and virtual: madvise tries to split the folio first.  No
 * such folio can be split; madvise must return and leave the page
 * mapped, with its references and contents.  A split that reports
 * success without splitting (the stubs without THP) makes madvise retry
 * the same pte for ever: the split is tried here first, so that such a
 * kernel fails this case by name instead of hanging in it.
 */
static void vc_test_madvise(struct kunit *test)
{
#ifdef CONFIG_ADVISE_SYSCALLS
	const unsigned int order = 3;
	u64 magic = 0x6d61647669736521ULL;
	struct page *page, *tail, *got;
	unsigned long uaddr;
	struct folio *folio;
	int virt, refs, maps;
	long ret;

	for (virt = 0; virt < 2; virt++) {
		vc_force(test, virt);
		page = alloc_pages(VC_GFP, order);
		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_EXPECT_EQ(test, PageVcompound(page), (bool)virt);
		tail = compound_nth_page(page, VCOMPOUND_HEAD_NR + 1);
		folio = page_folio(tail);
		*(u64 *)page_to_addr(tail) = magic;
		folio_lock(folio);
		ret = split_folio(folio);
		folio_unlock(folio);
		if (!ret) {
			KUNIT_FAIL(test, "split_folio() of a %s ring page returned 0",
				   virt ? "virtual" : "physical");
			__free_pages(page, order);
			return;
		}
		uaddr = vc_user_map(test, tail, MAP_SHARED);
		if (!uaddr) {
			__free_pages(page, order);
			return;
		}
		refs = folio_ref_count(folio);
		maps = folio_mapcount(folio);
		KUNIT_EXPECT_EQ(test, do_madvise(current->mm, uaddr, PAGE_SIZE, MADV_COLD), 0);
		KUNIT_EXPECT_EQ(test, do_madvise(current->mm, uaddr, PAGE_SIZE, MADV_PAGEOUT), 0);
		KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs);
		KUNIT_EXPECT_EQ(test, folio_mapcount(folio), maps);
		/* The pte is counted in the tail's own struct page. */
		KUNIT_EXPECT_EQ(test, atomic_read(&tail->_mapcount) + 1, 1);
		KUNIT_EXPECT_EQ(test, *(u64 *)page_to_addr(tail), magic);
		/* Still mapped at uaddr: a FOLL_FORCE reference finds it. */
		mmap_read_lock(current->mm);
		ret = get_user_pages(uaddr, 1, FOLL_FORCE, &got);
		mmap_read_unlock(current->mm);
		KUNIT_EXPECT_EQ(test, ret, 1);
		if (ret == 1) {
			KUNIT_EXPECT_PTR_EQ(test, got, tail);
			put_page(got);
		}
		KUNIT_EXPECT_EQ(test, vm_munmap(uaddr, PAGE_SIZE), 0);
		__free_pages(page, order);
	}
#else
	kunit_skip(test, "needs CONFIG_ADVISE_SYSCALLS");
#endif
}

/*
 * vfree() of a virtual compound page from the page allocator, as code
 * that picks vfree() for every vmalloc address does (af_packet's
 * free_pg_vec()), frees it as pages: not as a large kmalloc() object,
 * whose free also takes its size off the slab statistics.
 */
static void vc_test_vfree_pages(struct kunit *test)
{
	const unsigned int order = 9;
	struct vc_backing *b;
	long before, after;
	void *addr;

	vc_force(test, true);
	addr = (void *)__get_free_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, addr);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(addr));
	b = vc_record(test, addr_to_page(addr), order);
	before = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	vfree(addr);
	after = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	KUNIT_EXPECT_GT_MSG(test, after, before - (1L << order) / 2,
			    "vfree() took %ld pages off NR_SLAB_UNRECLAIMABLE_B",
			    before - after);
	vc_expect_released(test, b);
}

/*
 * The misuse suite.  Each case misuses the API once and judges in the
 * kernel what that printed: the kernel log records written while it ran,
 * read back with kmsg_dump_get_line() (so without the console tracepoint,
 * which kernels without CONFIG_TRACEPOINTS lack), must hold exactly the
 * warnings the case expects, each with its text, and no other kernel
 * report.  The last case judges the whole suite's log the same way and
 * then prints VC_LOG_JUDGED, so that a test harness that scans the kernel
 * log for splats may leave the part up to that line to this suite.
 */
#define VC_LOG_JUDGED	"vcompound_misuse: the log up to here is judged"

/* Kernel reports other than a warning: none is expected here. */
static const char * const vc_reports[] = {
	"BUG:", "BUG ", "Oops", "KASAN:", "UBSAN:", "Bad page", "Kernel panic",
	"general protection", "Unable to handle", "kernel BUG at",
	"detected stall", "expedited stall", "blocked for more than",
	"hard LOCKUP", "soft lockup", "inconsistent lock state",
	"recursive locking", "circular locking", "irq lock inversion",
	"bad page",
};

static bool vc_is_report(const char *line, const char *what)
{
	const char *p = strstr(line, what);

	/* "BUG <cache> (...)": slab's reports; not "DEBUG ". */
	while (p && !strcmp(what, "BUG ") && p > line && p[-1] != ' ' &&
	       p[-1] != ']')
		p = strstr(p + 1, what);
	return p;
}

struct vc_log {
	/* "WARNING:" lines, lines with the expected text, "Call Trace:" lines */
	unsigned int warnings, texts, traces;
	unsigned int reports;
	char report[128];
};

/* The first log record of the suite and of the case running. */
static u64 vc_log_suite_start, vc_log_case_start;
/* Warnings and stack traces the cases saw in their own records. */
static unsigned int vc_log_warnings, vc_log_traces;

static u64 vc_log_next(void)
{
	struct kmsg_dump_iter iter = { };

	kmsg_dump_rewind(&iter);
	return iter.next_seq;
}

/*
 * Read the log records from @from on: up to the last one complete now,
 * or, with @until, up to the first one that holds @until, waiting (for up
 * to a second) for records still being written.  Count the warnings, the
 * lines with @text, the stack traces and the other reports; a record that
 * was lost (the log wrapped) counts as a report, as does an @until that
 * never comes.
 *
 * Return: the sequence number of the first record not read.
 */
static u64 vc_log_read(struct kunit *test, u64 from, const char *text,
		       const char *until, struct vc_log *log)
{
	struct kmsg_dump_iter iter = { .cur_seq = from };
	char *line = kunit_kmalloc(test, 1024, GFP_KERNEL);
	u64 end = vc_log_next(), seq;
	unsigned int i, tries = 0;
	size_t len;

	memset(log, 0, sizeof(*log));
	KUNIT_ASSERT_NOT_NULL(test, line);
	while (until || iter.cur_seq < end) {
		seq = iter.cur_seq;
		if (!kmsg_dump_get_line(&iter, false, line, 1023, &len)) {
			if (!until)
				break;
			if (++tries > 50) {
				if (!log->reports++)
					strscpy(log->report, "no end marker in the log",
						sizeof(log->report));
				break;
			}
			msleep(20);
			continue;
		}
		if (iter.cur_seq != seq + 1 && !log->reports++)
			strscpy(log->report, "log records lost", sizeof(log->report));
		line[len] = '\0';
		log->warnings += !!strstr(line, "WARNING:");
		log->traces += !!strstr(line, "Call Trace:");
		log->texts += text && strstr(line, text);
		for (i = 0; i < ARRAY_SIZE(vc_reports); i++) {
			if (!vc_is_report(line, vc_reports[i]))
				continue;
			if (!log->reports++)
				strscpy(log->report, strim(line), sizeof(log->report));
			break;
		}
		if (until && strstr(line, until))
			break;
	}
	kunit_kfree(test, line);
	return iter.cur_seq;
}

/*
 * The log records since the case started, or since the last call, hold
 * at least @min and at most @max warnings, each with @text (if @text) and
 * with its stack trace, and no other report: a warning of another kind
 * cannot stand in for an expected one.
 */
static void vc_expect_warnings(struct kunit *test, unsigned int min,
			       unsigned int max, const char *text)
{
	struct vc_log log;

	vc_log_read(test, vc_log_case_start, text, NULL, &log);
	vc_log_warnings += log.warnings;
	vc_log_traces += log.traces;
	KUNIT_EXPECT_GE_MSG(test, log.warnings, min, "too few warnings (\"%s\")",
			    text ?: "none expected");
	KUNIT_EXPECT_LE_MSG(test, log.warnings, max, "too many warnings (\"%s\")",
			    text ?: "none expected");
	if (text)
		KUNIT_EXPECT_EQ_MSG(test, log.texts, log.warnings,
				    "warnings without \"%s\"", text);
	KUNIT_EXPECT_EQ_MSG(test, log.traces, log.warnings,
			    "stack traces without a warning");
	KUNIT_EXPECT_EQ_MSG(test, log.reports, 0U, "another report: %s",
			    log.report);
	vc_log_case_start = vc_log_next();
}

static int vc_misuse_suite_init(struct kunit_suite *suite)
{
	if (!IS_ENABLED(CONFIG_PRINTK))
		return 0;
	/*
	 * The warnings are _ONCE: reset them, as writing
	 * /sys/kernel/debug/clear_warn_once does, so that each case sees its
	 * own even if something warned there before the suite ran.  (Those
	 * reported every time are ratelimited: a second run of the suite
	 * within five seconds would miss some of them.)
	 */
	generic_bug_clear_once();
	memset(__start_once, 0, __end_once - __start_once);
	vc_log_warnings = 0;
	vc_log_traces = 0;
	vc_log_suite_start = vc_log_next();
	return 0;
}

static int vc_misuse_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_PRINTK))
		kunit_skip(test, "no CONFIG_PRINTK: no log to judge");
	vc_log_case_start = vc_log_next();
	return vc_test_init(test);
}

/* An order above MAX_PAGE_ORDER fails with the usual warning. */
static void vc_misuse_order(struct kunit *test)
{
	struct page *page;

	vc_force(test, true);
	page = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_VFALLBACK,
			   MAX_PAGE_ORDER + 1);
	KUNIT_EXPECT_NULL(test, page);
	if (page)
		__free_pages(page, MAX_PAGE_ORDER + 1);
	/* The file name is printed with CONFIG_DEBUG_BUGVERBOSE only. */
	vc_expect_warnings(test, 1, 1, IS_ENABLED(CONFIG_DEBUG_BUGVERBOSE) ?
			   "mm/page_alloc.c" : NULL);
}

/*
 * A free with the wrong order uses the right one; CONFIG_DEBUG_VM reports
 * it.
 */
static void vc_misuse_wrong_order(struct kunit *test)
{
	const unsigned int order = VCOMPOUND_MIN_ORDER + 1;
	unsigned int n = IS_ENABLED(CONFIG_DEBUG_VM);
	struct vc_backing *b;
	struct page *page;
	char text[64];

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	b = vc_record(test, page, order);
	__free_pages(page, order - 1);
	vc_expect_released(test, b);
	snprintf(text, sizeof(text), "freed with order %u, allocated with order %u",
		 order - 1, order);
	vc_expect_warnings(test, n, n, text);
}

/*
 * free_pages() of the vmap address after the page is gone, and of an
 * address inside a live one: reported, nothing freed.  The freed address
 * stays in the lazy-purge list for a while; only a virtual compound page
 * made meanwhile at exactly that address (aligned to 256 KiB: order 6)
 * would be freed by the second free_pages(), and the live count would
 * then show it.
 */
static void vc_misuse_free_pages(struct kunit *test)
{
	const unsigned int order = 6;
	unsigned long addr;
	struct page *page;
	long live;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	addr = (unsigned long)page_to_addr(page);
	free_pages(addr + PAGE_SIZE, order);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	KUNIT_EXPECT_PTR_EQ(test, addr_to_page((void *)addr), page);
	vc_expect_warnings(test, 1, 1, "inside a virtual compound page");

	free_pages(addr, order);
	vc_expect_unmapped(test, (void *)addr);
	live = vcompound_nr_live();
	free_pages(addr, order);
	vcompound_flush_deferred();
	if (!VCOMPOUND_TASK_STACKS)
		KUNIT_EXPECT_EQ_MSG(test, vcompound_nr_live(), live,
				    "the second free_pages() freed something");
	vc_expect_warnings(test, 1, 1, "outside any virtual compound page");
}

/* split_page() is refused; the page stays whole. */
static void vc_misuse_split_page(struct kunit *test)
{
	const unsigned int order = VCOMPOUND_MIN_ORDER;
	struct page *page;
	unsigned long i;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	split_page(page, order);
	KUNIT_EXPECT_TRUE(test, PageVcompound(page));
	KUNIT_EXPECT_EQ(test, compound_order(page), order);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
	for (i = 1; i < (1UL << order); i++)
		KUNIT_EXPECT_EQ_MSG(test, page_ref_count(compound_nth_page(page, i)), 0,
				    "tail %lu has a reference of its own", i);
	vc_check_pages(test, page, order);
	__free_pages(page, order);
	vc_expect_warnings(test, 1, 1, "split_page() on a virtual compound page");
}

/*
 * page_address() of a page is that page's linear address: contiguous over
 * the head chunk only; page_to_addr() is the whole's.  Not reported.
 */
static void vc_misuse_page_address(struct kunit *test)
{
	const unsigned int order = 5;
	struct page *page;
	char *head;
	unsigned long i;

	vc_force(test, true);
	page = alloc_pages(VC_GFP, order);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_TRUE(test, PageVcompound(page));
	head = page_address(page);
	KUNIT_EXPECT_PTR_NE(test, page_to_addr(page), (void *)head);
	for (i = 0; i < (1UL << order); i++) {
		struct page *p = compound_nth_page(page, i);
		char *lin = page_address(p);

		KUNIT_EXPECT_PTR_EQ(test, virt_to_page(lin), p);
		KUNIT_EXPECT_PTR_EQ(test, virt_to_head_page(lin), page);
		if (i < VCOMPOUND_HEAD_NR)
			KUNIT_EXPECT_PTR_EQ(test, (void *)lin,
					    (void *)(head + i * PAGE_SIZE));
	}
	__free_pages(page, order);
	vc_expect_warnings(test, 0, 0, NULL);
}

/*
 * kfree() and virt_to_folio() of a vmalloc() address, mapped, and of the
 * unmapped guard page after it: reported every time, nothing freed.
 */
static void vc_misuse_kfree_vmalloc(struct kunit *test)
{
	char *p = vmalloc(PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x5a, PAGE_SIZE);
	kfree(p);
	KUNIT_EXPECT_EQ(test, page_count(vmalloc_to_page(p)), 1);
	KUNIT_EXPECT_EQ(test, p[PAGE_SIZE - 1], 0x5a);
	KUNIT_EXPECT_NULL(test, virt_to_folio(p));
	vc_expect_warnings(test, 2, 2, "outside any virtual compound page");
	/* The guard page: reserved for this area, never mapped. */
	KUNIT_EXPECT_NULL(test, virt_to_folio(p + PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, virt_to_head_page(p + PAGE_SIZE));
	kfree(p + PAGE_SIZE);
	vfree(p);
	vc_expect_warnings(test, 3, 3, "outside any virtual compound page");
}

/* vfree() inside a large kmalloc() that went virtual: refused. */
static void vc_misuse_vfree_inside(struct kunit *test)
{
	const size_t size = PAGE_SIZE << VCOMPOUND_MIN_ORDER;
	char *p;

	vc_force(test, true);
	p = kmalloc(size, GFP_KERNEL | __GFP_VFALLBACK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	if (!is_vmalloc_addr(p)) {
		kfree(p);
		KUNIT_FAIL(test, "kmalloc() physical with the fallback forced");
		return;
	}
	memset(p, 0x5a, size);
	vfree(p + PAGE_SIZE);
	/* Freed, it would be unmapped: do not touch it then. */
	KUNIT_ASSERT_NOT_NULL_MSG(test, find_vm_area(p), "vfree() inside freed it");
	KUNIT_EXPECT_TRUE(test, PageVcompound(vmalloc_to_page(p)));
	KUNIT_EXPECT_EQ(test, p[size - 1], 0x5a);
	kfree(p);
	vc_expect_unmapped(test, p);
	vc_expect_warnings(test, 1, 1, "inside a virtual compound page");
}

/*
 * Nothing else in the suite's log: every warning was one a case expected,
 * and no other kernel report was printed between the cases.
 */
static void vc_misuse_log(struct kunit *test)
{
	struct vc_log log;

	u64 end;

	end = vc_log_read(test, vc_log_suite_start, NULL, NULL, &log);
	KUNIT_EXPECT_EQ_MSG(test, log.warnings, vc_log_warnings,
			    "warnings outside the cases that expect them");
	KUNIT_EXPECT_EQ_MSG(test, log.traces, vc_log_traces,
			    "stack traces outside the cases that expect them");
	KUNIT_EXPECT_EQ_MSG(test, log.reports, 0U, "another report: %s",
			    log.report);
	/*
	 * The harness leaves the log up to the marker to this suite: judge
	 * what came since the read above, up to and including the marker.
	 */
	pr_info(VC_LOG_JUDGED "\n");
	vc_log_read(test, end, NULL, VC_LOG_JUDGED, &log);
	KUNIT_EXPECT_EQ_MSG(test, log.warnings + log.traces, 0U,
			    "warnings or stack traces after the cases");
	KUNIT_EXPECT_EQ_MSG(test, log.reports, 0U, "another report: %s",
			    log.report);
}

static struct kunit_case vcompound_test_cases[] = {
	KUNIT_CASE(vc_test_key_at_boot),
	KUNIT_CASE_PARAM(vc_test_alloc, vc_gen_params),
	KUNIT_CASE_PARAM(vc_test_free, vc_free_gen_params),
	KUNIT_CASE(vc_test_get_free_pages),
	KUNIT_CASE(vc_test_zero),
	KUNIT_CASE(vc_test_ineligible),
	KUNIT_CASE(vc_test_nofail_highmem),
	KUNIT_CASE(vc_test_node),
	KUNIT_CASE(vc_test_dma32),
	KUNIT_CASE(vc_test_late_fragmented),
	KUNIT_CASE(vc_test_last_resort),
	KUNIT_CASE(vc_test_isolation),
	KUNIT_CASE(vc_test_isolation_neighbour),
	KUNIT_CASE(vc_test_kmalloc),
	KUNIT_CASE(vc_test_vmstat),
	KUNIT_CASE(vc_test_align),
	KUNIT_CASE(vc_test_deferred_unlink),
	KUNIT_CASE(vc_test_deferred_work),
	KUNIT_CASE(vc_test_reused),
	KUNIT_CASE(vc_test_reclaim_deferred),
	KUNIT_CASE(vc_test_flag_alone),
	KUNIT_CASE(vc_test_folio_alloc),
	KUNIT_CASE(vc_test_task_stack),
	KUNIT_CASE(vc_test_pte_batch),
	KUNIT_CASE(vc_test_gup),
	KUNIT_CASE(vc_test_madvise),
	KUNIT_CASE(vc_test_vfree_pages),
	{}
};

static struct kunit_suite vcompound_test_suite = {
	.name = "vcompound",
	.init = vc_test_init,
	.exit = vc_test_exit,
	.test_cases = vcompound_test_cases,
};

static struct kunit_case vcompound_misuse_cases[] = {
	KUNIT_CASE(vc_misuse_order),
	KUNIT_CASE(vc_misuse_wrong_order),
	KUNIT_CASE(vc_misuse_free_pages),
	KUNIT_CASE(vc_misuse_split_page),
	KUNIT_CASE(vc_misuse_page_address),
	KUNIT_CASE(vc_misuse_kfree_vmalloc),
	KUNIT_CASE(vc_misuse_vfree_inside),
	KUNIT_CASE(vc_misuse_log),
	{}
};

static struct kunit_suite vcompound_misuse_suite = {
	.name = "vcompound_misuse",
	.suite_init = vc_misuse_suite_init,
	.init = vc_misuse_init,
	.exit = vc_test_exit,
	.test_cases = vcompound_misuse_cases,
};

kunit_test_suites(&vcompound_test_suite, &vcompound_misuse_suite);

MODULE_DESCRIPTION("KUnit tests for virtual compound pages");
MODULE_LICENSE("GPL");
