/* validation.c - the validation metric of the families that train in
 * epochs: NDCG@10 over the full ranking of every item, each user's
 * training items excluded, as rec-eval -m computes it. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Users are scored in blocks of at most BLOCK users and FLOATS scores. */
#define BLOCK 256
#define FLOATS (1u << 24)

static int by_index(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void rec_validation_release(struct rec_validation *v)
{
	free(v->user);
	free(v->ptr);
	free(v->item);
	free(v->scores);
	free(v->ndcg);
}

int rec_validation_init(struct rec_validation *v, const struct rec_model *m,
			const struct rec_dataset *vd)
{
	int64_t *umap = rec_dict_map(vd->users, m->data.users);
	int64_t *imap = rec_dict_map(vd->items, m->data.items);
	uint32_t ni = m->data.nitems ? m->data.nitems : 1;
	int rc = REC_ENOMEM;

	memset(v, 0, sizeof(*v));
	v->block = FLOATS / ni < BLOCK ? FLOATS / ni : BLOCK;
	if (!v->block)
		v->block = 1;
	v->user = malloc(((size_t)vd->nusers + 1) * sizeof(*v->user));
	v->ptr = malloc(((size_t)vd->nusers + 1) * sizeof(*v->ptr));
	v->item = malloc((vd->nnz + 1) * sizeof(*v->item));
	v->scores = malloc((size_t)v->block * ni * sizeof(*v->scores));
	v->ndcg = malloc(v->block * sizeof(*v->ndcg));
	if (!umap || !imap || !v->user || !v->ptr || !v->item || !v->scores || !v->ndcg)
		goto out;
	v->ptr[0] = 0;
	for (uint32_t u = 0; u < vd->nusers; u++) {
		uint64_t at = v->ptr[v->n];

		if (umap[u] < 0 || vd->rowptr[u] == vd->rowptr[u + 1] ||
		    m->data.rowptr[umap[u]] == m->data.rowptr[umap[u] + 1])
			continue;
		for (uint64_t e = vd->rowptr[u]; e < vd->rowptr[u + 1]; e++)
			v->item[at++] = imap[vd->col[e]] < 0 ? UINT32_MAX :
					(uint32_t)imap[vd->col[e]];
		qsort(v->item + v->ptr[v->n], at - v->ptr[v->n], sizeof(*v->item), by_index);
		v->user[v->n++] = umap[u];
		v->ptr[v->n] = at;
	}
	rc = 0;
out:
	free(umap);
	free(imap);
	return rc;
}

static double user_ndcg(const struct rec_model *m, const struct rec_validation *v,
			uint32_t at, float *scores)
{
	const struct rec_dataset *d = &m->data;
	uint32_t u = (uint32_t)v->user[at], list[REC_VALID_K], found;
	float val[REC_VALID_K];
	struct rec_rank_metrics r;

	rec_scores_exclude(scores, d->nitems, d->col + d->rowptr[u],
			   d->rowptr[u + 1] - d->rowptr[u], NULL);
	found = rec_topn(scores, d->nitems, REC_VALID_K, list, val);
	rec_metrics_rank(list, found, v->item + v->ptr[at],
			 (uint32_t)(v->ptr[at + 1] - v->ptr[at]), REC_VALID_K, &r);
	return r.ndcg;
}

/* Summed in user order, so that the mean does not depend on the threads. */
double rec_validation_ndcg(const struct rec_model *m, struct rec_validation *v)
{
	size_t ni = m->data.nitems;
	double sum = 0;

	for (uint32_t b = 0; b < v->n; b += v->block) {
		uint32_t nb = v->n - b < v->block ? v->n - b : v->block;

		rec_model_score_block(m, v->user + b, nb, v->scores);
		#pragma omp parallel for schedule(dynamic, 8)
		for (uint32_t j = 0; j < nb; j++)
			v->ndcg[j] = user_ndcg(m, v, b + j, v->scores + j * ni);
		for (uint32_t j = 0; j < nb; j++)
			sum += v->ndcg[j];
	}
	return v->n ? sum / v->n : 0;
}
