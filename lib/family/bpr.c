/* bpr.c - Bayesian personalised ranking (Rendle, Freudenthaler, Gantner
 * and Schmidt-Thieme, UAI 2009) for implicit feedback: every event is a
 * positive, and a user should rank the items of his events above the
 * items he has not seen.  The score is
 *   s(u,i) = b_i + p_u . q_i
 * and training maximises sum ln sigmoid(s(u,i) - s(u,j)) less L2 penalties
 * over triples of an event (u,i) and an unseen item j drawn uniformly,
 * each weighted by the event's time decay.  With negatives = n > 1, the
 * best scored of n drawn items is taken (dynamic negative sampling, Zhang,
 * Chen, Wang and Yu, SIGIR 2013).  Steps are plain SGD, AdaGrad (Duchi,
 * Hazan and Singer, JMLR 2011) with one accumulator per row of factors, or
 * Adam (Kingma and Ba, ICLR 2015), and with several threads they update
 * shared factors without locks (Hogwild, Niu et al. 2011).  A row's one
 * square root lets the row's update vectorise (a square root per
 * coordinate keeps the loop scalar, for errno's sake), and did as well on
 * validation data as an accumulator per coordinate.
 *
 * A streamed user's vector is refitted by a few SGD passes over his history
 * with the items held fixed: with them fixed the loss is convex in p_u, so
 * starting from the current vector each fold only moves it closer to the
 * optimum of the history seen so far. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nn.h"
#include "pairs.h"

#define NONE UINT32_MAX

enum {
	HP_FACTORS, HP_EPOCHS, HP_LR, HP_REG, HP_REG_BIAS, HP_INIT, HP_NEGATIVES,
	HP_SOLVER, HP_PATIENCE, NHP
};

enum { SOLVER_SGD, SOLVER_ADAGRAD, SOLVER_ADAM };
static const char *const solvers[] = { "sgd", "adagrad", "adam", NULL };

/* lr 0 stands for the solver's own default below. */
static const struct rec_hparam bpr_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 64, 1, 4096, 1, NULL },
	[HP_EPOCHS] = { "epochs", 30, 1, 100000, 1, NULL },
	[HP_LR] = { "lr", 0, 0, 10, 0, NULL },
	[HP_REG] = { "reg", 0.04, 0, 1000, 0, NULL },
	[HP_REG_BIAS] = { "reg_bias", 0.01, 0, 1000, 0, NULL },
	[HP_INIT] = { "init", 0.1, 0, 10, 0, NULL },
	[HP_NEGATIVES] = { "negatives", 5, 1, 1000, 1, NULL },
	[HP_SOLVER] = { "solver", SOLVER_ADAGRAD, 0, 2, 1, solvers },
	[HP_PATIENCE] = { "patience", 5, 1, 100000, 1, NULL },
};

static const double default_lr[] = {
	[SOLVER_SGD] = 0.05, [SOLVER_ADAGRAD] = 0.1, [SOLVER_ADAM] = 0.002
};

#define EPSILON ((float)REC_NN_ADAM_EPS)

/* Draws of an unseen item before giving up on a user who has seen nearly
 * everything. */
#define MAX_DRAWS 64

/* The learned arrays; the same layout serves the solvers' moments. */
struct bpr_params {
	float *p;		/* nusers x k */
	float *q;		/* nitems x k */
	float *b;		/* nitems */
};

struct bpr {
	uint32_t k;
	struct bpr_params w;
};

static void params_free(struct bpr_params *w)
{
	free(w->p);
	free(w->q);
	free(w->b);
	memset(w, 0, sizeof(*w));
}

static int params_alloc(struct bpr_params *w, uint32_t nu, uint32_t ni, uint32_t k)
{
	w->p = rec_alloc_large_zero(((size_t)nu * k + 1) * sizeof(float));
	w->q = rec_alloc_large_zero(((size_t)ni * k + 1) * sizeof(float));
	w->b = rec_alloc_large_zero(((size_t)ni + 1) * sizeof(float));
	return w->p && w->q && w->b ? 0 : REC_ENOMEM;
}

static int bpr_init(struct rec_model *m)
{
	struct bpr *s = calloc(1, sizeof(*s));

	if (!s)
		return REC_ENOMEM;
	m->state = s;
	s->k = (uint32_t)m->hp[HP_FACTORS];
	return params_alloc(&s->w, m->data.nusers, m->data.nitems, s->k);
}

static void bpr_release(struct rec_model *m)
{
	struct bpr *s = m->state;

	if (!s)
		return;
	params_free(&s->w);
	free(s);
	m->state = NULL;
}

static unsigned bpr_params(struct rec_model *m, struct rec_param *p)
{
	struct bpr *s = m->state;
	const struct rec_dataset *d = &m->data;

	p[0] = (struct rec_param){ { 'U', 'F', 'A', 'C' }, s->w.p, NULL, (uint64_t)d->nusers * s->k };
	p[1] = (struct rec_param){ { 'I', 'F', 'A', 'C' }, s->w.q, NULL, (uint64_t)d->nitems * s->k };
	p[2] = (struct rec_param){ { 'I', 'B', 'I', 'A' }, s->w.b, NULL, d->nitems };
	return 3;
}

/* --- scoring --- */

/* scores = b + Q pu. */
static void score_vector(const struct rec_model *m, const float *pu, float *scores)
{
	const struct bpr *s = m->state;
	uint32_t n = m->data.nitems;

	memcpy(scores, s->w.b, n * sizeof(*scores));
	if (n)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)s->k, 1, s->w.q,
			    (int)s->k, pu, 1, 1, scores, 1);
}

static void bpr_score(const struct rec_model *m, uint32_t user, float *scores)
{
	const struct bpr *s = m->state;

	score_vector(m, s->w.p + (size_t)user * s->k, scores);
}

/* scores = 1 b^T + P_users Q^T in one product, from the users' vectors
 * gathered into one matrix; one user at a time if that cannot be had. */
static void bpr_score_block(const struct rec_model *m, const uint32_t *users,
			    uint32_t n, float *scores)
{
	const struct bpr *s = m->state;
	size_t ni = m->data.nitems, k = s->k;
	float *a = malloc((size_t)n * k * sizeof(*a) + 1);

	if (!a) {
		for (uint32_t j = 0; j < n; j++)
			bpr_score(m, users[j], scores + j * ni);
		return;
	}
	for (uint32_t j = 0; j < n; j++) {
		memcpy(a + j * k, s->w.p + (size_t)users[j] * k, k * sizeof(*a));
		memcpy(scores + j * ni, s->w.b, ni * sizeof(*scores));
	}
	if (n && ni)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ni,
			    (int)k, 1, a, (int)k, s->w.q, (int)k, 1, scores, (int)ni);
	free(a);
}

/* An unknown user scores the item bias, as a user with a zero vector
 * would; an unknown item scores 0. */
static float bpr_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct bpr *s = m->state;

	if (item < 0)
		return 0;
	if (user < 0)
		return s->w.b[item];
	return s->w.b[item] + rec_dot(s->w.p + (size_t)user * s->k,
				  s->w.q + (size_t)item * s->k, s->k);
}

/* --- negative sampling --- */

/* The items a user has seen, for negative sampling to avoid: a training
 * row in ascending order, or a streamed history as a hash table. */
struct seen {
	const uint32_t *item;	/* the row, or the table's slots (NONE: empty) */
	uint32_t n;		/* the row's length, or the table's size less 1 */
	int hashed;
};

static uint32_t slot_of(uint32_t x, uint32_t mask)
{
	uint32_t h = x * 0x9e3779b1u;

	return (h ^ h >> 16) & mask;
}

static int is_seen(const struct seen *s, uint32_t x)
{
	if (!s->hashed)
		return rec_sorted_has(s->item, s->n, x);
	for (uint32_t h = slot_of(x, s->n);; h = (h + 1) & s->n) {
		if (s->item[h] == x)
			return 1;
		if (s->item[h] == NONE)
			return 0;
	}
}

/* The known items of u's history in a table at most half full; the
 * caller frees *table. */
static int seen_hash(struct seen *s, const struct rec_user *u, uint32_t nitems,
		     uint32_t **table)
{
	uint64_t size = 2;
	uint32_t *t;

	while (size < 2 * (uint64_t)u->n)
		size *= 2;
	if (size > UINT32_MAX || !(t = malloc(size * sizeof(*t))))
		return REC_ENOMEM;
	memset(t, 0xff, size * sizeof(*t));
	s->item = *table = t;
	s->n = (uint32_t)(size - 1);
	s->hashed = 1;
	for (uint32_t e = 0; e < u->n; e++) {
		uint32_t h = slot_of(u->items[e], s->n);

		if (u->items[e] >= nitems)
			continue;
		while (t[h] != NONE && t[h] != u->items[e])
			h = (h + 1) & s->n;
		t[h] = u->items[e];
	}
	return 0;
}

/* An unseen item drawn uniformly; with candidates > 1, the best scored
 * for pu of that many such draws.  *score receives its score.  NONE when
 * MAX_DRAWS draws found nothing unseen. */
static uint32_t draw_negative(const struct rec_model *m, const float *pu,
			      const struct seen *seen, uint32_t candidates,
			      struct rec_rng *rng, float *score)
{
	const struct bpr *s = m->state;
	uint32_t n = m->data.nitems, best = NONE, found = 0;
	float top = -INFINITY;

	for (int draw = 0; draw < MAX_DRAWS && found < candidates; draw++) {
		uint32_t j = (uint32_t)rec_rng_below(rng, n);
		float v;

		if (is_seen(seen, j))
			continue;
		found++;
		v = s->w.b[j] + rec_dot(pu, s->w.q + (size_t)j * s->k, s->k);
		if (best == NONE || v > top) {
			best = j;
			top = v;
		}
	}
	*score = top;
	return best;
}

/* --- training --- */

struct trainer {
	struct rec_model *m;
	struct bpr *s;
	struct rec_pairs pairs;
	struct bpr_params m1, m2;	/* Adam's moments; AdaGrad's sums in m2 */
	uint32_t width;		/* floats of m2 per row: k for Adam, 1 for AdaGrad */
	float *scratch;		/* 3 k floats per thread */
	float lr, reg, reg_bias;
	uint32_t fixed_items;	/* items below this index keep their parameters */
	uint32_t negatives;
	int solver;
	uint64_t step;		/* triples fitted so far, for Adam's correction */
};

/* Adam's bias corrections at one step. */
struct correction {
	float c1, c2;
};

/* Descend along the gradient g (without the L2 term) of x[0..n), whose
 * moments are at m1 and m2. */
static void apply(const struct trainer *t, float *x, float *m1, float *m2,
		  const float *g, uint32_t n, float reg, struct correction c)
{
	float lr = t->lr;

	if (t->solver != SOLVER_ADAM) {
		rec_nn_row_step(x, t->solver == SOLVER_ADAGRAD ? m2 : NULL, g, n, reg, lr);
		return;
	}
	#pragma omp simd
	for (uint32_t f = 0; f < n; f++) {
		float gr = g[f] + reg * x[f];

		m1[f] = (float)REC_NN_ADAM_B1 * m1[f] + (float)(1 - REC_NN_ADAM_B1) * gr;
		m2[f] = (float)REC_NN_ADAM_B2 * m2[f] + (float)(1 - REC_NN_ADAM_B2) * gr * gr;
		x[f] -= lr * (m1[f] / c.c1) / (sqrtf(m2[f] / c.c2) + EPSILON);
	}
}

/* Where the moments of row r of an array sit, or NULL without them. */
static float *row(float *a, size_t r, uint32_t k)
{
	return a ? a + r * k : NULL;
}

/* Step item i's vector along g and its bias along db, unless it is fixed. */
static void step_item(const struct trainer *t, uint32_t i, const float *g, float db,
		      struct correction c)
{
	struct bpr_params *p = &t->s->w;
	const struct bpr_params *m1 = &t->m1, *m2 = &t->m2;
	uint32_t k = t->s->k;

	if (i < t->fixed_items)
		return;
	apply(t, p->q + (size_t)i * k, row(m1->q, i, k), row(m2->q, i, t->width), g, k,
	      t->reg, c);
	apply(t, p->b + i, row(m1->b, i, 1), row(m2->b, i, 1), &db, 1, t->reg_bias, c);
}

/* One step on the triple (u, i, j), where j scores sj, with weight w; g
 * is scratch of 3 k floats.  Returns the triple's weighted loss before the
 * step. */
static double fit_triple(const struct trainer *t, uint32_t u, uint32_t i, uint32_t j,
			 float sj, float w, float *g, uint64_t step)
{
	struct bpr_params *p = &t->s->w;
	const struct bpr_params *m1 = &t->m1, *m2 = &t->m2;
	uint32_t k = t->s->k;
	float *pu = p->p + (size_t)u * k, *qi = p->q + (size_t)i * k, *qj = p->q + (size_t)j * k;
	float *gp = g, *gi = g + k, *gj = g + 2 * k;
	float x = p->b[i] + rec_dot(pu, qi, k) - sj;
	float d = -w / (1 + expf(x));
	struct correction c = { 1, 1 };

	if (t->solver == SOLVER_ADAM) {
		c.c1 = 1 - (float)pow(REC_NN_ADAM_B1, (double)step);
		c.c2 = 1 - (float)pow(REC_NN_ADAM_B2, (double)step);
	}
	#pragma omp simd
	for (uint32_t f = 0; f < k; f++) {
		gp[f] = d * (qi[f] - qj[f]);
		gi[f] = d * pu[f];
		gj[f] = -d * pu[f];
	}
	apply(t, pu, row(m1->p, u, k), row(m2->p, u, t->width), gp, k, t->reg, c);
	step_item(t, i, gi, d, c);
	step_item(t, j, gj, -d, c);
	return w * rec_nn_softplus(-x);
}

static double fit_entry(const void *ctx, uint64_t e, float *g, struct rec_rng *rng,
			uint64_t step)
{
	const struct trainer *t = ctx;
	const struct rec_dataset *d = &t->m->data;
	uint32_t u = t->pairs.user[e], k = t->s->k, j;
	uint64_t a = d->rowptr[u];
	struct seen seen = { t->pairs.seen + a, (uint32_t)(d->rowptr[u + 1] - a), 0 };
	float sj;

	j = draw_negative(t->m, t->s->w.p + (size_t)u * k, &seen, t->negatives, rng, &sj);
	if (j == NONE)
		return 0;
	return fit_triple(t, u, d->col[e], j, sj,
			  (float)rec_model_decay(t->m, d->time[e]), g, step);
}

/* One pass over the entries; *mean gets the mean loss of the triples. */
static int run_epoch(void *ctx, uint32_t ep, struct rec_rng *rng, double *mean,
		     struct rec_error *err)
{
	struct trainer *t = ctx;

	(void)ep;
	(void)err;
	*mean = rec_pairs_epoch(&t->pairs, rng, fit_entry, t, t->scratch, 3 * (size_t)t->s->k,
				t->step);
	t->step += t->pairs.n;
	return 0;
}

/* Set up training over the entries of the users with visit[u] (all users
 * when visit is NULL), with the given solver. */
static int trainer_init(struct trainer *t, struct rec_model *m, const uint8_t *visit,
			int solver)
{
	const struct rec_dataset *d = &m->data;
	uint32_t k;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->s = m->state;
	k = t->s->k;
	t->solver = solver;
	t->lr = (float)(m->hp[HP_LR] > 0 && solver == m->hp[HP_SOLVER] ? m->hp[HP_LR] :
			default_lr[solver]);
	t->reg = (float)m->hp[HP_REG];
	t->reg_bias = (float)m->hp[HP_REG_BIAS];
	t->negatives = (uint32_t)m->hp[HP_NEGATIVES];
	t->scratch = malloc((size_t)omp_get_max_threads() * 3 * k * sizeof(float));
	if (rec_pairs_init(&t->pairs, d, visit) < 0 || !t->scratch)
		return REC_ENOMEM;
	if (t->solver == SOLVER_ADAM && params_alloc(&t->m1, d->nusers, d->nitems, k) < 0)
		return REC_ENOMEM;
	t->width = t->solver == SOLVER_ADAM ? k : 1;
	if (t->solver != SOLVER_SGD && params_alloc(&t->m2, d->nusers, d->nitems, t->width) < 0)
		return REC_ENOMEM;
	return 0;
}

static void trainer_release(void *ctx)
{
	struct trainer *t = ctx;

	rec_pairs_release(&t->pairs);
	free(t->scratch);
	params_free(&t->m1);
	params_free(&t->m2);
}

static void init_factors(struct rec_model *m, uint64_t seed)
{
	struct bpr *s = m->state;
	const struct rec_dataset *d = &m->data;
	double sd = m->hp[HP_INIT];
	struct rec_rng rng;

	rec_rng_seed(&rng, seed);
	rec_pairs_normal(s->w.p, (size_t)d->nusers * s->k, sd, &rng);
	rec_pairs_normal(s->w.q, (size_t)d->nitems * s->k, sd, &rng);
	memset(s->w.b, 0, d->nitems * sizeof(*s->w.b));
}

/* Training (since NULL) with the model's solver, early stopping on
 * opt->validation; an update's with plain SGD and the old items fixed. */
static int setup(void *ctx, struct rec_model *m, const struct rec_pairs_since *since,
		 struct rec_epochs *e)
{
	struct trainer *t = ctx;
	int rc = trainer_init(t, m, since ? since->touched : NULL,
			      since ? SOLVER_SGD : (int)m->hp[HP_SOLVER]);

	t->fixed_items = since ? since->items : 0;
	*e = (struct rec_epochs){ (uint32_t)m->hp[HP_EPOCHS], (uint32_t)m->hp[HP_PATIENCE], 0,
				  "loss", run_epoch, NULL, t };
	return rc;
}

static const struct rec_pairs_family bpr_family = {
	"bpr", setup, trainer_release, init_factors
};

static int bpr_train(struct rec_model *m, const struct rec_train_options *opt,
		     struct rec_error *err)
{
	struct trainer t;

	return rec_pairs_train(m, &bpr_family, &t, NULL, opt, err);
}

/* --- incremental training --- */

/* Grow the arrays for the new users and items, which start at zero, then
 * run passes epochs over the events of the touched users alone, moving
 * their vectors and the new items' parameters: the other users and the
 * items that training saw keep theirs.  Letting a few users' events move
 * the old items drags them away from what all the other users taught
 * them: on MovieLens 100K, ten passes over the last tenth of the events
 * took the NDCG@10 from 0.40 before the update down to 0.36 that way, and
 * up to 0.43 with the items fixed.
 * The steps are plain SGD's, whatever the solver: AdaGrad and Adam would
 * start from empty moments, and their first steps, of about lr in every
 * coordinate whatever the gradient, would throw the vectors about. */
static int bpr_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
		      const uint8_t *touched, const struct rec_train_options *opt,
		      struct rec_error *err)
{
	struct bpr *s = m->state;
	const struct rec_dataset *d = &m->data;
	struct rec_pairs_since since = { old_users, old_items, touched };
	struct trainer t;
	size_t k = s->k;

	if (rec_grow_floats(&s->w.p, old_users * k, d->nusers * k) < 0 ||
	    rec_grow_floats(&s->w.q, old_items * k, d->nitems * k) < 0 ||
	    rec_grow_floats(&s->w.b, old_items, d->nitems) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return rec_pairs_train(m, &bpr_family, &t, &since, opt, err);
}

/* --- fold-in --- */

/* A user's state is his row of the users' vectors. */
static float *bpr_user_rows(const struct rec_model *m, uint32_t *width)
{
	const struct bpr *s = m->state;

	*width = s->k;
	return s->w.p;
}

/* One SGD step on pu alone for the event i against the unseen item j,
 * which scores sj. */
static void fold_step(const struct rec_model *m, float *pu, uint32_t i, uint32_t j,
		      float sj, float w)
{
	const struct bpr *s = m->state;
	const float *qi = s->w.q + (size_t)i * s->k, *qj = s->w.q + (size_t)j * s->k;
	float reg = (float)m->hp[HP_REG];
	float x = s->w.b[i] + rec_dot(pu, qi, s->k) - sj;
	float d = w / (1 + expf(x));

	#pragma omp simd
	for (uint32_t f = 0; f < s->k; f++)
		pu[f] += REC_PAIRS_FOLD_LR * (d * (qi[f] - qj[f]) - reg * pu[f]);
}

/* What a fold-in's steps share. */
struct fold {
	const struct rec_model *m;
	float *pu;
	struct seen seen;
	uint32_t candidates;
};

static void fold_event(void *ctx, uint32_t i, float w, struct rec_rng *rng)
{
	const struct fold *f = ctx;
	float sj;
	uint32_t j = draw_negative(f->m, f->pu, &f->seen, f->candidates, rng, &sj);

	if (j != NONE)
		fold_step(f->m, f->pu, i, j, sj, w);
}

static int bpr_fold_in(const struct rec_model *m, struct rec_user *u)
{
	struct fold f = { m, u->state, { NULL, 0, 0 }, (uint32_t)m->hp[HP_NEGATIVES] };
	uint32_t *table = NULL;
	int rc;

	if (seen_hash(&f.seen, u, m->data.nitems, &table) < 0)
		return REC_ENOMEM;
	rc = rec_pairs_fold(m, u, fold_event, &f);
	free(table);
	return rc;
}

static void bpr_score_user(const struct rec_model *m, const struct rec_user *u,
			   float *scores)
{
	score_vector(m, u->state, scores);
}

const struct rec_algo rec_algo_bpr = {
	.name = "bpr",
	.summary = "Bayesian personalised ranking of implicit feedback (matrix factorisation)",
	.hparams = bpr_hparams,
	.nhparams = NHP,
	.init = bpr_init,
	.train = bpr_train,
	.params = bpr_params,
	.score = bpr_score,
	.score_block = bpr_score_block,
	.predict = bpr_predict,
	.ratings = 0,
	.release = bpr_release,
	.user_rows = bpr_user_rows,
	.fold_in = bpr_fold_in,
	.score_user = bpr_score_user,
	.ranks_without_values = 1,
	.update = bpr_update,
};
