// SPDX-License-Identifier: GPL-2.0
/*
 * ringbench: the benchmark's ring cell, in the guest's user space.  Sets
 * up an af_packet RX ring (BLOCKS blocks of 32 KiB), maps it, writes one
 * byte to every page, unmaps it and closes the socket, with three
 * contenders interleaved (the order rotated by one each iteration, as the
 * module's cells do):
 *   contig     fallback policy "late" with memory free: the blocks are
 *              physically contiguous (what af_packet got before and gets now)
 *   vcompound  policy "always": every block is a virtual compound page
 *   vzalloc    fail_page_alloc failing every request of order 3 and up
 *              and fail_vcompound every fallback: af_packet's own
 *              vzalloc() path, what it took before the conversion
 *              wherever contiguous blocks were short
 * vcompound and vzalloc are the two fallbacks, each taken at once; under
 * real fragmentation the "late" policy first tries reclaim and compaction,
 * as af_packet's __GFP_NORETRY attempt did before.
 * Two timed regions per ring: op=ring_setup, the setsockopt() that
 * allocates the blocks (it also waits for an RCU grace period,
 * synchronize_net(), the same for every contender), and
 * op=ring_map_touch, mmap() + a write to every page + munmap(); close(),
 * which frees the blocks behind another grace period, is not timed.  The
 * time base is the TSC (rdtsc), reported in cycles; only the ratios mean
 * anything (QEMU TCG).  One line per op and contender, in the module's
 * format, so that harness/bench/plot.py reads it:
 *   bench_vcompound: cell=ring order=3 op=ring_setup contender=...
 *     n=... median_ns=... p10_ns=... p90_ns=... ratio=... base=contig
 * (the *_ns fields hold cycles here; unit=cycles says so).
 *
 * With "frag" (cell=ring_frag), memory is held fragmented by the
 * benchmark module (insmod bench_vcompound.ko frag_keep=1, run-bench.sh),
 * so no contiguous block is to be had and af_packet's first attempt
 * fails for real, with its compaction; two contenders, base vzalloc:
 *   vcompound  policy "late": the block becomes a virtual compound page
 *   vzalloc    policy "late" and fail_vcompound every fallback: af_packet's
 *              vzalloc(), what it took before the conversion
 * Blocks that still come out contiguous are counted (contig_blocks).
 * "frag" names the cell ring_frag, "frag0" ring_frag0 (run-bench.sh holds
 * memory in order-2 holes for the first, order-0 holes for the second,
 * where no head chunk is to be had); MIN_VIRTUAL_PCT (default 90) is the
 * share of the vcompound contender's blocks that must be virtual.
 *
 * Usage: ringbench [ITERS [BLOCKS [frag|frag0 [MIN_VIRTUAL_PCT]]]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../guest/src/vcguest.h"
#include <x86intrin.h>

#define DBG "/sys/kernel/debug/"

enum { CONTIG, VCOMPOUND, VZALLOC, NR };
static const char *const names[NR] = { "contig", "vcompound", "vzalloc" };
/* "frag": memory is held fragmented; contenders vcompound and vzalloc. */
static int frag;

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static int setup(int c)
{
	if (put(DBG "vcompound/policy", c == VCOMPOUND && !frag ? "always" : "late"))
		return -1;
	if (put(DBG "fail_page_alloc/probability", c == VZALLOC && !frag ? "100" : "0"))
		return -1;
	return put(DBG "fail_vcompound/probability", c == VZALLOC ? "100" : "0");
}

static void restore(void)
{
	setup(CONTIG);
}

/*
 * One ring: set up, map, touch every page, unmap, close.  The cycles of
 * the setup in *setup_c and of the rest but close() in *map_c; -1 on error.
 */
static int one(unsigned int blocks, size_t pg, unsigned long long *setup_c,
	       unsigned long long *map_c)
{
	struct tpacket_req req = {
		.tp_block_size = pg << 3, .tp_block_nr = blocks,
		.tp_frame_size = 2048,
		.tp_frame_nr = (pg << 3) / 2048 * blocks,
	};
	size_t size = (pg << 3) * blocks, i;
	unsigned long long t0, t1, t2;
	char *ring;
	int fd;

	fd = socket(PF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -1;
	t0 = __rdtsc();
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		close(fd);
		return -1;
	}
	t1 = __rdtsc();
	ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		close(fd);
		return -1;
	}
	for (i = 0; i < size; i += pg)
		ring[i] = 1;
	munmap(ring, size);
	t2 = __rdtsc();
	close(fd);
	*setup_c = t1 - t0;
	*map_c = t2 - t1;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned int iters = argc > 1 ? atoi(argv[1]) : 200;
	unsigned int blocks = argc > 2 ? atoi(argv[2]) : 16;
	static const char *const ops[2] = { "ring_setup", "ring_map_touch" };
	unsigned long long *t[2][NR], med[2][NR];
	long a0, a1, f0, f1, virt[NR] = { 0 }, fell[NR] = { 0 };
	int ret, first, base, min_pct;
	const char *cell;
	size_t pg = sysconf(_SC_PAGESIZE);
	unsigned int i, k, op, nc;
	int c;

	frag = argc > 3 && (!strcmp(argv[3], "frag") || !strcmp(argv[3], "frag0"));
	min_pct = argc > 4 ? atoi(argv[4]) : 90;
	/* The contenders are first..NR-1. */
	first = frag ? VCOMPOUND : CONTIG;
	nc = NR - first;
	base = frag ? VZALLOC : CONTIG;
	cell = frag ? (!strcmp(argv[3], "frag0") ? "ring_frag0" : "ring_frag") : "ring";

	if (iters < 10)
		iters = 10;
	for (op = 0; op < 2; op++)
		for (c = 0; c < NR; c++) {
			t[op][c] = calloc(iters, sizeof(**t[op]));
			if (!t[op][c])
				return 1;
		}
	/*
	 * Both fail every time they are asked, quietly; fail_page_alloc only
	 * orders 3 and up (the ring's blocks), sleeping requests included.
	 */
	if (put(DBG "fail_vcompound/times", "-1") || put(DBG "fail_vcompound/interval", "1") ||
	    put(DBG "fail_vcompound/verbose", "0") ||
	    put(DBG "fail_page_alloc/times", "-1") || put(DBG "fail_page_alloc/interval", "1") ||
	    put(DBG "fail_page_alloc/verbose", "0") || put(DBG "fail_page_alloc/min-order", "3") ||
	    put(DBG "fail_page_alloc/ignore-gfp-wait", "N") ||
	    put(DBG "fail_page_alloc/ignore-gfp-highmem", "N")) {
		printf("bench_vcompound: cell=%s error=\"no fail_vcompound or fail_page_alloc in debugfs\"\n", cell);
		return 1;
	}
	/* Whatever happens, no fault injection is left on. */
	atexit(restore);
	for (i = 0; i < iters; i++) {
		for (k = 0; k < nc; k++) {
			c = first + (i + k) % nc;
			if (setup(c)) {
				printf("bench_vcompound: cell=%s error=\"cannot set the policy\"\n", cell);
				return 1;
			}
			a0 = vc_vmstat("vcompound_alloc");
			f0 = vc_vmstat("vcompound_alloc_fail");
			ret = one(blocks, pg, &t[0][c][i], &t[1][c][i]);
			setup(CONTIG);
			a1 = vc_vmstat("vcompound_alloc");
			f1 = vc_vmstat("vcompound_alloc_fail");
			virt[c] += a1 - a0;
			/* A failed fallback: the block came from vzalloc(). */
			fell[c] += f1 - f0;
			if (ret) {
				printf("bench_vcompound: cell=%s contender=%s error=\"%s\"\n",
				       cell, names[c], strerror(errno));
				return 1;
			}
		}
	}
	for (op = 0; op < 2; op++)
		for (c = first; c < NR; c++) {
			qsort(t[op][c], iters, sizeof(**t[op]), cmp);
			med[op][c] = t[op][c][iters / 2];
		}
	for (op = 0; op < 2; op++)
		for (c = first; c < NR; c++)
			printf("bench_vcompound: cell=%s phase=after order=3 op=%s contender=%s n=%u median_ns=%llu.000 p10_ns=%llu.000 p90_ns=%llu.000 min_ns=%llu.000 max_ns=%llu.000 ratio=%.3f base=%s unit=cycles blocks=%u virtual_blocks=%ld\n",
			       cell, ops[op], names[c], iters, med[op][c], t[op][c][iters / 10],
			       t[op][c][iters * 9 / 10], t[op][c][0], t[op][c][iters - 1],
			       (double)med[op][c] / med[op][base], names[base], blocks, virt[c]);
	/*
	 * The contenders must be what they say: judged, not timed.  Other
	 * tasks (none forks here) would only add to the counts.
	 */
	if (frag) {
		long total = (long)iters * blocks;

		/*
		 * Every block either fell back (virtual, or vzalloc() after a
		 * failed fallback) or was still had contiguously (compaction,
		 * or memory freed meanwhile).  vzalloc must be vzalloc() for
		 * every block; vcompound virtual for at least min_pct% of them.
		 */
		for (c = VCOMPOUND; c < NR; c++)
			printf("bench_vcompound: cell=%s contender=%s blocks_total=%ld virtual_blocks=%ld vzalloc_blocks=%ld contig_blocks=%ld\n",
			       cell, names[c], total, virt[c], fell[c], total - virt[c] - fell[c]);
		if (virt[VZALLOC] > 0 || fell[VZALLOC] < total ||
		    virt[VCOMPOUND] * 100 < total * min_pct) {
			printf("bench_vcompound: cell=%s error=\"contenders not as labelled: vzalloc %ld of %ld blocks by vzalloc(), vcompound %ld of %ld virtual (at least %d%% needed)\"\n",
			       cell, fell[VZALLOC], total, virt[VCOMPOUND], total, min_pct);
			return 1;
		}
		return 0;
	}
	if (virt[CONTIG] > 0 || virt[VCOMPOUND] < (long)iters * blocks ||
	    virt[VZALLOC] > 0) {
		printf("bench_vcompound: cell=ring error=\"contenders not as labelled: virtual blocks %ld %ld %ld\"\n",
		       virt[CONTIG], virt[VCOMPOUND], virt[VZALLOC]);
		return 1;
	}
	return 0;
}
