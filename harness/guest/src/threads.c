// SPDX-License-Identifier: GPL-2.0
/*
 * threads N: start N threads that each touch a few KiB of their stack,
 * wait until all of them are running, and join them. Exits 0 if every
 * pthread_create() and pthread_join() succeeded. Built statically by
 * harness/mkinitramfs.sh for the guest (busybox cannot start threads).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_barrier_t barrier;

static void *worker(void *arg)
{
	volatile char buf[4096];

	memset((char *)buf, (int)(long)arg, sizeof(buf));
	pthread_barrier_wait(&barrier);
	return (void *)(long)buf[100];
}

int main(int argc, char **argv)
{
	int i, n = argc > 1 ? atoi(argv[1]) : 100;
	pthread_t *t = calloc(n, sizeof(*t));

	if (!t || n < 1 || pthread_barrier_init(&barrier, NULL, n + 1))
		return 2;
	for (i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)(long)i)) {
			fprintf(stderr, "threads: pthread_create %d failed\n", i);
			return 1;
		}
	}
	pthread_barrier_wait(&barrier);
	for (i = 0; i < n; i++)
		if (pthread_join(t[i], NULL))
			return 1;
	printf("threads: %d threads ran\n", n);
	return 0;
}
