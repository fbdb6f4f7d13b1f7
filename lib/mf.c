/* mf.c - biased matrix factorisation for explicit ratings:
 *   r(u,i) = mu + b_u + b_i + p_u . q_i
 * fitted to the squared error with L2 regularisation, by stochastic
 * gradient descent (Koren, Bell and Volinsky, IEEE Computer 2009) or by
 * Adam (Kingma and Ba, ICLR 2015) with per-example, lazily updated moments.
 * With several threads, SGD and Adam update shared factors without locks
 * (Hogwild, Niu et al. 2011). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum {
	HP_FACTORS, HP_EPOCHS, HP_LR, HP_REG, HP_REG_BIAS, HP_INIT, HP_SOLVER,
	HP_PATIENCE, NHP
};

enum { SOLVER_SGD, SOLVER_ADAM };
static const char *const solvers[] = { "sgd", "adam", NULL };

static const struct rec_hparam mf_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 64, 1, 4096, 1, NULL },
	[HP_EPOCHS] = { "epochs", 20, 1, 100000, 1, NULL },
	[HP_LR] = { "lr", 0, 0, 10, 0, NULL },
	[HP_REG] = { "reg", 0.05, 0, 1000, 0, NULL },
	[HP_REG_BIAS] = { "reg_bias", 0.01, 0, 1000, 0, NULL },
	[HP_INIT] = { "init", 0.1, 0, 10, 0, NULL },
	[HP_SOLVER] = { "solver", SOLVER_SGD, 0, 1, 1, solvers },
	[HP_PATIENCE] = { "patience", 3, 1, 100000, 1, NULL },
};

/* Learning rates used when lr is 0. */
#define SGD_LR 0.01
#define ADAM_LR 0.001
#define ADAM_B1 0.9
#define ADAM_B2 0.999
#define ADAM_EPS 1e-8

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
	w->p = calloc((size_t)nu * k + 1, sizeof(float));
	w->q = calloc((size_t)ni * k + 1, sizeof(float));
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

static float dot(const float *a, const float *b, uint32_t k)
{
	float s = 0;

	#pragma omp simd reduction(+:s)
	for (uint32_t f = 0; f < k; f++)
		s += a[f] * b[f];
	return s;
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
		v += dot(mf->w.p + (size_t)user * mf->k, mf->w.q + (size_t)item * mf->k, mf->k);
	return clip(mf, v);
}

static void mf_score(const struct rec_model *m, uint32_t user, float *scores)
{
	const struct mf *mf = m->state;
	const float *pu = mf->w.p + (size_t)user * mf->k;

	for (uint32_t i = 0; i < m->data.nitems; i++)
		scores[i] = mf->w.ib[i] + dot(pu, mf->w.q + (size_t)i * mf->k, mf->k);
}

/* --- training --- */

struct trainer {
	struct rec_model *m;
	struct mf *mf;
	uint32_t *user;		/* per entry, since rows hide it */
	uint32_t *order;	/* entries in this epoch's order */
	float *weight;		/* per entry time-decay weight */
	struct mf_params m1, m2;	/* Adam's moments */
	struct mf_params best;
	float lr, reg, reg_bias;
	uint64_t step;
	int adam;
};

/* One Adam step on n parameters at x with gradients g. */
static void adam_step(float *x, float *m1, float *m2, const float *g, uint32_t n,
		      float lr, float c1, float c2)
{
	#pragma omp simd
	for (uint32_t f = 0; f < n; f++) {
		m1[f] = (float)ADAM_B1 * m1[f] + (float)(1 - ADAM_B1) * g[f];
		m2[f] = (float)ADAM_B2 * m2[f] + (float)(1 - ADAM_B2) * g[f] * g[f];
		x[f] -= lr * (m1[f] / c1) / (sqrtf(m2[f] / c2) + (float)ADAM_EPS);
	}
}

#define MAX_K 4096

/* Fit one rating; returns the squared error before the update. */
static float fit_one(struct trainer *t, uint64_t e, uint64_t step)
{
	const struct rec_dataset *d = &t->m->data;
	struct mf_params *w = &t->mf->w;
	uint32_t u = t->user[e], i = d->col[e], k = t->mf->k;
	float *pu = w->p + (size_t)u * k, *qi = w->q + (size_t)i * k;
	float err = d->val[e] - (w->mu[0] + w->ub[u] + w->ib[i] + dot(pu, qi, k));
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
		float gp[MAX_K], gq[MAX_K], gb;
		float c1 = 1 - (float)pow(ADAM_B1, (double)step);
		float c2 = 1 - (float)pow(ADAM_B2, (double)step);

		for (uint32_t f = 0; f < k; f++) {
			gp[f] = -g * qi[f] + t->reg * pu[f];
			gq[f] = -g * pu[f] + t->reg * qi[f];
		}
		gb = -g + t->reg_bias * w->ub[u];
		adam_step(&w->ub[u], &t->m1.ub[u], &t->m2.ub[u], &gb, 1, t->lr, c1, c2);
		gb = -g + t->reg_bias * w->ib[i];
		adam_step(&w->ib[i], &t->m1.ib[i], &t->m2.ib[i], &gb, 1, t->lr, c1, c2);
		adam_step(pu, t->m1.p + (size_t)u * k, t->m2.p + (size_t)u * k, gp, k, t->lr, c1, c2);
		adam_step(qi, t->m1.q + (size_t)i * k, t->m2.q + (size_t)i * k, gq, k, t->lr, c1, c2);
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
	t->user = malloc((d->nnz + 1) * sizeof(*t->user));
	t->order = malloc((d->nnz + 1) * sizeof(*t->order));
	t->weight = malloc((d->nnz + 1) * sizeof(*t->weight));
	if (!t->user || !t->order || !t->weight)
		return REC_ENOMEM;
	for (uint32_t u = 0; u < nu; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			t->user[e] = u;
			t->order[e] = (uint32_t)e;
			t->weight[e] = (float)rec_model_decay(m, d->time[e]);
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
	params_free(&t->best);
}

/* Epochs with optional early stopping on the validation RMSE: the best
 * epoch's parameters are kept. */
static int train_epochs(struct trainer *t, const struct rec_train_options *opt,
			const int64_t *umap, const int64_t *imap)
{
	struct rec_model *m = t->m;
	const struct rec_dataset *d = &m->data;
	double best = INFINITY, start = omp_get_wtime();
	int epochs = (int)m->hp[HP_EPOCHS], patience = (int)m->hp[HP_PATIENCE], since = 0;
	struct rec_rng rng;

	rec_rng_seed(&rng, opt->seed + 1);
	for (int ep = 1; ep <= epochs && since < patience; ep++) {
		double loss = run_epoch(t, &rng), vrmse = NAN;

		if (opt->validation) {
			vrmse = validation_rmse(m, opt->validation, umap, imap);
			if (vrmse < best) {
				best = vrmse;
				since = 0;
				if (!t->best.mu && params_alloc(&t->best, d->nusers, d->nitems, t->mf->k) < 0)
					return REC_ENOMEM;
				params_copy(&t->best, &t->mf->w, d->nusers, d->nitems, t->mf->k);
			} else {
				since++;
			}
		}
		if (opt->progress)
			fprintf(stderr, "epoch %d  train rmse %.6f  validation rmse %.6f  %.3fs\n",
				ep, loss, vrmse, omp_get_wtime() - start);
	}
	if (t->best.mu)
		params_copy(&t->mf->w, &t->best, d->nusers, d->nitems, t->mf->k);
	return 0;
}

static int mf_train(struct rec_model *m, const struct rec_train_options *opt,
		    struct rec_error *err)
{
	struct trainer t;
	int64_t *umap = NULL, *imap = NULL;
	int rc = REC_ENOMEM;

	if (m->hp[HP_FACTORS] > MAX_K)
		return rec_error_set(err, REC_EINVAL, "factors is at most %d", MAX_K);
	if (m->data.nnz > UINT32_MAX)
		return rec_error_set(err, REC_EINVAL, "mf trains on at most 2^32 ratings");
	if (trainer_init(&t, m) < 0)
		goto out;
	if (opt->validation &&
	    (!(umap = rec_dict_map(opt->validation->users, m->data.users)) ||
	     !(imap = rec_dict_map(opt->validation->items, m->data.items))))
		goto out;
	init_factors(&t, opt->seed);
	rc = train_epochs(&t, opt, umap, imap);
out:
	trainer_release(&t);
	free(umap);
	free(imap);
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
	.summary = "biased matrix factorisation for ratings (SGD or Adam)",
	.hparams = mf_hparams,
	.nhparams = NHP,
	.init = mf_init,
	.train = mf_train,
	.params = mf_params,
	.score = mf_score,
	.predict = mf_predict,
	.release = mf_release,
};
