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

static LLIST_HEAD(vcompound_deferred);
static void vcompound_reap(void);
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
EXPORT_SYMBOL_GPL(vcompound_nr_live);

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
EXPORT_SYMBOL_GPL(vcompound_get_policy);

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
EXPORT_SYMBOL_GPL(vcompound_set_policy);

/**
 * vcompound_should_fallback - Does the policy take the fallback here?
 * @gfp: The request's GFP flags.
 * @policy: The point in the allocator asking.
 *
 * Return: true if a __GFP_VFALLBACK request should try the fallback at
 * the point @policy of the allocator.
 */
bool vcompound_should_fallback(gfp_t gfp, enum vcompound_policy policy)
{
	enum vcompound_policy now;

	if (!(gfp & __GFP_VFALLBACK))
		return false;
	now = READ_ONCE(vcompound_policy);
	/* The last resort catches what an earlier point did not take. */
	return policy == now || policy == VCOMPOUND_LATE;
}

static bool vcompound_eligible(gfp_t gfp, unsigned int order)
{
	if (order < VCOMPOUND_MIN_ORDER || order > MAX_PAGE_ORDER)
		return false;
	/* vmap() sleeps. */
	if (!gfpflags_allow_blocking(gfp))
		return false;
	/*
	 * Callers of non-compound high-order pages index them with page + n
	 * and split_page() them: they cannot take a virtual compound page.
	 */
	if (!(gfp & __GFP_COMP)) {
		VM_WARN_ONCE(1, "__GFP_VFALLBACK without __GFP_COMP is ignored\n");
		return false;
	}
	/* Too early in boot for vmap(), or inside direct reclaim. */
	if (!slab_is_available() || (current->flags & PF_MEMALLOC))
		return false;
	return true;
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
 * vmap() allocates its page tables with GFP_KERNEL: honour the caller's
 * GFP_NOFS/GFP_NOIO with the scope API, as __vmalloc_area_node() does.
 */
static void *vcompound_vmap(struct page **pages, unsigned int nr, gfp_t gfp)
{
	unsigned int flags = 0;
	void *addr;

	if ((gfp & (__GFP_FS | __GFP_IO)) == __GFP_IO)
		flags = memalloc_nofs_save();
	else if (!(gfp & (__GFP_FS | __GFP_IO)))
		flags = memalloc_noio_save();

	addr = vmap(pages, nr, VM_MAP, PAGE_KERNEL);

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
	struct vm_struct *area;
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
		vcompound_reap();

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

	addr = vcompound_should_fail() ? NULL : vcompound_vmap(pages, nr, gfp);
	if (!addr)
		goto fail_free;
	/* vunmap() leaves ->pages alone: vcompound_release() frees it. */
	area = find_vm_area(addr);
	area->pages = pages;
	area->nr_pages = nr;

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
	folio_set_vcompound(page_folio(head));
	page_folio(head)->_vcompound_addr = addr;

	if (!vcompound_in_use())
		static_branch_enable(&vcompound_in_use_key);
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
static void vcompound_release(void *addr)
{
	struct vm_struct *area = find_vm_area(addr);
	struct page **pages;
	unsigned int i, nr;

	if (WARN_ONCE(!area || !area->pages, "freeing unknown vcompound %p\n", addr))
		return;
	pages = area->pages;
	nr = area->nr_pages;
	vunmap(addr);

	for (i = VCOMPOUND_HEAD_NR; i < nr; i++) {
		struct page *p = pages[i];

		p->mapping = NULL;
		p->index = 0;
		clear_compound_head(p);
		/* Tails have a zero refcount: give them back directly. */
		free_unref_page(p, 0);
	}
	/* Now an ordinary compound page of VCOMPOUND_HEAD_ORDER. */
	free_unref_page(pages[0], VCOMPOUND_HEAD_ORDER);
	kvfree(pages);
	count_vm_event(VCOMPOUND_FREE);
}

/* Release the virtual compound pages whose free was deferred.  Sleeps. */
static void vcompound_reap(void)
{
	struct llist_node *node, *next;

	llist_for_each_safe(node, next, llist_del_all(&vcompound_deferred))
		vcompound_release(node);
}

static void vcompound_deferred_work_fn(struct work_struct *work)
{
	vcompound_reap();
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
}
EXPORT_SYMBOL_GPL(vcompound_flush_deferred);

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
	unsigned int real = folio_order(folio);
	void *addr = folio->_vcompound_addr;

	VM_WARN_ONCE(order != real,
		     "vcompound %p freed with order %u, allocated with order %u\n",
		     addr, order, real);
	memcg_kmem_uncharge_page(page, real);
	folio->_vcompound_addr = NULL;
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
	if (llist_add((struct llist_node *)addr, &vcompound_deferred))
		schedule_work(&vcompound_deferred_work);
}

/**
 * vcompound_vfree - Free a virtual compound page that reached vfree()
 * @addr: The address passed to vfree() or vfree_atomic().
 *
 * kvfree(), kfree_rcu() and kvrealloc() pick vfree() for any vmalloc
 * address, which includes a large kmalloc() that took the fallback.  Free
 * such an object as kfree() would.
 *
 * Context: Any context in which vfree() or vfree_atomic() may be called.
 * Return: true if @addr was a virtual compound page and is now freed.
 */
bool vcompound_vfree(const void *addr)
{
	struct page *page;

	if (!is_vmalloc_addr(addr))
		return false;
	page = vmalloc_to_page(addr);
	if (!page || !PageVcompound(page))
		return false;
	if (WARN_ONCE(page_to_addr(compound_head(page)) != addr,
		      "vfree(%p) inside a virtual compound page\n", addr))
		return true;
	kfree(addr);
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
		return folio->_vcompound_addr;
	i = page - &folio->page;
	/* Beyond the head chunk, a tail records its index itself. */
	if (i >= VCOMPOUND_HEAD_NR)
		i = page->index;
	VM_WARN_ON_ONCE_PAGE(i >= folio_nr_pages(folio), page);
	return folio->_vcompound_addr + i * PAGE_SIZE;
}
EXPORT_SYMBOL(vcompound_page_to_addr);

/**
 * vcompound_nth_page - compound_nth_page() for a virtual compound page
 * @page: The head page or any tail page of a virtual compound page.
 * @n: How many pages further.
 *
 * Return: The page @n pages after @page in the virtual compound page.
 */
struct page *vcompound_nth_page(struct page *page, unsigned long n)
{
	struct folio *folio = page_folio(page);
	unsigned long i = 0;

	if (page != &folio->page)
		i = (vcompound_page_to_addr(page) - folio->_vcompound_addr) >>
			PAGE_SHIFT;
	i += n;
	if (WARN_ON_ONCE(i >= folio_nr_pages(folio)))
		return NULL;
	return vmalloc_to_page(folio->_vcompound_addr + i * PAGE_SIZE);
}
EXPORT_SYMBOL(vcompound_nth_page);

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
	struct dentry *dir;

	/* Apply vcompound_fallback= to the static key. */
	vcompound_set_policy(vcompound_policy);
	if (vcompound_policy != VCOMPOUND_LATE)
		pr_info("fallback policy: %s\n",
			vcompound_policy_names[vcompound_policy]);

	dir = debugfs_create_dir("vcompound", NULL);
	debugfs_create_file("policy", 0644, dir, NULL, &vcompound_policy_fops);
	debugfs_create_file_unsafe("live", 0444, dir, NULL, &vcompound_live_fops);
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_vcompound", NULL, &fail_vcompound);
#endif
	return 0;
}
core_initcall(vcompound_init);
