#!/bin/sh
# io_uring rings of 512, 4096 and 32768 entries, which io_uring allocates
# with __GFP_VFALLBACK: /bin/uringmap (harness/guest/src/uringmap.c) maps
# them, submits NOPs through the user's view and reaps them, and forks.
# KTAP.
exec /bin/uringmap
