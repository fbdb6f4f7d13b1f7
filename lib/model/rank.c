/* rank.c - every item ranked for many users, a block of users at a time:
 * one matrix product per block where the family has one, then each user's
 * top-k chosen in parallel. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* A round of BLOCK users ends with the callback, its scores under 256 MB.
 * Its users are split in PRODUCTS slices: a thread scores a slice with
 * one matrix product on one BLAS thread, then ranks it while the scores
 * are still in cache, so that no second pool of threads waits on the
 * first. */
#define BLOCK 1024
#define PRODUCTS 8
#define BLOCK_FLOATS (1u << 26)

void rec_scores_exclude(float *scores, uint32_t nitems, const uint32_t *seen,
			size_t nseen, const uint8_t *allow)
{
	for (size_t j = 0; j < nseen; j++)
		scores[seen[j]] = -INFINITY;
	if (allow)
		for (uint32_t i = 0; i < nitems; i++)
			if (!allow[i])
				scores[i] = -INFINITY;
}

/* The items that may not be ranked go to -INFINITY: the user's training
 * items (unless include_seen) and those outside the candidates. */
static void exclude(const struct rec_model *m, const struct rec_rank_options *opt,
		    int64_t user, float *scores)
{
	const struct rec_dataset *d = &m->data;
	int seen = !opt->include_seen && user >= 0 && user < d->nusers;
	uint64_t first = seen ? d->rowptr[user] : 0;

	rec_scores_exclude(scores, d->nitems, seen ? d->col + first : NULL,
			   seen ? d->rowptr[user + 1] - first : 0, opt->allow);
}

/* Score and rank the nb users from users[first], sub users at a time. */
static void rank_block(const struct rec_model *m, const int64_t *users, size_t first,
		       uint32_t nb, uint32_t sub, const struct rec_rank_options *opt,
		       float *scores, uint32_t *idx, float *val, uint32_t *found)
{
	size_t ni = m->data.nitems;
	int blas = rec_blas_serial();

	#pragma omp parallel for schedule(dynamic, 1)
	for (uint32_t b = 0; b < nb; b += sub) {
		uint32_t end = nb - b < sub ? nb : b + sub;

		rec_model_score_block(m, users + first + b, end - b, scores + b * ni);
		for (uint32_t t = b; t < end; t++) {
			float *s = scores + t * ni;

			exclude(m, opt, users[first + t], s);
			found[t] = rec_topn(s, m->data.nitems, opt->k,
					    idx + (size_t)t * opt->k, val + (size_t)t * opt->k);
			if (opt->scored)
				opt->scored(opt->ctx, first + t, s);
		}
	}
	rec_blas_restore(blas);
}

int rec_model_rank(const struct rec_model *m, const int64_t *users, size_t count,
		   const struct rec_rank_options *opt, struct rec_error *err)
{
	size_t ni = m->data.nitems ? m->data.nitems : 1;
	uint32_t block = BLOCK_FLOATS / ni < BLOCK ? BLOCK_FLOATS / ni + 1 : BLOCK;
	uint32_t sub = (block + PRODUCTS - 1) / PRODUCTS;
	float *scores = rec_alloc_large((size_t)block * ni * sizeof(*scores));
	uint32_t *idx = malloc((size_t)block * opt->k * sizeof(*idx) + 1);
	float *val = malloc((size_t)block * opt->k * sizeof(*val) + 1);
	uint32_t *found = malloc(block * sizeof(*found));
	int rc = 0;

	if (!scores || !idx || !val || !found) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t b = 0; b < count; b += block) {
		uint32_t nb = (uint32_t)(count - b < block ? count - b : block);

		rank_block(m, users, b, nb, sub, opt, scores, idx, val, found);
		opt->ranked(opt->ctx, b, nb, idx, val, found);
	}
out:
	free(scores);
	free(idx);
	free(val);
	free(found);
	return rc;
}
