// SPDX-License-Identifier: GPL-2.0
/*
 * ringmap: an af_packet RX ring whose blocks are virtual compound pages
 * (blocks of 32 KiB, order 3, in a kernel whose fallback policy is
 * "always"), mapped into user space, and what user space can do with it:
 * two mappings of one ring, fork and exit cycles, partial munmap,
 * madvise(MADV_COLD, MADV_PAGEOUT) of a page and of a block, vmsplice(),
 * an O_DIRECT write of the whole ring and an O_DIRECT read into it (on
 * /dev/ram0, when it exists).  get_user_pages() refuses a virtual
 * compound page, so vmsplice() and O_DIRECT must either fail with
 * EFAULT or move exactly the right bytes: never other pages.  Where the fallback policy is
 * "always" the ring's blocks are virtual compound pages and both must be
 * refused with EFAULT; otherwise they are physically contiguous and both
 * must move the ring's bytes.  KTAP on stdout; exit 0 only if every case
 * passed.
 *
 * Usage: ringmap [BLOCK_ORDER [BLOCKS]]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcguest.h"

#define LIVE "/sys/kernel/debug/vcompound/live"

static size_t pg;

static unsigned char pat(size_t i, int seed)
{
	return (unsigned char)((i * 2654435761u) >> 13) ^ seed;
}

static void fill(unsigned char *p, size_t len, size_t base, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pat(base + i, seed);
}

/* Index of the first byte that differs from the pattern, or -1. */
static long check(const unsigned char *p, size_t len, size_t base, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pat(base + i, seed))
			return (long)i;
	return -1;
}

int main(int argc, char **argv)
{
	unsigned int order = argc > 1 ? atoi(argv[1]) : 3;
	unsigned int blocks = argc > 2 ? atoi(argv[2]) : 16;
	struct tpacket_req req = {};
	unsigned char *ring, *ring2, *buf;
	long live0, live1, live2, alloc0, alloc1, off;
	size_t size, bsz, chunk;
	int fd, i, ok, pfd[2], rfd, virt;
	ssize_t n;

	pg = sysconf(_SC_PAGESIZE);
	bsz = pg << order;
	size = bsz * blocks;
	chunk = 16 * pg;
	printf("TAP version 13\n1..11\n");

	/* Protocol 0: the ring is set up but receives nothing. */
	fd = socket(PF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		printf("Bail out! socket(PF_PACKET): %s\n", strerror(errno));
		return 1;
	}
	req.tp_block_size = bsz;
	req.tp_block_nr = blocks;
	req.tp_frame_size = 2048;
	req.tp_frame_nr = bsz / 2048 * blocks;
	live0 = vc_read_long(LIVE);
	alloc0 = vc_vmstat("vcompound_alloc");
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		printf("Bail out! PACKET_RX_RING: %s\n", strerror(errno));
		return 1;
	}
	live1 = vc_read_long(LIVE);
	alloc1 = vc_vmstat("vcompound_alloc");
	/* A counter that only grows: other tasks may exit meanwhile. */
	virt = vc_policy_always();
	if (!virt)
		vc_result(1, "ring_virtual # SKIP the fallback policy is not \"always\"");
	else
		vc_result(alloc0 >= 0 && alloc1 - alloc0 >= blocks,
			  "ring_virtual # %u blocks of %zu KiB: vcompound_alloc +%ld",
		       blocks, bsz >> 10, alloc1 - alloc0);

	ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ring2 = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED || ring2 == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	fill(ring, size, 0, 1);
	off = check(ring2, size, 0, 1);
	vc_result(off < 0, "two_mappings # first difference at %ld (-1: none)", off);

	/* Fork and exit: the child's copy of the ptes, then their zap. */
	ok = 1;
	for (i = 0; i < 20 && ok; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			if (check(ring, size, 0, 1) >= 0)
				_exit(2);
			ring2[i * pg + 7] = 0xa5;
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) || ring[i * pg + 7] != 0xa5)
			ok = 0;
		ring[i * pg + 7] = pat(i * pg + 7, 1);
	}
	vc_result(ok, "fork_cycles # %d of 20 forks", i - !ok);

	/* A hole in the middle of one mapping. */
	ok = !munmap(ring2 + bsz, bsz) && check(ring2, bsz, 0, 1) < 0 &&
	     check(ring2 + 2 * bsz, size - 2 * bsz, 2 * bsz, 1) < 0;
	vc_result(ok, "partial_munmap");
	munmap(ring2, size);

	/*
	 * MADV_COLD and MADV_PAGEOUT of one page inside a block (a part of a
	 * large folio, which madvise tries to split), then of a whole block.
	 * They must succeed and change nothing.  A kernel without THP once
	 * looped here for ever: its split stub "succeeded" and madvise
	 * retried the same pte.
	 */
	{
		int e[4];

		e[0] = madvise(ring + bsz + pg, pg, MADV_COLD) ? errno : 0;
		e[1] = madvise(ring + bsz + pg, pg, MADV_PAGEOUT) ? errno : 0;
		e[2] = madvise(ring + 2 * bsz, bsz, MADV_COLD) ? errno : 0;
		e[3] = madvise(ring + 2 * bsz, bsz, MADV_PAGEOUT) ? errno : 0;
		off = check(ring, size, 0, 1);
		if (e[0] == ENOSYS)
			vc_result(1, "madvise_part # SKIP no madvise() in this kernel");
		else
			vc_result(!e[0] && !e[1] && !e[2] && !e[3] && off < 0,
				  "madvise_part # one page: %s, %s; a block: %s, %s%s",
				  strerror(e[0]), strerror(e[1]), strerror(e[2]),
				  strerror(e[3]), off < 0 ? "" : "; ring changed");
	}

	/* vmsplice(): refused, or exactly the ring's bytes. */
	buf = aligned_alloc(pg, chunk);
	if (!buf || pipe(pfd)) {
		printf("Bail out! no memory or pipe\n");
		return 1;
	}
	{
		struct iovec iov = { ring + bsz + pg, 4 * pg };

		n = vmsplice(pfd[1], &iov, 1, 0);
		if (n < 0) {
			vc_result(virt && errno == EFAULT, "vmsplice # refused: %s",
				  strerror(errno));
		} else {
			ssize_t r = read(pfd[0], buf, n);

			off = r == n ? check(buf, n, bsz + pg, 1) : 0;
			vc_result(!virt && off < 0, "vmsplice # %zd bytes%s", n,
			       off < 0 ? "" : ", not the ring's");
		}
	}

	/*
	 * /proc/self/mem: access_remote_vm() with FOLL_FORCE, one page at a
	 * time, which get_user_pages() serves for any page.
	 */
	{
		int mfd = open("/proc/self/mem", O_RDONLY);

		n = mfd < 0 ? -1 : pread(mfd, buf, 4 * pg,
					 (off_t)(unsigned long)(ring + bsz + pg));
		off = n == (ssize_t)(4 * pg) ? check(buf, n, bsz + pg, 1) : 0;
		if (n < 0)
			vc_result(0, "proc_mem # %s", strerror(errno));
		else
			vc_result(off < 0, "proc_mem # %zd bytes%s", n,
			       off < 0 ? "" : ", not the ring's");
		if (mfd >= 0)
			close(mfd);
	}

	/* O_DIRECT on /dev/ram0 (CONFIG_BLK_DEV_RAM), from and into the ring. */
	rfd = open("/dev/ram0", O_RDWR | O_DIRECT);
	if (rfd < 0) {
		vc_result(1, "odirect_write # SKIP no /dev/ram0: %s", strerror(errno));
		vc_result(1, "odirect_read # SKIP no /dev/ram0");
	} else {
		int bfd = open("/dev/ram0", O_RDWR);

		/* The whole ring: every page of every block. */
		n = pwrite(rfd, ring, size, 0);
		if (n < 0) {
			vc_result(virt && errno == EFAULT, "odirect_write # refused: %s",
				  strerror(errno));
		} else {
			unsigned char *dev = malloc(size);
			ssize_t r = dev ? pread(bfd, dev, size, 0) : -1;

			off = r == (ssize_t)size ? check(dev, size, 0, 1) : 0;
			vc_result(!virt && n == (ssize_t)size && off < 0,
				  "odirect_write # %zd bytes%s", n,
				  off < 0 ? "" : ", not the ring's");
			free(dev);
		}
		/* Known data on the device, then read straight into the ring. */
		fill(buf, chunk, 0, 2);
		if (pwrite(rfd, buf, chunk, size) != (ssize_t)chunk) {
			vc_result(0, "odirect_read # cannot write the device: %s",
				  strerror(errno));
		} else {
			n = pread(rfd, ring + bsz, chunk, size);
			if (n < 0) {
				vc_result(virt && errno == EFAULT, "odirect_read # refused: %s",
					  strerror(errno));
			} else {
				off = check(ring + bsz, chunk, 0, 2);
				vc_result(!virt && n == (ssize_t)chunk && off < 0,
					  "odirect_read # %zd bytes%s", n,
				       off < 0 ? "" : ", not in the ring");
			}
		}
		/* Whatever happened, the rest of the ring is untouched. */
		close(bfd);
		close(rfd);
	}
	/* Only [0, bsz + chunk) was written since the fill. */
	off = check(ring + bsz + chunk, size - bsz - chunk, bsz + chunk, 1);
	vc_result(off < 0, "ring_intact # first change at %ld (-1: none)",
		  off < 0 ? -1 : off + (long)(bsz + chunk));

	/* Close while mapped; the pages go at munmap. */
	close(fd);
	munmap(ring, size);
	live2 = vc_read_long(LIVE);
	vc_result(live2 >= 0 && live2 - live0 < (long)blocks / 2,
		  "ring_freed # live virtual compound pages %ld -> %ld -> %ld",
		  live0, live1, live2);
	printf("# %d tests, %d failed\n", vc_ntests, vc_nfail);
	return vc_nfail ? 1 : 0;
}
