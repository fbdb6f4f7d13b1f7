/* attributes.c - rows without events known by their attributes.
 *
 * An item's map is fitted on the rows with events (see attributes.h).
 * A user's scores come from a ridge regression of the users' rows of
 * events (one column per item, each event weighted by its time decay) on
 * their centred attributes, fitted on the users with events: with X those
 * users' attributes less their mean x0, R their rows and r0 the mean row,
 *
 *   s(u) = r0 + (x_u - x0)^T (X^T X + ridge I)^-1 X^T R,
 *
 * a linear model of demographic filtering (Pazzani, "A framework for
 * collaborative, content-based and demographic filtering", AI Review
 * 1999).  It is computed as r0 plus each user's row weighted by his
 * attributes' product with (X^T X + ridge I)^-1 (x_u - x0): a pass over
 * the events, and nothing kept in the model. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attributes.h"
#include "lapack.h"

static uint32_t attribute_count(const struct rec_features *f)
{
	return f ? rec_dict_size(f->names) : 0;
}

static uint64_t row_length(const struct rec_features *f, uint32_t r)
{
	return r < f->nrows ? f->ptr[r + 1] - f->ptr[r] : 0;
}

float rec_attribute_row_scale(const struct rec_features *f, uint32_t r)
{
	double sum = 0;

	if (!f || r >= f->nrows)
		return 0;
	for (uint64_t e = f->ptr[r]; e < f->ptr[r + 1]; e++)
		sum += fabs((double)f->val[e]);
	return sum > 0 ? (float)(1 / sum) : 0;
}

void rec_attribute_compose(const struct rec_features *f, uint32_t r, float s,
			   const float *own, const float *vecs, uint32_t k, float *v)
{
	memcpy(v, own, k * sizeof(*v));
	for (uint64_t e = s > 0 ? f->ptr[r] : 0; s > 0 && e < f->ptr[r + 1]; e++) {
		const float *x = vecs + (size_t)f->col[e] * k;
		float a = s * f->val[e];

		#pragma omp simd
		for (uint32_t c = 0; c < k; c++)
			v[c] += a * x[c];
	}
}

/* Entry j of row r's attributes, the last (j == the row's length) a
 * constant 1 in column nf, the map's intercept. */
static void attribute(const struct rec_features *f, uint32_t r, uint64_t j, uint32_t nf,
		      uint32_t *col, float *val)
{
	int last = j == row_length(f, r);

	*col = last ? nf : f->col[f->ptr[r] + j];
	*val = last ? 1 : f->val[f->ptr[r] + j];
}

int rec_attribute_map_fit(const struct rec_features *f, uint32_t nrows, const float *weight,
			  const float *y, uint32_t width, float ridge, float *w)
{
	uint32_t nf = attribute_count(f), c1, c2;
	int n = (int)nf + 1, k = (int)width, info;
	float *a = calloc((size_t)n * n, sizeof(*a)), v1, v2;

	if (!a)
		return REC_ENOMEM;
	memset(w, 0, (size_t)n * width * sizeof(*w));
	for (uint32_t r = 0; r < nrows; r++)
		for (uint64_t x = 0; weight[r] > 0 && x <= row_length(f, r); x++) {
			attribute(f, r, x, nf, &c1, &v1);
			v1 *= weight[r];
			for (uint64_t z = 0; z <= row_length(f, r); z++) {
				attribute(f, r, z, nf, &c2, &v2);
				a[(size_t)c1 * n + c2] += v1 * v2;
			}
			for (uint32_t j = 0; j < width; j++)
				w[(size_t)j * n + c1] += v1 * y[(size_t)r * width + j];
		}
	for (int c = 0; c < n; c++)
		a[(size_t)c * n + c] += ridge;
	sposv_("L", &n, &k, a, &n, w, &n, &info, 1);
	free(a);
	return info ? REC_EINVAL : 0;
}

void rec_attribute_map_apply(const struct rec_features *f, uint32_t r, const float *w,
			     uint32_t width, float *out)
{
	uint32_t nf = attribute_count(f), c;
	float v;

	memset(out, 0, width * sizeof(*out));
	for (uint64_t x = 0; x <= row_length(f, r); x++) {
		attribute(f, r, x, nf, &c, &v);
		for (uint32_t j = 0; j < width; j++)
			out[j] += v * w[(size_t)j * (nf + 1) + c];
	}
}

static int has_events(const struct rec_dataset *d, uint32_t u)
{
	return d->rowptr[u + 1] > d->rowptr[u];
}

/* The mean x0 of the attributes of the n users with events, and the
 * system X^T X + ridge I of their centred attributes into a (nf x nf). */
static void user_system(const struct rec_dataset *d, uint32_t nf, float ridge, double *x0,
			float *a, uint32_t *n)
{
	const struct rec_features *f = d->user_features;

	*n = 0;
	for (uint32_t u = 0; u < d->nusers && u < f->nrows; u++)
		for (uint64_t x = f->ptr[u]; has_events(d, u) && x < f->ptr[u + 1]; x++) {
			x0[f->col[x]] += f->val[x];
			for (uint64_t z = f->ptr[u]; z < f->ptr[u + 1]; z++)
				a[(size_t)f->col[x] * nf + f->col[z]] += f->val[x] * f->val[z];
		}
	for (uint32_t u = 0; u < d->nusers; u++)
		*n += has_events(d, u);
	for (uint32_t c = 0; c < nf; c++)
		x0[c] /= *n ? *n : 1;
	for (uint32_t c = 0; c < nf; c++) {
		for (uint32_t c2 = 0; c2 < nf; c2++)
			a[(size_t)c * nf + c2] -= (float)(*n * x0[c] * x0[c2]);
		a[(size_t)c * nf + c] += ridge;
	}
}

/* scores = r0 + sum over the users v with events of ((x_v - x0) . z) R_v. */
static void weighted_rows(const struct rec_model *m, const double *x0, const float *z,
			  uint32_t nf, uint32_t n, float *scores)
{
	const struct rec_dataset *d = &m->data;
	const struct rec_features *f = d->user_features;
	double base = 0;

	for (uint32_t c = 0; c < nf; c++)
		base += x0[c] * z[c];
	for (uint32_t i = 0; i < d->nitems; i++)
		scores[i] = m->popularity[i] / (float)n;
	for (uint32_t v = 0; v < d->nusers; v++) {
		double c = -base;

		for (uint64_t x = v < f->nrows ? f->ptr[v] : 0; v < f->nrows && x < f->ptr[v + 1]; x++)
			c += f->val[x] * z[f->col[x]];
		for (uint64_t e = d->rowptr[v]; e < d->rowptr[v + 1]; e++)
			scores[d->col[e]] += (float)(c * rec_model_decay(m, d->time[e]));
	}
}

int rec_attribute_user_scores(const struct rec_model *m, uint32_t user, float ridge,
			      float *scores)
{
	const struct rec_dataset *d = &m->data;
	const struct rec_features *f = d->user_features;
	uint32_t nf = attribute_count(f), n;
	int order = (int)nf, one = 1, info = 1;
	double *x0;
	float *a, *z;

	if (!f || user >= f->nrows || f->ptr[user + 1] == f->ptr[user])
		return 0;
	x0 = calloc(nf, sizeof(*x0));
	a = calloc((size_t)nf * nf, sizeof(*a));
	z = malloc(nf * sizeof(*z));
	if (x0 && a && z) {
		user_system(d, nf, ridge, x0, a, &n);
		for (uint32_t c = 0; c < nf; c++)
			z[c] = (float)-x0[c];
		for (uint64_t x = f->ptr[user]; x < f->ptr[user + 1]; x++)
			z[f->col[x]] += f->val[x];
		if (n)
			sposv_("L", &order, &one, a, &order, z, &order, &info, 1);
		if (info == 0)
			weighted_rows(m, x0, z, nf, n, scores);
	}
	free(x0);
	free(a);
	free(z);
	return info == 0;
}
