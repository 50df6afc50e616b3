// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual compound pages.
 *
 * A __GFP_VFALLBACK allocation that the buddy allocator cannot satisfy
 * with physically contiguous memory is built instead from a physically
 * contiguous head chunk of order VCOMPOUND_HEAD_ORDER, which holds all
 * four struct pages of struct folio, and order-0 pages for the rest,
 * mapped contiguously with vmap().  Every page becomes part of a normal
 * compound page: the head chunk carries the folio metadata, and every
 * other page points to the head with set_compound_head().  So
 * compound_head(), folio_order(), get_page()/put_page() on any page and
 * the memcg charge work unchanged; only the memory is not contiguous in
 * the linear map.  See Documentation/mm/vcompound.rst.
 */

#define pr_fmt(fmt) "vcompound: " fmt

#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/init.h>
#include <linux/jump_label.h>
#include <linux/llist.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/shrinker.h>
#include <linux/swap.h>
#include <linux/slab.h>
#include <linux/vcompound.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/vcompound.h>

/* The head chunk must hold all of struct folio. */
static_assert(sizeof(struct folio) <= VCOMPOUND_HEAD_NR * sizeof(struct page));
/*
 * The fields kept in the fourth struct page overlay its lru.prev and
 * index: its ->mapping stays TAIL_MAPPING, as free_tail_page_prepare()
 * checks, and its compound_head stays intact.
 */
static_assert(offsetof(struct folio, _vcompound_off) ==
	      3 * sizeof(struct page) + offsetof(struct page, lru.prev));
static_assert(offsetof(struct folio, _vcompound_pages) ==
	      3 * sizeof(struct page) + offsetof(struct page, index));

/*
 * Enabled once at boot by vcompound_init(), in process context and before
 * any virtual compound page can exist, never from the allocation path:
 * static_branch_enable() takes cpus_read_lock(), which the allocation path
 * may already hold (memory hot-add, CPU online).  vcompound_alloc() tests
 * the key's state, not a patched branch, so no virtual compound page is
 * made before every branch site is patched.  Exported, not _GPL: it is
 * read by virt_to_head_page() and virt_to_folio(), which modules of any
 * licence use.
 */
DEFINE_STATIC_KEY_FALSE(vcompound_in_use_key);
EXPORT_SYMBOL(vcompound_in_use_key);

/* Patched in once the policy has been VCOMPOUND_ALWAYS. */
DEFINE_STATIC_KEY_MAYBE(CONFIG_FALLBACK_ALWAYS, vcompound_always_key);

static enum vcompound_policy vcompound_policy =
	IS_ENABLED(CONFIG_FALLBACK_ALWAYS) ? VCOMPOUND_ALWAYS : VCOMPOUND_LATE;
static DEFINE_MUTEX(vcompound_policy_lock);

static const char * const vcompound_policy_names[NR_VCOMPOUND_POLICIES] = {
	[VCOMPOUND_LATE] = "late",
	[VCOMPOUND_EARLY] = "early",
	[VCOMPOUND_ALWAYS] = "always",
};

/*
 * A free deferred to the work item: written over the first bytes of the
 * still mapped memory, which is ours until released.
 */
struct vcompound_deferred_node {
	struct llist_node llnode;
	unsigned int order;
};

static LLIST_HEAD(vcompound_deferred);
/* Pages whose free is deferred: the shrinker's count. */
static atomic_long_t vcompound_deferred_pages;
/* Serialises releases, so that vcompound_flush_deferred() can wait. */
static DEFINE_MUTEX(vcompound_reap_lock);
static unsigned long vcompound_reap(bool wait);
static void vcompound_deferred_work_fn(struct work_struct *work);
static DECLARE_WORK(vcompound_deferred_work, vcompound_deferred_work_fn);

/* Virtual compound pages currently allocated. */
static atomic_long_t vcompound_live;

/**
 * vcompound_nr_live - How many virtual compound pages exist right now
 *
 * Return: The number of virtual compound pages allocated and not yet freed.
 */
long vcompound_nr_live(void)
{
	return atomic_long_read(&vcompound_live);
}

#ifdef CONFIG_FAULT_INJECTION
/*
 * fail_vcompound: fail the steps of building a virtual compound page
 * (head chunk, tail pages, vmap), to test that every failure unwinds.
 */
DECLARE_FAULT_ATTR(fail_vcompound);

static int __init setup_fail_vcompound(char *str)
{
	return setup_fault_attr(&fail_vcompound, str);
}
__setup("fail_vcompound=", setup_fail_vcompound);

static bool vcompound_should_fail(void)
{
	return should_fail(&fail_vcompound, PAGE_SIZE);
}
#else
static inline bool vcompound_should_fail(void)
{
	return false;
}
#endif

/**
 * vcompound_get_policy - The fallback policy in force
 *
 * Return: The &enum vcompound_policy in force.
 */
enum vcompound_policy vcompound_get_policy(void)
{
	return READ_ONCE(vcompound_policy);
}

/**
 * vcompound_set_policy - Choose when __GFP_VFALLBACK requests fall back
 * @policy: The new &enum vcompound_policy.
 *
 * Context: Process context; may sleep.
 * Return: 0, or -EINVAL for an unknown policy.
 */
int vcompound_set_policy(enum vcompound_policy policy)
{
	if (policy >= NR_VCOMPOUND_POLICIES)
		return -EINVAL;
	mutex_lock(&vcompound_policy_lock);
	WRITE_ONCE(vcompound_policy, policy);
	/*
	 * The key only gates the check of the policy on the fast path, so
	 * it is never disabled again: switching back and forth (as the tests
	 * do) then patches no kernel text.
	 */
	if (policy == VCOMPOUND_ALWAYS)
		static_branch_enable(&vcompound_always_key);
	mutex_unlock(&vcompound_policy_lock);
	return 0;
}

/**
 * vcompound_should_fallback - Does the policy take the fallback here?
 * @gfp: The request's GFP flags.
 * @point: The point in the allocator asking: %VCOMPOUND_ALWAYS (the fast
 *	path), %VCOMPOUND_EARLY (after the first compaction) or
 *	%VCOMPOUND_LATE (the last resort).
 *
 * Return: true if a __GFP_VFALLBACK request should try the fallback at
 * @point.
 */
bool vcompound_should_fallback(gfp_t gfp, enum vcompound_policy point)
{
	enum vcompound_policy now;

	if (!(gfp & __GFP_VFALLBACK))
		return false;
	now = READ_ONCE(vcompound_policy);
	/* The last resort catches what an earlier point did not take. */
	return point == now || point == VCOMPOUND_LATE;
}

static bool vcompound_eligible(gfp_t gfp, unsigned int order)
{
	if (order < VCOMPOUND_MIN_ORDER || order > MAX_PAGE_ORDER)
		return false;
	/* vmap() sleeps. */
	if (!gfpflags_allow_blocking(gfp))
		return false;
	/* A virtual compound page is compound: so must the request be. */
	if (WARN_ON_ONCE(!(gfp & __GFP_COMP)))
		return false;
	/*
	 * Before vcompound_init() has enabled the key (early boot), or
	 * inside direct reclaim: no fallback.
	 */
	if (!static_key_enabled(&vcompound_in_use_key) ||
	    (current->flags & PF_MEMALLOC))
		return false;
	return true;
}

/*
 * The vmap address is kept as an offset from VMALLOC_START, not as a
 * pointer: kmemleak scans the memmap, and a pointer there would count as
 * a reference to a large kmalloc() object that took the fallback, hiding
 * its leak.
 */
static inline void vcompound_set_addr(struct folio *folio, void *addr)
{
	folio->_vcompound_off = addr ? (unsigned long)addr - VMALLOC_START : 0;
}

/*
 * Bit 0 of the offset (which is page aligned) marks a large kmalloc()
 * object, which vfree() must hand to kfree().
 */
#define VCOMPOUND_OFF_KMALLOC	1UL

static inline void *vcompound_folio_addr(const struct folio *folio)
{
	return (void *)(VMALLOC_START +
			(folio->_vcompound_off & ~VCOMPOUND_OFF_KMALLOC));
}

/**
 * vcompound_mark_kmalloc - Mark a virtual compound page as kmalloc()'s
 * @folio: A virtual compound page that large kmalloc() has just allocated.
 *
 * vfree() (from kvfree(), say) of its address then frees it with kfree(),
 * which undoes the slab statistics and kmemleak object of the allocation;
 * vfree() of any other virtual compound page frees its pages.
 */
void vcompound_mark_kmalloc(struct folio *folio)
{
	folio->_vcompound_off |= VCOMPOUND_OFF_KMALLOC;
}

/* Free pages[from..to) that are not (yet) part of the compound page. */
static void vcompound_free_array(struct page **pages, unsigned int from,
				 unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++)
		if (pages[i])
			__free_page(pages[i]);
}

/*
 * Map the pages at an address aligned to their total size, as a
 * high-order page's address is (kmalloc() promises natural alignment for
 * power-of-two sizes, and !VMAP_STACK stack code masks with THREAD_SIZE).
 * The page tables are allocated with GFP_KERNEL: honour the caller's
 * GFP_NOFS/GFP_NOIO with the scope API, as __vmalloc_area_node() does.
 */
static void *vcompound_vmap(struct page **pages, unsigned int nr, int nid,
			    gfp_t gfp)
{
	unsigned int flags = 0;
	void *addr;

	if ((gfp & (__GFP_FS | __GFP_IO)) == __GFP_IO)
		flags = memalloc_nofs_save();
	else if (!(gfp & (__GFP_FS | __GFP_IO)))
		flags = memalloc_noio_save();

	addr = vmap_vcompound(pages, nr, nid, (gfp & GFP_RECLAIM_MASK &
			      ~(__GFP_NOFAIL | __GFP_RETRY_MAYFAIL)) |
			      __GFP_NORETRY | __GFP_NOWARN);

	if ((gfp & (__GFP_FS | __GFP_IO)) == __GFP_IO)
		memalloc_nofs_restore(flags);
	else if (!(gfp & (__GFP_FS | __GFP_IO)))
		memalloc_noio_restore(flags);
	return addr;
}

/**
 * vcompound_alloc - Allocate a virtual compound page
 * @gfp: GFP flags of the original request (must include __GFP_COMP).
 * @order: Order of the original request.
 * @nid: Preferred node.
 * @nodemask: Allowed nodes, or NULL.
 *
 * Called by the page allocator for a __GFP_VFALLBACK request at the point
 * the fallback policy chooses.  The zone modifiers, node preference,
 * __GFP_ZERO and __GFP_NOWARN of @gfp apply to every page.  __GFP_ACCOUNT
 * is left to the caller, which charges the compound page once, as for any
 * other high-order page.  The backing allocations never retry hard and
 * never invoke the OOM killer themselves: if they fail, the original
 * request goes on as it would have without the flag.
 *
 * Context: Process context; may sleep.
 * Return: The head page of a compound page of @order with a reference
 * count of one, or NULL if the request is not eligible or memory is short.
 */
struct page *vcompound_alloc(gfp_t gfp, unsigned int order, int nid,
			     nodemask_t *nodemask)
{
	unsigned int nr = 1U << order, i, got;
	gfp_t sub_gfp;
	struct page **pages;
	struct page *head;
	struct folio *folio;
	void *addr;

	if (!vcompound_eligible(gfp, order))
		return NULL;
	/*
	 * Release deferred frees first.  Where every free is deferred (no
	 * CONFIG_PREEMPT_COUNT), a task that allocates and frees in a loop
	 * would otherwise outrun the work item and pile up unreleased
	 * memory until the OOM killer runs.
	 */
	if (unlikely(!llist_empty(&vcompound_deferred)))
		vcompound_reap(false);

	/* Pinned and vmapped: never from ZONE_MOVABLE, CMA or movable blocks. */
	sub_gfp = gfp & ~(__GFP_VFALLBACK | __GFP_COMP | __GFP_ACCOUNT |
			  __GFP_NOFAIL | __GFP_RETRY_MAYFAIL | __GFP_RECLAIMABLE |
			  __GFP_MOVABLE);
	sub_gfp |= __GFP_NORETRY | __GFP_NOWARN;

	pages = kvcalloc(nr, sizeof(*pages), (gfp & GFP_RECLAIM_MASK &
			 ~(__GFP_NOFAIL | __GFP_RETRY_MAYFAIL)) |
			 __GFP_NORETRY | __GFP_NOWARN);
	if (!pages)
		goto fail;

	head = NULL;
	if (!vcompound_should_fail())
		head = __alloc_pages_noprof(sub_gfp, VCOMPOUND_HEAD_ORDER, nid,
					    nodemask);
	if (!head)
		goto fail_pages;
	for (i = 0; i < VCOMPOUND_HEAD_NR; i++)
		pages[i] = head + i;

	for (got = VCOMPOUND_HEAD_NR; got < nr; ) {
		unsigned long n;

		if (vcompound_should_fail())
			break;
		n = alloc_pages_bulk_noprof(sub_gfp, nid, nodemask, nr - got,
					    NULL, pages + got);
		if (!n)
			break;
		got += n;
	}
	if (got < nr)
		goto fail_free;

	/* vmap_vcompound() publishes @pages in the vm_struct, for release. */
	addr = vcompound_should_fail() ? NULL : vcompound_vmap(pages, nr, nid, gfp);
	if (!addr)
		goto fail_free;

	/* Make it one compound page, as prep_compound_page() would. */
	__folio_set_head((struct folio *)head);
	for (i = 1; i < nr; i++) {
		struct page *p = pages[i];

		if (i >= VCOMPOUND_HEAD_NR) {
			set_page_count(p, 0);
			/* Its index, for page_to_addr() in any context. */
			p->index = i;
		}
		p->mapping = TAIL_MAPPING;
		set_compound_head(p, head);
		set_page_private(p, 0);
	}
	prep_compound_head(head, order);
	folio = page_folio(head);
	folio_set_vcompound(folio);
	vcompound_set_addr(folio, addr);
	folio->_vcompound_pages = pages;

	atomic_long_inc(&vcompound_live);
	count_vm_event(VCOMPOUND_ALLOC);
	trace_vcompound_alloc(head, order, gfp, addr);
	return head;

fail_free:
	__free_pages(head, VCOMPOUND_HEAD_ORDER);
	vcompound_free_array(pages, VCOMPOUND_HEAD_NR, nr);
fail_pages:
	kvfree(pages);
fail:
	count_vm_event(VCOMPOUND_ALLOC_FAIL);
	trace_vcompound_alloc(NULL, order, gfp, NULL);
	return NULL;
}

/*
 * Unmap a virtual compound page whose compound metadata is already torn
 * down to the head chunk, and give its memory back.  Sleeps.
 */
static unsigned int vcompound_release(void *addr)
{
	struct vm_struct *area = find_vm_area(addr);
	struct page **pages;
	unsigned int i, nr;

	if (WARN_ONCE(!area || !area->pages, "freeing unknown vcompound %p\n", addr))
		return 0;
	pages = area->pages;
	nr = area->nr_pages;
	vunmap(addr);

	/* Unlinked by vcompound_free(), with a zero refcount: give them back. */
	for (i = VCOMPOUND_HEAD_NR; i < nr; i++)
		free_unref_page(pages[i], 0);
	/* Now an ordinary compound page of VCOMPOUND_HEAD_ORDER. */
	free_unref_page(pages[0], VCOMPOUND_HEAD_ORDER);
	kvfree(pages);
	count_vm_event(VCOMPOUND_FREE);
	return nr;
}

/*
 * Release the virtual compound pages whose free was deferred.  Sleeps.
 * With @wait false, leave them to a release already in progress.
 * Return: how many pages went back to the page allocator.
 */
static unsigned long vcompound_reap(bool wait)
{
	struct llist_node *node, *next;
	unsigned long freed = 0, pending = 0;

	if (wait)
		mutex_lock(&vcompound_reap_lock);
	else if (!mutex_trylock(&vcompound_reap_lock))
		return 0;
	llist_for_each_safe(node, next, llist_del_all(&vcompound_deferred)) {
		struct vcompound_deferred_node *d =
			container_of(node, struct vcompound_deferred_node, llnode);

		/* Read before the release frees the memory it lives in. */
		pending += 1UL << d->order;
		freed += vcompound_release(d);
	}
	atomic_long_sub(pending, &vcompound_deferred_pages);
	mutex_unlock(&vcompound_reap_lock);
	return freed;
}

/*
 * Reclaim releases deferred frees too: where every free is deferred (no
 * CONFIG_PREEMPT_COUNT), a burst of frees could otherwise leave memory
 * waiting for the work item while an allocation runs into the OOM killer.
 */
static unsigned long vcompound_shrink_count(struct shrinker *shrink,
					    struct shrink_control *sc)
{
	return atomic_long_read(&vcompound_deferred_pages);
}

static unsigned long vcompound_shrink_scan(struct shrinker *shrink,
					   struct shrink_control *sc)
{
	/* Wait for a release in progress: its pages are what reclaim wants. */
	unsigned long freed = vcompound_reap(true);

	count_vm_events(VCOMPOUND_FREE_RECLAIM, freed);
	mm_account_reclaimed_pages(freed);
	return freed ?: SHRINK_STOP;
}

static void vcompound_deferred_work_fn(struct work_struct *work)
{
	vcompound_reap(true);
}

/**
 * vcompound_flush_deferred - Wait until deferred frees are done
 *
 * Virtual compound pages freed where sleeping is not allowed are unmapped
 * and returned by a work item.  Wait for it (tests that count free pages).
 *
 * Context: Process context; may sleep.
 */
void vcompound_flush_deferred(void)
{
	flush_work(&vcompound_deferred_work);
	/* Also wait for a release that vcompound_alloc() or reclaim runs. */
	vcompound_reap(true);
}

/**
 * vcompound_free - Free a virtual compound page
 * @page: The head page, whose last reference is gone.
 * @order: The order the caller passed to the free function.
 *
 * Called by the page allocator's free path for a virtual compound page.
 * Undoes the memcg charge and the compound metadata at once and returns
 * the memory; when the context cannot sleep, the vunmap() and the return
 * of the pages are deferred to a work item, as vfree() does from
 * interrupts.  A wrong @order is reported and the right one used.
 *
 * Context: Any context in which __free_pages() may be called.
 */
void vcompound_free(struct page *page, unsigned int order)
{
	struct folio *folio = page_folio(page);
	unsigned int real = folio_order(folio), i;
	void *addr = vcompound_folio_addr(folio);
	struct page **pages = folio->_vcompound_pages;

	VM_WARN_ONCE(order != real,
		     "vcompound %p freed with order %u, allocated with order %u\n",
		     addr, order, real);
	memcg_kmem_uncharge_page(page, real);
	/*
	 * Unlink the pages beyond the head chunk now, in any context, not
	 * when the release runs: until then a pfn walker that meets one must
	 * see a lone page with a zero refcount (in flight to the allocator),
	 * not a tail of a head that is already an order-2 page.
	 */
	for (i = VCOMPOUND_HEAD_NR; i < (1U << real); i++) {
		struct page *p = pages[i];

		p->mapping = NULL;
		p->index = 0;
		clear_compound_head(p);
	}
	vcompound_set_addr(folio, NULL);
	folio->_vcompound_pages = NULL;
	folio_clear_vcompound(folio);
	/*
	 * Leave an ordinary order-VCOMPOUND_HEAD_ORDER compound page behind,
	 * which free_unref_page() checks and tears down like any other.
	 */
	folio_set_order(folio, VCOMPOUND_HEAD_ORDER);
	atomic_long_dec(&vcompound_live);

	/*
	 * vunmap() sleeps: only when that is allowed, which includes not
	 * being in an RCU read-side section (PREEMPT_RCU, PREEMPT_RT locks).
	 */
	if (preemptible() && !rcu_preempt_depth()) {
		vcompound_release(addr);
		return;
	}
	/* The memory is ours until released: use it as the list node. */
	count_vm_event(VCOMPOUND_FREE_DEFERRED);
	atomic_long_add(1L << real, &vcompound_deferred_pages);
	((struct vcompound_deferred_node *)addr)->order = real;
	if (llist_add(&((struct vcompound_deferred_node *)addr)->llnode,
		      &vcompound_deferred))
		schedule_work(&vcompound_deferred_work);
}

/**
 * vcompound_vfree - Free a virtual compound page that reached vfree()
 * @addr: The address passed to vfree() or vfree_atomic().
 *
 * kvfree(), kfree_rcu() and kvrealloc() pick vfree() for any vmalloc
 * address, which includes a large kmalloc() that took the fallback: free
 * such an object as kfree() would.  Code that picks vfree() or
 * free_pages() by is_vmalloc_addr() passes a virtual compound page from
 * __get_free_pages() to vfree(): free its pages as free_pages() would.
 *
 * Context: Any context in which vfree() or vfree_atomic() may be called.
 * Return: true if @addr was a virtual compound page and is now freed.
 */
bool vcompound_vfree(const void *addr)
{
	struct folio *folio;
	struct page *page;

	if (!is_vmalloc_addr(addr))
		return false;
	page = vcompound_vmalloc_page(addr);
	if (!page)
		return false;
	if (WARN_ONCE(page_to_addr(compound_head(page)) != addr,
		      "vfree(%p) inside a virtual compound page\n", addr))
		return true;
	folio = page_folio(page);
	if (folio->_vcompound_off & VCOMPOUND_OFF_KMALLOC)
		kfree(addr);
	else
		__free_pages(&folio->page, folio_order(folio));
	return true;
}

/**
 * vcompound_page_to_addr - The vmap address of a page of a vcompound
 * @page: The head page or any tail page of a virtual compound page.
 *
 * Context: Any context.
 * Return: The address @page is mapped at in the virtual compound page.
 */
void *vcompound_page_to_addr(const struct page *page)
{
	const struct folio *folio = page_folio(page);
	unsigned long i;

	if (page == &folio->page)
		return vcompound_folio_addr(folio);
	i = page - &folio->page;
	/* Beyond the head chunk, a tail records its index itself. */
	if (i >= VCOMPOUND_HEAD_NR)
		i = page->index;
	VM_WARN_ON_ONCE_PAGE(i >= folio_nr_pages(folio), page);
	return vcompound_folio_addr(folio) + i * PAGE_SIZE;
}
EXPORT_SYMBOL_GPL(vcompound_page_to_addr);

/**
 * vcompound_nth_page - compound_nth_page() for a virtual compound page
 * @page: The head page or any tail page of a virtual compound page.
 * @n: How many pages further.
 *
 * Context: Any context.
 * Return: The page @n pages after @page in the virtual compound page.
 */
struct page *vcompound_nth_page(struct page *page, unsigned long n)
{
	struct folio *folio = page_folio(page);
	unsigned long i = 0;

	if (page != &folio->page)
		i = (vcompound_page_to_addr(page) - vcompound_folio_addr(folio)) >>
			PAGE_SHIFT;
	i += n;
	if (WARN_ON_ONCE(i >= folio_nr_pages(folio)))
		return NULL;
	return folio->_vcompound_pages[i];
}
EXPORT_SYMBOL_GPL(vcompound_nth_page);

/**
 * vcompound_vmalloc_page - The page behind a virtual compound page's address
 * @addr: An address in the vmalloc range.
 *
 * The one test of whether a vmalloc address lies inside a virtual compound
 * page, for the callers that must tell such memory from vmalloc() memory
 * (vfree(), kvrealloc(), the sparse memmap), quietly.
 *
 * Context: Any context.
 * Return: The page that backs @addr if it lies in a virtual compound page,
 * or %NULL.
 */
struct page *vcompound_vmalloc_page(const void *addr)
{
	struct page *page = vmalloc_to_page(addr);

	return page && PageVcompound(page) ? page : NULL;
}

/**
 * vcompound_addr_to_page - addr_to_page() for a vmalloc address
 * @addr: An address in the vmalloc range.
 *
 * The out-of-line part of addr_to_page(), virt_to_head_page() and
 * virt_to_folio(): only an address inside a virtual compound page has a
 * page there.  Any other vmalloc address is a caller's bug (kfree() of a
 * vmalloc() address, say): it is reported every time, ratelimited, and
 * %NULL is returned, so that the caller frees nothing.  Exported, not
 * _GPL, for the same reason as vcompound_in_use_key.
 *
 * Context: Any context.
 * Return: The page that backs @addr, or %NULL.
 */
struct page *vcompound_addr_to_page(const void *addr)
{
	struct page *page = vcompound_vmalloc_page(addr);

	if (likely(page))
		return page;
	WARN_RATELIMIT(1, "%p is a vmalloc address outside any virtual compound page\n",
		       addr);
	return NULL;
}
EXPORT_SYMBOL(vcompound_addr_to_page);

static int __init vcompound_fallback_setup(char *str)
{
	int i;

	for (i = 0; i < NR_VCOMPOUND_POLICIES; i++) {
		if (!strcmp(str, vcompound_policy_names[i])) {
			vcompound_policy = i;
			return 1;
		}
	}
	pr_warn("unknown vcompound_fallback=%s, keeping %s\n", str,
		vcompound_policy_names[vcompound_policy]);
	return 1;
}
__setup("vcompound_fallback=", vcompound_fallback_setup);

static int vcompound_policy_show(struct seq_file *m, void *v)
{
	enum vcompound_policy now = vcompound_get_policy();
	int i;

	for (i = 0; i < NR_VCOMPOUND_POLICIES; i++)
		seq_printf(m, i == now ? "[%s]%s" : "%s%s",
			   vcompound_policy_names[i],
			   i == NR_VCOMPOUND_POLICIES - 1 ? "\n" : " ");
	return 0;
}

static int vcompound_policy_open(struct inode *inode, struct file *file)
{
	return single_open(file, vcompound_policy_show, NULL);
}

static ssize_t vcompound_policy_write(struct file *file, const char __user *ubuf,
				      size_t count, loff_t *ppos)
{
	char buf[16];
	int i;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	for (i = 0; i < NR_VCOMPOUND_POLICIES; i++)
		if (!strcmp(strim(buf), vcompound_policy_names[i]))
			return vcompound_set_policy(i) ?: count;
	return -EINVAL;
}

static const struct file_operations vcompound_policy_fops = {
	.open		= vcompound_policy_open,
	.read		= seq_read,
	.write		= vcompound_policy_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int vcompound_live_get(void *data, u64 *val)
{
	*val = atomic_long_read(&vcompound_live);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vcompound_live_fops, vcompound_live_get, NULL, "%llu\n");

static int __init vcompound_init(void)
{
	struct shrinker *shrinker;

	/* Before any virtual compound page can exist: see the key's comment. */
	static_branch_enable(&vcompound_in_use_key);

	shrinker = shrinker_alloc(0, "vcompound-deferred");
	if (shrinker) {
		shrinker->count_objects = vcompound_shrink_count;
		shrinker->scan_objects = vcompound_shrink_scan;
		shrinker->seeks = 0;
		/* Every scan releases all of them: scan even a few pages. */
		shrinker->batch = 1;
		shrinker_register(shrinker);
	} else {
		pr_warn("no shrinker: reclaim will not release deferred frees\n");
	}
	/* Apply vcompound_fallback= to the static key. */
	vcompound_set_policy(vcompound_policy);
	if (vcompound_policy != VCOMPOUND_LATE)
		pr_info("fallback policy: %s\n",
			vcompound_policy_names[vcompound_policy]);
	return 0;
}
core_initcall(vcompound_init);

/* debugfs itself is a core_initcall that may run after vcompound_init(). */
static int __init vcompound_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir("vcompound", NULL);
	debugfs_create_file("policy", 0644, dir, NULL, &vcompound_policy_fops);
	debugfs_create_file_unsafe("live", 0444, dir, NULL, &vcompound_live_fops);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_vcompound", NULL, &fail_vcompound);
#endif
	return 0;
}
late_initcall(vcompound_debugfs_init);
