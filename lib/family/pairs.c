/* pairs.c - the events, epochs, runs of training and fold-in shared by
 * the families that learn from an event and a sampled unseen item. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "pairs.h"

/* Fold-in: SGD passes over the history, at least FOLD_MIN_STEPS steps. */
#define FOLD_PASSES 3
#define FOLD_MIN_STEPS 200

static int ascending(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int rec_pairs_init(struct rec_pairs *p, const struct rec_dataset *d, const uint8_t *visit)
{
	memset(p, 0, sizeof(*p));
	p->user = rec_alloc_large((d->nnz + 1) * sizeof(*p->user));
	p->seen = rec_alloc_large((d->nnz + 1) * sizeof(*p->seen));
	p->order = rec_alloc_large((d->nnz + 1) * sizeof(*p->order));
	if (!p->user || !p->seen || !p->order)
		return REC_ENOMEM;
	memcpy(p->seen, d->col, d->nnz * sizeof(*p->seen));
	#pragma omp parallel for schedule(dynamic, 64)
	for (uint32_t u = 0; u < d->nusers; u++)
		qsort(p->seen + d->rowptr[u], d->rowptr[u + 1] - d->rowptr[u],
		      sizeof(*p->seen), ascending);
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			p->user[e] = u;
			if (!visit || visit[u])
				p->order[p->n++] = (uint32_t)e;
		}
	return 0;
}

void rec_pairs_release(struct rec_pairs *p)
{
	free(p->user);
	free(p->seen);
	free(p->order);
	memset(p, 0, sizeof(*p));
}

uint32_t *rec_pairs_history(const struct rec_model *m, const struct rec_user *u,
			    uint32_t *n)
{
	uint32_t *s = malloc(((size_t)u->n + 1) * sizeof(*s));

	*n = 0;
	for (uint32_t e = 0; s && e < u->n; e++)
		if (u->items[e] < m->data.nitems)
			s[(*n)++] = u->items[e];
	if (s)
		qsort(s, *n, sizeof(*s), ascending);
	return s;
}

void rec_pairs_normal(float *x, size_t n, double sd, struct rec_rng *rng)
{
	for (size_t j = 0; j < n; j++)
		x[j] = (float)(sd * rec_rng_normal(rng));
}

double rec_pairs_epoch(struct rec_pairs *p, struct rec_rng *rng, rec_pairs_fit fit,
		       const void *ctx, float *scratch, size_t width, uint64_t first)
{
	uint64_t n = p->n, seed = rec_rng_next(rng);
	const uint32_t *order = p->order;
	double loss = 0;

	rec_rng_shuffle_u32(rng, p->order, n);
	#pragma omp parallel reduction(+:loss)
	{
		int id = omp_get_thread_num();
		float *g = scratch + (size_t)id * width;
		struct rec_rng r;

		rec_rng_seed(&r, seed + (uint64_t)id);
		#pragma omp for schedule(dynamic, 1024)
		for (uint64_t a = 0; a < n; a++)
			loss += fit(ctx, order[a], g, &r, first + a + 1);
	}
	return loss / (double)(n ? n : 1);
}

/* The set-up, run and release of one training, the arrays already grown
 * for an update. */
int rec_pairs_train(struct rec_model *m, const struct rec_pairs_family *f, void *t,
		    const struct rec_pairs_since *since, const struct rec_train_options *opt,
		    struct rec_error *err)
{
	struct rec_train_options quiet = *opt;
	struct rec_epochs e;
	int rc;

	if (since && !opt->passes)
		return 0;
	if (m->data.nnz > UINT32_MAX)
		return rec_error_set(err, REC_EINVAL, "%s trains on at most 2^32 events",
				     f->name);
	rc = f->setup(t, m, since, &e);
	if (since) {
		quiet.validation = NULL;
		e.epochs = opt->passes;
	}
	if (rc < 0) {
		rc = rec_error_set(err, rc, "out of memory");
	} else {
		if (!since)
			f->start(m, opt->seed);
		rc = rec_train_epochs(m, &e, &quiet, err);
	}
	f->release(t);
	return rc < 0 ? rc : 0;
}

int rec_pairs_fold(const struct rec_model *m, const struct rec_user *u,
		   void (*step)(void *ctx, uint32_t item, float weight, struct rec_rng *rng),
		   void *ctx)
{
	uint64_t steps = (uint64_t)u->n * FOLD_PASSES;
	float *weight = rec_user_weights(m, u);
	struct rec_rng rng;

	if (!weight)
		return REC_ENOMEM;
	rec_rng_seed(&rng, rec_user_seed(u));
	if (u->n && steps < FOLD_MIN_STEPS)
		steps = FOLD_MIN_STEPS;
	for (uint64_t s = 0; s < steps; s++) {
		uint32_t e = (uint32_t)(s % u->n);

		if (u->items[e] < m->data.nitems)
			step(ctx, u->items[e], weight[e], &rng);
	}
	free(weight);
	return 0;
}
