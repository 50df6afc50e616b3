/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vcompound

#if !defined(_TRACE_VCOMPOUND_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_VCOMPOUND_H

#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

/*
 * vcompound_alloc: a __GFP_VFALLBACK request took the fallback.  @page and
 * @addr are NULL when building the virtual compound page failed.
 */
TRACE_EVENT(vcompound_alloc,

	TP_PROTO(struct page *page, unsigned int order, gfp_t gfp, void *addr),

	TP_ARGS(page, order, gfp, addr),

	TP_STRUCT__entry(
		__field(unsigned long,	pfn)
		__field(unsigned int,	order)
		__field(unsigned long,	gfp)
		__field(void *,		addr)
	),

	TP_fast_assign(
		__entry->pfn	= page ? page_to_pfn(page) : -1UL;
		__entry->order	= order;
		__entry->gfp	= (__force unsigned long)gfp;
		__entry->addr	= addr;
	),

	TP_printk("head_pfn=0x%lx order=%u addr=%p gfp_flags=%s",
		  __entry->pfn != -1UL ? __entry->pfn : 0,
		  __entry->order, __entry->addr,
		  show_gfp_flags(__entry->gfp))
);

#endif /* _TRACE_VCOMPOUND_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
