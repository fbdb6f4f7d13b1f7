/* ials.c - implicit alternating least squares (Hu, Koren and Volinsky,
 * ICDM 2008) with the regularisation of Rendle, Krichene, Zhang and Koren
 * ("Revisiting the performance of iALS on item recommendation
 * benchmarks", RecSys 2022).  A user's score for an item is p_u . q_i,
 * fitted to
 *
 *   sum over every pair (u,i) of C_ui (t_ui - p_u . q_i)^2
 *     + sum_u lambda_u |p_u|^2 + sum_i lambda_i |q_i|^2
 *
 * where t_ui is 1 for an entry and 0 for a pair without one, C_ui is
 * `unobserved` for a pair without an entry and c = w (1 + alpha v) for an
 * entry of value v and time-decay weight w, and a row's penalty is
 *
 *   lambda_r = reg (sum of the row's c + unobserved n)^reg_exp
 *
 * with n the rows of the other side: Rendle's frequency-scaled penalty,
 * with the row's whole weight in the loss as its frequency.
 *
 * With one side held fixed at Y, each row of the other side is a ridge
 * regression with the normal equations
 *
 *   (unobserved Y^T Y + sum_j (c_j - unobserved) y_j y_j^T + lambda I) x
 *     = sum_j c_j y_j
 *
 * over the row's entries j.  Y^T Y is shared by the rows and computed once
 * per half sweep, so a row costs its entries times k^2 / 2 in a rank
 * update of its gathered rows and one k x k Cholesky solve; with the cg
 * solver, cg_steps conjugate-gradient steps from the row's current vector
 * instead, each of its entries times 2k plus k^2 (Takacs, Pilaszy and
 * Tikk, RecSys 2011).  An epoch solves the items and then the users, so
 * that training with the exact solver ends on the users' exact solve
 * against the final items: the solve that fold-in repeats for a streamed
 * user with either solver. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attributes.h"
#include "internal.h"
#include "lapack.h"
#ifdef REC_X86_KERNELS
#include <immintrin.h>
#endif

enum {
	HP_FACTORS, HP_EPOCHS, HP_REG, HP_REG_EXP, HP_UNOBSERVED, HP_ALPHA, HP_CG_STEPS,
	HP_INIT, HP_PATIENCE, HP_ATTRIBUTES, HP_SOLVER, HP_MAP_REG, NHP
};

enum { SOLVER_CHOLESKY, SOLVER_CG };

static const char *const solvers[] = { "cholesky", "cg", NULL };

static const struct rec_hparam ials_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 64, 1, 4096, 1, NULL },
	[HP_EPOCHS] = { "epochs", 10, 0, 100000, 1, NULL },
	[HP_REG] = { "reg", 0.3, 0, 1e6, 0, NULL },
	[HP_REG_EXP] = { "reg_exp", 0.5, 0, 4, 0, NULL },
	[HP_UNOBSERVED] = { "unobserved", 0.1, 0, 1e6, 0, NULL },
	[HP_ALPHA] = { "alpha", 0, 0, 1e6, 0, NULL },
	[HP_CG_STEPS] = { "cg_steps", 3, 0, 1000, 1, NULL },
	[HP_INIT] = { "init", 0.1, 0, 10, 0, NULL },
	[HP_PATIENCE] = { "patience", 3, 1, 100000, 1, NULL },
	[HP_ATTRIBUTES] = { "attributes", 1, 0, 1, 1, NULL },
	[HP_SOLVER] = { "solver", SOLVER_CHOLESKY, 0, 1, 1, solvers },
	[HP_MAP_REG] = { "map_reg", 100, 1e-6, 1e9, 0, NULL },
};

/* Entries gathered at a time into one rank update of a row's system. */
#define CHUNK 256

struct ials {
	uint32_t k;
	float *p;		/* nusers x k */
	float *q;		/* nitems x k */
	float *gram;		/* k x k: unobserved Q^T Q, as the users' last solve used it */
};

static int ials_init(struct rec_model *m)
{
	struct ials *s = calloc(1, sizeof(*s));
	size_t k;

	if (!s)
		return REC_ENOMEM;
	m->state = s;
	s->k = (uint32_t)m->hp[HP_FACTORS];
	k = s->k;
	s->p = rec_alloc_large_zero(((size_t)m->data.nusers * k + 1) * sizeof(float));
	s->q = rec_alloc_large_zero(((size_t)m->data.nitems * k + 1) * sizeof(float));
	s->gram = calloc(k * k, sizeof(float));
	return s->p && s->q && s->gram ? 0 : REC_ENOMEM;
}

static void ials_release(struct rec_model *m)
{
	struct ials *s = m->state;

	if (!s)
		return;
	free(s->p);
	free(s->q);
	free(s->gram);
	free(s);
	m->state = NULL;
}

static unsigned ials_params(struct rec_model *m, struct rec_param *p)
{
	struct ials *s = m->state;
	uint64_t k = s->k;

	p[0] = (struct rec_param){ { 'U', 'F', 'A', 'C' }, s->p, NULL, m->data.nusers * k };
	p[1] = (struct rec_param){ { 'I', 'F', 'A', 'C' }, s->q, NULL, m->data.nitems * k };
	p[2] = (struct rec_param){ { 'G', 'R', 'A', 'M' }, s->gram, NULL, k * k };
	return 3;
}

static void axpy(float a, const float *x, float *y, uint32_t k)
{
	#pragma omp simd
	for (uint32_t f = 0; f < k; f++)
		y[f] += a * x[f];
}

/* --- scoring --- */

static void score_vector(const struct rec_model *m, const float *pu, float *scores)
{
	const struct ials *s = m->state;

	if (m->data.nitems)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m->data.nitems, (int)s->k, 1,
			    s->q, (int)s->k, pu, 1, 0, scores, 1);
}

static void ials_score(const struct rec_model *m, uint32_t user, float *scores)
{
	const struct ials *s = m->state;

	score_vector(m, s->p + (size_t)user * s->k, scores);
}

/* scores = P_users Q^T in one product, from the users' vectors gathered
 * into one matrix; one user at a time if that cannot be had. */
static void ials_score_block(const struct rec_model *m, const uint32_t *users,
			     uint32_t n, float *scores)
{
	const struct ials *s = m->state;
	size_t ni = m->data.nitems, k = s->k;
	float *a = malloc((size_t)n * k * sizeof(*a) + 1);

	if (!a) {
		for (uint32_t j = 0; j < n; j++)
			ials_score(m, users[j], scores + j * ni);
		return;
	}
	for (uint32_t j = 0; j < n; j++)
		memcpy(a + j * k, s->p + (size_t)users[j] * k, k * sizeof(*a));
	if (n && ni)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ni, (int)k,
			    1, a, (int)k, s->q, (int)k, 0, scores, (int)ni);
	free(a);
}

/* An unknown user or item scores 0, the target of a pair without an
 * entry. */
static float ials_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct ials *s = m->state;

	if (user < 0 || item < 0)
		return 0;
	return rec_dot(s->p + (size_t)user * s->k, s->q + (size_t)item * s->k, s->k);
}

/* --- one row's solve --- */

/* What the rows of one side are solved against: the other side's vectors
 * y (ny of them) and their Gram matrix times unobserved, both triangles. */
struct system {
	uint32_t k;
	uint32_t cg_steps;	/* 0: exact */
	const float *y;
	const float *gram;
	float unobserved;
	double reg, reg_exp;
	double prior;		/* unobserved x ny: the row's weight without entries */
};

static struct system system_of(const struct rec_model *m, const float *y, uint32_t ny,
			       const float *gram)
{
	const struct ials *s = m->state;

	return (struct system){
		.k = s->k,
		.cg_steps = m->hp[HP_SOLVER] == SOLVER_CG ? (uint32_t)m->hp[HP_CG_STEPS] : 0,
		.y = y,
		.gram = gram,
		.unobserved = (float)m->hp[HP_UNOBSERVED],
		.reg = m->hp[HP_REG],
		.reg_exp = m->hp[HP_REG_EXP],
		.prior = m->hp[HP_UNOBSERVED] * ny,
	};
}

/* A thread's scratch: the row's matrix and right-hand side, the gathered
 * rows of a chunk, and the conjugate-gradient vectors. */
struct work {
	float *a;		/* k x k */
	float *z;		/* CHUNK x k */
	float *b, *r, *d, *ad;	/* k each */
	float *t;		/* CHUNK */
};

static void work_release(struct work *w)
{
	free(w->a);
	free(w->z);
	free(w->b);
	memset(w, 0, sizeof(*w));
}

static int work_init(struct work *w, uint32_t k)
{
	w->a = malloc((size_t)k * k * sizeof(*w->a));
	w->z = malloc((size_t)CHUNK * k * sizeof(*w->z));
	w->b = malloc((4 * (size_t)k + CHUNK) * sizeof(*w->b));
	if (!w->a || !w->z || !w->b) {
		work_release(w);
		return REC_ENOMEM;
	}
	w->r = w->b + k;
	w->d = w->r + k;
	w->ad = w->d + k;
	w->t = w->ad + k;
	return 0;
}

/* Rows of y are fetched this many entries ahead of their use: the other
 * side's vectors are mostly beyond the caches, and the gather waits on
 * memory without it. */
#define AHEAD 8

static void prefetch_row(const struct system *sys, uint32_t row)
{
	const float *y = sys->y + (size_t)row * sys->k;

	for (uint32_t f = 0; f < sys->k; f += 64 / sizeof(float))
		__builtin_prefetch(y + f);
}

#ifdef REC_X86_KERNELS
/* a's upper triangle += sign z^T z for the m rows of z, k a multiple of
 * 16: blocks of 8 rows by 16 columns of a, each summed in registers over
 * the rows of z.  A row's update is too small for BLAS to pay back its
 * packing, and OpenBLAS may not know the CPU's widest kernels: this took
 * 0.55 to 0.7 of the time of its ssyrk at 64 and 128 factors. */
__attribute__((target("avx512f")))
static void rank_update_avx512(float *a, const float *z, uint32_t m, uint32_t k,
			       float sign)
{
	__m512 scale = _mm512_set1_ps(sign);

	for (uint32_t f0 = 0; f0 < k; f0 += 8)
		for (uint32_t g0 = f0 & ~15u; g0 < k; g0 += 16) {
			__m512 c[8];

			for (int r = 0; r < 8; r++)
				c[r] = _mm512_setzero_ps();
			for (uint32_t j = 0; j < m; j++) {
				const float *row = z + (size_t)j * k;
				__m512 y = _mm512_loadu_ps(row + g0);

				c[0] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0]), y, c[0]);
				c[1] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 1]), y, c[1]);
				c[2] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 2]), y, c[2]);
				c[3] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 3]), y, c[3]);
				c[4] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 4]), y, c[4]);
				c[5] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 5]), y, c[5]);
				c[6] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 6]), y, c[6]);
				c[7] = _mm512_fmadd_ps(_mm512_set1_ps(row[f0 + 7]), y, c[7]);
			}
			/* Only the upper triangle is read or written. */
			for (uint32_t r = 0; r < 8; r++) {
				uint32_t f = f0 + r;
				__mmask16 upper = f <= g0 ? 0xffff : (__mmask16)(0xffffu << (f - g0));
				float *out = a + (size_t)f * k + g0;

				_mm512_mask_storeu_ps(out, upper, _mm512_fmadd_ps(scale, c[r],
						      _mm512_maskz_loadu_ps(upper, out)));
			}
		}
}
#endif

/* a's upper triangle += sign z^T z for the m rows of z, k x k. */
static void rank_update(float *a, const float *z, uint32_t m, uint32_t k, float sign)
{
#ifdef REC_X86_KERNELS
	if (k % 16 == 0 && rec_cpu_has(REC_CPU_AVX512)) {
		rank_update_avx512(a, z, m, k, sign);
		return;
	}
#endif
	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k, (int)m, sign, z, (int)k, 1,
		    a, (int)k);
}

/* Add the gathered rows to the upper triangle of a: the first pos rows of
 * z, scaled by the roots of positive weights, and the rows from neg on,
 * scaled by the roots of negative ones, in one rank update each. */
static void add_gathered(const struct system *sys, struct work *w, uint32_t pos,
			 uint32_t neg)
{
	if (pos)
		rank_update(w->a, w->z, pos, sys->k, 1);
	if (neg < CHUNK)
		rank_update(w->a, w->z + (size_t)neg * sys->k, CHUNK - neg, sys->k, -1);
}

/* b = U^-T b for the upper triangle U of the k x k row-major u, a pass
 * along U's rows. */
static void forward(const float *u, float *b, uint32_t k)
{
	for (uint32_t f = 0; f < k; f++) {
		const float *row = u + (size_t)f * k;

		b[f] /= row[f];
		axpy(-b[f], row + f + 1, b + f + 1, k - f - 1);
	}
}

/* x = (U^T U)^-1 b, each pass along U's rows: LAPACK's own solve of one
 * right-hand side took as long as the factorisation. */
static void substitute(const float *u, float *b, float *x, uint32_t k)
{
	forward(u, b, k);
	for (uint32_t f = k; f-- > 0;) {
		const float *row = u + (size_t)f * k;

		x[f] = (b[f] - rec_dot(row + f + 1, x + f + 1, k - f - 1)) / row[f];
	}
}

/* The upper triangle of a = unobserved Y^T Y + lambda I, where a row's
 * entries are added. */
static void start_matrix(const struct system *sys, float lambda, float *a)
{
	uint32_t k = sys->k;

	for (uint32_t f = 0; f < k; f++) {
		memcpy(a + (size_t)f * k + f, sys->gram + (size_t)f * k + f,
		       (k - f) * sizeof(*a));
		a[(size_t)f * k + f] += lambda;
	}
}

/* x = the solve of w->a x = w->b by Cholesky factorisation, which leaves
 * the factor in w->a: REC_EINVAL if a is not positive definite. */
static int factor_solve(struct work *w, uint32_t k, float *x)
{
	if (rec_cholesky(w->a, (int)k) != 0)
		return REC_EINVAL;
	substitute(w->a, w->b, x, k);
	return 0;
}

/* Add (c_j - unobserved) y_j y_j^T of the n entries to the upper
 * triangle of w->a, a chunk of gathered rows at a time, and make w->b
 * sum c_j y_j. */
static void add_entries(const struct system *sys, const uint32_t *idx, const float *conf,
			uint32_t n, struct work *w)
{
	uint32_t k = sys->k, pos = 0, neg = CHUNK;

	memset(w->b, 0, k * sizeof(*w->b));
	for (uint32_t j = 0; j < n; j++) {
		const float *y = sys->y + (size_t)idx[j] * k;
		float weight = conf[j] - sys->unobserved, root = sqrtf(fabsf(weight));
		float *z = w->z + (size_t)(weight >= 0 ? pos++ : --neg) * k;

		if (j + AHEAD < n)
			prefetch_row(sys, idx[j + AHEAD]);
		#pragma omp simd
		for (uint32_t f = 0; f < k; f++)
			z[f] = root * y[f];
		axpy(conf[j], y, w->b, k);
		if (pos == neg) {
			add_gathered(sys, w, pos, neg);
			pos = 0;
			neg = CHUNK;
		}
	}
	add_gathered(sys, w, pos, neg);
}

/* Copy the rows of y of n entries into z. */
static void gather(const struct system *sys, const uint32_t *idx, uint32_t n, float *z)
{
	for (uint32_t j = 0; j < n; j++) {
		if (j + AHEAD < n)
			prefetch_row(sys, idx[j + AHEAD]);
		memcpy(z + (size_t)j * sys->k, sys->y + (size_t)idx[j] * sys->k,
		       sys->k * sizeof(*z));
	}
}

/* out = A v for the row's matrix A, without forming it, and b = sum_j
 * c_j y_j unless b is NULL.  The entries' rows are gathered a chunk at a
 * time, or were gathered before for a row of one chunk. */
static void apply(const struct system *sys, const uint32_t *idx, const float *conf,
		  uint32_t n, float lambda, const float *v, float *out, float *b,
		  struct work *w)
{
	int k = (int)sys->k;

	cblas_sgemv(CblasRowMajor, CblasNoTrans, k, k, 1, sys->gram, k, v, 1, 0, out, 1);
	axpy(lambda, v, out, sys->k);
	if (b)
		memset(b, 0, sys->k * sizeof(*b));
	for (uint32_t at = 0; at < n; at += CHUNK) {
		int len = (int)(n - at < CHUNK ? n - at : CHUNK);

		if (n > CHUNK)
			gather(sys, idx + at, (uint32_t)len, w->z);
		cblas_sgemv(CblasRowMajor, CblasNoTrans, len, k, 1, w->z, k, v, 1, 0, w->t, 1);
		for (int j = 0; j < len; j++)
			w->t[j] *= conf[at + j] - sys->unobserved;
		cblas_sgemv(CblasRowMajor, CblasTrans, len, k, 1, w->z, k, w->t, 1, 1, out, 1);
		if (b)
			cblas_sgemv(CblasRowMajor, CblasTrans, len, k, 1, w->z, k, conf + at, 1,
				    1, b, 1);
	}
}

/* cg_steps steps of conjugate gradients from x, the row's vector so far. */
static void conjugate_gradient(const struct system *sys, const uint32_t *idx,
			       const float *conf, uint32_t n, float lambda, float *x,
			       struct work *w)
{
	uint32_t k = sys->k;
	float rr;

	if (n <= CHUNK)
		gather(sys, idx, n, w->z);
	apply(sys, idx, conf, n, lambda, x, w->ad, w->r, w);
	for (uint32_t f = 0; f < k; f++) {
		w->r[f] -= w->ad[f];
		w->d[f] = w->r[f];
	}
	rr = rec_dot(w->r, w->r, k);
	for (uint32_t step = 0; step < sys->cg_steps && rr > 0; step++) {
		float dad, next;

		apply(sys, idx, conf, n, lambda, w->d, w->ad, NULL, w);
		dad = rec_dot(w->d, w->ad, k);
		if (!(dad > 0))
			break;
		axpy(rr / dad, w->d, x, k);
		axpy(-rr / dad, w->ad, w->r, k);
		next = rec_dot(w->r, w->r, k);
		for (uint32_t f = 0; f < k; f++)
			w->d[f] = w->r[f] + next / rr * w->d[f];
		rr = next;
	}
}

/* lambda for a row of the weight total: prior plus its entries'
 * confidences. */
static float penalty(const struct system *sys, double total)
{
	return (float)(sys->reg * pow(total, sys->reg_exp));
}

/* Is the matrix of a row of n entries singular whatever its entries?  It
 * has rank n at most without a penalty or a weight on the pairs without
 * entries; conjugate gradients could not tell. */
static int surely_singular(const struct system *sys, float lambda, uint32_t n)
{
	return lambda == 0 && sys->unobserved == 0 && n < sys->k;
}

/* *lambda = the penalty of a row of the n entries of confidences conf;
 * REC_EINVAL if its matrix is surely singular. */
static int row_penalty(const struct system *sys, const float *conf, uint32_t n,
		       float *lambda)
{
	double total = sys->prior;

	for (uint32_t j = 0; j < n; j++)
		total += conf[j];
	*lambda = penalty(sys, total);
	return surely_singular(sys, *lambda, n) ? REC_EINVAL : 0;
}

/* The Cholesky factor U of the matrix of a row of n > 0 entries in the
 * upper triangle of w->a, and w->b = sum c_j y_j: REC_EINVAL if the matrix
 * is not positive definite. */
static int factor_row(const struct system *sys, const uint32_t *idx, const float *conf,
		      uint32_t n, struct work *w)
{
	float lambda;

	if (row_penalty(sys, conf, n, &lambda) < 0)
		return REC_EINVAL;
	start_matrix(sys, lambda, w->a);
	add_entries(sys, idx, conf, n, w);
	return rec_cholesky(w->a, (int)sys->k) != 0 ? REC_EINVAL : 0;
}

/* Solve one row from its n entries (other-side indices and confidences)
 * into x; exact forces the Cholesky solve whatever cg_steps says.  A row
 * without entries is 0.  Returns REC_EINVAL if the system is not positive
 * definite. */
static int solve_row(const struct system *sys, const uint32_t *idx, const float *conf,
		     uint32_t n, int exact, float *x, struct work *w)
{
	float lambda;
	int rc;

	if (n == 0) {
		memset(x, 0, sys->k * sizeof(*x));
		return 0;
	}
	if (!sys->cg_steps || exact) {
		if ((rc = factor_row(sys, idx, conf, n, w)) == 0)
			substitute(w->a, w->b, x, sys->k);
		return rc;
	}
	if (row_penalty(sys, conf, n, &lambda) < 0)
		return REC_EINVAL;
	conjugate_gradient(sys, idx, conf, n, lambda, x, w);
	return 0;
}

/* --- training --- */

/* A confidence c = w (1 + alpha v). */
static float confidence(const struct rec_model *m, float value, int64_t time)
{
	return (float)(rec_model_decay(m, time) * (1 + m->hp[HP_ALPHA] * value));
}

/* The entries of one side's rows: row r has idx[ptr[r] .. ptr[r + 1]),
 * rows of the other side, with confidences conf. */
struct rows {
	uint32_t n;
	const uint64_t *ptr;
	const uint32_t *idx;
	const float *conf;
};

/* The data as both sides see it: the users' rows are the dataset's, the
 * items' its transpose, users ascending in each. */
struct entries {
	struct rows users, items;
	float *conf;		/* in the dataset's order */
	uint64_t *cptr;		/* nitems + 1 */
	uint32_t *cuser;
	float *cconf;
};

static void entries_release(struct entries *x)
{
	free(x->conf);
	free(x->cptr);
	memset(x, 0, sizeof(*x));
}

static int entries_init(struct entries *x, const struct rec_model *m)
{
	const struct rec_dataset *d = &m->data;
	uint64_t *next = malloc(((size_t)d->nitems + 1) * sizeof(*next));

	memset(x, 0, sizeof(*x));
	/* conf, cuser and cconf in one block: fewer huge pages to clear */
	x->conf = rec_alloc_large(3 * (d->nnz + 1) * sizeof(float));
	x->cptr = calloc((size_t)d->nitems + 1, sizeof(*x->cptr));
	if (!next || !x->conf || !x->cptr) {
		free(next);
		entries_release(x);
		return REC_ENOMEM;
	}
	x->cuser = (uint32_t *)(x->conf + d->nnz + 1);
	x->cconf = x->conf + 2 * (d->nnz + 1);
	for (uint64_t e = 0; e < d->nnz; e++) {
		x->conf[e] = confidence(m, d->val[e], d->time[e]);
		x->cptr[d->col[e] + 1]++;
	}
	for (uint32_t i = 0; i < d->nitems; i++)
		x->cptr[i + 1] += x->cptr[i];
	memcpy(next, x->cptr, (size_t)d->nitems * sizeof(*next));
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			uint64_t at = next[d->col[e]]++;

			x->cuser[at] = u;
			x->cconf[at] = x->conf[e];
		}
	free(next);
	x->users = (struct rows){ d->nusers, d->rowptr, d->col, x->conf };
	x->items = (struct rows){ d->nitems, x->cptr, x->cuser, x->cconf };
	return 0;
}

/* gram = scale Y^T Y for the n rows of y, both triangles, through the
 * rank update: quicker than ssyrk here, and without the set-up of
 * OpenBLAS's first call, which cost an update 0.7 ms. */
static void gram_of(const float *y, uint32_t n, uint32_t k, float scale, float *gram)
{
	memset(gram, 0, (size_t)k * k * sizeof(*gram));
	if (n)
		rank_update(gram, y, n, k, scale);
	for (uint32_t f = 0; f < k; f++)
		for (uint32_t g = 0; g < f; g++)
			gram[(size_t)f * k + g] = gram[(size_t)g * k + f];
}

/* Solve the rows with mark[r] (all rows if mark is NULL) against sys into
 * x, in parallel; each thread's BLAS calls run on that thread.  Returns
 * REC_ENOMEM, REC_EINVAL if a system was not positive definite, or 0. */
static int solve_side(const struct system *sys, const struct rows *rows,
		      const uint8_t *mark, float *x)
{
	int nomem = 0, singular = 0;

	#pragma omp parallel reduction(|:nomem, singular)
	{
		struct work w;
		int ok = work_init(&w, sys->k) == 0;

		nomem = !ok;
		#pragma omp for schedule(dynamic, 8)
		for (uint32_t r = 0; r < rows->n; r++) {
			uint64_t a = rows->ptr[r];

			if (!ok || (mark && !mark[r]))
				continue;
			if (solve_row(sys, rows->idx + a, rows->conf + a,
				      (uint32_t)(rows->ptr[r + 1] - a), 0,
				      x + (size_t)r * sys->k, &w) < 0)
				singular = 1;
		}
		work_release(&w);
	}
	return nomem ? REC_ENOMEM : singular ? REC_EINVAL : 0;
}

struct trainer {
	struct rec_model *m;
	struct ials *s;
	struct entries x;
	float *scratch;		/* k x k: unobserved P^T P for the items' solve */
	int report;		/* compute the objective for the progress lines */
};

/* One half sweep each way, items first, or only over the marked users and
 * items: the users' Gram matrix, the items' solve, the items' Gram matrix
 * (kept for fold-in), the users' solve. */
static int sweep(struct trainer *t, const uint8_t *users, const uint8_t *items)
{
	const struct rec_dataset *d = &t->m->data;
	struct ials *s = t->s;
	struct system sys;
	float a0 = (float)t->m->hp[HP_UNOBSERVED];
	int rc;

	gram_of(s->p, d->nusers, s->k, a0, t->scratch);
	sys = system_of(t->m, s->p, d->nusers, t->scratch);
	if ((rc = solve_side(&sys, &t->x.items, items, s->q)) < 0)
		return rc;
	gram_of(s->q, d->nitems, s->k, a0, s->gram);
	sys = system_of(t->m, s->q, d->nitems, s->gram);
	return solve_side(&sys, &t->x.users, users, s->p);
}

/* The objective over the number of entries, for the progress report: the
 * entries' terms, all pairs' unobserved term through the Gram matrices,
 * and the penalties. */
static double objective(struct trainer *t)
{
	const struct rec_dataset *d = &t->m->data;
	const struct ials *s = t->s;
	struct system us = system_of(t->m, s->q, d->nitems, s->gram);
	struct system is = system_of(t->m, s->p, d->nusers, NULL);
	uint32_t k = s->k;
	double sum = 0;

	gram_of(s->p, d->nusers, k, 1, t->scratch);
	for (size_t f = 0; f < (size_t)k * k; f++)
		sum += (double)t->scratch[f] * s->gram[f];
	#pragma omp parallel for schedule(dynamic, 64) reduction(+:sum)
	for (uint32_t u = 0; u < d->nusers; u++) {
		const float *pu = s->p + (size_t)u * k;
		double total = us.prior;

		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			float y = rec_dot(pu, s->q + (size_t)d->col[e] * k, k);

			sum += t->x.conf[e] * (1 - y) * (1 - y) - us.unobserved * y * y;
			total += t->x.conf[e];
		}
		sum += us.reg * pow(total, us.reg_exp) * rec_dot(pu, pu, k);
	}
	#pragma omp parallel for schedule(dynamic, 64) reduction(+:sum)
	for (uint32_t i = 0; i < d->nitems; i++) {
		const float *qi = s->q + (size_t)i * k;
		double total = is.prior;

		for (uint64_t a = t->x.cptr[i]; a < t->x.cptr[i + 1]; a++)
			total += t->x.cconf[a];
		sum += is.reg * pow(total, is.reg_exp) * rec_dot(qi, qi, k);
	}
	return sum / (double)(d->nnz ? d->nnz : 1);
}

static int trainer_init(struct trainer *t, struct rec_model *m)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->s = m->state;
	if (entries_init(&t->x, m) < 0)
		return REC_ENOMEM;
	t->scratch = malloc((size_t)t->s->k * t->s->k * sizeof(*t->scratch));
	return t->scratch ? 0 : REC_ENOMEM;
}

static void trainer_release(struct trainer *t)
{
	entries_release(&t->x);
	free(t->scratch);
}

/* rc, with err filled when it is an error: a failed solve, or out of
 * memory. */
static int trained(int rc, struct rec_error *err)
{
	if (rc == REC_EINVAL)
		return rec_error_set(err, rc, "ials: a row's system is not positive "
				     "definite; raise reg or unobserved");
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

/* One sweep each way, its solves on one BLAS thread each; *loss gets the
 * objective when the progress lines report it. */
static int run_epoch(void *ctx, uint32_t ep, struct rec_rng *rng, double *loss,
		     struct rec_error *err)
{
	struct trainer *t = ctx;
	int blas = rec_blas_serial(), rc;

	(void)ep;
	(void)rng;
	rc = sweep(t, NULL, NULL);
	if (rc == 0 && t->report)
		*loss = objective(t);
	rec_blas_restore(blas);
	return trained(rc, err);
}

/* Normal draws with the standard deviation init for rows [from, to) of
 * an array of k-long rows. */
static void draw_rows(float *a, size_t from, size_t to, uint32_t k, double sd,
		      struct rec_rng *rng)
{
	for (size_t j = from * k; j < to * k; j++)
		a[j] = (float)(sd * rec_rng_normal(rng));
}

/* --- items known by their attributes alone --- */

/* With item attributes and attributes=1, each item without events gets
 * the vector that the map fitted on the others gives from its attributes
 * (Gantner et al., ICDM 2010), and the Gram matrix is brought up to date.
 * An item weighs the log of its events in the fit: the vector of an item
 * of few events says little about what its attributes are worth.  On
 * MovieLens 100K and latest-small (bench/coldstart.sh, seed 1), the
 * ridge map_reg 1 gave cold items NDCG@10 0.20 and 0.24, 100 gave 0.29
 * and 0.29. */
static int place_cold_items(struct rec_model *m)
{
	struct ials *s = m->state;
	const struct rec_dataset *d = &m->data;
	const struct rec_features *f = d->item_features;
	float *weight, *w;
	int rc = REC_ENOMEM;

	if (!f || !m->hp[HP_ATTRIBUTES])
		return 0;
	weight = calloc((size_t)d->nitems + 1, sizeof(*weight));
	w = malloc(((size_t)rec_dict_size(f->names) + 1) * s->k * sizeof(*w));
	if (weight && w) {
		for (uint32_t i = 0; i < d->nitems; i++)
			weight[i] = logf(1 + m->popularity[i]);
		rc = rec_attribute_map_fit(f, d->nitems, weight, s->q, s->k,
					   (float)m->hp[HP_MAP_REG], w);
	}
	for (uint32_t i = 0; rc == 0 && i < d->nitems; i++)
		if (weight[i] == 0)
			rec_attribute_map_apply(f, i, w, s->k, s->q + (size_t)i * s->k);
	if (rc == 0)
		gram_of(s->q, d->nitems, s->k, (float)m->hp[HP_UNOBSERVED], s->gram);
	free(weight);
	free(w);
	return rc;
}

static int ials_train(struct rec_model *m, const struct rec_train_options *opt,
		      struct rec_error *err)
{
	struct ials *s = m->state;
	struct trainer t;
	struct rec_epochs e = { (uint32_t)m->hp[HP_EPOCHS], (uint32_t)m->hp[HP_PATIENCE], 0,
				"loss", run_epoch, NULL, &t };
	struct rec_rng rng;
	int rc;

	if (trainer_init(&t, m) < 0) {
		rc = trained(REC_ENOMEM, err);
		goto out;
	}
	t.report = opt->progress;
	rec_rng_seed(&rng, opt->seed);
	draw_rows(s->p, 0, m->data.nusers, s->k, m->hp[HP_INIT], &rng);
	draw_rows(s->q, 0, m->data.nitems, s->k, m->hp[HP_INIT], &rng);
	/* complete for fold-in with 0 epochs: the start of training in shards */
	gram_of(s->q, m->data.nitems, s->k, (float)m->hp[HP_UNOBSERVED], s->gram);
	rc = rec_train_epochs(m, &e, opt, err);
	if (rc >= 0 && place_cold_items(m) < 0)
		rc = trained(REC_ENOMEM, err);
out:
	trainer_release(&t);
	return rc < 0 ? rc : 0;
}

/* --- training in shards --- */

float *rec_ials_rows(struct rec_model *m, int items, uint32_t *k)
{
	struct ials *s = m->state;

	*k = s->k;
	return items ? s->q : s->p;
}

void rec_ials_rows_changed(struct rec_model *m)
{
	struct ials *s = m->state;
	int blas = rec_blas_serial();

	gram_of(s->q, m->data.nitems, s->k, (float)m->hp[HP_UNOBSERVED], s->gram);
	rec_blas_restore(blas);
}

int rec_ials_solve_rows(struct rec_model *m, int items, const struct rec_side_entries *e,
			const uint8_t *mark, struct rec_error *err)
{
	const struct rec_dataset *d = &m->data;
	struct ials *s = m->state;
	uint32_t nrows = items ? d->nitems : d->nusers, ny = items ? d->nusers : d->nitems;
	const float *y = items ? s->p : s->q;
	float *gram = malloc((size_t)s->k * s->k * sizeof(*gram));
	float *conf = malloc((e->ptr[nrows] + 1) * sizeof(*conf));
	struct system sys;
	struct rows rows = { nrows, e->ptr, e->idx, conf };
	int rc = REC_ENOMEM, blas;

	if (gram && conf) {
		for (uint64_t j = 0; j < e->ptr[nrows]; j++)
			conf[j] = confidence(m, e->val[j], e->time[j]);
		blas = rec_blas_serial();
		gram_of(y, ny, s->k, (float)m->hp[HP_UNOBSERVED], gram);
		sys = system_of(m, y, ny, gram);
		rc = solve_side(&sys, &rows, mark, items ? s->q : s->p);
		rec_blas_restore(blas);
	}
	free(gram);
	free(conf);
	return trained(rc, err);
}

/* --- incremental training --- */

/* Conjugate-gradient steps that an update gives each item it re-solves,
 * from the item's vector so far, when the model's solver is the exact one
 * (a cg model's own cg_steps otherwise).  On the MovieLens sets, an
 * item's first step takes it nearly all the way that three would: NDCG@10
 * falls by 0.1%. */
#define UPDATE_CG_STEPS 1

/* New users and items start from draws as in training.  Each pass solves
 * the touched users exactly from their whole rows, then the items those
 * users have: each moves little, so a conjugate-gradient step from where
 * it was goes most of the way that an exact solve would, at a fraction of
 * its cost.  The untouched users keep their vectors.  The items' Gram
 * matrix is brought up to date at the end, for fold-in. */
static int ials_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
		       const uint8_t *touched, const struct rec_train_options *opt,
		       struct rec_error *err)
{
	struct ials *s = m->state;
	const struct rec_dataset *d = &m->data;
	float a0 = (float)m->hp[HP_UNOBSERVED];
	struct trainer t;
	struct rec_rng rng;
	uint8_t *items = NULL;
	int rc = 0, blas;

	if (rec_grow_floats(&s->p, (size_t)old_users * s->k, (size_t)d->nusers * s->k) < 0 ||
	    rec_grow_floats(&s->q, (size_t)old_items * s->k, (size_t)d->nitems * s->k) < 0)
		return trained(REC_ENOMEM, err);
	rec_rng_seed(&rng, opt->seed);
	draw_rows(s->p, old_users, d->nusers, s->k, m->hp[HP_INIT], &rng);
	draw_rows(s->q, old_items, d->nitems, s->k, m->hp[HP_INIT], &rng);
	if (opt->passes == 0) {
		gram_of(s->q, d->nitems, s->k, a0, s->gram);
		return place_cold_items(m) < 0 ? trained(REC_ENOMEM, err) : 0;
	}
	if (trainer_init(&t, m) < 0 || !(items = calloc((size_t)d->nitems + 1, 1))) {
		rc = REC_ENOMEM;
		goto out;
	}
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; touched[u] && e < d->rowptr[u + 1]; e++)
			items[d->col[e]] = 1;
	blas = rec_blas_serial();
	for (uint32_t pass = 0; pass < opt->passes && rc == 0; pass++) {
		struct system sys;

		gram_of(s->q, d->nitems, s->k, a0, s->gram);
		sys = system_of(m, s->q, d->nitems, s->gram);
		sys.cg_steps = 0;
		if ((rc = solve_side(&sys, &t.x.users, touched, s->p)) < 0)
			break;
		gram_of(s->p, d->nusers, s->k, a0, t.scratch);
		sys = system_of(m, s->p, d->nusers, t.scratch);
		if (!sys.cg_steps)
			sys.cg_steps = UPDATE_CG_STEPS;
		rc = solve_side(&sys, &t.x.items, items, s->q);
	}
	gram_of(s->q, d->nitems, s->k, a0, s->gram);
	rec_blas_restore(blas);
out:
	trainer_release(&t);
	free(items);
	return trained(rc, err);
}

/* --- fold-in --- */

/* A user's state is his row of the users' vectors. */
static float *ials_user_rows(const struct rec_model *m, uint32_t *width)
{
	const struct ials *s = m->state;

	*width = s->k;
	return s->p;
}

/* The history's entries in history order, as the training data would
 * hold them: of several events of an item the last, and none of an item
 * that the model lacks.  Their decay is measured from the model's time
 * or, for a stream that has run past it, from the history's newest event,
 * so that the newest weighs at most 1 as in training.  last holds a zeroed
 * slot per item of the model.  Returns how many. */
static uint32_t history_entries(const struct rec_model *m, const struct rec_user *u,
				uint32_t *last, uint32_t *idx, float *conf)
{
	int64_t ahead = 0;
	uint32_t n = 0;

	for (uint32_t j = 0; j < u->n; j++) {
		if (u->items[j] < m->data.nitems)
			last[u->items[j]] = j + 1;
		if (u->times[j] - m->now > ahead)
			ahead = u->times[j] - m->now;
	}
	for (uint32_t j = 0; j < u->n; j++) {
		if (u->items[j] >= m->data.nitems || last[u->items[j]] != j + 1)
			continue;
		idx[n] = u->items[j];
		conf[n++] = confidence(m, u->values[j], u->times[j] - ahead);
	}
	return n;
}

/* A streamed user's sums over his entries, kept between his events so
 * that a heavy user's next event costs an update of k^2/2 and one
 * factorisation, not a pass over his whole history: in double, since
 * an item's later event takes its earlier one out again. */
struct sums {
	uint32_t events;	/* of the history, in the sums */
	uint32_t entries;
	double total;		/* prior plus the entries' confidences */
	double v[];		/* k: sum c_j y_j; k x k, upper triangle:
				 * sum (c_j - unobserved) y_j y_j^T */
};

/* Only a user of this many events per factor keeps sums: below it, the
 * pass over his history costs less than the factorisation, and his k^2
 * doubles would outweigh his history many times. */
#define SUMS_EVENTS_PER_FACTOR 2

/* Add an entry of item and confidence c to the sums, or take it out
 * (sign -1). */
static void sums_add(struct sums *sm, const struct system *sys, uint32_t item, float c,
		     int sign)
{
	const float *y = sys->y + (size_t)item * sys->k;
	double *b = sm->v, *a = sm->v + sys->k, w = sign * ((double)c - sys->unobserved);

	sm->entries += sign;
	sm->total += sign * (double)c;
	for (uint32_t f = 0; f < sys->k; f++) {
		double *row = a + (size_t)f * sys->k, wf = w * y[f];

		b[f] += sign * (double)c * y[f];
		for (uint32_t g = f; g < sys->k; g++)
			row[g] += wf * y[g];
	}
}

/* New sums for the whole history, through history_entries and the rank
 * updates of the exact solve, in w. */
static struct sums *sums_new(const struct rec_model *m, const struct system *sys,
			     const struct rec_user *u, struct work *w)
{
	size_t k = sys->k, n = u->n ? u->n : 1;
	struct sums *sm = calloc(1, sizeof(*sm) + (k + k * k) * sizeof(double));
	uint32_t *last = calloc((size_t)m->data.nitems + 1, sizeof(*last));
	uint32_t *idx = malloc(n * sizeof(*idx));
	float *conf = malloc(n * sizeof(*conf));

	if (sm && last && idx && conf) {
		n = history_entries(m, u, last, idx, conf);
		memset(w->a, 0, k * k * sizeof(*w->a));
		add_entries(sys, idx, conf, (uint32_t)n, w);
		sm->entries = (uint32_t)n;
		sm->total = sys->prior;
		for (uint32_t j = 0; j < n; j++)
			sm->total += conf[j];
		for (size_t f = 0; f < k; f++) {
			sm->v[f] = w->b[f];
			for (size_t g = f; g < k; g++)
				sm->v[k + f * k + g] = w->a[f * k + g];
		}
		sm->events = u->n;
	} else {
		free(sm);
		sm = NULL;
	}
	free(last);
	free(idx);
	free(conf);
	return sm;
}

/* Bring the sums up to u's newest events: each replaces the entry of an
 * earlier event of its item, if there is one. */
static void sums_catch_up(const struct rec_model *m, const struct system *sys,
			  struct sums *sm, const struct rec_user *u)
{
	for (uint32_t j = sm->events; j < u->n; j++) {
		uint32_t item = u->items[j], x = j;

		if (item >= m->data.nitems)
			continue;
		while (x-- > 0 && u->items[x] != item)
			;
		if (x != UINT32_MAX)
			sums_add(sm, sys, item, confidence(m, u->values[x], u->times[x]), -1);
		sums_add(sm, sys, item, confidence(m, u->values[j], u->times[j]), 1);
	}
	sm->events = u->n;
}

/* x = the exact solve from the sums. */
static int sums_solve(const struct system *sys, const struct sums *sm, float *x,
		      struct work *w)
{
	uint32_t k = sys->k;
	float lambda = penalty(sys, sm->total);

	if (sm->entries == 0) {
		memset(x, 0, k * sizeof(*x));
		return 0;
	}
	if (surely_singular(sys, lambda, sm->entries))
		return REC_EINVAL;
	start_matrix(sys, lambda, w->a);
	for (uint32_t f = 0; f < k; f++) {
		const double *row = sm->v + k + (size_t)f * k;

		w->b[f] = (float)sm->v[f];
		for (uint32_t g = f; g < k; g++)
			w->a[(size_t)f * k + g] += (float)row[g];
	}
	return factor_solve(w, k, x);
}

/* The user's exact solve from his whole history, as training's last half
 * sweep did it with the cholesky solver.  Without time decay, a user of
 * many events keeps his sums (the weights of the others move with each
 * new event). */
static int fold_from_sums(const struct rec_model *m, const struct system *sys,
			  struct rec_user *u, struct work *w)
{
	if (!u->sums && !(u->sums = sums_new(m, sys, u, w)))
		return REC_ENOMEM;
	sums_catch_up(m, sys, u->sums, u);
	return sums_solve(sys, u->sums, u->state, w);
}

/* The user's exact solve from the history's entries. */
static int fold_from_history(const struct rec_model *m, const struct system *sys,
			     struct rec_user *u, struct work *w)
{
	size_t n = u->n ? u->n : 1;
	uint32_t *last = calloc((size_t)m->data.nitems + 1, sizeof(*last));
	uint32_t *idx = malloc(n * sizeof(*idx));
	float *conf = malloc(n * sizeof(*conf));
	int rc = REC_ENOMEM;

	if (last && idx && conf) {
		n = history_entries(m, u, last, idx, conf);
		rc = solve_row(sys, idx, conf, (uint32_t)n, 1, u->state, w);
	}
	free(last);
	free(idx);
	free(conf);
	return rc;
}

/* The user's exact solve against the items; a system that is not
 * positive definite gives 0. */
static int ials_fold_in(const struct rec_model *m, struct rec_user *u)
{
	const struct ials *s = m->state;
	struct system sys = system_of(m, s->q, m->data.nitems, s->gram);
	struct work w;
	int rc;

	if (work_init(&w, s->k) < 0)
		return REC_ENOMEM;
	if (m->half_life <= 0 && u->n >= SUMS_EVENTS_PER_FACTOR * s->k)
		rc = fold_from_sums(m, &sys, u, &w);
	else
		rc = fold_from_history(m, &sys, u, &w);
	if (rc == REC_EINVAL)
		memset(u->state, 0, s->k * sizeof(*u->state));
	work_release(&w);
	return rc == REC_ENOMEM ? rc : 0;
}

static void ials_score_user(const struct rec_model *m, const struct rec_user *u,
			    float *scores)
{
	score_vector(m, u->state, scores);
}

/* Hu, Koren and Volinsky (2008), section 5: with W the inverse of the
 * user's matrix A = U^T U, item i's score is the sum over the history of
 * c_j s_ij, s_ij = y_i^T W y_j.  That sum holds A fixed, but j's entry is
 * in A too, with weight d_j = c_j - unobserved: the item the sum names
 * first can matter less than another (6% of MovieLens 100K's top-10
 * rows).  With h_j = y_j^T W y_j and p_j = y_j^T x, Sherman and
 * Morrison's formula makes the drop of i's score when j is folded out
 * s_ij (c_j - d_j p_j) / (1 - d_j h_j): the share, exact but for the
 * penalty's small move with the history's size (the same for every
 * entry of equal confidence).  Without j the matrix may be singular
 * (1 - d_j h_j <= 0): then the user folds in to nothing, and the drop is
 * the whole score.  One factorisation, the history's rows V = Y_h U^-1
 * and the listed items' L = Y_i U^-1 by one triangular solve, s = L V^T
 * in one product; repeated events of an item owe nothing beyond the
 * last, as in the fold-in. */
static void sherman_morrison_shares(const struct system *sys, const float *conf,
				    uint32_t ne, uint32_t n, const float *v,
				    const float *l, const float *g, float *dot)
{
	uint32_t k = sys->k;

	for (uint32_t e = 0; e < ne; e++) {
		const float *ve = v + (size_t)e * k;
		float d = conf[e] - sys->unobserved, left = 1 - d * rec_dot(ve, ve, k);
		float gain = (conf[e] - d * rec_dot(ve, g, k)) / left;

		for (uint32_t t = 0; t < n; t++)
			dot[(size_t)t * ne + e] = left > 0 ? dot[(size_t)t * ne + e] * gain :
				rec_dot(l + (size_t)t * k, g, k);
	}
}

static int ials_explain(const struct rec_model *m, const struct rec_user *u,
			const uint32_t *items, uint32_t n, float *contrib)
{
	const struct ials *s = m->state;
	struct system sys = system_of(m, s->q, m->data.nitems, s->gram);
	size_t h = u->n, k = s->k;
	uint32_t *last = calloc((size_t)m->data.nitems + 1, sizeof(*last)), ne;
	/* idx and conf of h entries, the rows l of n and v of h that one
	 * solve takes, and dot of n x h */
	float *conf = malloc((2 * h + h * k + n * (k + h)) * sizeof(*conf) + 1);
	uint32_t *idx = (uint32_t *)(conf + h);
	float *l = conf + 2 * h, *v = l + n * k, *dot = v + h * k;
	struct work w = { 0 };
	int rc = REC_ENOMEM;

	if (!last || !conf || work_init(&w, s->k) < 0)
		goto out;
	memset(contrib, 0, (size_t)n * u->n * sizeof(*contrib));
	rc = 0;
	ne = history_entries(m, u, last, idx, conf);
	if (n == 0 || ne == 0 || factor_row(&sys, idx, conf, ne, &w) < 0)
		goto out;
	forward(w.a, w.b, s->k);
	gather(&sys, items, n, l);
	gather(&sys, idx, ne, v);
	cblas_strsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit,
		    (int)(n + ne), (int)k, 1, w.a, (int)k, l, (int)k);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ne, (int)k, 1, l,
		    (int)k, v, (int)k, 0, dot, (int)ne);
	sherman_morrison_shares(&sys, conf, ne, n, v, l, w.b, dot);
	/* the events of the entries, in their order, into idx */
	for (uint32_t j = 0, e = 0; j < u->n; j++)
		if (u->items[j] < m->data.nitems && last[u->items[j]] == j + 1)
			idx[e++] = j;
	for (uint32_t t = 0; t < n; t++)
		for (uint32_t e = 0; e < ne; e++)
			contrib[(size_t)t * u->n + idx[e]] = dot[(size_t)t * ne + e];
out:
	free(last);
	free(conf);
	work_release(&w);
	return rc;
}

static const float *ials_item_vectors(const struct rec_model *m, uint32_t *width)
{
	const struct ials *s = m->state;

	*width = s->k;
	return s->q;
}

const struct rec_algo rec_algo_ials = {
	.name = "ials",
	.summary = "implicit alternating least squares (matrix factorisation)",
	.hparams = ials_hparams,
	.nhparams = NHP,
	.init = ials_init,
	.train = ials_train,
	.params = ials_params,
	.score = ials_score,
	.score_block = ials_score_block,
	.predict = ials_predict,
	.ratings = 0,
	.release = ials_release,
	.user_rows = ials_user_rows,
	.fold_in = ials_fold_in,
	.score_user = ials_score_user,
	.ranks_without_values = 1,
	.update = ials_update,
	.explain = ials_explain,
	.item_vectors = ials_item_vectors,
};
