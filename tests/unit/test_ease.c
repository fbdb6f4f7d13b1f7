/* test_ease.c - the ease family against an independent solve in double
 * precision (Gauss-Jordan on the dense G), on more items than one tile of
 * the in-place inversion; and max_items against a model trained on only
 * the kept items. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

/* Invert the n x n matrix a in place by Gauss-Jordan with partial
 * pivoting; work holds n x n doubles. */
static void invert(double *a, double *work, int n)
{
	for (int i = 0; i < n * n; i++)
		work[i] = i / n == i % n;
	for (int c = 0; c < n; c++) {
		int p = c;

		for (int r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > fabs(a[p * n + c]))
				p = r;
		for (int j = 0; j < n; j++) {
			double t = a[c * n + j], w = work[c * n + j];

			a[c * n + j] = a[p * n + j];
			a[p * n + j] = t;
			work[c * n + j] = work[p * n + j];
			work[p * n + j] = w;
		}
		for (int r = 0; r < n; r++) {
			double f = a[r * n + c] / a[c * n + c];

			if (r == c)
				continue;
			for (int j = 0; j < n; j++) {
				a[r * n + j] -= f * a[c * n + j];
				work[r * n + j] -= f * work[c * n + j];
			}
		}
	}
	for (int r = 0; r < n; r++) {
		double d = a[r * n + r];

		for (int j = 0; j < n; j++)
			a[r * n + j] = work[r * n + j] / d;
	}
}

/* B in double from the dataset: G = X^T X + lambda I, P = G^-1,
 * B_ij = -P_ij / P_jj, B_jj = 0. */
static double *reference_b(const struct rec_dataset *d, double lambda)
{
	int n = (int)d->nitems;
	double *g = calloc((size_t)n * n, sizeof(*g));
	double *work = malloc((size_t)n * n * sizeof(*work));

	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
			for (uint64_t f = d->rowptr[u]; f < d->rowptr[u + 1]; f++)
				g[d->col[e] * n + d->col[f]] += 1;
	for (int i = 0; i < n; i++)
		g[i * n + i] += lambda;
	memcpy(work, g, (size_t)n * n * sizeof(*g));
	invert(g, work, n);
	for (int i = 0; i < n; i++)
		work[i] = g[i * n + i];
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			g[i * n + j] = i == j ? 0 : -g[i * n + j] / work[j];
	free(work);
	return g;
}

static struct rec_model *train(struct rec_dataset *ds, const char *lambda,
			       const char *max_items)
{
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find("ease"));
	struct rec_error err;

	CHECK(m != NULL);
	CHECK(rec_model_set(m, "lambda", lambda, &err) == 0);
	CHECK(rec_model_set(m, "max_items", max_items, &err) == 0);
	CHECK(rec_model_train(m, ds, &opt, &err) == 0);
	return m;
}

/* Every user's scores and a few predictions within float rounding of
 * x_u B computed in double. */
static void check_against_double(void)
{
	struct rec_dataset ds;
	struct rec_model *m;
	double *b, worst = 0;
	float *s;
	int n;

	make_picks(&ds, 300, 150, 0.05, 3);
	n = (int)ds.nitems;
	b = reference_b(&ds, 20);
	m = train(&ds, "20", "0");
	s = malloc((size_t)n * sizeof(*s));
	for (uint32_t u = 0; u < m->data.nusers; u++) {
		const struct rec_dataset *d = &m->data;

		rec_model_score(m, u, s);
		for (int j = 0; j < n; j++) {
			double want = 0;

			for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
				want += b[d->col[e] * n + j];
			if (fabs(s[j] - want) > worst)
				worst = fabs(s[j] - want);
			if (j < 3)
				CHECK(rec_model_predict(m, u, j) == s[j]);
		}
	}
	CHECK(worst < 1e-5);
	if (worst >= 1e-5)
		fprintf(stderr, "largest score error %g\n", worst);
	CHECK(rec_model_predict(m, -1, 0) == 0);
	CHECK(rec_model_predict(m, 0, -1) == 0);
	free(s);
	free(b);
	rec_model_free(m);
}

/* With max_items = k, the k most popular items score as in a model of
 * the data cut down to them, and the others score -INFINITY and predict
 * 0.  Which items were kept is read from the model's scores. */
static void check_max_items(void)
{
	struct rec_dataset full, cut;
	struct rec_model *m, *ref;
	uint8_t *drop;
	float *a, *b, least = INFINITY, most = 0;
	uint32_t n, kept = 0;

	make_picks(&full, 200, 100, 0.04, 8);
	make_picks(&cut, 200, 100, 0.04, 8);
	m = train(&full, "10", "40");
	n = m->data.nitems;
	a = malloc(n * sizeof(*a));
	b = malloc(n * sizeof(*b));
	rec_model_score(m, 0, a);
	for (uint32_t i = 0; i < n; i++) {
		float pop = m->popularity[i];

		kept += a[i] != -INFINITY;
		if (a[i] != -INFINITY && pop < least)
			least = pop;
		if (a[i] == -INFINITY && pop > most)
			most = pop;
	}
	CHECK_INT(kept, 40);
	CHECK(least >= most);
	drop = malloc(cut.nnz);
	for (uint64_t e = 0; e < cut.nnz; e++)
		drop[e] = a[cut.col[e]] == -INFINITY;
	rec_dataset_filter(&cut, drop, 0);
	ref = train(&cut, "10", "0");
	for (uint32_t u = 0; u < m->data.nusers; u++) {
		/* A user left without events gets the popularity, not scores. */
		if (ref->data.rowptr[u] == ref->data.rowptr[u + 1])
			continue;
		rec_model_score(m, u, a);
		rec_model_score(ref, u, b);
		for (uint32_t i = 0; i < n; i++) {
			if (a[i] == -INFINITY)
				CHECK(rec_model_predict(m, u, i) == 0);
			else
				CHECK(fabsf(a[i] - b[i]) < 1e-5f);
		}
	}
	free(drop);
	free(a);
	free(b);
	rec_model_free(m);
	rec_model_free(ref);
}

int main(void)
{
	check_against_double();
	check_max_items();
	return UNIT_STATUS();
}
