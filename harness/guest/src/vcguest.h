/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest programs in harness/guest/src and the
 * benchmark's ringbench.c: KTAP results, and what /proc/vmstat and the
 * vcompound debugfs files say.
 */
#ifndef VCGUEST_H
#define VCGUEST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* KTAP counts of the program's results (see vc_result()). */
static int vc_ntests __attribute__((unused));
static int vc_nfail __attribute__((unused));

static inline void vc_result(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One KTAP result "[not ]ok N NAME[ # COMMENT]": fmt holds both. */
static inline void vc_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++vc_ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	vc_nfail += !ok;
}

/* The first number in PATH, or -1. */
static inline long vc_read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The /proc/vmstat counter KEY, or -1. */
static inline long vc_vmstat(const char *key)
{
	char name[64];
	long v, found = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/* Is the fallback policy "always" (the active one is in brackets)? */
static inline int vc_policy_always(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/debug/vcompound/policy", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return strstr(buf, "[always]") != NULL;
}

#endif
