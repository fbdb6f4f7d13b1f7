/* alloc.c - memory for large arrays. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

/* Below this an array stays on the heap: a huge page of its own would
 * cost more memory than the faults it saves cost time. */
#define LARGE ((size_t)256 << 10)

/* The bytes a large array of bytes takes: whole huge pages. */
static size_t pages_of(size_t bytes)
{
	return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* Filling a fresh array takes a page fault per 4 KiB page, and in a
 * virtual machine a fault costs microseconds, many times what clearing the
 * page does: on transparent huge pages, where the kernel grants them on
 * request, one fault serves 2 MiB.  Only whole huge pages can be granted,
 * so a large array is rounded up to them; pages it never touches take no
 * memory where huge pages are refused. */
/* What arrays may still take on this thread, and whether one was
 * refused: see rec_alloc_limit. */
static _Thread_local size_t budget = SIZE_MAX;
static _Thread_local int refused;

void rec_alloc_limit(size_t bytes)
{
	budget = bytes;
	refused = 0;
}

int rec_alloc_unlimit(void)
{
	budget = SIZE_MAX;
	return refused;
}

void *rec_alloc_large(size_t bytes)
{
	void *p;

	if (budget != SIZE_MAX) {
		if (bytes > budget) {
			refused = 1;
			return NULL;
		}
		budget -= bytes;
	}
	if (bytes < LARGE)
		return malloc(bytes ? bytes : 1);
	if (bytes > SIZE_MAX - HUGE_PAGE || posix_memalign(&p, HUGE_PAGE, pages_of(bytes)) != 0)
		return NULL;
	madvise(p, pages_of(bytes), MADV_HUGEPAGE);
	return p;
}

void *rec_alloc_large_zero(size_t bytes)
{
	void *p = rec_alloc_large(bytes);

	if (p)
		memset(p, 0, bytes);
	return p;
}

void *rec_realloc_large(void *p, size_t old, size_t bytes)
{
	void *q;

	if (p && old >= LARGE && bytes <= pages_of(old))
		return p;
	if (!(q = rec_alloc_large(bytes)))
		return NULL;
	if (p)
		memcpy(q, p, old < bytes ? old : bytes);
	free(p);
	return q;
}

int rec_grow_floats(float **a, size_t old, size_t n)
{
	float *p = rec_realloc_large(*a, (old + 1) * sizeof(float), (n + 1) * sizeof(float));

	if (!p)
		return REC_ENOMEM;
	memset(p + old, 0, (n - old) * sizeof(float));
	*a = p;
	return 0;
}
