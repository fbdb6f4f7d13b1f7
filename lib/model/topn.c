/* topn.c - partial selection of the k best scores with a bounded heap,
 * O(n log k) instead of a full sort. */
#include <math.h>

#include "rec.h"

/* Is a worse than b?  Lower score, or equal score and higher index. */
static int worse(float a, uint32_t ia, float b, uint32_t ib)
{
	return a < b || (a == b && ia > ib);
}

static void swap(uint32_t *idx, float *val, uint32_t a, uint32_t b)
{
	uint32_t ti = idx[a];
	float tv = val[a];

	idx[a] = idx[b];
	val[a] = val[b];
	idx[b] = ti;
	val[b] = tv;
}

/* Restore the min-heap (worst at the root) below position i. */
static void sift_down(uint32_t *idx, float *val, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && worse(val[l], idx[l], val[m], idx[m]))
			m = l;
		if (r < n && worse(val[r], idx[r], val[m], idx[m]))
			m = r;
		if (m == i)
			return;
		swap(idx, val, i, m);
		i = m;
	}
}

static void sift_up(uint32_t *idx, float *val, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!worse(val[i], idx[i], val[p], idx[p]))
			return;
		swap(idx, val, i, p);
		i = p;
	}
}

/* Is any of s[0..n) above floor?  Vectorised: most chunks of a long
 * list hold nothing that enters a full heap. */
static int any_above(const float *s, uint32_t n, float floor)
{
	int any = 0;

	#pragma omp simd reduction(|:any)
	for (uint32_t j = 0; j < n; j++)
		any |= s[j] > floor;
	return any;
}

#define CHUNK 64

uint32_t rec_topn(const float *scores, uint32_t n, uint32_t k, uint32_t *idx,
		  float *val)
{
	uint32_t size = 0, j = 0;

	if (k == 0)
		return 0;
	for (; j < n && size < k; j++) {
		float s = scores[j];

		if (s == -INFINITY || isnan(s))
			continue;
		idx[size] = j;
		val[size] = s;
		sift_up(idx, val, size++);
	}
	/* Once the heap is full only a higher score gets in: every index in
	 * it is lower than j, so a tie loses, and so do -INFINITY and NaN,
	 * which compare false. */
	while (j < n) {
		uint32_t end = n - j < CHUNK ? n : j + CHUNK;

		if (any_above(scores + j, end - j, val[0]))
			for (; j < end; j++)
				if (scores[j] > val[0]) {
					idx[0] = j;
					val[0] = scores[j];
					sift_down(idx, val, size, 0);
				}
		j = end;
	}
	/* Heap sort in place: repeatedly move the worst to the end. */
	for (uint32_t end = size; end > 1; end--) {
		swap(idx, val, 0, end - 1);
		sift_down(idx, val, end - 1, 0);
	}
	return size;
}
