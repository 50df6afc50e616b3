// SPDX-License-Identifier: GPL-2.0
/*
 * ringhold: hold af_packet RX rings for the pfn walkers
 * (harness/guest/walkers/run_walkers.sh).  One ring of 4 MiB per block
 * order given, mapped into this process and filled with a pattern; with
 * the fallback policy "always" every block must be a virtual compound
 * page (vcompound_alloc in /proc/vmstat grows by at least the number of
 * blocks; otherwise it fails).  It prints "block ORDER HEAD_PFN TAIL_PFN"
 * for each block, from /proc/self/pagemap (the tail is its last page,
 * outside the head chunk), then "held".  Then, for each line read on
 * stdin, and at end of input, it checks the pattern of every byte and
 * prints "intact" or "changed at OFFSET"; at end of input it exits 0 only
 * if every check found the rings intact.
 *
 * Usage: ringhold ORDER... (3 to 10)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vcguest.h"

#define RING_SIZE	(4UL << 20)
#define MAX_RINGS	8

static unsigned char pat(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

/* The pfn that maps ADDR in this process, or 0. */
static uint64_t pfn_of(int pagemap, const void *addr, size_t pg)
{
	uint64_t e = 0;

	if (pread(pagemap, &e, sizeof(e), (uintptr_t)addr / pg * sizeof(e)) != sizeof(e))
		return 0;
	/* Bit 63: present; bits 0-54: the pfn (needs CAP_SYS_ADMIN). */
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/* Compare every ring with its pattern: "intact" or where it differs. */
static int check(unsigned char **ring, int nr)
{
	size_t i;
	int r;

	for (r = 0; r < nr; r++)
		for (i = 0; i < RING_SIZE; i++)
			if (ring[r][i] != pat(r * RING_SIZE + i)) {
				printf("changed at %zu\n", r * RING_SIZE + i);
				fflush(stdout);
				return 0;
			}
	printf("intact\n");
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	size_t pg = sysconf(_SC_PAGESIZE), bsz, i;
	unsigned char *ring[MAX_RINGS];
	int r, nr = argc - 1, pagemap, ok = 1;
	char line[64];

	if (nr < 1 || nr > MAX_RINGS) {
		fprintf(stderr, "usage: ringhold ORDER... (at most %d)\n", MAX_RINGS);
		return 2;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap < 0) {
		perror("ringhold: /proc/self/pagemap");
		return 2;
	}
	for (r = 0; r < nr; r++) {
		struct tpacket_req req = {};
		int order = atoi(argv[r + 1]);
		int fd = socket(PF_PACKET, SOCK_RAW, 0);
		long a0 = vc_vmstat("vcompound_alloc"), a1;

		bsz = pg << order;
		req.tp_block_size = bsz;
		req.tp_block_nr = RING_SIZE / bsz;
		req.tp_frame_size = 2048;
		req.tp_frame_nr = RING_SIZE / 2048;
		if (order < 3 || order > 10 || fd < 0 ||
		    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
			fprintf(stderr, "ringhold: order %d: %s\n", order, strerror(errno));
			return 2;
		}
		a1 = vc_vmstat("vcompound_alloc");
		if (a0 < 0 || a1 - a0 < (long)req.tp_block_nr) {
			fprintf(stderr, "ringhold: order %d: vcompound_alloc %ld -> %ld for %u blocks: not virtual\n",
				order, a0, a1, req.tp_block_nr);
			return 2;
		}
		ring[r] = mmap(NULL, RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (ring[r] == MAP_FAILED) {
			perror("ringhold: mmap");
			return 2;
		}
		for (i = 0; i < RING_SIZE; i++)
			ring[r][i] = pat(r * RING_SIZE + i);
		for (i = 0; i < RING_SIZE; i += bsz)
			printf("block %d %llu %llu\n", order,
			       (unsigned long long)pfn_of(pagemap, ring[r] + i, pg),
			       (unsigned long long)pfn_of(pagemap, ring[r] + i + bsz - pg, pg));
	}
	printf("held\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		ok &= check(ring, nr);
	ok &= check(ring, nr);
	return ok ? 0 : 1;
}
