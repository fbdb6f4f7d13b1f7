/* alloc.c - memory for arrays of millions of entries. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define HUGE_PAGE ((size_t)2 << 20)

/* Filling a fresh array takes a page fault per 4 KiB page, and in a
 * virtual machine a fault costs microseconds: on transparent huge pages,
 * where the kernel grants them on request, one fault serves 2 MiB. */
void *rec_alloc_large(size_t bytes)
{
	void *p;

	if (bytes < HUGE_PAGE)
		return malloc(bytes ? bytes : 1);
	if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

void *rec_alloc_large_zero(size_t bytes)
{
	void *p = rec_alloc_large(bytes);

	if (p)
		memset(p, 0, bytes);
	return p;
}
