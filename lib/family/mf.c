/* mf.c - biased matrix factorisation for explicit ratings:
 *   r(u,i) = mu + b_u + b_i + p_u . q_i
 * learned by default as the posterior mean of a Bayesian model, drawn by
 * Gibbs sampling (see "Gibbs sampling" below), or else fitted to the
 * squared error with L2 regularisation by stochastic gradient descent
 * (Koren, Bell and Volinsky, IEEE Computer 2009) or by Adam (Kingma and Ba,
 * ICLR 2015) with per-example, lazily updated moments.  With several
 * threads, SGD and Adam update shared factors without locks (Hogwild, Niu
 * et al. 2011); the sampler shares out rows whose draws do not depend on
 * the threads. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif

#include "internal.h"
#include "nn.h"
#include "lapack.h"
#ifdef REC_X86_KERNELS
#include <immintrin.h>
#endif

enum {
	HP_FACTORS, HP_EPOCHS, HP_LR, HP_LR_DECAY, HP_REG, HP_REG_BIAS, HP_INIT,
	HP_SOLVER, HP_PATIENCE, HP_BURNIN, NHP
};

enum { SOLVER_SGD, SOLVER_ADAM, SOLVER_GIBBS };
static const char *const solvers[] = { "sgd", "adam", "gibbs", NULL };

/* lr, lr_decay, reg and reg_bias are SGD's and Adam's, burnin (the fraction
 * of the sweeps whose samples are dropped) the sampler's. */
static const struct rec_hparam mf_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 10, 1, 4096, 1, NULL },
	[HP_EPOCHS] = { "epochs", 0, 0, 100000, 1, NULL },
	[HP_LR] = { "lr", 0, 0, 10, 0, NULL },
	[HP_LR_DECAY] = { "lr_decay", 1, 0, 1, 0, NULL },
	[HP_REG] = { "reg", 0.05, 0, 1000, 0, NULL },
	[HP_REG_BIAS] = { "reg_bias", 0.01, 0, 1000, 0, NULL },
	[HP_INIT] = { "init", 0.1, 0, 10, 0, NULL },
	[HP_SOLVER] = { "solver", SOLVER_GIBBS, 0, 2, 1, solvers },
	[HP_PATIENCE] = { "patience", 3, 1, 100000, 1, NULL },
	[HP_BURNIN] = { "burnin", 0.25, 0, 0.99, 0, NULL },
};

/* What epochs and lr of 0 stand for: the sampler's sweeps, SGD's and Adam's
 * epochs, and their learning rates. */
#define GIBBS_SWEEPS 200
#define SGD_EPOCHS 20
#define SGD_LR 0.01
#define ADAM_LR 0.001

/* The parameters, laid out so that one array set serves the model, Adam's
 * two moments and the best epoch's copy alike. */
struct mf_params {
	float *mu;		/* 1 */
	float *ub;		/* nusers */
	float *ib;		/* nitems */
	float *p;		/* nusers x k */
	float *q;		/* nitems x k */
};

struct mf {
	uint32_t k;
	float rmin, rmax;	/* predictions are clipped to the training range */
	struct mf_params w;
};

static void params_free(struct mf_params *w)
{
	free(w->mu);
	free(w->ub);
	free(w->ib);
	free(w->p);
	free(w->q);
	memset(w, 0, sizeof(*w));
}

static int params_alloc(struct mf_params *w, uint32_t nu, uint32_t ni, uint32_t k)
{
	w->mu = calloc(1, sizeof(float));
	w->ub = calloc((size_t)nu + 1, sizeof(float));
	w->ib = calloc((size_t)ni + 1, sizeof(float));
	w->p = rec_alloc_large_zero(((size_t)nu * k + 1) * sizeof(float));
	w->q = rec_alloc_large_zero(((size_t)ni * k + 1) * sizeof(float));
	return w->mu && w->ub && w->ib && w->p && w->q ? 0 : REC_ENOMEM;
}

static void params_copy(struct mf_params *dst, const struct mf_params *src,
			uint32_t nu, uint32_t ni, uint32_t k)
{
	memcpy(dst->mu, src->mu, sizeof(float));
	memcpy(dst->ub, src->ub, nu * sizeof(float));
	memcpy(dst->ib, src->ib, ni * sizeof(float));
	memcpy(dst->p, src->p, (size_t)nu * k * sizeof(float));
	memcpy(dst->q, src->q, (size_t)ni * k * sizeof(float));
}

static int mf_init(struct rec_model *m)
{
	struct mf *mf = calloc(1, sizeof(*mf));
	const struct rec_dataset *d = &m->data;

	if (!mf)
		return REC_ENOMEM;
	m->state = mf;
	mf->k = (uint32_t)m->hp[HP_FACTORS];
	mf->rmin = INFINITY;
	mf->rmax = -INFINITY;
	for (uint64_t e = 0; e < d->nnz; e++) {
		mf->rmin = fminf(mf->rmin, d->val[e]);
		mf->rmax = fmaxf(mf->rmax, d->val[e]);
	}
	return params_alloc(&mf->w, d->nusers, d->nitems, mf->k);
}

static unsigned mf_params(struct rec_model *m, struct rec_param *p)
{
	struct mf *mf = m->state;
	const struct rec_dataset *d = &m->data;

	p[0] = (struct rec_param){ { 'G', 'M', 'E', 'A' }, mf->w.mu, NULL, 1 };
	p[1] = (struct rec_param){ { 'U', 'B', 'I', 'A' }, mf->w.ub, NULL, d->nusers };
	p[2] = (struct rec_param){ { 'I', 'B', 'I', 'A' }, mf->w.ib, NULL, d->nitems };
	p[3] = (struct rec_param){ { 'U', 'F', 'A', 'C' }, mf->w.p, NULL, (uint64_t)d->nusers * mf->k };
	p[4] = (struct rec_param){ { 'I', 'F', 'A', 'C' }, mf->w.q, NULL, (uint64_t)d->nitems * mf->k };
	return 5;
}

static float clip(const struct mf *mf, float v)
{
	return v < mf->rmin ? mf->rmin : v > mf->rmax ? mf->rmax : v;
}

static float mf_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct mf *mf = m->state;
	float v = mf->w.mu[0];

	if (user >= 0)
		v += mf->w.ub[user];
	if (item >= 0)
		v += mf->w.ib[item];
	if (user >= 0 && item >= 0)
		v += rec_dot(mf->w.p + (size_t)user * mf->k, mf->w.q + (size_t)item * mf->k, mf->k);
	return clip(mf, v);
}

/* Each item's bias plus its factors' product with vec. */
static void score_vector(const struct rec_model *m, const float *vec, float *scores)
{
	const struct mf *mf = m->state;

	memcpy(scores, mf->w.ib, m->data.nitems * sizeof(*scores));
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m->data.nitems, (int)mf->k, 1.0f,
		    mf->w.q, (int)mf->k, vec, 1, 1.0f, scores, 1);
}

static void mf_score(const struct rec_model *m, uint32_t user, float *scores)
{
	const struct mf *mf = m->state;

	score_vector(m, mf->w.p + (size_t)user * mf->k, scores);
}

/* One matrix product for the block; the users' rows gathered first. */
static void mf_score_block(const struct rec_model *m, const uint32_t *users,
			   uint32_t n, float *scores)
{
	const struct mf *mf = m->state;
	size_t ni = m->data.nitems;
	float *p = malloc((size_t)n * mf->k * sizeof(*p) + 1);

	if (!p) {
		for (uint32_t j = 0; j < n; j++)
			mf_score(m, users[j], scores + j * ni);
		return;
	}
	for (uint32_t j = 0; j < n; j++) {
		memcpy(p + (size_t)j * mf->k, mf->w.p + (size_t)users[j] * mf->k,
		       mf->k * sizeof(*p));
		memcpy(scores + j * ni, mf->w.ib, ni * sizeof(*scores));
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ni, (int)mf->k,
		    1.0f, p, (int)mf->k, mf->w.q, (int)mf->k, 1.0f, scores, (int)ni);
	free(p);
}

/* --- SGD and Adam --- */

struct trainer {
	struct rec_model *m;
	struct mf *mf;
	uint32_t *user;		/* per entry, since rows hide it */
	uint32_t *order;	/* entries in this epoch's order */
	float *weight;		/* per entry time-decay weight */
	struct mf_params m1, m2;	/* Adam's moments */
	float lr, reg, reg_bias;
	uint64_t step;
	int adam;
	struct gibbs *gibbs;
};

/* Adam is lazy, as TensorFlow's LazyAdam and PyTorch's SparseAdam are: a
 * step is one rating, and it moves only that user's and that item's bias
 * and vector and their moments, at the step size of the ratings' count so
 * far.  Its bias corrections are folded into the step size and epsilon
 * (Kingma and Ba, end of section 2), which leaves one square root and one
 * division a coordinate. */
struct adam_rate {
	float lr, eps;
};

/* Past this step, 0.999^t < 2^-28 and both corrections round to 1 in
 * float; the powers are skipped, as they cost as much as a step. */
#define ADAM_SETTLED 20000

static struct adam_rate adam_rate(float lr, uint64_t step)
{
	float c1, c2;

	if (step > ADAM_SETTLED)
		return (struct adam_rate){ lr, (float)REC_NN_ADAM_EPS };
	c1 = 1 - (float)pow(REC_NN_ADAM_B1, (double)step);
	c2 = sqrtf(1 - (float)pow(REC_NN_ADAM_B2, (double)step));
	return (struct adam_rate){ lr * c2 / c1, (float)REC_NN_ADAM_EPS * c2 };
}

/* Move one coordinate's moments by its gradient g; returns how far the
 * coordinate moves down. */
static inline float adam_move(float *m1, float *m2, float g, struct adam_rate a)
{
	*m1 = (float)REC_NN_ADAM_B1 * *m1 + (float)(1 - REC_NN_ADAM_B1) * g;
	*m2 = (float)REC_NN_ADAM_B2 * *m2 + (float)(1 - REC_NN_ADAM_B2) * g * g;
	return a.lr * *m1 / (sqrtf(*m2) + a.eps);
}

/* The vectors' step for the rating's weighted error g: each vector's
 * gradient is taken before either moves. */
static void adam_vectors(const struct rec_mf_row *u, const struct rec_mf_row *i,
			 uint32_t k, float g, float reg, struct adam_rate a)
{
	for (uint32_t f = 0; f < k; f++) {
		float pf = u->x[f], qf = i->x[f];

		u->x[f] = pf - adam_move(&u->m1[f], &u->m2[f], reg * pf - g * qf, a);
		i->x[f] = qf - adam_move(&i->m1[f], &i->m2[f], reg * qf - g * pf, a);
	}
}

#ifdef REC_X86_KERNELS
/* The lanes of a 16-float register that left floats fill. */
static __mmask16 tail_mask(uint32_t left)
{
	return left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
}

/* adam_move for the lanes m of x, m1 and m2, returning x moved: the same
 * operations in the same order, so the same bits as the portable step. */
__attribute__((target("avx512f")))
static inline __m512 adam_move_avx512(__m512 x, float *m1, float *m2, __m512 g, __mmask16 m,
				      struct adam_rate a)
{
	__m512 v1 = _mm512_maskz_loadu_ps(m, m1), v2 = _mm512_maskz_loadu_ps(m, m2);

	v1 = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps((float)REC_NN_ADAM_B1), v1),
			   _mm512_mul_ps(_mm512_set1_ps((float)(1 - REC_NN_ADAM_B1)), g));
	v2 = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps((float)REC_NN_ADAM_B2), v2),
			   _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps((float)(1 - REC_NN_ADAM_B2)), g), g));
	_mm512_mask_storeu_ps(m1, m, v1);
	_mm512_mask_storeu_ps(m2, m, v2);
	return _mm512_sub_ps(x, _mm512_div_ps(_mm512_mul_ps(_mm512_set1_ps(a.lr), v1),
					      _mm512_add_ps(_mm512_sqrt_ps(v2),
							    _mm512_set1_ps(a.eps))));
}

/* adam_vectors sixteen coordinates at a time, the tail under a mask: the
 * square roots and divisions of the portable loop stay scalar, as the
 * compiler must keep sqrtf's errno. */
__attribute__((target("avx512f")))
static void adam_vectors_avx512(const struct rec_mf_row *u, const struct rec_mf_row *i,
				uint32_t k, float g, float reg, struct adam_rate a)
{
	__m512 vg = _mm512_set1_ps(g), vr = _mm512_set1_ps(reg);

	for (uint32_t f = 0; f < k; f += 16) {
		__mmask16 m = tail_mask(k - f);
		__m512 p = _mm512_maskz_loadu_ps(m, u->x + f), q = _mm512_maskz_loadu_ps(m, i->x + f);
		__m512 gp = _mm512_sub_ps(_mm512_mul_ps(vr, p), _mm512_mul_ps(vg, q));
		__m512 gq = _mm512_sub_ps(_mm512_mul_ps(vr, q), _mm512_mul_ps(vg, p));

		_mm512_mask_storeu_ps(u->x + f, m, adam_move_avx512(p, u->m1 + f, u->m2 + f, gp, m, a));
		_mm512_mask_storeu_ps(i->x + f, m, adam_move_avx512(q, i->m1 + f, i->m2 + f, gq, m, a));
	}
}
#endif

void rec_mf_adam_step(const struct rec_mf_adam *h, uint64_t step, const struct rec_mf_row *u,
		      const struct rec_mf_row *i, float g)
{
	struct adam_rate a = adam_rate(h->lr, step);

	*u->bias -= adam_move(u->bias_m1, u->bias_m2, h->reg_bias * *u->bias - g, a);
	*i->bias -= adam_move(i->bias_m1, i->bias_m2, h->reg_bias * *i->bias - g, a);
#ifdef REC_X86_KERNELS
	if (rec_cpu_has(REC_CPU_AVX512)) {
		adam_vectors_avx512(u, i, h->k, g, h->reg, a);
		return;
	}
#endif
	adam_vectors(u, i, h->k, g, h->reg, a);
}

/* Row r of the users' (item 0) or the items' arrays, with Adam's moments. */
static struct rec_mf_row adam_row(const struct trainer *t, int item, uint32_t r)
{
	const struct mf_params *w = &t->mf->w, *m1 = &t->m1, *m2 = &t->m2;
	size_t at = (size_t)r * t->mf->k;

	if (item)
		return (struct rec_mf_row){ w->ib + r, m1->ib + r, m2->ib + r,
					    w->q + at, m1->q + at, m2->q + at };
	return (struct rec_mf_row){ w->ub + r, m1->ub + r, m2->ub + r,
				    w->p + at, m1->p + at, m2->p + at };
}

#define MAX_K 4096

/* Fit one rating; returns the squared error before the update. */
static float fit_one(struct trainer *t, uint64_t e, uint64_t step)
{
	const struct rec_dataset *d = &t->m->data;
	struct mf_params *w = &t->mf->w;
	uint32_t u = t->user[e], i = d->col[e], k = t->mf->k;
	float *pu = w->p + (size_t)u * k, *qi = w->q + (size_t)i * k;
	float err = d->val[e] - (w->mu[0] + w->ub[u] + w->ib[i] + rec_dot(pu, qi, k));
	float g = err * t->weight[e];

	if (!t->adam) {
		float lr = t->lr;

		w->ub[u] += lr * (g - t->reg_bias * w->ub[u]);
		w->ib[i] += lr * (g - t->reg_bias * w->ib[i]);
		#pragma omp simd
		for (uint32_t f = 0; f < k; f++) {
			float pf = pu[f];

			pu[f] += lr * (g * qi[f] - t->reg * pf);
			qi[f] += lr * (g * pf - t->reg * qi[f]);
		}
	} else {
		struct rec_mf_adam h = { k, t->lr, t->reg, t->reg_bias };
		struct rec_mf_row ur = adam_row(t, 0, u), ir = adam_row(t, 1, i);

		rec_mf_adam_step(&h, step, &ur, &ir, g);
	}
	return err * err;
}

/* One pass over the shuffled entries; returns the training RMSE. */
static double run_epoch(struct trainer *t, struct rec_rng *rng)
{
	uint64_t n = t->m->data.nnz, base = t->step;
	double sse = 0;

	rec_rng_shuffle_u32(rng, t->order, n);
	#pragma omp parallel for schedule(static) reduction(+:sse)
	for (uint64_t j = 0; j < n; j++)
		sse += fit_one(t, t->order[j], base + j + 1);
	t->step += n;
	return sqrt(sse / (double)(n ? n : 1));
}

/* --- Gibbs sampling ---
 *
 * The Bayesian model behind solver=gibbs (Salakhutdinov and Mnih, ICML
 * 2008, sampled one coordinate at a time as libFM's MCMC does, Rendle
 * 2012, so that a sweep costs O(ratings x k) like an SGD epoch):
 *
 *   r(u,i) ~ N(mu + b_u + b_i + p_u . q_i, 1 / (alpha a_u w(u,i)))
 *
 * with w the time-decay weight and a_u ~ Gamma(NOISE_SHAPE, NOISE_SHAPE) a
 * per-user scale of the noise, since some users rate more consistently
 * than others.  Each coordinate c of a user's (p_u, b_u) has the prior
 *
 *   N(m_c + z_uc, 1 / l_c),  z_u = |I(u)|^-1/2 sum over i in I(u) of y_i,
 *
 * so that the items a user rated move his prior (Koren's implicit factors
 * of SVD++, put into the prior); items likewise get a shift from the users
 * who rated them, which matters most: who watches a film says much about
 * it when few have rated it (Rendle's "flipped" models).  The y have
 * N(m'_c, 1 / l'_c) priors; every m and l has a Normal-Gamma hyperprior and
 * alpha a Gamma one, all with libFM's parameters of 1.
 *
 * The model keeps the mean of the samples drawn after burn-in.  Averaging
 * the samples' predictions instead would do slightly better but needs
 * every sample at prediction time; the posterior mean fits the arrays that
 * predict and score use.
 */

/* The users' noise scales a_u have the prior Gamma(10, 10): a mean of 1,
 * which a user's own ratings outweigh once he has more than 20. */
#define NOISE_SHAPE 10

/* Ratings' scales (square roots of their precisions) below this count as
 * this, so that a residual scaled by one can be scaled back. */
#define MIN_SCALE 1e-10f
#define ROUND4(n) (((uint32_t)(n) + 3) & ~3u)

/* One side of the factorisation.  The sampler keeps rows of dim = k + 2
 * numbers, users (p_u, b_u, 1) and items (q_i, 1, b_i), so that a user row
 * dotted with an item row is the prediction less mu, and sampling a row's
 * bias is sampling one more coordinate.  Instead of the shift z it keeps
 * dev = x - z, which is all the implicit factors and the priors look at. */
struct side {
	uint32_t n;		/* rows */
	uint32_t bias;		/* the coordinate of the row's bias */
	uint32_t one;		/* the coordinate held at 1 */
	uint64_t *ptr;		/* row r's ratings: ptr[r] .. ptr[r + 1] - 1 */
	uint32_t *ent;		/* their entries in the dataset (NULL: the same) */
	uint32_t *adj;		/* their counterparts, rows of the other side */
	float *norm;		/* |ratings|^-1/2, or 0 */
	float *x;		/* n x dim: the sample */
	float *dev;		/* n x dim: x - z */
	float *sum;		/* n x dim: the sum of the samples kept */
	float *imp;		/* other side's n x dim: the implicit factors y */
	double *prior;		/* dim each: m, l, then m', l' */
	float *fprior;		/* the same as floats, for the inner loops */
};

struct gibbs {
	struct rec_model *m;
	uint32_t k, dim;
	struct side side[2];	/* users, items */
	float *res;		/* per entry: rating minus prediction */
	float *sw;		/* per entry: square root of the time-decay weight */
	float *scale;		/* per entry: square root of the precision */
	float *noise;		/* per user: a_u */
	float *sums;		/* 2 per user, for sample_noise_mean */
	double wtotal;		/* sum of all weights */
	double alpha;		/* noise precision */
	double mu, mu_sum;	/* global mean, and its sum over the samples kept */
	uint32_t sweeps;	/* done so far */
	uint32_t kept;		/* samples in the sums */
	size_t most;		/* the most ratings of a row, at least dim */
	size_t scratch;		/* floats of buf per thread */
	float *buf;
	float *stat;		/* 3 x dim, for the priors */
};

/* h[c * len + j] = sc[j] times counterpart j's factor c < k, for the n
 * rows adj[] of x, then zeros up to len, a multiple of 4: the
 * counterparts' factors, one factor at a time.  With SSE, four rows and
 * four factors at a time: a sweep moves every rating's counterpart twice,
 * and one at a time took a quarter of the sweep. */
static void transpose(const float *x, uint32_t dim, uint32_t k, const uint32_t *adj,
		      uint32_t n, const float *sc, uint32_t len, float *h)
{
	for (uint32_t j = 0; j < len; j += 4) {
		const float *r[4];
		uint32_t c = 0;

		/* The padding's scale is 0: any row will do. */
		for (uint32_t i = 0; i < 4; i++)
			r[i] = x + (size_t)adj[j + i < n ? j + i : n - 1] * dim;
#ifdef __SSE__
		for (__m128 s = _mm_loadu_ps(sc + j); c + 4 <= k; c += 4) {
			__m128 a = _mm_loadu_ps(r[0] + c), b = _mm_loadu_ps(r[1] + c);
			__m128 e = _mm_loadu_ps(r[2] + c), f = _mm_loadu_ps(r[3] + c);

			_MM_TRANSPOSE4_PS(a, b, e, f);
			_mm_storeu_ps(h + (size_t)c * len + j, _mm_mul_ps(s, a));
			_mm_storeu_ps(h + (size_t)(c + 1) * len + j, _mm_mul_ps(s, b));
			_mm_storeu_ps(h + (size_t)(c + 2) * len + j, _mm_mul_ps(s, e));
			_mm_storeu_ps(h + (size_t)(c + 3) * len + j, _mm_mul_ps(s, f));
		}
#endif
		for (; c < k; c++)
			for (uint32_t i = 0; i < 4; i++)
				h[(size_t)c * len + j + i] = sc[j + i] * r[i][c];
	}
}

/* A row's ratings as its sampler wants them, each scaled by the square
 * root of its precision: the residuals r, the scales sc (which are also
 * what the row's bias multiplies), and in h the counterparts' factors;
 * padded with zeros to len entries so that the passes need no scalar
 * tail. */
static void gather_row(const struct gibbs *g, int s, uint32_t row, uint32_t len,
		       float *r, float *sc, float *h)
{
	const struct side *me = &g->side[s];
	uint64_t a = me->ptr[row];
	uint32_t n = (uint32_t)(me->ptr[row + 1] - a);

	for (uint32_t j = 0; j < n; j++) {
		uint64_t e = me->ent ? me->ent[a + j] : a + j;

		sc[j] = g->scale[e];
		r[j] = sc[j] * g->res[e];
	}
	for (uint32_t j = n; j < len; j++)
		sc[j] = r[j] = 0;
	transpose(g->side[!s].x, g->dim, g->k, me->adj + a, n, sc, len, h);
}

static void scatter_row(struct gibbs *g, int s, uint32_t row, const float *r,
			const float *sc)
{
	const struct side *me = &g->side[s];
	uint64_t a = me->ptr[row];

	for (uint64_t j = 0; j < me->ptr[row + 1] - a; j++)
		g->res[me->ent ? me->ent[a + j] : a + j] = r[j] / sc[j];
}

/* Over n ratings, move the residuals r by -(da pa + db pb), then sum for
 * the coordinates a and b with values ha and hb: s = (ha.ha, ha.hb,
 * hb.hb, r.ha, r.hb).  This pass is the sampler's inner loop. */
static void move_and_sum(float *r, const float *pa, const float *pb, float da, float db,
			 const float *ha, const float *hb, uint32_t n, float *s)
{
	float aa = 0, ab = 0, bb = 0, ra = 0, rb = 0;

	#pragma omp simd reduction(+:aa, ab, bb, ra, rb)
	for (uint32_t j = 0; j < n; j++) {
		float v = r[j] - (da * pa[j] + db * pb[j]);

		r[j] = v;
		aa += ha[j] * ha[j];
		ab += ha[j] * hb[j];
		bb += hb[j] * hb[j];
		ra += v * ha[j];
		rb += v * hb[j];
	}
	s[0] = aa;
	s[1] = ab;
	s[2] = bb;
	s[3] = ra;
	s[4] = rb;
}

/* Draw coordinate c of a row from its conditional, given the sums of its
 * ratings' h^2 and r h and the deviate z; returns the move. */
static inline float draw(const struct side *me, uint32_t dim, float *x, float *dev,
			 uint32_t c, float shh, float seh, float z)
{
	const float *mean = me->fprior, *prec = mean + dim;
	float inv = 1 / (shh + prec[c]);
	float mn = (seh + x[c] * shh + prec[c] * (mean[c] + x[c] - dev[c])) * inv;
	float dlt = mn + z * sqrtf(inv) - x[c];

	x[c] += dlt;
	dev[c] += dlt;
	return dlt;
}

#ifdef REC_X86_KERNELS
/* move_and_sum sixteen ratings at a time; the tail under a mask. */
__attribute__((target("avx512f")))
static void move_and_sum_avx512(float *r, const float *pa, const float *pb, float da,
				float db, const float *ha, const float *hb, uint32_t n, float *s)
{
	__m512 aa = _mm512_setzero_ps(), ab = aa, bb = aa, ra = aa, rb = aa;
	__m512 va = _mm512_set1_ps(da), vb = _mm512_set1_ps(db);

	for (uint32_t j = 0; j < n; j += 16) {
		__mmask16 m = tail_mask(n - j);
		__m512 x = _mm512_maskz_loadu_ps(m, ha + j), y = _mm512_maskz_loadu_ps(m, hb + j);
		__m512 v = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, r + j),
					 _mm512_add_ps(_mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, pa + j)),
						       _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m, pb + j))));

		_mm512_mask_storeu_ps(r + j, m, v);
		aa = _mm512_add_ps(aa, _mm512_mul_ps(x, x));
		ab = _mm512_add_ps(ab, _mm512_mul_ps(x, y));
		bb = _mm512_add_ps(bb, _mm512_mul_ps(y, y));
		ra = _mm512_add_ps(ra, _mm512_mul_ps(v, x));
		rb = _mm512_add_ps(rb, _mm512_mul_ps(v, y));
	}
	s[0] = _mm512_reduce_add_ps(aa);
	s[1] = _mm512_reduce_add_ps(ab);
	s[2] = _mm512_reduce_add_ps(bb);
	s[3] = _mm512_reduce_add_ps(ra);
	s[4] = _mm512_reduce_add_ps(rb);
}
#endif

typedef void move_and_sum_fn(float *r, const float *pa, const float *pb, float da, float db,
			     const float *ha, const float *hb, uint32_t n, float *s);

/* Draw a row's k factors and its bias one after the other, with the
 * deviates z; the residuals r follow each move.  One pass over the ratings
 * serves two coordinates: it applies the last two moves and sums what the
 * next two need, the second's sums corrected for the first's move. */
static inline __attribute__((always_inline)) void
sample_coords_with(move_and_sum_fn *move, const struct gibbs *g, const struct side *me,
		   float *x, float *dev, float *r, const float *sc, const float *h,
		   uint32_t len, const float *z)
{
	uint32_t k = g->k, bias = me->bias;
	const float *pa = sc, *pb = sc;
	float da = 0, db = 0;

	for (uint32_t t = 0; t <= k; t += 2) {
		const float *ha = t < k ? h + (size_t)t * len : sc;
		const float *hb = t + 1 < k ? ha + len : t + 1 == k ? sc : ha;
		float s[5];

		move(r, pa, pb, da, db, ha, hb, len, s);
		da = draw(me, g->dim, x, dev, t < k ? t : bias, s[0], s[3], z[t]);
		db = t + 1 > k ? 0 : draw(me, g->dim, x, dev, t + 1 < k ? t + 1 : bias,
					  s[2], s[4] - da * s[1], z[t + 1]);
		pa = ha;
		pb = hb;
	}
	for (uint32_t j = 0; j < len; j++)
		r[j] -= da * pa[j] + db * pb[j];
}

#ifdef REC_X86_KERNELS
__attribute__((target("avx512f")))
static void sample_coords_avx512(const struct gibbs *g, const struct side *me, float *x,
				 float *dev, float *r, const float *sc, const float *h,
				 uint32_t len, const float *z)
{
	sample_coords_with(move_and_sum_avx512, g, me, x, dev, r, sc, h, len, z);
}
#endif

static void sample_coords(const struct gibbs *g, const struct side *me, float *x,
			  float *dev, float *r, const float *sc, const float *h,
			  uint32_t len, const float *z)
{
#ifdef REC_X86_KERNELS
	if (rec_cpu_has(REC_CPU_AVX512)) {
		sample_coords_avx512(g, me, x, dev, r, sc, h, len, z);
		return;
	}
#endif
	sample_coords_with(move_and_sum, g, me, x, dev, r, sc, h, len, z);
}

/* Every row of one side; rows are independent given the other side, and
 * each has its own stream so that the threads do not change the draws. */
static void sample_rows(struct gibbs *g, int s, uint64_t seed)
{
	struct side *me = &g->side[s];
	uint32_t dim = g->dim;

	#pragma omp parallel for schedule(dynamic, 16)
	for (uint32_t row = 0; row < me->n; row++) {
		uint32_t len = ROUND4(me->ptr[row + 1] - me->ptr[row]);
		float *r = g->buf + (size_t)omp_get_thread_num() * g->scratch;
		float *sc = r + len, *z = sc + len, *h = z + dim;
		struct rec_rng rng;

		gather_row(g, s, row, len, r, sc, h);
		rec_rng_seed(&rng, seed + row);
		rec_rng_normals(&rng, z, g->k + 1);
		sample_coords(g, me, me->x + (size_t)row * dim, me->dev + (size_t)row * dim,
			      r, sc, h, len, z);
		scatter_row(g, s, row, r, sc);
	}
}

/* The implicit factors' sums run down a counterpart's rows with a block
 * of coordinates held in registers: summing into memory loaded and stored
 * the sums again for every row, and each pass waited on that. */
#define BLOCK 32

/* acc = the sum over the n rows adj[] of x of norm[row] x[row]. */
static void sum_rows(const float *x, uint32_t dim, const float *norm, const uint32_t *adj,
		     uint64_t n, float *acc)
{
	uint32_t c = 0;

#ifdef __SSE__
	for (; c + BLOCK <= dim; c += BLOCK) {
		__m128 s[BLOCK / 4];

		#pragma GCC unroll 8
		for (int b = 0; b < BLOCK / 4; b++)
			s[b] = _mm_setzero_ps();
		for (uint64_t a = 0; a < n; a++) {
			const float *row = x + (size_t)adj[a] * dim + c;
			__m128 nr = _mm_set1_ps(norm[adj[a]]);

			#pragma GCC unroll 8
			for (int b = 0; b < BLOCK / 4; b++)
				s[b] = _mm_add_ps(s[b], _mm_mul_ps(nr, _mm_loadu_ps(row + 4 * b)));
		}
		#pragma GCC unroll 8
		for (int b = 0; b < BLOCK / 4; b++)
			_mm_storeu_ps(acc + c + 4 * b, s[b]);
	}
#endif
	for (; c < dim; c++) {
		float s = 0;

		for (uint64_t a = 0; a < n; a++)
			s += norm[adj[a]] * x[(size_t)adj[a] * dim + c];
		acc[c] = s;
	}
}

/* x[row] -= norm[row] dlt for the n rows adj[] of x. */
static void move_rows(float *restrict x, uint32_t dim, const float *norm, const uint32_t *adj,
		      uint64_t n, const float *restrict dlt)
{
	for (uint64_t a = 0; a < n; a++) {
		float *row = x + (size_t)adj[a] * dim;
		float nr = norm[adj[a]];

		#pragma omp simd
		for (uint32_t f = 0; f < dim; f++)
			row[f] -= nr * dlt[f];
	}
}

#ifdef REC_X86_KERNELS
/* The same two with AVX-512: the sum holds 80 coordinates in registers,
 * the last register's under a mask, so one pass serves the 66 of 64
 * factors. */
#define WIDE 5

static void masks_from(uint32_t c, uint32_t dim, __mmask16 *m)
{
	for (int b = 0; b < WIDE; b++) {
		uint32_t from = c + 16 * (uint32_t)b;

		m[b] = tail_mask(from < dim ? dim - from : 0);
	}
}

__attribute__((target("avx512f")))
static void sum_rows_avx512(const float *x, uint32_t dim, const float *norm,
			    const uint32_t *adj, uint64_t n, float *acc)
{
	for (uint32_t c = 0; c < dim; c += 16 * WIDE) {
		__mmask16 m[WIDE];
		__m512 s[WIDE];

		masks_from(c, dim, m);
		#pragma GCC unroll 5
		for (int b = 0; b < WIDE; b++)
			s[b] = _mm512_setzero_ps();
		for (uint64_t a = 0; a < n; a++) {
			const float *row = x + (size_t)adj[a] * dim + c;
			__m512 nr = _mm512_set1_ps(norm[adj[a]]);

			#pragma GCC unroll 5
			for (int b = 0; b < WIDE; b++)
				s[b] = _mm512_add_ps(s[b], _mm512_mul_ps(nr, _mm512_maskz_loadu_ps(
								   m[b], row + 16 * b)));
		}
		#pragma GCC unroll 5
		for (int b = 0; b < WIDE; b++)
			_mm512_mask_storeu_ps(acc + c + 16 * b, m[b], s[b]);
	}
}

__attribute__((target("avx512f")))
static void move_rows_avx512(float *restrict x, uint32_t dim, const float *norm,
			     const uint32_t *adj, uint64_t n, const float *restrict dlt)
{
	for (uint64_t a = 0; a < n; a++) {
		float *row = x + (size_t)adj[a] * dim;
		__m512 nr = _mm512_set1_ps(norm[adj[a]]);

		for (uint32_t c = 0; c < dim; c += 16) {
			__mmask16 m = tail_mask(dim - c);

			_mm512_mask_storeu_ps(row + c, m, _mm512_sub_ps(
				_mm512_maskz_loadu_ps(m, row + c),
				_mm512_mul_ps(nr, _mm512_maskz_loadu_ps(m, dlt + c))));
		}
	}
}
#endif

/* One side's implicit factors, counterpart after counterpart: when y_j
 * moves, so does the shift of every row that rated j.  Given the shifts,
 * y_j's coordinates are independent of each other. */
static void sample_implicit(struct gibbs *g, int s, float *buf, struct rec_rng *rng)
{
	struct side *me = &g->side[s];
	const struct side *other = &g->side[!s];
	uint32_t dim = g->dim;
	const float *mean = me->fprior, *prec = mean + dim, *imean = prec + dim;
	const float *iprec = imean + dim;
	float *acc = buf, *dlt = acc + dim, *z = dlt + dim;
	void (*sum)(const float *, uint32_t, const float *, const uint32_t *, uint64_t,
		    float *) = sum_rows;
	void (*move)(float *, uint32_t, const float *, const uint32_t *, uint64_t,
		     const float *) = move_rows;

#ifdef REC_X86_KERNELS
	if (rec_cpu_has(REC_CPU_AVX512)) {
		sum = sum_rows_avx512;
		move = move_rows_avx512;
	}
#endif
	for (uint32_t j = 0; j < other->n; j++) {
		float *y = me->imp + (size_t)j * dim, sn = 0, snn = 0;
		uint64_t a = other->ptr[j], end = other->ptr[j + 1];

		for (; a < end; a++) {
			float nr = me->norm[other->adj[a]];

			sn += nr;
			snn += nr * nr;
		}
		sum(me->dev, dim, me->norm, other->adj + other->ptr[j], end - other->ptr[j], acc);
		rec_rng_normals(rng, z, dim);
		#pragma omp simd
		for (uint32_t c = 0; c < dim; c++) {
			float inv = 1 / (iprec[c] + prec[c] * snn);
			float mn = (iprec[c] * imean[c] +
				    prec[c] * (acc[c] - mean[c] * sn + y[c] * snn)) * inv;

			dlt[c] = mn + z[c] * sqrtf(inv) - y[c];
		}
		dlt[me->one] = 0;
		for (uint32_t c = 0; c < dim; c++)
			y[c] += dlt[c];
		move(me->dev, dim, me->norm, other->adj + other->ptr[j], end - other->ptr[j], dlt);
	}
}

/* Normal-Gamma draws of each coordinate's prior mean and precision given
 * n rows of x. */
static void sample_prior(const struct gibbs *g, const float *x, uint32_t n,
			 uint32_t one, double *mean, double *prec, struct rec_rng *rng)
{
	uint32_t dim = g->dim;
	float *s = g->stat, *ss = s + dim, *m = ss + dim;

	for (uint32_t c = 0; c < dim; c++) {
		s[c] = ss[c] = 0;
		m[c] = (float)mean[c];
	}
	for (uint32_t row = 0; row < n; row++)
		#pragma omp simd
		for (uint32_t c = 0; c < dim; c++) {
			float v = x[(size_t)row * dim + c];

			s[c] += v;
			ss[c] += (v - m[c]) * (v - m[c]);
		}
	for (uint32_t c = 0; c < dim; c++) {
		if (c == one)
			continue;
		prec[c] = rec_rng_gamma(rng, (n + 2) / 2.0) / ((mean[c] * mean[c] + 1 + ss[c]) / 2);
		mean[c] = s[c] / (n + 1) + rec_rng_normal(rng) / sqrt((n + 1) * prec[c]);
	}
}

/* The sampler's loops hand out work in chunks as threads ask for it: a
 * thread that the machine's other jobs hold back then delays a sweep by
 * one chunk, not by half of it. */
#define USER_CHUNK 256
#define ENTRY_CHUNK (1 << 16)

/* The noise, alpha given the users' scales, then each user's scale given
 * alpha (from the user's own stream, so that the threads do not change the
 * draws), and the ratings' scales that follow; then the global mean under
 * a flat prior.  sums holds per user the squared residuals' sum, then the
 * weighted residuals', and after it the weights'. */
static void sample_noise_mean(struct gibbs *g, struct rec_rng *rng)
{
	const struct rec_dataset *d = &g->m->data;
	float *sums = g->sums, *wsum = sums + d->nusers;
	uint64_t seed = rec_rng_next(rng);
	double ss = 0, pr = 0;
	float dlt;

	#pragma omp parallel for schedule(dynamic, USER_CHUNK)
	for (uint32_t u = 0; u < d->nusers; u++) {
		float su = 0;

		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
			su += g->sw[e] * g->res[e] * g->sw[e] * g->res[e];
		sums[u] = su;
	}
	for (uint32_t u = 0; u < d->nusers; u++)
		ss += (double)g->noise[u] * sums[u];
	g->alpha = rec_rng_gamma(rng, (1 + g->wtotal) / 2) / ((1 + ss) / 2);
	#pragma omp parallel for schedule(dynamic, USER_CHUNK)
	for (uint32_t u = 0; u < d->nusers; u++) {
		struct rec_rng r;
		float sc, s = 0;

		rec_rng_seed(&r, seed + u);
		g->noise[u] = (float)(rec_rng_gamma(&r, NOISE_SHAPE + wsum[u] / 2) /
				      (NOISE_SHAPE + g->alpha * sums[u] / 2));
		sc = sqrtf((float)g->alpha * g->noise[u]);
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			float v = sc * g->sw[e];

			g->scale[e] = v > MIN_SCALE ? v : MIN_SCALE;
			s += g->scale[e] * g->scale[e] * g->res[e];
		}
		sums[u] = s;
	}
	ss = 0;
	for (uint32_t u = 0; u < d->nusers; u++) {
		ss += sums[u];
		pr += (double)g->alpha * g->noise[u] * wsum[u];
	}
	if (pr <= 0)
		return;
	dlt = (float)(ss / pr + rec_rng_normal(rng) / sqrt(pr));
	g->mu += dlt;
	#pragma omp parallel for schedule(dynamic, ENTRY_CHUNK)
	for (uint64_t e = 0; e < d->nnz; e++)
		g->res[e] -= dlt;
}

/* One sweep over every variable; returns the training RMSE. */
static double gibbs_sweep(struct gibbs *g, struct rec_rng *rng)
{
	const struct rec_dataset *d = &g->m->data;
	uint32_t dim = g->dim;
	uint64_t seed;
	double ss = 0;

	g->sweeps++;
	sample_noise_mean(g, rng);
	for (int s = 0; s < 2; s++) {
		struct side *me = &g->side[s];
		double *mean = me->prior;

		sample_prior(g, me->dev, me->n, me->one, mean, mean + dim, rng);
		sample_prior(g, me->imp, g->side[!s].n, me->one, mean + 2 * dim,
			     mean + 3 * dim, rng);
		for (uint32_t c = 0; c < 4 * dim; c++)
			me->fprior[c] = (float)mean[c];
	}
	for (int s = 0; s < 2; s++)
		sample_rows(g, s, rec_rng_next(rng));
	/* The implicit factors move slowly, each summing many rows: drawing
	 * them every other sweep is still a valid scan and halves their cost.
	 * The two sides' touch nothing in common. */
	if (g->sweeps % 2) {
		seed = rec_rng_next(rng);
		#pragma omp parallel for schedule(static, 1)
		for (int s = 0; s < 2; s++) {
			struct rec_rng r;

			rec_rng_seed(&r, seed + (uint64_t)s);
			sample_implicit(g, s, g->buf + (size_t)omp_get_thread_num() * g->scratch, &r);
		}
	}
	#pragma omp parallel for schedule(static) reduction(+:ss)
	for (uint64_t e = 0; e < d->nnz; e++)
		ss += (double)g->res[e] * g->res[e];
	return sqrt(ss / (double)(d->nnz ? d->nnz : 1));
}

/* Add the sample to the sums. */
static void gibbs_keep(struct gibbs *g)
{
	for (int s = 0; s < 2; s++) {
		struct side *me = &g->side[s];
		size_t n = (size_t)me->n * g->dim;

		#pragma omp parallel for schedule(dynamic, ENTRY_CHUNK)
		for (size_t j = 0; j < n; j++)
			me->sum[j] += me->x[j];
	}
	g->mu_sum += g->mu;
	g->kept++;
}

/* Put the mean of the samples kept, or the sample before any is, into the
 * model's arrays. */
static void gibbs_publish(struct gibbs *g)
{
	struct mf_params *w = &((struct mf *)g->m->state)->w;
	float scale = g->kept ? 1.0f / (float)g->kept : 1;
	uint32_t k = g->k, dim = g->dim;
	const float *u = g->kept ? g->side[0].sum : g->side[0].x;
	const float *i = g->kept ? g->side[1].sum : g->side[1].x;

	w->mu[0] = (float)(g->kept ? g->mu_sum / g->kept : g->mu);
	for (uint32_t r = 0; r < g->side[0].n; r++) {
		for (uint32_t f = 0; f < k; f++)
			w->p[(size_t)r * k + f] = scale * u[(size_t)r * dim + f];
		w->ub[r] = scale * u[(size_t)r * dim + g->side[0].bias];
	}
	for (uint32_t r = 0; r < g->side[1].n; r++) {
		for (uint32_t f = 0; f < k; f++)
			w->q[(size_t)r * k + f] = scale * i[(size_t)r * dim + f];
		w->ib[r] = scale * i[(size_t)r * dim + g->side[1].bias];
	}
}

static void side_release(struct side *me)
{
	free(me->norm);
	free(me->x);
	free(me->dev);
	free(me->sum);
	free(me->imp);
	free(me->prior);
	free(me->fprior);
}

static void gibbs_release(struct gibbs *g)
{
	if (!g)
		return;
	for (int s = 0; s < 2; s++)
		side_release(&g->side[s]);
	free(g->side[1].ptr);
	free(g->side[1].ent);
	free(g->side[1].adj);
	free(g->res);
	free(g->scale);
	free(g->sw);
	free(g->sums);
	free(g->noise);
	free(g->buf);
	free(g->stat);
	free(g);
}

/* The items' ratings as lists of dataset entries and users. */
static int index_items(struct gibbs *g, const struct rec_dataset *d)
{
	struct side *it = &g->side[1];

	it->ptr = calloc((size_t)d->nitems + 1, sizeof(*it->ptr));
	it->ent = rec_alloc_large((d->nnz + 1) * sizeof(*it->ent));
	it->adj = rec_alloc_large((d->nnz + 1) * sizeof(*it->adj));
	if (!it->ptr || !it->ent || !it->adj)
		return REC_ENOMEM;
	for (uint64_t e = 0; e < d->nnz; e++)
		it->ptr[d->col[e] + 1]++;
	for (uint32_t i = 0; i < d->nitems; i++)
		it->ptr[i + 1] += it->ptr[i];
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			uint64_t j = it->ptr[d->col[e]]++;

			it->ent[j] = (uint32_t)e;
			it->adj[j] = u;
		}
	memmove(it->ptr + 1, it->ptr, d->nitems * sizeof(*it->ptr));
	it->ptr[0] = 0;
	return 0;
}

/* Allocate one side and start it from the model's arrays with zero
 * implicit factors and standard normal priors. */
static int side_init(struct gibbs *g, int s, uint32_t n, uint32_t nother,
		     const float *fac, const float *bias)
{
	struct side *me = &g->side[s];
	uint32_t k = g->k, dim = g->dim;

	me->n = n;
	me->bias = s ? k + 1 : k;
	me->one = s ? k : k + 1;
	me->norm = calloc((size_t)n + 1, sizeof(float));
	me->x = rec_alloc_large_zero(((size_t)n * dim + 1) * sizeof(float));
	me->dev = rec_alloc_large_zero(((size_t)n * dim + 1) * sizeof(float));
	me->sum = rec_alloc_large_zero(((size_t)n * dim + 1) * sizeof(float));
	me->imp = rec_alloc_large_zero(((size_t)nother * dim + 1) * sizeof(float));
	me->prior = calloc(4 * (size_t)dim, sizeof(double));
	me->fprior = calloc(4 * (size_t)dim, sizeof(float));
	if (!me->norm || !me->x || !me->dev || !me->sum || !me->imp || !me->prior ||
	    !me->fprior)
		return REC_ENOMEM;
	for (uint32_t c = 0; c < dim; c++)
		me->prior[dim + c] = me->prior[3 * dim + c] = 1;
	for (uint32_t r = 0; r < n; r++) {
		uint64_t deg = me->ptr[r + 1] - me->ptr[r];
		float *x = me->x + (size_t)r * dim;

		memcpy(x, fac + (size_t)r * k, k * sizeof(float));
		x[me->bias] = bias[r];
		x[me->one] = 1;
		me->norm[r] = deg ? (float)(1 / sqrt((double)deg)) : 0;
		if (deg > g->most)
			g->most = deg;
	}
	memcpy(me->dev, me->x, (size_t)n * dim * sizeof(float));
	return 0;
}

/* A sampler started from the model's arrays (as init_factors left them),
 * or NULL out of memory. */
static struct gibbs *gibbs_new(struct rec_model *m, const float *weight)
{
	const struct rec_dataset *d = &m->data;
	struct mf *mf = m->state;
	struct gibbs *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->m = m;
	g->k = mf->k;
	g->dim = g->most = mf->k + 2;
	g->mu = mf->w.mu[0];
	g->alpha = 1;
	g->side[0].ptr = d->rowptr;
	g->side[0].adj = d->col;
	g->res = rec_alloc_large((d->nnz + 1) * sizeof(*g->res));
	g->scale = rec_alloc_large((d->nnz + 1) * sizeof(*g->scale));
	g->sw = rec_alloc_large((d->nnz + 1) * sizeof(*g->sw));
	g->sums = calloc(2 * (size_t)d->nusers + 1, sizeof(*g->sums));
	g->noise = malloc(((size_t)d->nusers + 1) * sizeof(*g->noise));
	g->stat = malloc(3 * (size_t)g->dim * sizeof(*g->stat));
	if (!g->res || !g->scale || !g->sw || !g->noise || !g->sums || !g->stat ||
	    index_items(g, d) < 0 ||
	    side_init(g, 0, d->nusers, d->nitems, mf->w.p, mf->w.ub) < 0 ||
	    side_init(g, 1, d->nitems, d->nusers, mf->w.q, mf->w.ib) < 0)
		goto fail;
	g->most = ROUND4(g->most);
	g->scratch = (g->dim + 2) * g->most + g->dim;
	if (!(g->buf = malloc((size_t)omp_get_max_threads() * g->scratch * sizeof(float))))
		goto fail;
	#pragma omp parallel for schedule(dynamic, 64)
	for (uint32_t u = 0; u < d->nusers; u++) {
		g->noise[u] = 1;
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			g->sw[e] = sqrtf(weight[e]);
			g->sums[d->nusers + u] += weight[e];
			g->res[e] = d->val[e] - g->mu -
				rec_dot(g->side[0].x + (size_t)u * g->dim,
				    g->side[1].x + (size_t)d->col[e] * g->dim, g->dim);
		}
	}
	/* Summed in user order, so that the threads do not change it. */
	for (uint32_t u = 0; u < d->nusers; u++)
		g->wtotal += g->sums[d->nusers + u];
	return g;
fail:
	gibbs_release(g);
	return NULL;
}

/* --- training --- */

static void init_factors(struct trainer *t, uint64_t seed)
{
	const struct rec_dataset *d = &t->m->data;
	struct mf_params *w = &t->mf->w;
	double sd = t->m->hp[HP_INIT] / sqrt((double)t->mf->k), sum = 0, wsum = 0;
	struct rec_rng rng;

	rec_rng_seed(&rng, seed);
	for (size_t j = 0; j < (size_t)d->nusers * t->mf->k; j++)
		w->p[j] = (float)(sd * rec_rng_normal(&rng));
	for (size_t j = 0; j < (size_t)d->nitems * t->mf->k; j++)
		w->q[j] = (float)(sd * rec_rng_normal(&rng));
	for (uint64_t e = 0; e < d->nnz; e++) {
		sum += t->weight[e] * d->val[e];
		wsum += t->weight[e];
	}
	w->mu[0] = wsum > 0 ? (float)(sum / wsum) : 0;
}

/* RMSE on the validation set, IDs matched through the dictionaries. */
static double validation_rmse(const struct rec_model *m, const struct rec_dataset *v,
			      const int64_t *umap, const int64_t *imap)
{
	double sse = 0;

	for (uint32_t u = 0; u < v->nusers; u++)
		for (uint64_t e = v->rowptr[u]; e < v->rowptr[u + 1]; e++) {
			double err = v->val[e] - mf_predict(m, umap[u], imap[v->col[e]]);

			sse += err * err;
		}
	return sqrt(sse / (double)(v->nnz ? v->nnz : 1));
}

static int trainer_init(struct trainer *t, struct rec_model *m)
{
	const struct rec_dataset *d = &m->data;
	uint32_t nu = d->nusers, ni = d->nitems, k;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->mf = m->state;
	k = t->mf->k;
	t->adam = m->hp[HP_SOLVER] == SOLVER_ADAM;
	t->lr = (float)(m->hp[HP_LR] > 0 ? m->hp[HP_LR] : t->adam ? ADAM_LR : SGD_LR);
	t->reg = (float)m->hp[HP_REG];
	t->reg_bias = (float)m->hp[HP_REG_BIAS];
	t->weight = rec_alloc_large((d->nnz + 1) * sizeof(*t->weight));
	if (!t->weight)
		return REC_ENOMEM;
	/* Only stochastic gradients visit the entries one at a time. */
	if (m->hp[HP_SOLVER] != SOLVER_GIBBS &&
	    (!(t->user = rec_alloc_large((d->nnz + 1) * sizeof(*t->user))) ||
	     !(t->order = rec_alloc_large((d->nnz + 1) * sizeof(*t->order)))))
		return REC_ENOMEM;
	#pragma omp parallel for schedule(dynamic, 64)
	for (uint32_t u = 0; u < nu; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			t->weight[e] = (float)rec_model_decay(m, d->time[e]);
			if (t->user) {
				t->user[e] = u;
				t->order[e] = (uint32_t)e;
			}
		}
	if (t->adam && (params_alloc(&t->m1, nu, ni, k) < 0 || params_alloc(&t->m2, nu, ni, k) < 0))
		return REC_ENOMEM;
	return 0;
}

static void trainer_release(struct trainer *t)
{
	free(t->user);
	free(t->order);
	free(t->weight);
	params_free(&t->m1);
	params_free(&t->m2);
	gibbs_release(t->gibbs);
}

/* What an epoch needs beside the trainer: the validation set with its
 * IDs matched, and the sampler's burn-in. */
struct epochs {
	struct trainer *t;
	const struct rec_dataset *validation;
	int64_t *umap, *imap;
	uint32_t burnin;
};

/* One epoch, or sweep of the sampler, whose sample joins the mean past
 * burn-in; then the learning rate decays. */
static int epoch(void *ctx, uint32_t ep, struct rec_rng *rng, double *loss,
		 struct rec_error *err)
{
	struct epochs *c = ctx;
	struct trainer *t = c->t;

	(void)err;
	*loss = t->gibbs ? gibbs_sweep(t->gibbs, rng) : run_epoch(t, rng);
	if (t->gibbs && ep > c->burnin)
		gibbs_keep(t->gibbs);
	t->lr *= (float)t->m->hp[HP_LR_DECAY];
	return 0;
}

/* The validation RMSE: of the sampler's mean so far, with the sampler. */
static double validation(void *ctx)
{
	struct epochs *c = ctx;

	if (c->t->gibbs)
		gibbs_publish(c->t->gibbs);
	return validation_rmse(c->t->m, c->validation, c->umap, c->imap);
}

/* Epochs, or sweeps of the sampler, with optional early stopping on the
 * validation RMSE: the best epoch's parameters are kept.  The sampler's
 * parameters are the mean of its samples past burn-in, the last sample
 * before; patience runs out only past burn-in. */
static int train_epochs(struct trainer *t, const struct rec_train_options *opt,
			struct rec_error *err)
{
	struct rec_model *m = t->m;
	const struct rec_dataset *v = opt->validation;
	struct epochs c = { t, v, NULL, NULL, 0 };
	struct rec_epochs e = { (uint32_t)m->hp[HP_EPOCHS], (uint32_t)m->hp[HP_PATIENCE], 0,
				"train rmse", epoch, validation, &c };
	int rc;

	if (!e.epochs)
		e.epochs = t->gibbs ? GIBBS_SWEEPS : SGD_EPOCHS;
	e.burnin = c.burnin = t->gibbs ? (uint32_t)(m->hp[HP_BURNIN] * e.epochs) : 0;
	if (v && (!(c.umap = rec_dict_map(v->users, m->data.users)) ||
		  !(c.imap = rec_dict_map(v->items, m->data.items))))
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	else
		rc = rec_train_epochs(m, &e, opt, err);
	if (rc == 0 && t->gibbs)
		gibbs_publish(t->gibbs);
	free(c.umap);
	free(c.imap);
	return rc < 0 ? rc : 0;
}

static int mf_train(struct rec_model *m, const struct rec_train_options *opt,
		    struct rec_error *err)
{
	struct trainer t;
	int rc = REC_ENOMEM;

	if (m->hp[HP_FACTORS] > MAX_K)
		return rec_error_set(err, REC_EINVAL, "factors is at most %d", MAX_K);
	if (m->data.nnz > UINT32_MAX)
		return rec_error_set(err, REC_EINVAL, "mf trains on at most 2^32 ratings");
	if (trainer_init(&t, m) < 0)
		goto out;
	init_factors(&t, opt->seed);
	if (m->hp[HP_SOLVER] == SOLVER_GIBBS && !(t.gibbs = gibbs_new(m, t.weight)))
		goto out;
	rc = train_epochs(&t, opt, err);
out:
	trainer_release(&t);
	return rc == REC_ENOMEM ? rec_error_set(err, rc, "out of memory") : rc;
}

/* --- fold-in and incremental training ---
 *
 * With the other side fixed, one row's bias and vector are a ridge
 * regression on its events: features [1, q_i] (or [1, p_u]), targets the
 * rating less the terms that do not belong to the row, penalties reg_bias
 * and reg scaled by the row's weight (weighted-lambda regularisation, Zhou
 * et al., AAIM 2008) plus a constant prior. */

/* Penalties that do not shrink with the row's weight, so that a row with
 * one or two events stays near the mean (chosen on a time split of
 * MovieLens 100K cut from the training part). */
#define RIDGE_BIAS_PRIOR 10.0
#define RIDGE_VECTOR_PRIOR 1.0

struct ridge {
	int dim;		/* k + 1 */
	float *a;		/* dim x dim normal matrix, upper triangle */
	float *b;		/* dim */
	float *f;		/* dim: the feature being added */
	double wsum;
};

static void ridge_release(struct ridge *r)
{
	free(r->a);
	free(r->b);
	free(r->f);
}

static int ridge_init(struct ridge *r, uint32_t k)
{
	r->dim = (int)k + 1;
	r->a = malloc((size_t)r->dim * r->dim * sizeof(*r->a));
	r->b = malloc((size_t)r->dim * sizeof(*r->b));
	r->f = malloc((size_t)r->dim * sizeof(*r->f));
	if (r->a && r->b && r->f)
		return 0;
	ridge_release(r);
	return REC_ENOMEM;
}

static void ridge_clear(struct ridge *r)
{
	memset(r->a, 0, (size_t)r->dim * r->dim * sizeof(*r->a));
	memset(r->b, 0, (size_t)r->dim * sizeof(*r->b));
	r->wsum = 0;
}

static void ridge_add(struct ridge *r, const float *feature, float target, float w)
{
	r->f[0] = 1;
	memcpy(r->f + 1, feature, (size_t)(r->dim - 1) * sizeof(*r->f));
	cblas_ssyr(CblasRowMajor, CblasUpper, r->dim, w, r->f, 1, r->a, r->dim);
	cblas_saxpy(r->dim, w * target, r->f, 1, r->b, 1);
	r->wsum += w;
}

/* Solve into bias and vec; a row without events keeps zeros. */
static void ridge_solve(struct ridge *r, const struct rec_model *m, float *bias,
			float *vec)
{
	double scale = r->wsum > 1 ? r->wsum : 1;

	r->a[0] += (float)(m->hp[HP_REG_BIAS] * scale + RIDGE_BIAS_PRIOR);
	for (int f = 1; f < r->dim; f++)
		r->a[f * r->dim + f] += (float)(m->hp[HP_REG] * scale + RIDGE_VECTOR_PRIOR);
	if (r->wsum == 0 ||
	    rec_cholesky_solve(r->a, r->dim, r->b) != 0)
		memset(r->b, 0, (size_t)r->dim * sizeof(*r->b));
	*bias = r->b[0];
	memcpy(vec, r->b + 1, (size_t)(r->dim - 1) * sizeof(*vec));
}

static uint32_t mf_state_size(const struct rec_model *m)
{
	const struct mf *mf = m->state;

	return mf->k + 1;
}

/* A user's state: the bias, then the vector. */
static void mf_user_state(const struct rec_model *m, uint32_t user, float *state)
{
	const struct mf *mf = m->state;

	state[0] = mf->w.ub[user];
	memcpy(state + 1, mf->w.p + (size_t)user * mf->k, mf->k * sizeof(*state));
}

static void mf_set_user_state(struct rec_model *m, uint32_t user, const float *state)
{
	struct mf *mf = m->state;

	mf->w.ub[user] = state[0];
	memcpy(mf->w.p + (size_t)user * mf->k, state + 1, mf->k * sizeof(*state));
}

static void solve_user(const struct rec_model *m, struct ridge *r,
		       const struct rec_user *u, float *bias, float *vec)
{
	const struct mf *mf = m->state;

	ridge_clear(r);
	for (uint32_t j = 0; j < u->n; j++)
		ridge_add(r, mf->w.q + (size_t)u->items[j] * mf->k,
			  u->values[j] - mf->w.mu[0] - mf->w.ib[u->items[j]],
			  (float)rec_model_decay(m, u->times[j]));
	ridge_solve(r, m, bias, vec);
}

static int mf_fold_in(const struct rec_model *m, struct rec_user *u)
{
	const struct mf *mf = m->state;
	struct ridge r;

	if (ridge_init(&r, mf->k) < 0)
		return REC_ENOMEM;
	solve_user(m, &r, u, u->state, u->state + 1);
	ridge_release(&r);
	return 0;
}

static void mf_score_user(const struct rec_model *m, const struct rec_user *u,
			  float *scores)
{
	score_vector(m, u->state + 1, scores);
}

static void solve_item(const struct rec_model *m, struct ridge *r,
		       const struct rec_columns *x, uint32_t item)
{
	const struct mf *mf = m->state;
	const struct rec_dataset *d = &m->data;

	ridge_clear(r);
	for (uint64_t j = x->ptr[item]; j < x->ptr[item + 1]; j++) {
		uint64_t e = x->ent[j];
		uint32_t u = x->user[j];

		ridge_add(r, mf->w.p + (size_t)u * mf->k, d->val[e] - mf->w.mu[0] - mf->w.ub[u],
			  (float)rec_model_decay(m, d->time[e]));
	}
	ridge_solve(r, m, &mf->w.ib[item], mf->w.q + (size_t)item * mf->k);
}

/* Re-solve the touched users, then the items marked.  Only new items are:
 * re-solving old ones from the ridge, not the sampler, loses accuracy. */
static int update_pass(struct rec_model *m, const uint8_t *touched, const uint8_t *items,
		       const struct rec_columns *x)
{
	struct mf *mf = m->state;
	int failed = 0;

	#pragma omp parallel reduction(|:failed)
	{
		struct ridge r;

		if (ridge_init(&r, mf->k) < 0) {
			failed = 1;
		} else {
			#pragma omp for schedule(dynamic, 16)
			for (uint32_t u = 0; u < m->data.nusers; u++) {
				struct rec_user view;

				if (!touched[u])
					continue;
				rec_user_view(m, u, &view);
				solve_user(m, &r, &view, &mf->w.ub[u], mf->w.p + (size_t)u * mf->k);
			}
			#pragma omp for schedule(dynamic, 16)
			for (uint32_t i = 0; i < m->data.nitems; i++)
				if (items[i])
					solve_item(m, &r, x, i);
			ridge_release(&r);
		}
	}
	return failed ? REC_ENOMEM : 0;
}

/* Grow the arrays to the data's size: old rows kept, new items drawn as
 * training draws them, new users zero until solved. */
static int grow(struct rec_model *m, uint32_t old_users, uint32_t old_items, uint64_t seed)
{
	struct mf *mf = m->state;
	const struct rec_dataset *d = &m->data;
	struct mf_params w;
	double sd = m->hp[HP_INIT] / sqrt((double)mf->k);
	struct rec_rng rng;

	if (params_alloc(&w, d->nusers, d->nitems, mf->k) < 0) {
		params_free(&w);
		return REC_ENOMEM;
	}
	params_copy(&w, &mf->w, old_users, old_items, mf->k);
	rec_rng_seed(&rng, seed);
	for (size_t j = (size_t)old_items * mf->k; j < (size_t)d->nitems * mf->k; j++)
		w.q[j] = (float)(sd * rec_rng_normal(&rng));
	params_free(&mf->w);
	mf->w = w;
	return 0;
}

static int mf_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
		     const uint8_t *touched, const struct rec_train_options *opt,
		     struct rec_error *err)
{
	const struct rec_dataset *d = &m->data;
	struct rec_columns x = { 0 };
	uint8_t *items = NULL;
	int rc = REC_ENOMEM;

	if (grow(m, old_users, old_items, opt->seed) < 0)
		goto out;
	if (opt->passes == 0)
		return 0;
	if (!(items = calloc(d->nitems + 1, 1)) || rec_columns_build(d, &x) < 0)
		goto out;
	memset(items + old_items, 1, d->nitems - old_items);
	for (uint32_t pass = 0; pass < opt->passes; pass++)
		if ((rc = update_pass(m, touched, items, &x)) < 0)
			break;
	rec_columns_free(&x);
out:
	free(items);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

static void mf_release(struct rec_model *m)
{
	struct mf *mf = m->state;

	if (!mf)
		return;
	params_free(&mf->w);
	free(mf);
	m->state = NULL;
}

const struct rec_algo rec_algo_mf = {
	.name = "mf",
	.summary = "biased matrix factorisation for ratings (Gibbs sampling, SGD or Adam)",
	.hparams = mf_hparams,
	.nhparams = NHP,
	.init = mf_init,
	.train = mf_train,
	.params = mf_params,
	.score = mf_score,
	.score_block = mf_score_block,
	.predict = mf_predict,
	.ratings = 1,
	.release = mf_release,
	.state_size = mf_state_size,
	.user_state = mf_user_state,
	.fold_in = mf_fold_in,
	.score_user = mf_score_user,
	.update = mf_update,
	.set_user_state = mf_set_user_state,
};
