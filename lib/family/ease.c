/* ease.c - EASE, the embarrassingly shallow autoencoder (Steck, WWW 2019):
 * an item-item weight matrix B with a zero diagonal, learned in closed
 * form.  With G = X^T X + lambda I and P = G^-1, B_ij = -P_ij / P_jj, and
 * a user's scores are x_u B: the sum of the rows of B of the user's items.
 *
 * B is built and inverted in place, items x items floats.  With max_items
 * only the most popular items get a row and a column; the others score
 * -INFINITY, so they are never recommended.
 *
 * With keep=N B is sparse, N weights a column, as in the sparse
 * approximation of Steck (Markov random fields for collaborative
 * filtering, NeurIPS 2019): P chooses the N items of largest partial
 * correlation with each item, and each column is then fitted anew on its
 * N items alone, a small ridge regression, rather than cut from the dense
 * B, whose small weights sum to much.  The model holds B by row, as
 * scoring reads it. */
#include <cblas.h>
#include <inttypes.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "lapack.h"

#define NONE UINT32_MAX
#define TILE 64
#define KEEP_DEFAULT 256

enum { HP_LAMBDA, HP_WEIGHTING, HP_MAX_ITEMS, HP_KEEP };

static const char *const weightings[] = { "implicit", "rating", NULL };

static const struct rec_hparam ease_hparams[] = {
	[HP_LAMBDA] = { "lambda", 500, 0, 1e12, 0, NULL },
	[HP_WEIGHTING] = { "weighting", 0, 0, 1, 1, weightings },
	[HP_MAX_ITEMS] = { "max_items", 0, 0, 4294967294.0, 1, NULL },
	/* Models saved before keep existed are dense. */
	[HP_KEEP] = { "keep", KEEP_DEFAULT, 0, 4294967294.0, 1, NULL, "0" },
};

struct ease {
	uint32_t k;		/* items kept: the rows and columns of B */
	uint32_t *pos;		/* nitems: each item's row of B, or NONE */
	float *b;		/* dense B, k x k, row-major; NULL when too big
				 * or when B is sparse */
	uint32_t n;		/* sparse B: weights kept per column; 0: dense */
	uint32_t *rowptr;	/* k + 1: where each row's weights start */
	uint32_t *col;		/* k n: their columns, ascending in a row */
	float *w;		/* k n: the weights */
};

static double matrix_bytes(uint32_t k);

static uint32_t kept_items(const struct rec_model *m)
{
	uint32_t n = m->data.nitems, max = (uint32_t)m->hp[HP_MAX_ITEMS];

	return max && max < n ? max : n;
}

/* The weights kept per column, or 0 when B stays dense: keep=0, or a
 * keep that leaves every weight of a column. */
static uint32_t kept_per_column(const struct rec_model *m, uint32_t k)
{
	double keep = m->hp[HP_KEEP];

	return keep > 0 && keep + 1 < k ? (uint32_t)keep : 0;
}

/* Row pointers are 32 bits wide. */
static int ease_check_hparams(const struct rec_model *m, struct rec_error *err)
{
	uint32_t k = kept_items(m);

	if ((uint64_t)k * kept_per_column(m, k) > UINT32_MAX)
		return rec_error_set(err, REC_EINVAL, "keep %g for %u items makes more than "
				     "2^32 weights; lower keep, or keep=0 for a dense matrix",
				     m->hp[HP_KEEP], k);
	return 0;
}

/* Sparse B: row pointers from 0 to k n, never going back; in each row,
 * columns ascending, in range and off the diagonal; n in each column. */
static int check_sparse(const struct ease *s, struct rec_error *err)
{
	uint32_t *count = calloc(s->k ? s->k : 1, sizeof(*count));
	uint64_t nnz = (uint64_t)s->k * s->n;
	int rc = 0;

	if (!count)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if (s->rowptr[0] != 0 || s->rowptr[s->k] != nnz)
		rc = rec_error_set(err, REC_EFORMAT, "section 'BROW': row pointers run from "
				   "%u to %u, not from 0 to %" PRIu64, s->rowptr[0],
				   s->rowptr[s->k], nnz);
	for (uint32_t p = 0; p < s->k && rc == 0; p++) {
		if (s->rowptr[p + 1] < s->rowptr[p] || s->rowptr[p + 1] > nnz)
			rc = rec_error_set(err, REC_EFORMAT, "section 'BROW': row pointers "
					   "go backwards or past the end at row %u", p);
		for (uint32_t t = s->rowptr[p]; t < s->rowptr[p + 1] && rc == 0; t++) {
			uint32_t q = s->col[t];

			if (q >= s->k || q == p || (t > s->rowptr[p] && q <= s->col[t - 1]))
				rc = rec_error_set(err, REC_EFORMAT, "section 'BCOL': column "
						   "%u of row %u is out of range, out of order "
						   "or on the diagonal", q, p);
			else
				count[q]++;
		}
	}
	for (uint32_t q = 0; q < s->k && rc == 0; q++)
		if (count[q] != s->n)
			rc = rec_error_set(err, REC_EFORMAT, "section 'BCOL': column %u has %u "
					   "weights, not %u", q, count[q], s->n);
	free(count);
	return rc;
}

/* What training leaves: the matrix, and the kept items' rows numbered
 * 0, 1, ... k - 1 in index order, on which scoring's scatter relies. */
static int ease_check(const struct rec_model *m, struct rec_error *err)
{
	const struct ease *s = m->state;
	uint32_t next = 0;

	if (!s->n && !s->b)
		return rec_error_set(err, REC_EFORMAT, "section 'BMAT' is missing: %u items "
				     "need %.1f GB, more than this machine has", s->k,
				     matrix_bytes(s->k) / 1e9);
	for (uint32_t i = 0; i < m->data.nitems; i++) {
		if (s->pos[i] == NONE)
			continue;
		if (s->pos[i] != next || next == s->k)
			return rec_error_set(err, REC_EFORMAT, "section 'KEEP': item %u has "
					     "row %u, not %u of %u", i, s->pos[i], next, s->k);
		next++;
	}
	if (next != s->k)
		return rec_error_set(err, REC_EFORMAT, "section 'KEEP': %u items kept, "
				     "not %u", next, s->k);
	return s->n ? check_sparse(s, err) : 0;
}

static float entry_weight(const struct rec_model *m, uint64_t e)
{
	return rec_event_weight(m, m->data.val[e], m->data.time[e],
				m->hp[HP_WEIGHTING] == 1);
}

/* The machine's memory in bytes, or infinity where the system cannot
 * tell, so that an unknown size never refuses a model. */
static double physical_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (double)pages * (double)size : INFINITY;
}

static double matrix_bytes(uint32_t k)
{
	return (double)k * k * sizeof(float);
}

/* The k x k matrix that training works in, or NULL where it cannot fit
 * in memory, so that training can refuse it with a useful message rather
 * than "out of memory". */
static float *dense_matrix(uint32_t k)
{
	if (matrix_bytes(k) > physical_memory())
		return NULL;
	return malloc(k ? matrix_bytes(k) : 1);
}

/* The arrays of B as the model file holds them: dense, or sparse when
 * keep prunes it; training builds a sparse B in a dense matrix of its
 * own. */
static int ease_init(struct rec_model *m)
{
	struct ease *s = calloc(1, sizeof(*s));
	uint32_t n = m->data.nitems;
	size_t nnz;

	if (!s)
		return REC_ENOMEM;
	m->state = s;
	s->k = kept_items(m);
	s->n = kept_per_column(m, s->k);
	if (!(s->pos = malloc((n ? n : 1) * sizeof(*s->pos))))
		return REC_ENOMEM;
	if (!s->n) {
		s->b = dense_matrix(s->k);
		return s->b || matrix_bytes(s->k) > physical_memory() ? 0 : REC_ENOMEM;
	}
	nnz = (size_t)s->k * s->n;
	s->rowptr = malloc(((size_t)s->k + 1) * sizeof(*s->rowptr));
	s->col = malloc(nnz * sizeof(*s->col));
	s->w = malloc(nnz * sizeof(*s->w));
	return s->rowptr && s->col && s->w ? 0 : REC_ENOMEM;
}

static int by_popularity(const void *a, const void *b, void *ctx)
{
	const float *pop = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (pop[i] != pop[j])
		return pop[i] > pop[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Keep the k most popular items (ties to the lower index), numbered in
 * index order: scoring relies on pos[i] <= i to scatter in place. */
static int keep_items(struct rec_model *m, struct ease *s)
{
	uint32_t n = m->data.nitems, *order, next = 0;

	if (s->k == n) {
		for (uint32_t i = 0; i < n; i++)
			s->pos[i] = i;
		return 0;
	}
	if (!(order = malloc(n * sizeof(*order))))
		return REC_ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_popularity, m->popularity);
	for (uint32_t i = 0; i < n; i++)
		s->pos[i] = NONE;
	for (uint32_t r = 0; r < s->k; r++)
		s->pos[order[r]] = 0;
	for (uint32_t i = 0; i < n; i++)
		if (s->pos[i] != NONE)
			s->pos[i] = next++;
	free(order);
	return 0;
}

/* X restricted to the kept items, twice: by user, each row's items in
 * row order of b with their weights; and by item, each column's users
 * ascending with where the item sits in the user's row.  From there a
 * user's row is walked for the items at or after it only: the upper
 * triangle of G with no test in the inner loop. */
struct sparse {
	uint64_t *uptr;		/* nusers + 1 */
	uint32_t *q;		/* row of b of each entry */
	float *w;		/* weight of each entry */
	uint64_t *cptr;		/* k + 1 */
	uint32_t *cuser;	/* the users of each column */
	uint64_t *coff;		/* index into q and w of (user, column) */
};

static void sparse_free(struct sparse *x)
{
	free(x->uptr);
	free(x->q);
	free(x->w);
	free(x->cptr);
	free(x->cuser);
	free(x->coff);
}

static int sparse_alloc(struct sparse *x, uint32_t nusers, uint32_t k, uint64_t nnz)
{
	size_t n = nnz ? nnz : 1;

	x->uptr = calloc((size_t)nusers + 1, sizeof(*x->uptr));
	x->q = malloc(n * sizeof(*x->q));
	x->w = malloc(n * sizeof(*x->w));
	x->cptr = calloc((size_t)k + 1, sizeof(*x->cptr));
	x->cuser = malloc(n * sizeof(*x->cuser));
	x->coff = malloc(n * sizeof(*x->coff));
	return x->uptr && x->q && x->w && x->cptr && x->cuser && x->coff ? 0 : REC_ENOMEM;
}

/* Columns first (users come in ascending order), with each entry's weight
 * parked in w; then walking the columns in order lays out the rows sorted
 * by q. */
static int sparse_build(const struct rec_model *m, const struct ease *s,
			struct sparse *x)
{
	const struct rec_dataset *d = &m->data;
	uint64_t *next = malloc(((size_t)(s->k > d->nusers ? s->k : d->nusers) + 1) *
				sizeof(*next));
	float *cw = malloc((d->nnz ? d->nnz : 1) * sizeof(*cw));
	int rc = REC_ENOMEM;

	if (!next || !cw || sparse_alloc(x, d->nusers, s->k, d->nnz) < 0)
		goto out;
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
			if (s->pos[d->col[e]] != NONE) {
				x->uptr[u + 1]++;
				x->cptr[s->pos[d->col[e]] + 1]++;
			}
	for (uint32_t u = 0; u < d->nusers; u++)
		x->uptr[u + 1] += x->uptr[u];
	for (uint32_t p = 0; p < s->k; p++)
		x->cptr[p + 1] += x->cptr[p];
	memcpy(next, x->cptr, (size_t)s->k * sizeof(*next));
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			uint32_t p = s->pos[d->col[e]];

			if (p == NONE)
				continue;
			x->cuser[next[p]] = u;
			cw[next[p]++] = entry_weight(m, e);
		}
	memcpy(next, x->uptr, (size_t)d->nusers * sizeof(*next));
	for (uint32_t p = 0; p < s->k; p++)
		for (uint64_t a = x->cptr[p]; a < x->cptr[p + 1]; a++) {
			uint64_t t = next[x->cuser[a]]++;

			x->q[t] = p;
			x->w[t] = cw[a];
			x->coff[a] = t;
		}
	rc = 0;
out:
	free(next);
	free(cw);
	return rc;
}

/* The upper triangle of G = X^T X + lambda I, row by row: row p sums, over
 * the users of item p, the tails of their rows from p on.  Each row has one
 * writer and a fixed order of sums, so G is the same for any number of
 * threads.  This costs about half the sum of the squared user lengths, far
 * below the users x items^2 / 2 of dense rank-k updates at the densities
 * of usage logs. */
static void gram_upper(const struct rec_model *m, uint32_t k, const struct sparse *x,
		       float *g)
{
	float lambda = (float)m->hp[HP_LAMBDA];

	#pragma omp parallel for schedule(dynamic, 8)
	for (uint32_t p = 0; p < k; p++) {
		float *row = g + (size_t)p * k;

		memset(row, 0, k * sizeof(*row));
		for (uint64_t a = x->cptr[p]; a < x->cptr[p + 1]; a++) {
			uint64_t t = x->coff[a], end = x->uptr[x->cuser[a] + 1];
			float wp = x->w[t];

			for (; t < end; t++)
				row[x->q[t]] += wp * x->w[t];
		}
		row[p] += lambda;
	}
}

/* Copy the upper triangle onto the lower one, tile by tile so that the
 * column reads stay in cache. */
static void mirror_upper(float *a, uint32_t k)
{
	#pragma omp parallel for schedule(dynamic, 1)
	for (uint32_t i0 = 0; i0 < k; i0 += TILE)
		for (uint32_t j0 = 0; j0 <= i0; j0 += TILE)
			for (uint32_t i = i0; i < i0 + TILE && i < k; i++)
				for (uint32_t j = j0; j < j0 + TILE && j < i; j++)
					a[(size_t)i * k + j] = a[(size_t)j * k + i];
}

/* Turn P into B in place: B_ij = -P_ij / P_jj, B_jj = 0. */
static int scale_columns(float *a, uint32_t k)
{
	float *r = malloc((k ? k : 1) * sizeof(*r));

	if (!r)
		return REC_ENOMEM;
	for (uint32_t j = 0; j < k; j++)
		r[j] = (float)(-1.0 / a[(size_t)j * k + j]);
	#pragma omp parallel for schedule(static)
	for (uint32_t i = 0; i < k; i++) {
		float *row = a + (size_t)i * k;

		for (uint32_t j = 0; j < k; j++)
			row[j] *= r[j];
		row[i] = 0;
	}
	free(r);
	return 0;
}

/* The n rows that column q of B keeps, ascending in rows[]: those of
 * the largest partial correlations with item q, |P_pq| / sqrt(P_pp P_qq),
 * in the order of |P_pq| / sqrt(P_pp) (ties to the lower row), from P in
 * a.  mag and val are scratch of k and n floats. */
static void choose_rows(const float *a, uint32_t k, uint32_t q, uint32_t n,
			float *mag, float *val, uint32_t *rows)
{
	const float *pq = a + (size_t)q * k;	/* row q of P: P is symmetric */
	uint32_t t = 0;

	for (uint32_t p = 0; p < k; p++)
		mag[p] = fabsf(pq[p]) / sqrtf(a[(size_t)p * k + p]);
	mag[q] = -INFINITY;
	rec_topn(mag, k, n, rows, val);
	for (uint32_t j = 0; j < n; j++)
		mag[rows[j]] = -1;
	for (uint32_t p = 0; p < k; p++)
		if (mag[p] == -1)
			rows[t++] = p;
}

/* Column q's weights on its kept rows S: the ridge regression of item q's
 * column of X on those of S alone, b = G_SS^-1 G_Sq, from the upper
 * triangle of G in g; EASE's B is the same with S every other item.
 * work holds n (n + 1) floats. */
static int fit_column(const float *g, uint32_t k, uint32_t q, uint32_t n,
		      const uint32_t *rows, float *work, float *w)
{
	float *gss = work, *rhs = work + (size_t)n * n;

	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = i; j < n; j++)
			gss[(size_t)i * n + j] = g[(size_t)rows[i] * k + rows[j]];
		rhs[i] = rows[i] < q ? g[(size_t)rows[i] * k + q] : g[(size_t)q * k + rows[i]];
	}
	if (rec_cholesky_solve(gss, (int)n, rhs) != 0)
		return REC_EINVAL;
	memcpy(w, rhs, n * sizeof(*w));
	return 0;
}

/* Lay out the columns' weights, n a column in rows[] and w[], by row,
 * each row's columns ascending. */
static void rows_from_columns(struct ease *s, const uint32_t *rows, const float *w)
{
	uint32_t k = s->k, *ptr = s->rowptr;
	size_t nnz = (size_t)k * s->n;

	memset(ptr, 0, ((size_t)k + 1) * sizeof(*ptr));
	for (size_t t = 0; t < nnz; t++)
		ptr[rows[t] + 1]++;
	for (uint32_t p = 0; p < k; p++)
		ptr[p + 1] += ptr[p];
	/* ptr[p + 1] ends row p; filling from the last column down leaves it
	 * where row p starts. */
	for (size_t t = nnz; t-- > 0;) {
		uint32_t at = --ptr[rows[t] + 1];

		s->col[at] = (uint32_t)(t / s->n);
		s->w[at] = w[t];
	}
	memmove(ptr, ptr + 1, (size_t)k * sizeof(*ptr));
	ptr[k] = (uint32_t)nnz;
}

/* Each column's rows, chosen from P in a, n a column into rows[]. */
static int choose_all(const float *a, uint32_t k, uint32_t n, uint32_t *rows)
{
	int rc = 0;

	#pragma omp parallel
	{
		float *mag = malloc(((size_t)k + n) * sizeof(*mag));

		if (!mag) {
			#pragma omp atomic write
			rc = REC_ENOMEM;
		}
		#pragma omp for schedule(dynamic, 16)
		for (uint32_t q = 0; q < k; q++)
			if (mag)
				choose_rows(a, k, q, n, mag, mag + k, rows + (size_t)q * n);
		free(mag);
	}
	return rc;
}

/* Each column's weights on its rows, from G in g, n a column into w[].
 * The small solves run one BLAS thread each. */
static int fit_all(const float *g, uint32_t k, uint32_t n, const uint32_t *rows, float *w)
{
	int rc = 0, blas = rec_blas_serial();

	#pragma omp parallel
	{
		float *work = malloc(((size_t)n * n + n) * sizeof(*work));
		int mine = work ? 0 : REC_ENOMEM;

		#pragma omp for schedule(dynamic, 16)
		for (uint32_t q = 0; q < k; q++)
			if (mine == 0)
				mine = fit_column(g, k, q, n, rows + (size_t)q * n, work,
						  w + (size_t)q * n);
		if (mine < 0) {
			#pragma omp atomic write
			rc = mine;
		}
		free(work);
	}
	rec_blas_restore(blas);
	return rc;
}

/* Invert G in place.  Outside any parallel region BLAS may use every
 * thread that -j allows, as rec_threads left it. */
static int invert(float *a, uint32_t k, struct rec_error *err)
{
	int info;

	if (k == 0)
		return 0;
	info = rec_cholesky(a, (int)k);
	if (info == 0)
		info = rec_cholesky_inverse(a, (int)k);
	if (info > 0)
		return rec_error_set(err, REC_EINVAL, "ease: X^T X + lambda I is not "
				     "positive definite; raise lambda");
	if (info < 0)
		return rec_error_set(err, REC_ENOMEM, "ease: inversion failed (%d)",
				     (int)info);
	mirror_upper(a, k);
	return 0;
}

static int refuse(const struct ease *s, struct rec_error *err)
{
	double have = physical_memory();

	return rec_error_set(err, REC_EINVAL, "ease needs %u^2 floats = %.1f GB for %u "
			     "items, more than the %.1f GB of memory; use -p max_items=N, "
			     "such as %.0f for half of it", s->k, matrix_bytes(s->k) / 1e9,
			     s->k, have / 1e9, floor(sqrt(have / 2 / sizeof(float))));
}

/* Sparse B: P in a chooses each column's rows; then G, built again in a,
 * fits the weights on them. */
static int fit_sparse(const struct rec_model *m, struct ease *s, const struct sparse *x,
		      float *a, struct rec_error *err)
{
	size_t nnz = (size_t)s->k * s->n;
	uint32_t *rows = malloc(nnz * sizeof(*rows));
	float *w = malloc(nnz * sizeof(*w));
	int rc = rows && w ? choose_all(a, s->k, s->n, rows) : REC_ENOMEM;

	if (rc == 0) {
		gram_upper(m, s->k, x, a);
		rc = fit_all(a, s->k, s->n, rows, w);
	}
	if (rc == 0)
		rows_from_columns(s, rows, w);
	free(rows);
	free(w);
	if (rc == REC_EINVAL)
		return rec_error_set(err, REC_EINVAL, "ease: a column's X^T X + lambda I "
				     "is not positive definite; raise lambda");
	return rc < 0 ? rec_error_set(err, REC_ENOMEM, "out of memory") : 0;
}

static int ease_train(struct rec_model *m, const struct rec_train_options *opt,
		      struct rec_error *err)
{
	struct ease *s = m->state;
	struct sparse x = { 0 };
	float *a = s->n ? dense_matrix(s->k) : s->b;
	double start = omp_get_wtime(), gram, inverse = 0;
	int rc;

	if (!a) {
		rc = matrix_bytes(s->k) > physical_memory() ? refuse(s, err) :
		     rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	if (keep_items(m, s) < 0 || sparse_build(m, s, &x) < 0) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	gram_upper(m, s->k, &x, a);
	gram = omp_get_wtime();
	if ((rc = invert(a, s->k, err)) < 0)
		goto out;
	inverse = omp_get_wtime();
	if (s->n)
		rc = fit_sparse(m, s, &x, a, err);
	else if (scale_columns(a, s->k) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	if (opt->progress && rc == 0)
		fprintf(stderr, "ease: %u items, lambda %g: gram %.3fs, inverse %.3fs, "
			"%u weights a column %.3fs\n", s->k, m->hp[HP_LAMBDA], gram - start,
			inverse - gram, s->n ? s->n : s->k, omp_get_wtime() - inverse);
out:
	if (a != s->b)
		free(a);
	sparse_free(&x);
	return rc;
}

static unsigned ease_params(struct rec_model *m, struct rec_param *p)
{
	struct ease *s = m->state;
	unsigned n = 0;

	p[n++] = (struct rec_param){ { 'K', 'E', 'E', 'P' }, NULL, s->pos, m->data.nitems };
	if (s->n) {
		p[n++] = (struct rec_param){ { 'B', 'R', 'O', 'W' }, NULL, s->rowptr,
					     (uint64_t)s->k + 1 };
		p[n++] = (struct rec_param){ { 'B', 'C', 'O', 'L' }, NULL, s->col,
					     (uint64_t)s->k * s->n };
		p[n++] = (struct rec_param){ { 'B', 'W', 'G', 'T' }, s->w, NULL,
					     (uint64_t)s->k * s->n };
	} else if (s->b) {
		p[n++] = (struct rec_param){ { 'B', 'M', 'A', 'T' }, s->b, NULL,
					     (uint64_t)s->k * s->k };
	}
	return n;
}

/* Move scores from row positions to item indices, in place: pos[i] <= i,
 * so going down from the last item never reads a slot already written. */
static void scatter(const struct rec_model *m, const struct ease *s, float *scores)
{
	for (uint32_t i = m->data.nitems; i-- > 0;)
		scores[i] = s->pos[i] == NONE ? -INFINITY : scores[s->pos[i]];
}

/* scores += x B_p., where B_p. is row p of B. */
static void add_row(const struct ease *s, uint32_t p, float x, float *scores)
{
	if (!s->n) {
		cblas_saxpy((int)s->k, x, s->b + (size_t)p * s->k, 1, scores, 1);
		return;
	}
	for (uint32_t t = s->rowptr[p]; t < s->rowptr[p + 1]; t++)
		scores[s->col[t]] += x * s->w[t];
}

/* B_pq, of a dense B or found in row p of a sparse one, where a weight
 * left out is 0. */
static float weight_at(const struct ease *s, uint32_t p, uint32_t q)
{
	uint32_t lo = 0, hi = 0;

	if (!s->n)
		return s->b[(size_t)p * s->k + q];
	lo = s->rowptr[p];
	hi = s->rowptr[p + 1];
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->col[mid] < q)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->rowptr[p + 1] && s->col[lo] == q ? s->w[lo] : 0;
}

static void ease_score_user(const struct rec_model *m, const struct rec_user *u,
			    float *scores)
{
	const struct ease *s = m->state;

	memset(scores, 0, s->k * sizeof(*scores));
	for (uint32_t j = 0; j < u->n; j++) {
		uint32_t p = s->pos[u->items[j]];

		if (p != NONE)
			add_row(s, p, rec_event_weight(m, u->values[j], u->times[j],
						       m->hp[HP_WEIGHTING] == 1), scores);
	}
	if (s->k < m->data.nitems)
		scatter(m, s, scores);
}

/* Each event adds its weight times the row of B of its item at the
 * listed item's column. */
static int ease_explain(const struct rec_model *m, const struct rec_user *u,
			const uint32_t *items, uint32_t n, float *contrib)
{
	const struct ease *s = m->state;

	for (uint32_t t = 0; t < n; t++)
		for (uint32_t j = 0; j < u->n; j++) {
			uint32_t p = s->pos[u->items[j]], q = s->pos[items[t]];

			contrib[(size_t)t * u->n + j] = p == NONE || q == NONE ? 0 :
				rec_event_weight(m, u->values[j], u->times[j],
						 m->hp[HP_WEIGHTING] == 1) * weight_at(s, p, q);
		}
	return 0;
}

static void ease_score(const struct rec_model *m, uint32_t user, float *scores)
{
	struct rec_user u;

	rec_user_view(m, user, &u);
	ease_score_user(m, &u, scores);
}

/* The score of a known pair; 0 for an unknown user or item, or an item
 * left out by max_items. */
static float ease_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct ease *s = m->state;
	const struct rec_dataset *d = &m->data;
	float v = 0;

	if (user < 0 || item < 0 || s->pos[item] == NONE)
		return 0;
	for (uint64_t e = d->rowptr[user]; e < d->rowptr[user + 1]; e++) {
		uint32_t p = s->pos[d->col[e]];

		if (p != NONE)
			v += entry_weight(m, e) * weight_at(s, p, s->pos[item]);
	}
	return v;
}

static void ease_release(struct rec_model *m)
{
	struct ease *s = m->state;

	if (!s)
		return;
	free(s->pos);
	free(s->b);
	free(s->rowptr);
	free(s->col);
	free(s->w);
	free(s);
	m->state = NULL;
}

const struct rec_algo rec_algo_ease = {
	.name = "ease",
	.summary = "closed-form item-item autoencoder (EASE)",
	.hparams = ease_hparams,
	.nhparams = sizeof(ease_hparams) / sizeof(ease_hparams[0]),
	.init = ease_init,
	.train = ease_train,
	.params = ease_params,
	.score = ease_score,
	.predict = ease_predict,
	.ratings = 0,
	.score_user = ease_score_user,
	.release = ease_release,
	.check = ease_check,
	.check_hparams = ease_check_hparams,
	.explain = ease_explain,
};
