/* validation.c - the training loop of the families that train in epochs,
 * with early stopping on a validation set, and its usual metric: NDCG@10
 * over the full ranking of every item, each user's training items
 * excluded, as rec-eval -m computes it. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
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

/* Does validation user u have events, and the model training events of
 * the same user (umap[u], or -1 where it lacks him)? */
static int known(const struct rec_model *m, const struct rec_dataset *vd,
		 const int64_t *umap, uint32_t u)
{
	return umap[u] >= 0 && vd->rowptr[u] < vd->rowptr[u + 1] &&
	       m->data.rowptr[umap[u]] < m->data.rowptr[umap[u] + 1];
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

		if (!known(m, vd, umap, u))
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

/* --- the training loop --- */

#define STR(x) #x
#define XSTR(x) STR(x)

/* How many validation users the model knows, or REC_ENOMEM. */
static int64_t known_users(const struct rec_model *m, const struct rec_dataset *vd)
{
	int64_t *umap = rec_dict_map(vd->users, m->data.users), n = 0;

	if (!umap)
		return REC_ENOMEM;
	for (uint32_t u = 0; u < vd->nusers; u++)
		n += known(m, vd, umap, u);
	free(umap);
	return n;
}

/* Set v up for NDCG@10, or only count the known users for a family with
 * its own metric.  A validation set without one user that the model
 * trained on could not tell one epoch from another: every family refuses
 * it alike. */
static int validation_start(const struct rec_model *m, const struct rec_epochs *e,
			    const struct rec_dataset *vd, struct rec_validation *v,
			    struct rec_error *err)
{
	int64_t n;

	if (e->rmse)
		n = known_users(m, vd);
	else
		n = rec_validation_init(v, m, vd) < 0 ? REC_ENOMEM : (int64_t)v->n;
	if (n < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if (n == 0)
		return rec_error_set(err, REC_EINVAL, "no user of the validation set has "
				     "events in the training set");
	return 0;
}

int rec_validation_metric(const struct rec_model *m, const struct rec_dataset *vd,
			  struct rec_train_metric *metric, struct rec_error *err)
{
	static const struct rec_epochs ranking;		/* no rmse: NDCG */
	struct rec_validation v = { 0 };
	int rc = validation_start(m, &ranking, vd, &v, err);

	if (rc == 0)
		*metric = (struct rec_train_metric){ "ndcg@" XSTR(REC_VALID_K),
						     rec_validation_ndcg(m, &v), 0, 0 };
	rec_validation_release(&v);
	return rc;
}

/* Copy the model's learned arrays, as its family lists them for the
 * model file, into *copy (allocated on first use; the caller frees it),
 * or with back from *copy into the model.  REC_ENOMEM or 0. */
static int copy_params(struct rec_model *m, void **copy, int back)
{
	struct rec_param p[REC_MAX_PARAMS];
	unsigned np = m->algo->params(m, p);
	size_t bytes = 0;
	char *at;

	for (unsigned i = 0; i < np; i++)
		bytes += p[i].n * 4;
	if (!*copy && !(*copy = rec_alloc_large(bytes + 1)))
		return REC_ENOMEM;
	at = *copy;
	for (unsigned i = 0; i < np; i++) {
		void *a = p[i].f32 ? (void *)p[i].f32 : (void *)p[i].u32;

		memcpy(back ? a : at, back ? at : a, p[i].n * 4);
		at += p[i].n * 4;
	}
	return 0;
}

/* One epoch's line on standard error: its loss, the validation metric
 * unless name is NULL, and the time since training began. */
static void progress(const struct rec_epochs *e, uint32_t ep, double loss,
		     const char *name, double metric, double start)
{
	if (name)
		fprintf(stderr, "epoch %u  %s %.6f  %s %.6f  %.3fs\n", ep, e->loss, loss,
			name, metric, omp_get_wtime() - start);
	else
		fprintf(stderr, "epoch %u  %s %.6f  %.3fs\n", ep, e->loss, loss,
			omp_get_wtime() - start);
}

int rec_train_epochs(struct rec_model *m, const struct rec_epochs *e,
		     const struct rec_train_options *opt, struct rec_error *err)
{
	const char *name = !opt->validation ? NULL : e->rmse ? "validation rmse" :
			   "validation ndcg@" XSTR(REC_VALID_K);
	struct rec_validation v = { 0 };
	double best = -INFINITY, kept_metric = NAN, start = omp_get_wtime();
	uint32_t since = 0, kept = 0;
	void *copy = NULL;
	struct rec_rng rng;
	int rc;

	if (opt->validation && (rc = validation_start(m, e, opt->validation, &v, err)) < 0)
		goto out;
	rec_rng_seed(&rng, opt->seed + 1);
	for (uint32_t ep = 1; ep <= e->epochs && since < e->patience; ep++) {
		double loss = NAN, metric = NAN, score;

		if ((rc = e->run(e->ctx, ep, &rng, &loss, err)) < 0)
			goto out;
		if (name) {
			metric = e->rmse ? e->rmse(e->ctx) : rec_validation_ndcg(m, &v);
			score = e->rmse ? -metric : metric;
			if (score > best) {
				best = score;
				kept = ep;
				kept_metric = metric;
				since = 0;
				if (copy_params(m, &copy, 0) < 0) {
					rc = rec_error_set(err, REC_ENOMEM, "out of memory");
					goto out;
				}
			} else if (ep > e->burnin) {
				since++;
			}
		}
		if (opt->progress)
			progress(e, ep, loss, name, metric, start);
	}
	if (kept) {
		copy_params(m, &copy, 1);
		if (opt->progress)
			fprintf(stderr, "%skept epoch %u: %s %.6f\n",
				since >= e->patience ? "stopped early; " : "", kept, name,
				kept_metric);
	}
	if (opt->metric && name)
		*opt->metric = (struct rec_train_metric){
			e->rmse ? "rmse" : "ndcg@" XSTR(REC_VALID_K), kept_metric, e->rmse != NULL,
			kept };
	rc = (int)kept;
out:
	free(copy);
	rec_validation_release(&v);
	return rc;
}

/* --- validation on each user's newest event --- */

/* Does m's family take a number of epochs? */
static int has_epochs(const struct rec_model *m)
{
	for (unsigned i = 0; i < m->algo->nhparams; i++)
		if (strcmp(m->algo->hparams[i].name, "epochs") == 0)
			return 1;
	return 0;
}

/* Add the events of ds, whose users and items are m's, to m's data, as
 * rec_stream_merge adds what a stream learned. */
static int add_events(struct rec_model *m, const struct rec_dataset *ds,
		      struct rec_error *err)
{
	struct rec_train_options opt = { .passes = 0 };
	struct rec_events ev;

	if (rec_events_init(&ev, m->data.users, m->data.items) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	ev.has_rating = m->data.has_rating;
	ev.has_time = m->data.has_time;
	if (rec_events_add_dataset(&ev, ds) < 0) {
		rec_events_release(&ev);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	return rec_model_update(m, &ev, &opt, err);
}

/* Learn the events of ds, whose users and items are m's, as a stream of
 * them would, and merge them into m.  A family that cannot take a user's
 * state back derives it from the events: it only takes the events, which
 * spares holding a state for every user at once. */
static int fold_dataset(struct rec_model *m, const struct rec_dataset *ds,
			struct rec_error *err)
{
	struct rec_stream s;
	int rc = 0;

	if (!m->algo->user_rows && !m->algo->set_user_state)
		return add_events(m, ds, err);
	rec_stream_init(&s, m);
	for (uint32_t u = 0; u < ds->nusers && rc == 0; u++) {
		uint64_t e = ds->rowptr[u];
		struct rec_user *user;
		size_t len;
		const char *id;

		if (e == ds->rowptr[u + 1])
			continue;
		id = rec_dict_name(ds->users, u, &len);
		rc = rec_stream_user(&s, id, len, &user, err);
		for (; rc == 0 && e < ds->rowptr[u + 1]; e++)
			rc = rec_stream_learn(&s, user, ds->col[e], ds->val[e], ds->time[e], err);
	}
	if (rc == 0)
		rc = rec_stream_merge(&s, err);
	rec_stream_release(&s);
	return rc;
}

int rec_model_train_last(struct rec_model *m, struct rec_dataset *data,
			 const struct rec_train_options *opt, struct rec_error *err)
{
	struct rec_train_options o = *opt;
	struct rec_dataset rest, last;
	int rc;

	o.validation = NULL;
	if (!has_epochs(m))
		return rec_model_train(m, data, &o, err);
	rc = rec_dataset_carve_last(data, &rest, &last, err);
	rec_dataset_release(data);
	if (rc < 0)
		return rc;
	o.validation = &last;
	if ((rc = rec_model_train(m, &rest, &o, err)) >= 0)
		rc = fold_dataset(m, &last, err);
	rec_dataset_release(&rest);
	rec_dataset_release(&last);
	return rc;
}
