/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual compound pages: high-order allocations that fall back to
 * virtually contiguous memory.  See Documentation/mm/vcompound.rst.
 */
#ifndef _LINUX_VCOMPOUND_H
#define _LINUX_VCOMPOUND_H

#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/types.h>
#include <linux/gfp_types.h>
#include <linux/nodemask.h>

struct folio;
struct page;

/*
 * A virtual compound page starts with a physically contiguous head chunk
 * that holds every struct page of struct folio, so the folio metadata
 * lives in struct pages the allocation owns. The rest are order-0 pages.
 */
#define VCOMPOUND_HEAD_ORDER	2
#define VCOMPOUND_HEAD_NR	BIT(VCOMPOUND_HEAD_ORDER)
/* Smallest order that can be a virtual compound page. */
#define VCOMPOUND_MIN_ORDER	(VCOMPOUND_HEAD_ORDER + 1)

/*
 * VCOMPOUND_TASK_STACKS: task stacks may be virtual compound pages here
 * (the !VMAP_STACK alloc_thread_stack_node() asks for the fallback where
 * HAVE_ARCH_VCOMPOUND_STACK is set; only orders of VCOMPOUND_MIN_ORDER or
 * more can take it), so every fork and exit may make or free one.  For
 * code that counts virtual compound pages: the KUnit suite and the test
 * module in lib/, which is why it is in this header.  THREAD_SIZE comes
 * from the includer's <linux/thread_info.h>.
 */
#define VCOMPOUND_TASK_STACKS						\
	(!IS_ENABLED(CONFIG_VMAP_STACK) &&				\
	 IS_ENABLED(CONFIG_HAVE_ARCH_VCOMPOUND_STACK) &&		\
	 THREAD_SIZE >= (PAGE_SIZE << VCOMPOUND_MIN_ORDER))

/**
 * enum vcompound_policy - when a __GFP_VFALLBACK request falls back
 * @VCOMPOUND_LATE: last resort: after direct reclaim and compaction have
 *	failed, right before the OOM killer would be invoked or the request
 *	would fail.  The default.
 * @VCOMPOUND_EARLY: after the first (light, async) direct compaction
 *	attempt fails, before any direct reclaim: earlier than kvmalloc(),
 *	whose kmalloc() attempt gets a round of reclaim.
 * @VCOMPOUND_ALWAYS: every eligible request is a virtual compound page,
 *	even when contiguous memory is free (testing; CONFIG_FALLBACK_ALWAYS).
 * @NR_VCOMPOUND_POLICIES: The number of policies.
 */
enum vcompound_policy {
	VCOMPOUND_LATE,
	VCOMPOUND_EARLY,
	VCOMPOUND_ALWAYS,
	NR_VCOMPOUND_POLICIES
};

#ifdef CONFIG_VCOMPOUND
struct page *vcompound_alloc(gfp_t gfp, unsigned int order, int nid,
			     nodemask_t *nodemask);
void vcompound_free(struct page *page, unsigned int order);
bool vcompound_vfree(const void *addr);
void vcompound_mark_kmalloc(struct folio *folio);
#ifdef CONFIG_FAULT_INJECTION
extern struct fault_attr fail_vcompound;
#endif
#else
static inline struct page *vcompound_alloc(gfp_t gfp, unsigned int order,
					   int nid, nodemask_t *nodemask)
{
	return NULL;
}

static inline bool vcompound_vfree(const void *addr)
{
	return false;
}

static inline void vcompound_mark_kmalloc(struct folio *folio)
{
}
#endif

#endif /* _LINUX_VCOMPOUND_H */
