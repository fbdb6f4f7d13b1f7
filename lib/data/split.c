/* split.c - train/test splits of a dataset, as a mask over its entries. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int rec_parse_split_method(const char *s, enum rec_split_method *out,
			   struct rec_error *err)
{
	static const char *const names[] = { "random", "user", "last", "temporal", "kfold",
					     "cold-items", "cold-users" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum rec_split_method)i;
			return 0;
		}
	char q[REC_QUOTED];

	return rec_error_set(err, REC_EINVAL, "bad --method %s", rec_quoted(s, q));
}

/* A random permutation of 0..n-1. */
static uint32_t *permutation(uint64_t n, struct rec_rng *rng)
{
	uint32_t *p = malloc((n ? n : 1) * sizeof(*p));

	if (!p)
		return NULL;
	for (uint64_t i = 0; i < n; i++)
		p[i] = (uint32_t)i;
	rec_rng_shuffle_u32(rng, p, n);
	return p;
}

/* Mark the entries at positions [from, to) of a permutation. */
static int mark_range(const struct rec_dataset *ds, uint8_t *mask,
		      struct rec_rng *rng, uint64_t from, uint64_t to)
{
	uint32_t *p = permutation(ds->nnz, rng);

	if (!p)
		return REC_ENOMEM;
	for (uint64_t i = from; i < to; i++)
		mask[p[i]] = 1;
	free(p);
	return 0;
}

/* How many of a user's n entries to hold out; one always stays in train. */
static uint64_t held_out(uint64_t n, const struct rec_split_options *opt)
{
	uint64_t k = opt->count ? opt->count : (uint64_t)llround(opt->ratio * (double)n);

	return n == 0 ? 0 : (k > n - 1 ? n - 1 : k);
}

static void split_by_user(const struct rec_dataset *ds, uint8_t *mask,
			  const struct rec_split_options *opt, struct rec_rng *rng)
{
	for (uint32_t u = 0; u < ds->nusers; u++) {
		uint64_t a = ds->rowptr[u], n = ds->rowptr[u + 1] - a;
		uint64_t k = held_out(n, opt);

		if (opt->method == REC_SPLIT_LAST) {
			memset(mask + a + n - k, 1, k);
			continue;
		}
		/* Floyd's sampling: k distinct positions of the row. */
		for (uint64_t j = n - k; j < n; j++) {
			uint64_t t = rec_rng_below(rng, j + 1);

			mask[a + (mask[a + t] ? j : t)] = 1;
		}
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The time of the k-th newest event (k >= 1): the cut that holds out the
 * newest k events and those that share the cut's time with them. */
static int newest_cut(const struct rec_dataset *ds, uint64_t k, int64_t *cut)
{
	int64_t *t = rec_alloc_large(ds->nnz * sizeof(*t));

	if (!t)
		return REC_ENOMEM;
	memcpy(t, ds->time, ds->nnz * sizeof(*t));
	qsort(t, ds->nnz, sizeof(*t), cmp_i64);
	*cut = t[ds->nnz - k];
	free(t);
	return 0;
}

/* The cut that holds out the last ratio of the time range. */
static int64_t span_cut(const struct rec_dataset *ds, double ratio)
{
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;

	for (uint64_t e = 0; e < ds->nnz; e++) {
		if (ds->time[e] < tmin)
			tmin = ds->time[e];
		if (ds->time[e] > tmax)
			tmax = ds->time[e];
	}
	return tmax - (int64_t)floor(ratio * (double)(tmax - tmin));
}

/* Hold out the events at or after a cut: --before, the time that leaves
 * the newest ratio of the events after it, or with span the last ratio
 * of the time range.  A ratio of 0 holds out nothing. */
static int split_temporal(const struct rec_dataset *ds, uint8_t *mask,
			  const struct rec_split_options *opt)
{
	uint64_t k = (uint64_t)llround(opt->ratio * (double)ds->nnz);
	int64_t cut = opt->before;

	if (!opt->has_before && (opt->span ? opt->ratio == 0 : k == 0))
		return 0;
	if (opt->span)
		cut = span_cut(ds, opt->ratio);
	else if (!opt->has_before && newest_cut(ds, k, &cut) < 0)
		return REC_ENOMEM;
	for (uint64_t e = 0; e < ds->nnz; e++)
		mask[e] = ds->time[e] >= cut;
	return 0;
}

/* Mark every entry of a seeded --ratio of the items (or of the users), so
 * that the training set never sees them. */
static int split_cold(const struct rec_dataset *ds, uint8_t *mask,
		      const struct rec_split_options *opt, struct rec_rng *rng)
{
	int users = opt->method == REC_SPLIT_COLD_USERS;
	uint64_t n = users ? ds->nusers : ds->nitems;
	uint32_t *p = permutation(n, rng);
	uint8_t *cold = calloc(n + 1, 1);
	uint64_t k = (uint64_t)llround(opt->ratio * (double)n);

	if (!p || !cold) {
		free(p);
		free(cold);
		return REC_ENOMEM;
	}
	for (uint64_t i = 0; i < k; i++)
		cold[p[i]] = 1;
	for (uint32_t u = 0; u < ds->nusers; u++)
		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++)
			mask[e] = cold[users ? u : ds->col[e]];
	free(p);
	free(cold);
	return 0;
}

int rec_split_mask(const struct rec_dataset *ds, const struct rec_split_options *opt,
		   uint8_t *mask, struct rec_error *err)
{
	struct rec_rng rng;
	int rc = 0;

	rec_rng_seed(&rng, opt->seed);
	memset(mask, 0, ds->nnz);
	if (ds->nnz > UINT32_MAX && (opt->method == REC_SPLIT_RANDOM ||
				     opt->method == REC_SPLIT_KFOLD))
		return rec_error_set(err, REC_EINVAL, "too many entries for --method random or kfold");
	switch (opt->method) {
	case REC_SPLIT_RANDOM:
		rc = mark_range(ds, mask, &rng, 0,
				(uint64_t)llround(opt->ratio * (double)ds->nnz));
		break;
	case REC_SPLIT_KFOLD:
		rc = mark_range(ds, mask, &rng, ds->nnz * opt->fold / opt->folds,
				ds->nnz * (opt->fold + 1) / opt->folds);
		break;
	case REC_SPLIT_USER:
	case REC_SPLIT_LAST:
		split_by_user(ds, mask, opt, &rng);
		break;
	case REC_SPLIT_TEMPORAL:
		rc = split_temporal(ds, mask, opt);
		break;
	case REC_SPLIT_COLD_ITEMS:
	case REC_SPLIT_COLD_USERS:
		rc = split_cold(ds, mask, opt, &rng);
		break;
	}
	if (rc < 0)
		return rec_error_set(err, rc, "out of memory");
	return 0;
}

int rec_dataset_carve_last(const struct rec_dataset *ds, struct rec_dataset *rest,
			   struct rec_dataset *last, struct rec_error *err)
{
	struct rec_split_options opt = { .method = REC_SPLIT_LAST, .count = 1 };
	uint8_t *mask = malloc(ds->nnz + 1);
	int rc;

	if (!mask)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if ((rc = rec_split_mask(ds, &opt, mask, err)) == 0 &&
	    (rc = rec_dataset_select(rest, ds, mask, 0, err)) == 0 &&
	    (rc = rec_dataset_select(last, ds, mask, 1, err)) < 0)
		rec_dataset_release(rest);
	free(mask);
	return rc;
}
