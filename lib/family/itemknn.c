/* itemknn.c - item-based nearest neighbours: cosine similarity between
 * the items' user vectors, shrunk towards zero for items with little
 * support, keeping each item's top neighbours.  A user's score for an item
 * sums the similarities of that item to the items in the user's history
 * (Deshpande and Karypis, ACM TOIS 2004; shrinkage as in Koren 2008). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { HP_NEIGHBORS, HP_SHRINK, HP_WEIGHTING };

static const char *const weightings[] = { "implicit", "rating", NULL };

static const struct rec_hparam knn_hparams[] = {
	[HP_NEIGHBORS] = { "neighbors", 100, 1, 100000, 1, NULL },
	[HP_SHRINK] = { "shrink", 10, 0, 1e9, 0, NULL },
	[HP_WEIGHTING] = { "weighting", 0, 0, 1, 1, weightings },
};

struct knn {
	uint32_t k;
	uint32_t *nbr;		/* nitems x k neighbour indices, UINT32_MAX: none */
	float *sim;		/* nitems x k similarities */
};

/* Scoring follows each neighbour index into the scores of every item. */
static int knn_check(const struct rec_model *m, struct rec_error *err)
{
	const struct knn *knn = m->state;
	size_t n = (size_t)m->data.nitems * knn->k;

	for (size_t j = 0; j < n; j++)
		if (knn->nbr[j] >= m->data.nitems && knn->nbr[j] != UINT32_MAX)
			return rec_error_set(err, REC_EFORMAT, "section 'NBRS': neighbour "
					     "index %u out of range (items %u)", knn->nbr[j],
					     m->data.nitems);
	return 0;
}

/* The transposed training data: for each item, its users and weights,
 * and the norms of the items' weight vectors. */
struct columns {
	struct rec_columns idx;
	float *w;
	float *norm;
};

static float entry_weight(const struct rec_model *m, uint64_t e)
{
	return rec_event_weight(m, m->data.val[e], m->data.time[e],
				m->hp[HP_WEIGHTING] == 1);
}

static void columns_free(struct columns *c)
{
	rec_columns_free(&c->idx);
	free(c->w);
	free(c->norm);
}

static int columns_build(const struct rec_model *m, struct columns *c)
{
	const struct rec_dataset *d = &m->data;

	c->w = rec_alloc_large((d->nnz + 1) * sizeof(*c->w));
	c->norm = calloc((size_t)d->nitems + 1, sizeof(*c->norm));
	if (!c->w || !c->norm || rec_columns_build(d, &c->idx) < 0)
		return REC_ENOMEM;
	for (uint32_t i = 0; i < d->nitems; i++) {
		for (uint64_t k = c->idx.ptr[i]; k < c->idx.ptr[i + 1]; k++) {
			c->w[k] = entry_weight(m, c->idx.ent[k]);
			c->norm[i] += c->w[k] * c->w[k];
		}
		c->norm[i] = sqrtf(c->norm[i]);
	}
	return 0;
}

/* Scratch of one thread: dense dot products and the items they touch. */
struct scratch {
	float *dot;
	uint32_t *touched;
	float *sim;
	uint32_t *pos;
};

static void neighbours_of(const struct rec_model *m, const struct columns *c,
			  uint32_t i, struct scratch *s, struct knn *knn)
{
	const struct rec_dataset *d = &m->data;
	float shrink = (float)m->hp[HP_SHRINK];
	uint32_t nt = 0, found;

	for (uint64_t a = c->idx.ptr[i]; a < c->idx.ptr[i + 1]; a++) {
		uint32_t u = c->idx.user[a];

		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			uint32_t j = d->col[e];

			if (j == i)
				continue;
			if (s->dot[j] == 0)
				s->touched[nt++] = j;
			s->dot[j] += c->w[a] * entry_weight(m, e);
		}
	}
	for (uint32_t t = 0; t < nt; t++) {
		uint32_t j = s->touched[t];

		s->sim[t] = s->dot[j] / (c->norm[i] * c->norm[j] + shrink + 1e-12f);
		s->dot[j] = 0;
	}
	found = rec_topn(s->sim, nt, knn->k, s->pos, knn->sim + (size_t)i * knn->k);
	for (uint32_t r = 0; r < knn->k; r++)
		knn->nbr[(size_t)i * knn->k + r] = r < found ? s->touched[s->pos[r]] : UINT32_MAX;
	for (uint32_t r = found; r < knn->k; r++)
		knn->sim[(size_t)i * knn->k + r] = 0;
}

static int knn_train(struct rec_model *m, const struct rec_train_options *opt,
		     struct rec_error *err)
{
	struct knn *knn = m->state;
	struct columns c = { 0 };
	uint32_t n = m->data.nitems;
	int nomem = 0;

	(void)opt;
	if (columns_build(m, &c) < 0) {
		columns_free(&c);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	#pragma omp parallel reduction(|:nomem)
	{
		struct scratch s = {
			calloc(n ? n : 1, sizeof(float)), malloc((n ? n : 1) * sizeof(uint32_t)),
			malloc((n ? n : 1) * sizeof(float)), malloc((n ? n : 1) * sizeof(uint32_t)),
		};
		int ok = s.dot && s.touched && s.sim && s.pos;

		nomem = !ok;
		#pragma omp for schedule(dynamic, 16)
		for (uint32_t i = 0; i < n; i++)
			if (ok)
				neighbours_of(m, &c, i, &s, knn);
		free(s.dot);
		free(s.touched);
		free(s.sim);
		free(s.pos);
	}
	columns_free(&c);
	return nomem ? rec_error_set(err, REC_ENOMEM, "out of memory") : 0;
}

static int knn_init(struct rec_model *m)
{
	struct knn *knn = calloc(1, sizeof(*knn));
	size_t n;

	if (!knn)
		return REC_ENOMEM;
	m->state = knn;
	knn->k = (uint32_t)m->hp[HP_NEIGHBORS];
	if (knn->k > m->data.nitems)
		knn->k = m->data.nitems ? m->data.nitems : 1;
	n = (size_t)m->data.nitems * knn->k;
	knn->nbr = rec_alloc_large((n ? n : 1) * sizeof(*knn->nbr));
	knn->sim = rec_alloc_large((n ? n : 1) * sizeof(*knn->sim));
	return knn->nbr && knn->sim ? 0 : REC_ENOMEM;
}

static unsigned knn_params(struct rec_model *m, struct rec_param *p)
{
	struct knn *knn = m->state;
	uint64_t n = (uint64_t)m->data.nitems * knn->k;

	p[0] = (struct rec_param){ { 'N', 'B', 'R', 'S' }, NULL, knn->nbr, n };
	p[1] = (struct rec_param){ { 'S', 'I', 'M', 'S' }, knn->sim, NULL, n };
	return 2;
}

/* The neighbours of the item of u's event j and their similarities, in
 * *nbr and *sim; returns the event's weight. */
static float event_neighbours(const struct rec_model *m, const struct rec_user *u,
			      uint32_t j, const uint32_t **nbr, const float **sim)
{
	const struct knn *knn = m->state;

	*nbr = knn->nbr + (size_t)u->items[j] * knn->k;
	*sim = knn->sim + (size_t)u->items[j] * knn->k;
	return rec_event_weight(m, u->values[j], u->times[j], m->hp[HP_WEIGHTING] == 1);
}

static void knn_score_user(const struct rec_model *m, const struct rec_user *u,
			   float *scores)
{
	const struct knn *knn = m->state;

	memset(scores, 0, m->data.nitems * sizeof(*scores));
	for (uint32_t j = 0; j < u->n; j++) {
		const uint32_t *nbr;
		const float *sim;
		float w = event_neighbours(m, u, j, &nbr, &sim);

		for (uint32_t r = 0; r < knn->k && nbr[r] != UINT32_MAX; r++)
			scores[nbr[r]] += w * sim[r];
	}
}

/* What the latest event of the history gave an item: 1 + the event's
 * place, 0 for none, and its weight times the similarity. */
struct mark {
	uint32_t event;
	float part;
};

/* Each event adds its weight times the item's similarity to the listed
 * item, if the listed item is among its neighbours.  Each neighbour list
 * is read once, as scoring reads it, marking its items with the event
 * and their parts; the listed items read their marks after each event.
 * Stores without a test: looking each neighbour up among the listed
 * items took twice the time of scoring. */
static int knn_explain(const struct rec_model *m, const struct rec_user *u,
		       const uint32_t *items, uint32_t n, float *contrib)
{
	const struct knn *knn = m->state;
	struct mark *mark = calloc((size_t)m->data.nitems + 1, sizeof(*mark));

	if (!mark)
		return REC_ENOMEM;
	for (uint32_t j = 0; j < u->n; j++) {
		const uint32_t *nbr;
		const float *sim;
		float w = event_neighbours(m, u, j, &nbr, &sim);

		for (uint32_t r = 0; r < knn->k && nbr[r] != UINT32_MAX; r++)
			mark[nbr[r]] = (struct mark){ j + 1, w * sim[r] };
		for (uint32_t t = 0; t < n; t++)
			contrib[(size_t)t * u->n + j] =
				mark[items[t]].event == j + 1 ? mark[items[t]].part : 0;
	}
	free(mark);
	return 0;
}

static void knn_score(const struct rec_model *m, uint32_t user, float *scores)
{
	struct rec_user u;

	rec_user_view(m, user, &u);
	knn_score_user(m, &u, scores);
}

static float knn_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct knn *knn = m->state;
	const struct rec_dataset *d = &m->data;
	float s = 0;

	if (item < 0)
		return 0;
	if (user < 0)
		return m->popularity[item];
	for (uint64_t e = d->rowptr[user]; e < d->rowptr[user + 1]; e++) {
		const uint32_t *nbr = knn->nbr + (size_t)d->col[e] * knn->k;

		for (uint32_t r = 0; r < knn->k && nbr[r] != UINT32_MAX; r++)
			if (nbr[r] == item)
				s += entry_weight(m, e) * knn->sim[(size_t)d->col[e] * knn->k + r];
	}
	return s;
}

static void knn_release(struct rec_model *m)
{
	struct knn *knn = m->state;

	if (!knn)
		return;
	free(knn->nbr);
	free(knn->sim);
	free(knn);
	m->state = NULL;
}

const struct rec_algo rec_algo_itemknn = {
	.name = "itemknn",
	.summary = "item-item cosine neighbours with shrinkage",
	.hparams = knn_hparams,
	.nhparams = sizeof(knn_hparams) / sizeof(knn_hparams[0]),
	.init = knn_init,
	.train = knn_train,
	.params = knn_params,
	.score = knn_score,
	.predict = knn_predict,
	.ratings = 0,
	.score_user = knn_score_user,
	.release = knn_release,
	.check = knn_check,
	.explain = knn_explain,
};
