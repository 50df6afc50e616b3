// SPDX-License-Identifier: GPL-2.0
/*
 * uringmap: io_uring instances with 512, 4096 and 32768 entries, whose
 * SQE arrays (32 KiB, 256 KiB, 2 MiB) and rings io_uring allocates with
 * __GFP_VFALLBACK.  For each: the allocations are virtual compound pages
 * where the fallback policy is "always" (vcompound_alloc grows by at
 * least two: the SQE array and the rings); three rounds of as many NOPs as
 * the ring holds are written through the user's mapping of the SQEs and
 * the SQ ring (the kernel reads them through its own), and their
 * completions read from the CQ ring (the kernel writes them); a child
 * forked with the rings mapped sees the same SQEs and CQEs and exits.
 * With 512 entries, also a provided-buffer ring that the kernel allocates
 * (64 KiB, with the flag too) is mapped, filled, and used by a read.
 * Raw system calls, no liburing.  KTAP on stdout; exit 0 only if every
 * case passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vcguest.h"

struct ring {
	int fd;
	struct io_uring_params p;
	void *sq, *cq;
	size_t sq_sz, cq_sz, sqes_sz;
	struct io_uring_sqe *sqes;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

static int ring_map(struct ring *r)
{
	struct io_uring_params *p = &r->p;

	r->sq_sz = p->sq_off.array + p->sq_entries * sizeof(unsigned int);
	r->cq_sz = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_sz > r->sq_sz)
			r->sq_sz = r->cq_sz;
		r->cq_sz = r->sq_sz;
	}
	r->sq = mmap(NULL, r->sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		     r->fd, IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		return -1;
	r->cq = r->sq;
	if (!(p->features & IORING_FEAT_SINGLE_MMAP)) {
		r->cq = mmap(NULL, r->cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
			     r->fd, IORING_OFF_CQ_RING);
		if (r->cq == MAP_FAILED)
			return -1;
	}
	r->sqes_sz = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned int *)((char *)r->sq + p->sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq + p->sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq + p->sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq + p->cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq + p->cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq + p->cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq + p->cq_off.cqes);
	return 0;
}

/*
 * One round: fill the whole SQ ring with NOPs tagged base + i, submit and
 * wait for all of them, and check each completion once.  0 or a message.
 */
static const char *ring_round(struct ring *r, unsigned long long base,
			      unsigned char *seen)
{
	unsigned int n = r->p.sq_entries, i, tail, head, ctail;
	int ret;

	memset(seen, 0, n);
	tail = *r->sq_tail;
	for (i = 0; i < n; i++, tail++) {
		unsigned int idx = tail & *r->sq_mask;
		struct io_uring_sqe *sqe = &r->sqes[idx];

		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_NOP;
		sqe->user_data = base + i;
		r->sq_array[idx] = idx;
	}
	__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, r->fd, n, n, IORING_ENTER_GETEVENTS,
		      NULL, 0);
	if (ret != (int)n)
		return ret < 0 ? strerror(errno) : "short submit";
	head = *r->cq_head;
	ctail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
	if (ctail - head != n)
		return "wrong number of completions";
	for (; head != ctail; head++) {
		struct io_uring_cqe *cqe = &r->cqes[head & *r->cq_mask];
		unsigned long long k = cqe->user_data - base;

		if (cqe->res || k >= n || seen[k]++)
			return "a completion that was not submitted";
	}
	__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	return NULL;
}


/*
 * A provided-buffer ring that the kernel allocates (IOU_PBUF_RING_MMAP,
 * 4096 entries, 64 KiB): mapped, filled with buffers through the user's
 * view, and read by the kernel when a read from a pipe picks a buffer.
 * Defined here: the build host's uapi headers may predate them (6.4).
 */
#define VC_PBUF_RING_MMAP	1
#define VC_OFF_PBUF_RING	0x80000000ULL
#define VC_OFF_PBUF_SHIFT	16
#define VC_REGISTER_PBUF_RING	22
#define VC_UNREGISTER_PBUF_RING	23

struct vc_buf {
	unsigned long long addr;
	unsigned int len;
	unsigned short bid, resv;	/* bufs[0].resv is the ring's tail */
};

struct vc_buf_reg {
	unsigned long long ring_addr;
	unsigned int ring_entries;
	unsigned short bgid, flags;
	unsigned long long resv[3];
};

static const char *pbuf_case(struct ring *r, long *allocs)
{
	const unsigned int entries = 4096, bgid = 7;
	struct vc_buf_reg reg = { .ring_entries = entries, .bgid = bgid,
				  .flags = VC_PBUF_RING_MMAP };
	size_t size = entries * sizeof(struct vc_buf);
	static char bufs[8][64];
	const char *err = NULL;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned int i, tail, head;
	struct vc_buf *br;
	long a0 = vc_vmstat("vcompound_alloc");
	int pfd[2];

	if (syscall(__NR_io_uring_register, r->fd, VC_REGISTER_PBUF_RING, &reg, 1))
		return strerror(errno);
	*allocs = vc_vmstat("vcompound_alloc") - a0;
	br = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		  VC_OFF_PBUF_RING | ((unsigned long long)bgid << VC_OFF_PBUF_SHIFT));
	if (br == MAP_FAILED)
		return strerror(errno);
	/* Every page of it through the user's view, then eight buffers. */
	memset(br, 0, size);
	for (i = 0; i < 8; i++) {
		memset(bufs[i], 0, sizeof(bufs[i]));
		br[i].addr = (unsigned long)bufs[i];
		br[i].len = sizeof(bufs[i]);
		br[i].bid = i;
	}
	__atomic_store_n(&br[0].resv, (unsigned short)8, __ATOMIC_RELEASE);
	if (pipe(pfd) || write(pfd[1], "vcompound", 9) != 9)
		return "no pipe";
	tail = *r->sq_tail;
	sqe = &r->sqes[tail & *r->sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->fd = pfd[0];
	sqe->len = 64;
	sqe->flags = IOSQE_BUFFER_SELECT;
	sqe->buf_group = bgid;
	sqe->user_data = 0xb0f;
	r->sq_array[tail & *r->sq_mask] = tail & *r->sq_mask;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1)
		err = "submit failed";
	head = *r->cq_head;
	cqe = &r->cqes[head & *r->cq_mask];
	if (!err && (cqe->user_data != 0xb0f || cqe->res != 9 ||
		     !(cqe->flags & IORING_CQE_F_BUFFER)))
		err = "the read did not pick a provided buffer";
	if (!err && memcmp(bufs[cqe->flags >> IORING_CQE_BUFFER_SHIFT & 7], "vcompound", 9))
		err = "the data is not in the buffer the kernel picked";
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	close(pfd[0]);
	close(pfd[1]);
	munmap(br, size);
	reg.flags = 0;
	if (syscall(__NR_io_uring_register, r->fd, VC_UNREGISTER_PBUF_RING, &reg, 1) && !err)
		err = "unregister failed";
	return err;
}

static void ring_unmap(struct ring *r)
{
	munmap(r->sqes, r->sqes_sz);
	if (r->cq != r->sq)
		munmap(r->cq, r->cq_sz);
	munmap(r->sq, r->sq_sz);
}

int main(void)
{
	static const unsigned int sizes[] = { 512, 4096, 32768 };
	int always = vc_policy_always();
	struct io_uring_params probe;
	unsigned int s;
	int fd;

	memset(&probe, 0, sizeof(probe));
	fd = syscall(__NR_io_uring_setup, 8, &probe);
	if (fd < 0 && errno == ENOSYS) {
		printf("TAP version 13\n1..1\nok 1 uring # SKIP no CONFIG_IO_URING in this kernel\n");
		return 0;
	}
	if (fd >= 0)
		close(fd);
	printf("TAP version 13\n1..%zu\n", 3 * sizeof(sizes) / sizeof(sizes[0]) + 2);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned int n = sizes[s], round;
		const char *err = NULL;
		unsigned char *seen = malloc(n);
		struct ring r;
		long a0, a1;
		int st;
		pid_t pid;

		memset(&r, 0, sizeof(r));
		a0 = vc_vmstat("vcompound_alloc");
		r.fd = syscall(__NR_io_uring_setup, n, &r.p);
		a1 = vc_vmstat("vcompound_alloc");
		if (r.fd < 0 || !seen || ring_map(&r)) {
			printf("Bail out! io_uring with %u entries: %s\n", n,
			       strerror(errno));
			return 1;
		}
		if (!always)
			vc_result(1, "uring_%u_virtual # SKIP the fallback policy is not \"always\"", n);
		else
			vc_result(a0 >= 0 && a1 - a0 >= 2, "uring_%u_virtual # vcompound_alloc +%ld", n,
			       a1 - a0);

		for (round = 0; round < 3 && !err; round++)
			err = ring_round(&r, 1 + (unsigned long long)round * n, seen);
		vc_result(!err, "uring_%u_nops # %s", n, err ? err : "3 rounds");

		/* The child sees the last round's SQEs and CQEs. */
		pid = fork();
		if (pid == 0) {
			unsigned int i, bad = 0;

			for (i = 0; i < n; i++)
				bad += r.sqes[i].opcode != IORING_OP_NOP;
			bad += r.cqes[(*r.cq_head - 1) & *r.cq_mask].user_data <
			       1 + 2ULL * n;
			ring_unmap(&r);
			_exit(bad ? 1 : 0);
		}
		st = -1;
		if (pid > 0)
			waitpid(pid, &st, 0);
		vc_result(pid > 0 && WIFEXITED(st) && !WEXITSTATUS(st),
		       "uring_%u_fork # status %d", n, st);
		if (s == 0) {
			long allocs = 0;

			err = pbuf_case(&r, &allocs);
			vc_result(!err, "uring_pbuf # %s", err ? err : "a read picked a provided buffer");
			if (!always)
				vc_result(1, "uring_pbuf_virtual # SKIP the fallback policy is not \"always\"");
			else
				vc_result(allocs >= 1, "uring_pbuf_virtual # vcompound_alloc +%ld", allocs);
		}
		ring_unmap(&r);
		close(r.fd);
		free(seen);
	}
	printf("# %d tests, %d failed\n", vc_ntests, vc_nfail);
	return vc_nfail ? 1 : 0;
}
