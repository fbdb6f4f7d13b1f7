/* unit.h - the assert helper of the C unit tests of lib/.
 *
 * CHECK(cond) counts a failure and says where, then carries on, so one run
 * reports every broken check; main returns UNIT_STATUS(), non-zero if any
 * check failed. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_checks;
static int unit_failures;

#define CHECK(cond)							\
	do {								\
		unit_checks++;						\
		if (!(cond)) {						\
			unit_failures++;				\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

/* Two integers, both printed when they differ. */
#define CHECK_INT(a, b)							\
	do {								\
		long long a_ = (long long)(a), b_ = (long long)(b);	\
		unit_checks++;						\
		if (a_ != b_) {						\
			unit_failures++;				\
			fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, a_, b_);	\
		}							\
	} while (0)

/* Two strings, both printed when they differ. */
#define CHECK_STR(a, b)							\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
		unit_checks++;						\
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {		\
			unit_failures++;				\
			fprintf(stderr, "%s:%d: check failed: %s == %s (\"%s\" != \"%s\")\n", \
				__FILE__, __LINE__, #a, #b,		\
				a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		}							\
	} while (0)

#define UNIT_STATUS()							\
	(fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__,	\
		 unit_checks, unit_failures), unit_failures != 0)

#endif
