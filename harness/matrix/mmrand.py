#!/usr/bin/env python3
"""Write a configuration fragment that sets mm-related options at random
from a seed (the same seed gives the same fragment): the series' options
stay on, everything else comes from tinyconfig and the guest essentials.

Usage: mmrand.py SEED > fragment.config
"""
import random
import sys

OPTIONS = [
    "VMAP_STACK", "X86_STACK_32K", "SPARSEMEM_VMEMMAP", "MEMORY_HOTPLUG",
    "MEMORY_HOTREMOVE", "MEMCG", "CGROUPS", "COMPACTION", "MIGRATION", "CMA",
    "NUMA", "SMP", "PREEMPT", "PREEMPT_VOLUNTARY", "JUMP_LABEL",
    "TRANSPARENT_HUGEPAGE", "HUGETLBFS", "PAGE_OWNER", "PROC_PAGE_MONITOR",
    "MEMORY_FAILURE", "X86_MCE", "DEBUG_VM", "DEBUG_VIRTUAL", "DEBUG_PAGEALLOC",
    "KASAN", "SLUB_DEBUG", "SLUB_TINY", "FAULT_INJECTION", "FAIL_PAGE_ALLOC",
    "FAULT_INJECTION_DEBUG_FS", "DEBUG_FS", "KUNIT", "VCOMPOUND_KUNIT_TEST",
    "TEST_VCOMPOUND", "MODULES", "CRYPTO", "CRYPTO_MANAGER", "TRACEPOINTS",
    "FTRACE", "ZONE_DMA32", "ZONE_DMA", "X86_5LEVEL", "PROVE_LOCKING",
]
ALWAYS = ["VCOMPOUND=y", "FALLBACK_ALWAYS=y", "64BIT=y"]

rng = random.Random(int(sys.argv[1]))
print(f"# mm randconfig, seed {sys.argv[1]}")
for opt in ALWAYS:
    print(f"CONFIG_{opt}")
for opt in OPTIONS:
    if opt == "TEST_VCOMPOUND":
        val = rng.choice(["m", "n"])
    else:
        val = rng.choice(["y", "n"])
    print(f"CONFIG_{opt}=y" if val == "y" else
          f"CONFIG_{opt}=m" if val == "m" else f"# CONFIG_{opt} is not set")
