#!/usr/bin/python3
"""The mutants of the series: deliberate breakages that the test suite
must catch.  Each mutant replaces one exact text in one file of a tree
with the series applied; the text must occur exactly once, so that a
mutant that no longer applies (the series changed under it) is an error,
never a silent survivor.

Usage (harness/mutants.sh drives it):
  mutants.py list                      names, one a line
  mutants.py describe NAME             what the mutant breaks
  mutants.py apply NAME TREE           break TREE (exit 2 if it does not apply)
  mutants.py revert NAME TREE          undo it (git checkout of the file)
"""
import subprocess
import sys

# name, file, old text, new text, what it breaks[, more (file, old, new)
# edits of the same mutant].  The smoke set
# (harness/test.sh's mutants-smoke step) is SMOKE below.
MUTANTS = [
    ("no_vunmap", "mm/vcompound.c",
     "\tnr = area->nr_pages;\n\tvunmap(addr);\n",
     "\tnr = area->nr_pages;\n",
     "the release skips the vunmap(): the vmap area leaks"),
    ("double_free_tail", "mm/vcompound.c",
     "\tfor (i = VCOMPOUND_HEAD_NR; i < nr; i++)\n\t\tfree_unref_page(pages[i], 0);\n",
     "\tfor (i = VCOMPOUND_HEAD_NR; i < nr; i++)\n\t\tfree_unref_page(pages[i], 0);\n"
     "\tfree_unref_page(pages[nr - 1], 0);\n",
     "the release frees the last tail twice"),
    ("no_memcg_uncharge", "mm/vcompound.c",
     "\tmemcg_kmem_uncharge_page(page, real);\n",
     "",
     "the free drops the memcg uncharge"),
    ("last_tail_unlinked", "mm/vcompound.c",
     "\t\tset_compound_head(p, head);\n",
     "\t\tif (i != nr - 1)\n\t\t\tset_compound_head(p, head);\n",
     "set_compound_head() is forgotten on the last tail"),
    ("atomic_fallback", "mm/vcompound.c",
     "\tif (!gfpflags_allow_blocking(gfp))\n\t\treturn false;\n",
     "",
     "the fallback is taken by requests that cannot sleep (IRQs off, spinlocks)"),
    ("flag_left_set", "mm/vcompound.c",
     "\tfolio_clear_vcompound(folio);\n\t/*\n\t * Leave an ordinary",
     "\t/*\n\t * Leave an ordinary",
     "PG_vcompound stays set on the head chunk after the free"),
    ("head_chunk_addr", "mm/vcompound.c",
     "\tif (page == &folio->page)\n\t\treturn vcompound_folio_addr(folio);\n",
     "\tif (page == &folio->page)\n\t\treturn page_address(&folio->page);\n",
     "page_to_addr() of the head returns the head chunk's linear address, not the vmap address"),
    ("no_zero_tails", "mm/vcompound.c",
     "\t\tn = alloc_pages_bulk_noprof(sub_gfp, nid,",
     "\t\tn = alloc_pages_bulk_noprof(sub_gfp & ~__GFP_ZERO, nid,",
     "__GFP_ZERO is dropped for the order-0 pages"),
    ("key_never_enabled", "mm/vcompound.c",
     "\tstatic_branch_enable(&vcompound_in_use_key);\n\n\tshrinker",
     "\n\tshrinker",
     "the static key is never enabled: no fallback ever"),
    ("no_reap_work", "mm/vcompound.c",
     "static void vcompound_deferred_work_fn(struct work_struct *work)\n{\n\tvcompound_reap(true);\n}",
     "static void vcompound_deferred_work_fn(struct work_struct *work)\n{\n}",
     "the deferred-free work item releases nothing"),
    ("no_shrinker", "mm/vcompound.c",
     "\t\tshrinker_register(shrinker);\n",
     "",
     "reclaim never releases deferred frees (no shrinker)"),
    ("reap_loses_list", "mm/vcompound.c",
     "\t\tfreed += vcompound_release(d);\n",
     "\t\tfreed += 0;\n",
     "the reap takes the deferred list and releases nothing"),
    ("nth_page_ge4", "mm/vcompound.c",
     "\treturn folio->_vcompound_pages[i];\n}",
     "\treturn folio->_vcompound_pages[i >= VCOMPOUND_HEAD_NR ? i - 1 : i];\n}",
     "compound_nth_page() is off by one for n >= 4"),
    ("addr_to_page_linear", "mm/vcompound.c",
     "\tstruct page *page = vcompound_vmalloc_page(addr);\n\n\tif (likely(page))\n\t\treturn page;\n\tWARN_RATELIMIT",
     "\tstruct page *page = vcompound_vmalloc_page(addr);\n\n\tif (likely(page))\n\t\treturn virt_to_page(addr);\n\tWARN_RATELIMIT",
     "addr_to_page()/virt_to_folio() ignore the vmalloc address (virt_to_page() of it)"),
    ("misuse_frees", "mm/vcompound.c",
     "\tWARN_RATELIMIT(1, \"%p is a vmalloc address outside any virtual compound page\\n\",\n\t\t       addr);\n\treturn NULL;",
     "\treturn vmalloc_to_page(addr);",
     "kfree()/virt_to_folio() of a plain vmalloc address is silently accepted"),
    ("split_page_allowed", "mm/page_alloc.c",
     "\tif (WARN_ONCE(vcompound_in_use() && PageHead(page) && PageVcompound(page),\n"
     "\t\t      \"%s() on a virtual compound page\\n\", __func__))\n\t\treturn;\n",
     "",
     "split_page() splits a virtual compound page (no refusal, no warning)"),
    ("free_pages_inside", "mm/page_alloc.c",
     "\t\tif (!page || WARN_RATELIMIT(page != compound_head(page),\n",
     "\t\tif (!page || (page = compound_head(page), false) || WARN_RATELIMIT(0,\n",
     "free_pages() of an address inside a virtual compound page frees it, quietly"),
    ("vfree_inside_frees", "mm/vcompound.c",
     "\tif (WARN_ONCE(page_to_addr(compound_head(page)) != addr,\n"
     "\t\t      \"vfree(%p) inside a virtual compound page\\n\", addr))\n\t\treturn true;\n",
     "",
     "vfree() of an address inside a virtual compound page frees it, quietly"),
    ("head_freed_order0", "mm/vcompound.c",
     "\tfree_unref_page(pages[0], VCOMPOUND_HEAD_ORDER);\n",
     "\tfree_unref_page(pages[0], 0);\n",
     "the head chunk is freed as order 0: three pages leak every free"),
    ("page_array_leaked", "mm/vcompound.c",
     "\tfree_unref_page(pages[0], VCOMPOUND_HEAD_ORDER);\n\tkvfree(pages);\n",
     "\tfree_unref_page(pages[0], VCOMPOUND_HEAD_ORDER);\n",
     "the page array is never freed: a leak into slab, which only the free page count sees"),
    ("unwind_leaks_tails", "mm/vcompound.c",
     "\t__free_pages(head, VCOMPOUND_HEAD_ORDER);\n\tvcompound_free_array(pages, VCOMPOUND_HEAD_NR, nr);\n",
     "\t__free_pages(head, VCOMPOUND_HEAD_ORDER);\n",
     "a failed allocation leaks the order-0 pages it got"),
    ("tails_linked_after_free", "mm/vcompound.c",
     "\t\tp->mapping = NULL;\n\t\tp->index = 0;\n\t\tclear_compound_head(p);\n",
     "\t\tp->mapping = NULL;\n\t\tp->index = 0;\n",
     "the free leaves the tails linked to the freed head"),
    ("live_not_decremented", "mm/vcompound.c",
     "\tfolio_set_order(folio, VCOMPOUND_HEAD_ORDER);\n\tatomic_long_dec(&vcompound_live);\n",
     "\tfolio_set_order(folio, VCOMPOUND_HEAD_ORDER);\n",
     "the live count is not decremented on free"),
    ("no_last_resort", "mm/vcompound.c",
     "\treturn policy == now || policy == VCOMPOUND_LATE;",
     "\treturn policy == now;",
     "the late fallback point is only taken under the late policy"),
    ("flush_no_wait", "mm/vcompound.c",
     "\tflush_work(&vcompound_deferred_work);\n\t/* Also wait for a release that vcompound_alloc() or reclaim runs. */\n\tvcompound_reap(true);\n",
     "\t/* Also wait for a release that vcompound_alloc() or reclaim runs. */\n\tvcompound_reap(false);\n",
     "vcompound_flush_deferred() does not wait for the work item"),
    ("unaligned_vmap", "mm/vmalloc.c",
     "\tarea = __get_vm_area_node(size, size, PAGE_SHIFT,\n\t\t\t\t  VM_MAP | VM_UNINITIALIZED",
     "\tarea = __get_vm_area_node(size, PAGE_SIZE, PAGE_SHIFT,\n\t\t\t\t  VM_MAP | VM_UNINITIALIZED",
     "the vmap area is only page aligned (kmalloc() and stacks lose natural alignment)"),
    ("vfree_hook_dropped", "mm/vmalloc.c",
     "\t/* kvfree(), kfree_rcu() of a large kmalloc() that took the fallback */\n\tif (vcompound_in_use() && unlikely(vcompound_vfree(addr)))\n\t\treturn;\n",
     "",
     "vfree() of a large kmalloc() that took the fallback goes to vfree()'s generic path"),
    ("flag_not_compound", "mm/page_alloc.c",
     "\tif (unlikely(gfp & __GFP_VFALLBACK) && order)\n\t\tgfp |= __GFP_COMP;\n",
     "",
     "a __GFP_VFALLBACK request without __GFP_COMP silently loses the fallback"),
    ("pte_batch_vcompound", "mm/internal.h",
     "\tif (folio_test_vcompound(folio))\n\t\treturn 1;\n\n\t/* Limit max_nr",
     "\n\t/* Limit max_nr",
     "folio_pte_batch() batches a virtual compound page's ptes by pfn"),
    ("gup_allows_vcompound", "mm/gup.c",
     "\tif (unlikely(folio_test_vcompound(folio)) &&\n\t    ((flags & FOLL_PIN) ||\n\t     ((flags & FOLL_GET) && !(flags & (FOLL_DUMP | FOLL_FORCE))))) {\n",
     "\tif (0) {\n",
     "get_user_pages() hands out a virtual compound page's pages (bio, skb frags)",
     [("mm/gup.c",
       "\tif (unlikely(folio_test_vcompound(folio)))\n\t\treturn false;\n\n\t/* secretmem",
       "\n\t/* secretmem")]),
    ("gup_pins_with_force", "mm/gup.c",
     "\t    ((flags & FOLL_PIN) ||\n\t     ((flags & FOLL_GET) && !(flags & (FOLL_DUMP | FOLL_FORCE))))) {\n",
     "\t    (flags & (FOLL_GET | FOLL_PIN)) &&\n\t    !(flags & (FOLL_DUMP | FOLL_FORCE))) {\n",
     "pin_user_pages(FOLL_FORCE) pins a virtual compound page's page"),
    ("gup_refuses_before_unshare", "mm/gup.c",
     "\tif (!pte_write(pte) && gup_must_unshare(vma, flags, page)) {\n\t\tpage = ERR_PTR(-EMLINK);\n\t\tgoto out;\n\t}\n\n\t/*\n\t * Whoever takes a reference through GUP",
     "\tif (unlikely(folio_test_vcompound(folio)) && (flags & FOLL_PIN)) {\n\t\tpage = ERR_PTR(-EFAULT);\n\t\tgoto out;\n\t}\n\n\tif (!pte_write(pte) && gup_must_unshare(vma, flags, page)) {\n\t\tpage = ERR_PTR(-EMLINK);\n\t\tgoto out;\n\t}\n\n\t/*\n\t * Whoever takes a reference through GUP",
     "a read-only long-term pin of a private mapping is refused instead of unsharing"),
    ("vfree_as_kmalloc", "mm/vcompound.c",
     "\tif (folio->_vcompound_off & VCOMPOUND_OFF_KMALLOC)\n\t\tkfree(addr);\n\telse\n\t\t__free_pages(&folio->page, folio_order(folio));\n",
     "\tkfree(addr);\n",
     "vfree() frees a virtual compound page from __get_free_pages() as a kmalloc() object"),
    ("packet_physical", "net/packet/af_packet.c",
     "\tgfp_t gfp_flags = GFP_KERNEL | __GFP_COMP | __GFP_VFALLBACK |\n",
     "\tgfp_t gfp_flags = GFP_KERNEL | __GFP_COMP |\n",
     "af_packet's conversion dropped: ring blocks never take the fallback"),
    ("uring_physical", "io_uring/memmap.c",
     "\t\tgfp |= __GFP_COMP | __GFP_VFALLBACK;\n",
     "\t\tgfp |= __GFP_COMP;\n",
     "io_uring's conversion dropped: rings never take the fallback"),
    ("uring_nth_page", "io_uring/memmap.c",
     "\t\tpages[i] = compound_nth_page(page, i);\n",
     "\t\tpages[i] = page + i;\n",
     "io_uring maps the memmap neighbours of a virtual compound page's head"),
    ("walker_isolation", "mm/page_isolation.c",
     "\t\tif (page_in_vcompound(page))\n\t\t\treturn page;\n",
     "",
     "has_unmovable_pages() no longer reports a virtual compound page"),
    ("isolate_step_back", "mm/page_isolation.c",
     "\t\t\tif (page_in_vcompound(head)) {\n\t\t\t\tpfn++;\n\t\t\t\tcontinue;\n\t\t\t}\n\n",
     "",
     "isolate_single_pageblock() steps over a virtual compound page's tail to its head's "
     "pfn plus its size: backwards, or a refusal of the free pageblock next to it"),
    # do_migrate_range()'s forward-only walk alone is not a mutant here:
    # it sees a vcompound tail only if one is allocated from a per-cpu
    # list in the window after has_unmovable_pages() passed the range (a
    # race no test can set up); reverted together with the isolation
    # check, which is the pre-fix code, it is.
    ("walkers_prefix", "mm/memory_hotplug.c",
     "\t\t\tpfn = max(pfn, folio_pfn(folio) + nr - 1);\n",
     "\t\t\tpfn = folio_pfn(folio) + folio_nr_pages(folio) - 1;\n",
     "offlining's walkers as before the series: do_migrate_range() may move backwards and "
     "has_unmovable_pages() takes vcompound tails for pages in flight",
     [("mm/page_isolation.c",
       "\t\tif (page_in_vcompound(page))\n\t\t\treturn page;\n", "")]),
    # Compaction's compound_pfn_order() (a virtual compound page spans
    # only its head chunk in pfn space) is not a mutant here: with
    # compound_order() instead, compaction skips pages it could have
    # used, which changes how well it works, not what any test can see.
    ("stack_physical", "kernel/fork.c",
     "#define THREADINFO_STACK_GFP\t(THREADINFO_GFP | __GFP_COMP | __GFP_VFALLBACK)",
     "#define THREADINFO_STACK_GFP\t(THREADINFO_GFP | __GFP_COMP)",
     "the stack caller conversion is dropped (stacks never virtual)"),
    ("sparse_physical", "mm/sparse.c",
     "\t\t\t\t\t__GFP_VFALLBACK | __GFP_NORETRY |",
     "\t\t\t\t\t__GFP_NORETRY |",
     "the sparse memmap conversion is dropped (hot-added memmap never virtual)"),
    ("kmalloc_physical", "mm/slub.c",
     "\tflags |= __GFP_COMP;\n\n\tif (node == NUMA_NO_NODE)\n\t\tfolio = (struct folio *)alloc_pages_noprof(flags, order);",
     "\tflags = (flags | __GFP_COMP) & ~__GFP_VFALLBACK;\n\n\tif (node == NUMA_NO_NODE)\n\t\tfolio = (struct folio *)alloc_pages_noprof(flags, order);",
     "the large kmalloc() conversion is dropped (never virtual)"),
]

# Three mutants, in three different places, that make test's
# mutants-smoke step must see killed by KUnit on UML.
SMOKE = ["head_freed_order0", "nth_page_ge4", "no_reap_work"]


def edits(m):
    """The (file, old, new) edits of mutant m: its own and any extra ones."""
    return [(m[1], m[2], m[3])] + (list(m[5]) if len(m) > 5 else [])


def find(name):
    for m in MUTANTS:
        if m[0] == name:
            return m
    sys.exit(f"mutants.py: no mutant {name}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "list":
        print("\n".join(m[0] for m in MUTANTS))
    elif cmd == "smoke":
        print("\n".join(SMOKE))
    elif cmd == "describe":
        m = find(sys.argv[2])
        print(f"{', '.join(sorted({e[0] for e in edits(m)}))}: {m[4]}")
    elif cmd == "apply":
        name, tree = sys.argv[2], sys.argv[3]
        for path, old, new in edits(find(name)):
            with open(f"{tree}/{path}") as f:
                text = f.read()
            n = text.count(old)
            if n != 1:
                print(f"mutants.py: mutant {name} does not apply: its text occurs "
                      f"{n} times in {path}", file=sys.stderr)
                subprocess.run(["git", "-C", tree, "checkout", "--"] +
                               [e[0] for e in edits(find(name))], check=True)
                sys.exit(2)
            with open(f"{tree}/{path}", "w") as f:
                f.write(text.replace(old, new))
    elif cmd == "revert":
        name, tree = sys.argv[2], sys.argv[3]
        paths = sorted({e[0] for e in edits(find(name))})
        subprocess.run(["git", "-C", tree, "checkout", "--"] + paths, check=True)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
