/* tap.h — a tiny TAP producer for the C unit tests. */
#ifndef CZ_TAP_H
#define CZ_TAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do { \
	int c_ = !!(cond); \
	tap_n++; \
	if (!c_) tap_failed++; \
	printf("%sok %d - ", c_ ? "" : "not ", tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!c_) printf("#   failed at %s:%d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(a, b, ...) do { \
	const char *a_ = (a), *b_ = (b); \
	ok(a_ && b_ && strcmp(a_, b_) == 0, __VA_ARGS__); \
	if (!(a_ && b_ && strcmp(a_, b_) == 0)) printf("#   got '%s', expected '%s'\n", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
} while (0)

/* Is libmount mapped into this process?  (It is loaded on first use only.) */
static inline bool libmount_loaded(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	while (f && fgets(line, sizeof line, f))
		found |= strstr(line, "/libmount.so") != NULL;
	if (f)
		fclose(f);
	return found;
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
