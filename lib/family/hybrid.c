/* hybrid.c - a factor model of users, items and their attributes (Kula,
 * "Metadata Embeddings for User and Item Cold-start Recommendations",
 * 2015: the LightFM model) for implicit feedback.  A user's vector is his
 * own vector plus the vectors of his attributes, an item's vector and bias
 * likewise, each attribute weighted by its value over the sum of the
 * absolute values of its entity's attributes; the score is
 *   s(u,i) = b_i + p_u . q_i
 * of the composed vectors.  Without attribute files it is bpr's model.
 *
 * Training visits every event (u,i) and an item j that u has not seen,
 * drawn uniformly from the items with events: with loss=bpr the best
 * scored of `negatives` draws (scored, with attributes, by the items'
 * composed rows as the epoch began), and a step up the gradient of ln
 * sigmoid(s(u,i) - s(u,j)) (Rendle et al., UAI 2009); with loss=warp
 * (Weston, Bengio and Usunier, IJCAI 2011), draws until one scores above
 * s(u,i) - 1, at most max_sampled of them, and a step on the margin's
 * hinge weighted by ln of the rank that the number of draws N estimates,
 * floor((items - 1) / N).  Each step is AdaGrad's on every row it touches,
 * own and attribute rows alike, each weighted by the event's time decay;
 * threads share the rows without locks (Hogwild).
 *
 * Items without events are never drawn as negatives, which would push
 * down the attributes that they share with no positive; after training
 * a ridge map from attributes places them (Gantner et al., ICDM 2010).
 * Users without events are scored by a regression on their attributes
 * (attributes.c).  A streamed user's state is his composed vector, refitted
 * from his history by SGD steps of the bpr loss with the items fixed. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "attributes.h"
#include "internal.h"
#include "nn.h"
#include "pairs.h"

#define NONE UINT32_MAX

enum {
	HP_FACTORS, HP_EPOCHS, HP_LR, HP_REG, HP_REG_BIAS, HP_INIT, HP_LOSS,
	HP_NEGATIVES, HP_MAX_SAMPLED, HP_PATIENCE, HP_COLD_REG, HP_MAP_REG, NHP
};

enum { LOSS_BPR, LOSS_WARP };
static const char *const losses[] = { "bpr", "warp", NULL };

static const struct rec_hparam hybrid_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 64, 1, 4096, 1, NULL },
	[HP_EPOCHS] = { "epochs", 30, 1, 100000, 1, NULL },
	[HP_LR] = { "lr", 0.1, 1e-6, 10, 0, NULL },
	[HP_REG] = { "reg", 0.04, 0, 1000, 0, NULL },
	[HP_REG_BIAS] = { "reg_bias", 0.01, 0, 1000, 0, NULL },
	[HP_INIT] = { "init", 0.1, 0, 10, 0, NULL },
	[HP_LOSS] = { "loss", LOSS_BPR, 0, 1, 1, losses },
	[HP_NEGATIVES] = { "negatives", 5, 1, 1000, 1, NULL },
	[HP_MAX_SAMPLED] = { "max_sampled", 100, 1, 100000, 1, NULL },
	[HP_PATIENCE] = { "patience", 5, 1, 100000, 1, NULL },
	[HP_COLD_REG] = { "cold_reg", 100, 1e-6, 1e9, 0, NULL },
	[HP_MAP_REG] = { "map_reg", 100, 1e-6, 1e9, 0, NULL },
};

/* Draws of an unseen item with events before giving up, for loss=bpr. */
#define MAX_DRAWS 64

/* Incremental training's plain SGD rate. */
#define UPDATE_LR 0.05f

/* The learned arrays; the same layout, one float a row, holds AdaGrad's
 * sums. */
struct rows {
	float *p;		/* users' own vectors, nusers x k */
	float *q;		/* items' own vectors, nitems x k */
	float *b;		/* items' own biases, nitems */
	float *pf;		/* user attributes' vectors, nuf x k */
	float *qf;		/* item attributes' vectors, nif x k */
	float *bf;		/* item attributes' biases, nif */
};

struct hybrid {
	uint32_t k;
	uint32_t nuf, nif;	/* user and item attributes */
	struct rows w;
};

static void rows_free(struct rows *r)
{
	free(r->p);
	free(r->q);
	free(r->b);
	free(r->pf);
	free(r->qf);
	free(r->bf);
	memset(r, 0, sizeof(*r));
}

static int rows_alloc(struct rows *r, const struct rec_model *m, uint32_t nuf, uint32_t nif,
		      uint32_t k)
{
	r->p = rec_alloc_large_zero(((size_t)m->data.nusers * k + 1) * sizeof(float));
	r->q = rec_alloc_large_zero(((size_t)m->data.nitems * k + 1) * sizeof(float));
	r->b = rec_alloc_large_zero(((size_t)m->data.nitems + 1) * sizeof(float));
	r->pf = rec_alloc_large_zero(((size_t)nuf * k + 1) * sizeof(float));
	r->qf = rec_alloc_large_zero(((size_t)nif * k + 1) * sizeof(float));
	r->bf = rec_alloc_large_zero(((size_t)nif + 1) * sizeof(float));
	return r->p && r->q && r->b && r->pf && r->qf && r->bf ? 0 : REC_ENOMEM;
}

static uint32_t names(const struct rec_features *f)
{
	return f ? rec_dict_size(f->names) : 0;
}

static int hybrid_init(struct rec_model *m)
{
	struct hybrid *h = calloc(1, sizeof(*h));

	if (!h)
		return REC_ENOMEM;
	m->state = h;
	h->k = (uint32_t)m->hp[HP_FACTORS];
	h->nuf = names(m->data.user_features);
	h->nif = names(m->data.item_features);
	return rows_alloc(&h->w, m, h->nuf, h->nif, h->k);
}

static void hybrid_release(struct rec_model *m)
{
	struct hybrid *h = m->state;

	if (!h)
		return;
	rows_free(&h->w);
	free(h);
	m->state = NULL;
}

static unsigned hybrid_params(struct rec_model *m, struct rec_param *p)
{
	struct hybrid *h = m->state;
	uint64_t nu = m->data.nusers, ni = m->data.nitems, k = h->k;

	p[0] = (struct rec_param){ { 'U', 'F', 'A', 'C' }, h->w.p, NULL, nu * k };
	p[1] = (struct rec_param){ { 'I', 'F', 'A', 'C' }, h->w.q, NULL, ni * k };
	p[2] = (struct rec_param){ { 'I', 'B', 'I', 'A' }, h->w.b, NULL, ni };
	p[3] = (struct rec_param){ { 'U', 'A', 'F', 'A' }, h->w.pf, NULL, h->nuf * k };
	p[4] = (struct rec_param){ { 'I', 'A', 'F', 'A' }, h->w.qf, NULL, h->nif * k };
	p[5] = (struct rec_param){ { 'I', 'A', 'B', 'I' }, h->w.bf, NULL, h->nif };
	return 6;
}

/* --- composing vectors --- */

static float row_scale(const struct rec_features *f, uint32_t r)
{
	return rec_attribute_row_scale(f, r);
}

static void compose_with(const struct rec_features *f, uint32_t r, float s, const float *own,
			 const float *vecs, uint32_t k, float *v)
{
	rec_attribute_compose(f, r, s, own, vecs, k, v);
}

/* The same with the row's weight worked out, and returned. */
static float compose(const struct rec_features *f, uint32_t r, const float *own,
		     const float *vecs, uint32_t k, float *v)
{
	float s = row_scale(f, r);

	compose_with(f, r, s, own, vecs, k, v);
	return s;
}

static float user_vector(const struct rec_model *m, uint32_t u, float *v)
{
	const struct hybrid *h = m->state;

	return compose(m->data.user_features, u, h->w.p + (size_t)u * h->k, h->w.pf, h->k, v);
}

/* Item i's composed vector into v, for the row weight s; returns its
 * composed bias. */
static float item_vector_with(const struct rec_model *m, uint32_t i, float s, float *v)
{
	const struct hybrid *h = m->state;
	const struct rec_features *f = m->data.item_features;
	float b = h->w.b[i];

	compose_with(f, i, s, h->w.q + (size_t)i * h->k, h->w.qf, h->k, v);
	for (uint64_t e = s > 0 ? f->ptr[i] : 0; s > 0 && e < f->ptr[i + 1]; e++)
		b += s * f->val[e] * h->w.bf[f->col[e]];
	return b;
}

static float item_vector(const struct rec_model *m, uint32_t i, float *v)
{
	return item_vector_with(m, i, row_scale(m->data.item_features, i), v);
}

/* Item i's score for the composed user vector pu, for the row weight s,
 * without composing the item's vector. */
static float item_score(const struct rec_model *m, uint32_t i, float s, const float *pu)
{
	const struct hybrid *h = m->state;
	const struct rec_features *f = m->data.item_features;
	float sum = h->w.b[i] + rec_dot(pu, h->w.q + (size_t)i * h->k, h->k);

	for (uint64_t e = s > 0 ? f->ptr[i] : 0; s > 0 && e < f->ptr[i + 1]; e++)
		sum += s * f->val[e] * (h->w.bf[f->col[e]] +
					rec_dot(pu, h->w.qf + (size_t)f->col[e] * h->k, h->k));
	return sum;
}

/* The attribute part of item i's score, from t[f] = bf[f] + qf[f] . pu. */
static float attribute_part(const struct rec_features *f, uint32_t i, const float *t)
{
	float s = row_scale(f, i), sum = 0;

	for (uint64_t e = s > 0 ? f->ptr[i] : 0; s > 0 && e < f->ptr[i + 1]; e++)
		sum += f->val[e] * t[f->col[e]];
	return s * sum;
}

/* --- scoring --- */

/* scores[n][nitems] for the composed user vectors a[n][k]: b + Q a, plus
 * each item's attributes' part through T = a Qf^T + bf, in t[n][nif]. */
static void score_vectors(const struct rec_model *m, const float *a, uint32_t n,
			  float *t, float *scores)
{
	const struct hybrid *h = m->state;
	const struct rec_features *f = m->data.item_features;
	size_t ni = m->data.nitems;

	for (uint32_t j = 0; j < n; j++)
		memcpy(scores + j * ni, h->w.b, ni * sizeof(*scores));
	if (n && ni)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ni,
			    (int)h->k, 1, a, (int)h->k, h->w.q, (int)h->k, 1, scores, (int)ni);
	if (!h->nif)
		return;
	for (uint32_t j = 0; j < n; j++)
		memcpy(t + (size_t)j * h->nif, h->w.bf, h->nif * sizeof(*t));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)h->nif, (int)h->k,
		    1, a, (int)h->k, h->w.qf, (int)h->k, 1, t, (int)h->nif);
	for (uint32_t j = 0; j < n; j++)
		for (uint32_t i = 0; i < f->nrows && i < ni; i++)
			scores[j * ni + i] += attribute_part(f, i, t + (size_t)j * h->nif);
}

/* Scratch for n users: their vectors, then n x nif floats for
 * score_vectors.  NULL when out of memory. */
static float *scratch_for(const struct rec_model *m, uint32_t n)
{
	const struct hybrid *h = m->state;

	return malloc(((size_t)n * (h->k + h->nif) + 1) * sizeof(float));
}

static void score_pu(const struct rec_model *m, const float *pu, float *scores)
{
	const struct hybrid *h = m->state;
	float *a = scratch_for(m, 1);

	if (!a) {
		memcpy(scores, m->popularity, m->data.nitems * sizeof(*scores));
		return;
	}
	memcpy(a, pu, h->k * sizeof(*a));
	score_vectors(m, a, 1, a + h->k, scores);
	free(a);
}

/* Out of memory, the users get the popularity, as users without events. */
static void hybrid_score_block(const struct rec_model *m, const uint32_t *users,
			       uint32_t n, float *scores)
{
	const struct hybrid *h = m->state;
	float *a = scratch_for(m, n);

	if (!a) {
		for (uint32_t j = 0; j < n; j++)
			memcpy(scores + (size_t)j * m->data.nitems, m->popularity,
			       m->data.nitems * sizeof(*scores));
		return;
	}
	for (uint32_t j = 0; j < n; j++)
		user_vector(m, users[j], a + (size_t)j * h->k);
	score_vectors(m, a, n, a + (size_t)n * h->k, scores);
	free(a);
}

static void hybrid_score(const struct rec_model *m, uint32_t user, float *scores)
{
	hybrid_score_block(m, &user, 1, scores);
}

/* A user without events scores by the ridge regression of the events of
 * the users with events on their attributes (attributes.c), which ranked
 * MovieLens 100K's cold users better than his attributes' vectors: 1 if
 * he has attributes, else 0 (and the popularity serves him). */
static int hybrid_score_cold(const struct rec_model *m, uint32_t user, float *scores)
{
	return rec_attribute_user_scores(m, user, (float)m->hp[HP_COLD_REG], scores);
}

/* An unknown user scores the item's composed bias; an unknown item 0. */
static float hybrid_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct hybrid *h = m->state;
	float *v = malloc(2 * (size_t)h->k * sizeof(*v)), s;

	if (item < 0 || !v) {
		free(v);
		return 0;
	}
	s = item_vector(m, (uint32_t)item, v);
	if (user >= 0) {
		user_vector(m, (uint32_t)user, v + h->k);
		s += rec_dot(v, v + h->k, h->k);
	}
	free(v);
	return s;
}

/* --- training --- */

struct trainer {
	struct rec_model *m;
	struct hybrid *h;
	struct rec_pairs pairs;
	struct rows acc;	/* AdaGrad's sums; none for plain SGD */
	float *scratch;		/* SCRATCH k floats per thread */
	float lr, reg, reg_bias;
	int loss;
	uint32_t negatives, max_sampled;
	uint32_t fixed_items;	/* items below this keep their parameters */
	int fixed_attributes;	/* and the attributes keep theirs */
	float *uscale, *iscale;	/* each row's row_scale, or NULL */
	float *composed;	/* with attributes, the items' composed vectors
				 * (nitems x k), then biases, as the epoch began */
};

/* Row r's weight of its attributes, as row_scale, from the trainer's
 * copy when it has one: training asks for it at every step. */
static float scale_of(const float *copy, const struct rec_features *f, uint32_t r)
{
	return copy ? copy[r] : row_scale(f, r);
}

static float *scales(const struct rec_features *f, uint32_t n)
{
	float *s = malloc(((size_t)n + 1) * sizeof(*s));

	for (uint32_t r = 0; s && r < n; r++)
		s[r] = row_scale(f, r);
	return s;
}

/* A thread's scratch: the composed pu, qi, qj and their gradients. */
#define SCRATCH 6

/* An item j drawn for positive i of user u (vector pu, row seen[0..ns)):
 * a uniform draw among items with events that u has not seen.  NONE when
 * MAX_DRAWS draws found none. */
static uint32_t draw(const struct trainer *t, const uint32_t *seen, uint32_t ns,
		     struct rec_rng *rng)
{
	const struct rec_model *m = t->m;

	for (int d = 0; d < MAX_DRAWS; d++) {
		uint32_t j = (uint32_t)rec_rng_below(rng, m->data.nitems);

		if (m->popularity[j] > 0 && !rec_sorted_has(seen, ns, j))
			return j;
	}
	return NONE;
}

/* Item j's score for pu by the composed rows of the epoch's start: good
 * enough to choose among the draws, and one product where composing the
 * item takes one for each of its attributes. */
static float composed_score(const struct trainer *t, uint32_t j, const float *pu)
{
	uint32_t k = t->h->k;

	return t->composed[(size_t)t->m->data.nitems * k + j] +
	       rec_dot(pu, t->composed + (size_t)j * k, k);
}

/* The negative for the pair (pu, s_ui) and the weight of the step on it
 * in *weight (the loss's slope at it is folded in by the caller); its
 * composed vector in qj and score in *sj.  NONE if there is none. */
static uint32_t negative(const struct trainer *t, const float *pu, float si,
			 const uint32_t *seen, uint32_t ns, struct rec_rng *rng, float *qj,
			 float *sj, float *weight)
{
	const struct rec_model *m = t->m;
	const struct rec_features *f = m->data.item_features;
	uint32_t best = NONE, tries = t->loss == LOSS_WARP ? t->max_sampled : t->negatives;
	float top = -INFINITY;

	*weight = 1;
	for (uint32_t d = 1; d <= tries; d++) {
		uint32_t j = draw(t, seen, ns, rng);
		float v;

		if (j == NONE)
			break;
		v = t->composed ? composed_score(t, j, pu) :
		    item_score(m, j, scale_of(t->iscale, f, j), pu);
		if (t->loss == LOSS_WARP && v > si - 1) {
			*weight = logf(fmaxf(1, floorf((float)(m->data.nitems - 1) / (float)d)));
			best = j;
			break;
		}
		if (t->loss == LOSS_BPR && (best == NONE || v > top)) {
			best = j;
			top = v;
		}
	}
	if (best != NONE)
		*sj = item_vector_with(m, best, scale_of(t->iscale, f, best), qj) +
		      rec_dot(pu, qj, t->h->k);
	return best;
}

/* Step a composed row down the gradient g: its own row own (AdaGrad sum
 * *own_acc) unless own is NULL, and each attribute of row r of f (rows
 * vecs, sums vacc) unless the attributes are fixed. */
static void step_rows(const struct trainer *t, const struct rec_features *f, uint32_t r,
		      const float *copy, float *own, float *own_acc, float *vecs, float *vacc,
		      uint32_t width, const float *g, float reg)
{
	float s = t->fixed_attributes ? 0 : scale_of(copy, f, r);

	if (own)
		rec_nn_row_step(own, own_acc, g, width, reg, t->lr);
	for (uint64_t e = s > 0 ? f->ptr[r] : 0; s > 0 && e < f->ptr[r + 1]; e++) {
		uint32_t c = f->col[e];

		rec_nn_row_step_scaled(vecs + (size_t)c * width, vacc ? vacc + c : NULL, g,
				       s * f->val[e], width, reg, t->lr);
	}
}

/* Item i's vector along g and its bias along db, unless i is fixed. */
static void step_item(const struct trainer *t, uint32_t i, const float *g, float db)
{
	const struct rec_features *f = t->m->data.item_features;
	struct rows *w = &t->h->w;
	const struct rows *a = &t->acc;
	uint32_t k = t->h->k;

	if (i < t->fixed_items)
		return;
	step_rows(t, f, i, t->iscale, w->q + (size_t)i * k, a->q ? a->q + i : NULL, w->qf,
		  a->qf, k, g, t->reg);
	step_rows(t, f, i, t->iscale, w->b + i, a->b ? a->b + i : NULL, w->bf, a->bf, 1, &db,
		  t->reg_bias);
}

/* One step on user u, item i and item j, whose composed vectors g holds
 * (pu, qi, qj, then scratch), along the slope d of the loss in s_ui -
 * s_uj: it moves pu, qi, qj and the biases. */
static void fit_pair(const struct trainer *t, uint32_t u, uint32_t i, uint32_t j, float d,
		     float *g)
{
	struct rows *w = &t->h->w;
	const struct rows *a = &t->acc;
	uint32_t k = t->h->k;
	float *pu = g, *qi = g + k, *qj = g + 2 * k, *gp = g + 3 * k, *gi = g + 4 * k,
	      *gj = g + 5 * k;

	for (uint32_t c = 0; c < k; c++) {
		gp[c] = d * (qi[c] - qj[c]);
		gi[c] = d * pu[c];
		gj[c] = -d * pu[c];
	}
	step_rows(t, t->m->data.user_features, u, t->uscale, w->p + (size_t)u * k,
		  a->p ? a->p + u : NULL, w->pf, a->pf, k, gp, t->reg);
	step_item(t, i, gi, d);
	step_item(t, j, gj, -d);
}

/* The slope of the weighted loss in x = s_ui - s_uj, for a negative of
 * weight (warp's) drawn for an event of time decay decay. */
static float slope(const struct trainer *t, float x, float weight, float decay)
{
	return t->loss == LOSS_WARP ? -weight * decay : -decay / (1 + expf(x));
}

/* One step on the event e and a negative drawn for it; returns the
 * weighted loss before the step. */
static double fit_entry(const void *ctx, uint64_t e, float *g, struct rec_rng *rng,
			uint64_t step)
{
	const struct trainer *t = ctx;
	const struct rec_dataset *ds = &t->m->data;
	uint32_t u = t->pairs.user[e], i = ds->col[e], k = t->h->k, j;
	float si, sj, weight, x, decay = (float)rec_model_decay(t->m, ds->time[e]);
	const uint32_t *seen = t->pairs.seen + ds->rowptr[u];

	(void)step;
	compose_with(ds->user_features, u, scale_of(t->uscale, ds->user_features, u),
		     t->h->w.p + (size_t)u * k, t->h->w.pf, k, g);
	si = item_vector_with(t->m, i, scale_of(t->iscale, ds->item_features, i), g + k) +
	     rec_dot(g, g + k, k);
	j = negative(t, g, si, seen, (uint32_t)(ds->rowptr[u + 1] - ds->rowptr[u]), rng,
		     g + 2 * k, &sj, &weight);
	if (j == NONE)
		return 0;
	x = si - sj;
	fit_pair(t, u, i, j, slope(t, x, weight, decay), g);
	return t->loss == LOSS_WARP ? weight * decay * fmax(0, 1 - x) :
	       decay * rec_nn_softplus(-x);
}

/* One pass over the entries; *mean gets the mean loss. */
static int run_epoch(void *ctx, uint32_t ep, struct rec_rng *rng, double *mean,
		     struct rec_error *err)
{
	struct trainer *t = ctx;

	(void)ep;
	(void)err;
	for (uint32_t i = 0; t->composed && i < t->m->data.nitems; i++)
		t->composed[(size_t)t->m->data.nitems * t->h->k + i] =
			item_vector_with(t->m, i, t->iscale[i], t->composed + (size_t)i * t->h->k);
	*mean = rec_pairs_epoch(&t->pairs, rng, fit_entry, t, t->scratch,
				SCRATCH * (size_t)t->h->k, 0);
	return 0;
}

/* Training over the entries of the users with visit[u] (all when NULL),
 * by AdaGrad or, with sgd, plain SGD at UPDATE_LR. */
static int trainer_init(struct trainer *t, struct rec_model *m, const uint8_t *visit,
			int sgd)
{
	struct hybrid *h = m->state;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->h = h;
	t->lr = sgd ? UPDATE_LR : (float)m->hp[HP_LR];
	t->reg = (float)m->hp[HP_REG];
	t->reg_bias = (float)m->hp[HP_REG_BIAS];
	t->loss = (int)m->hp[HP_LOSS];
	t->negatives = (uint32_t)m->hp[HP_NEGATIVES];
	t->max_sampled = (uint32_t)m->hp[HP_MAX_SAMPLED];
	t->scratch = malloc((size_t)omp_get_max_threads() * SCRATCH * h->k * sizeof(float));
	if (!t->scratch || (!sgd && rows_alloc(&t->acc, m, h->nuf, h->nif, 1) < 0))
		return REC_ENOMEM;
	return rec_pairs_init(&t->pairs, &m->data, visit);
}

static void trainer_release(void *ctx)
{
	struct trainer *t = ctx;

	rec_pairs_release(&t->pairs);
	free(t->scratch);
	free(t->uscale);
	free(t->iscale);
	free(t->composed);
	rows_free(&t->acc);
}

/* Normal deviates of sd for the own rows of users and items with events
 * and for every attribute's row; zero for the others. */
static void init_rows(struct rec_model *m, uint64_t seed)
{
	struct hybrid *h = m->state;
	const struct rec_dataset *ds = &m->data;
	double sd = m->hp[HP_INIT];
	struct rec_rng rng;

	rec_rng_seed(&rng, seed);
	for (uint32_t u = 0; u < ds->nusers; u++)
		for (uint32_t c = 0; ds->rowptr[u + 1] > ds->rowptr[u] && c < h->k; c++)
			h->w.p[(size_t)u * h->k + c] = (float)(sd * rec_rng_normal(&rng));
	for (uint32_t i = 0; i < ds->nitems; i++)
		for (uint32_t c = 0; m->popularity[i] > 0 && c < h->k; c++)
			h->w.q[(size_t)i * h->k + c] = (float)(sd * rec_rng_normal(&rng));
	rec_pairs_normal(h->w.pf, (size_t)h->nuf * h->k, sd, &rng);
	rec_pairs_normal(h->w.qf, (size_t)h->nif * h->k, sd, &rng);
}

/* Training (since NULL) by AdaGrad, early stopping on opt->validation;
 * an update's by plain SGD with the old items and the attributes fixed. */
static int setup(void *ctx, struct rec_model *m, const struct rec_pairs_since *since,
		 struct rec_epochs *e)
{
	struct trainer *t = ctx;
	int rc = trainer_init(t, m, since ? since->touched : NULL, since != NULL);

	t->fixed_items = since ? since->items : 0;
	t->fixed_attributes = since != NULL;
	t->uscale = scales(m->data.user_features, m->data.nusers);
	t->iscale = scales(m->data.item_features, m->data.nitems);
	if (m->data.item_features)
		t->composed = malloc(((size_t)m->data.nitems * (t->h->k + 1) + 1) *
				     sizeof(*t->composed));
	if (!t->uscale || !t->iscale || (m->data.item_features && !t->composed))
		rc = rc ? rc : REC_ENOMEM;
	*e = (struct rec_epochs){ (uint32_t)m->hp[HP_EPOCHS], (uint32_t)m->hp[HP_PATIENCE], 0,
				  t->loss == LOSS_WARP ? "warp loss" : "loss", run_epoch, NULL,
				  t };
	return rc;
}

static const struct rec_pairs_family hybrid_family = {
	"hybrid", setup, trainer_release, init_rows
};

/* The composed vector and bias (k + 1 floats) that the map w gives item i
 * from its attributes, into v; then the own row and bias that make them
 * so.  part is k scratch floats. */
static void place_item(struct rec_model *m, uint32_t i, const float *w, float *v,
		       float *part)
{
	struct hybrid *h = m->state;
	float *own = h->w.q + (size_t)i * h->k, bias;

	rec_attribute_map_apply(m->data.item_features, i, w, h->k + 1, v);
	memset(own, 0, h->k * sizeof(*own));
	h->w.b[i] = 0;
	bias = item_vector(m, i, part);
	for (uint32_t c = 0; c < h->k; c++)
		own[c] = v[c] - part[c];
	h->w.b[i] = v[h->k] - bias;
}

/* The items from old on without events but with attributes get the
 * composed rows that a ridge map from attributes to the composed rows of
 * the items with events gives them (Gantner et al., ICDM 2010), each item
 * weighted in the fit by the log of its events: on MovieLens 100K and
 * latest-small this ranked cold items better than the sum of their
 * attributes' vectors.  Their own rows take the difference. */
static int place_cold_items(struct rec_model *m, uint32_t old)
{
	struct hybrid *h = m->state;
	const struct rec_dataset *d = &m->data;
	size_t width = (size_t)h->k + 1;
	float *y = malloc(((size_t)d->nitems * width + 1) * sizeof(*y));
	float *weight = calloc((size_t)d->nitems + 1, sizeof(*weight));
	float *w = malloc(((size_t)h->nif + 1) * width * sizeof(*w));
	float *v = malloc((width + h->k) * sizeof(*v));
	int rc = REC_ENOMEM;

	if (y && weight && w && v) {
		for (uint32_t i = 0; i < d->nitems; i++) {
			weight[i] = logf(1 + m->popularity[i]);
			if (weight[i] > 0)
				y[i * width + h->k] = item_vector(m, i, y + i * width);
		}
		rc = rec_attribute_map_fit(d->item_features, d->nitems, weight, y,
					   (uint32_t)width, (float)m->hp[HP_MAP_REG], w);
	}
	for (uint32_t i = old; rc == 0 && i < d->nitems; i++)
		if (weight[i] == 0 && row_scale(d->item_features, i) > 0)
			place_item(m, i, w, v, v + width);
	free(y);
	free(weight);
	free(w);
	free(v);
	return rc;
}

static int hybrid_train(struct rec_model *m, const struct rec_train_options *opt,
			struct rec_error *err)
{
	struct hybrid *h = m->state;
	struct trainer t;
	int rc = rec_pairs_train(m, &hybrid_family, &t, NULL, opt, err);

	if (rc == 0 && h->nif && place_cold_items(m, 0) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return rc;
}

int rec_hybrid_step(struct rec_model *m, uint32_t user, uint32_t item, uint32_t negative,
		    float weight)
{
	struct trainer t;
	uint32_t k = ((struct hybrid *)m->state)->k;
	float x;
	int rc = trainer_init(&t, m, NULL, 0);

	if (rc == 0) {
		user_vector(m, user, t.scratch);
		x = item_vector(m, item, t.scratch + k) - item_vector(m, negative, t.scratch + 2 * k) +
		    rec_dot(t.scratch, t.scratch + k, k) - rec_dot(t.scratch, t.scratch + 2 * k, k);
		fit_pair(&t, user, item, negative, slope(&t, x, weight, 1), t.scratch);
	}
	trainer_release(&t);
	return rc;
}

/* Grow the own rows for new users and items, which start at zero; then,
 * as bpr does, passes of plain SGD over the touched users' events moving
 * their own vectors and the new items', the old items and every attribute
 * fixed.  The new items still without events are then placed by the
 * attribute map. */
static int hybrid_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
			 const uint8_t *touched, const struct rec_train_options *opt,
			 struct rec_error *err)
{
	struct hybrid *h = m->state;
	const struct rec_dataset *ds = &m->data;
	struct rec_pairs_since since = { old_users, old_items, touched };
	struct trainer t;
	size_t k = h->k;
	int rc;

	if (rec_grow_floats(&h->w.p, old_users * k, ds->nusers * k) < 0 ||
	    rec_grow_floats(&h->w.q, old_items * k, ds->nitems * k) < 0 ||
	    rec_grow_floats(&h->w.b, old_items, ds->nitems) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	rc = rec_pairs_train(m, &hybrid_family, &t, &since, opt, err);
	if (rc == 0 && h->nif && place_cold_items(m, old_items) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return rc;
}

/* --- fold-in --- */

static uint32_t hybrid_state_size(const struct rec_model *m)
{
	const struct hybrid *h = m->state;

	return h->k;
}

/* A trained user's state: his composed vector. */
static void hybrid_user_state(const struct rec_model *m, uint32_t user, float *state)
{
	user_vector(m, user, state);
}

/* The inverse: his own vector is the state less his attributes' part. */
static void hybrid_set_user_state(struct rec_model *m, uint32_t user, const float *state)
{
	struct hybrid *h = m->state;
	float *own = h->w.p + (size_t)user * h->k;
	float *zero = calloc(h->k, sizeof(*zero)), *part = malloc(h->k * sizeof(*part));

	if (zero && part) {
		compose(m->data.user_features, user, zero, h->w.pf, h->k, part);
		for (uint32_t c = 0; c < h->k; c++)
			own[c] = state[c] - part[c];
	}
	free(zero);
	free(part);
}

/* One SGD step of the bpr loss on pu alone for the event of item i
 * against item j, with the composed item vectors qi, qj. */
static void fold_step(const struct rec_model *m, float *pu, const float *qi, float bi,
		      const float *qj, float sj, float w)
{
	const struct hybrid *h = m->state;
	float reg = (float)m->hp[HP_REG];
	float d = w / (1 + expf(bi + rec_dot(pu, qi, h->k) - sj));

	for (uint32_t c = 0; c < h->k; c++)
		pu[c] += REC_PAIRS_FOLD_LR * (d * (qi[c] - qj[c]) - reg * pu[c]);
}

/* What a fold-in's steps share: a trainer for the negatives, the user's
 * vector, the composed qi and qj in q, the history's items ascending. */
struct fold {
	struct trainer t;
	float *pu, *q;
	uint32_t *seen, ns;
};

static void fold_event(void *ctx, uint32_t i, float weight, struct rec_rng *rng)
{
	struct fold *f = ctx;
	const struct rec_model *m = f->t.m;
	uint32_t k = f->t.h->k, j;
	float bi = item_vector(m, i, f->q), sj, w;

	j = negative(&f->t, f->pu, 0, f->seen, f->ns, rng, f->q + k, &sj, &w);
	if (j != NONE)
		fold_step(m, f->pu, f->q, bi, f->q + k, sj, weight);
}

static int hybrid_fold_in(const struct rec_model *m, struct rec_user *u)
{
	const struct hybrid *h = m->state;
	struct fold f = { .t = { .m = (struct rec_model *)m, .h = (struct hybrid *)h,
				 .negatives = (uint32_t)m->hp[HP_NEGATIVES] },
			  .pu = u->state, .q = malloc(2 * (size_t)h->k * sizeof(*f.q)) };
	int rc = REC_ENOMEM;

	f.seen = rec_pairs_history(m, u, &f.ns);
	if (f.q && f.seen)
		rc = rec_pairs_fold(m, u, fold_event, &f);
	free(f.q);
	free(f.seen);
	return rc;
}

static void hybrid_score_user(const struct rec_model *m, const struct rec_user *u,
			      float *scores)
{
	score_pu(m, u->state, scores);
}

const struct rec_algo rec_algo_hybrid = {
	.name = "hybrid",
	.summary = "factors of users, items and their attributes (LightFM), bpr or warp loss",
	.hparams = hybrid_hparams,
	.nhparams = NHP,
	.init = hybrid_init,
	.train = hybrid_train,
	.params = hybrid_params,
	.score = hybrid_score,
	.score_block = hybrid_score_block,
	.score_cold = hybrid_score_cold,
	.predict = hybrid_predict,
	.release = hybrid_release,
	.state_size = hybrid_state_size,
	.user_state = hybrid_user_state,
	.fold_in = hybrid_fold_in,
	.score_user = hybrid_score_user,
	.update = hybrid_update,
	.set_user_state = hybrid_set_user_state,
};
