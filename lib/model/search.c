/* search.c - hyperparameter search: a model trained on each combination
 * of a grid of values, or on a sample of them drawn with the seed, each
 * scored on a validation set, the best kept.  The combinations train one
 * after another, each on the family's own threads with the same seed, so
 * that the best model is the very one that training its combination
 * alone would give. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_COMBINATIONS ((uint64_t)1 << 32)

uint64_t rec_search_size(const struct rec_search_options *opt)
{
	uint64_t n = 1;

	for (unsigned p = 0; p < opt->nparams; p++) {
		n *= opt->param[p].nvalues;
		if (n == 0 || n > MAX_COMBINATIONS)
			return 0;
	}
	return n;
}

int rec_search_check(const struct rec_model *base, const struct rec_search_options *opt,
		     struct rec_error *err)
{
	struct rec_model *m = rec_model_new(base->algo);
	int rc = 0;

	if (!m)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	for (unsigned p = 0; p < opt->nparams && rc == 0; p++)
		for (uint32_t v = 0; v < opt->param[p].nvalues && rc == 0; v++)
			rc = rec_model_set(m, opt->param[p].name, opt->param[p].values[v], err);
	rec_model_free(m);
	return rc;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The n combinations of size to try, in ascending order: all of them, or
 * a uniform sample drawn by Floyd's algorithm, which needs no array of
 * size entries.  The caller frees it; NULL when out of memory. */
static uint64_t *sample(uint64_t size, uint64_t n, uint64_t seed)
{
	uint64_t *pick = malloc(n * sizeof(*pick)), got = 0;
	struct rec_rng rng;

	if (!pick)
		return NULL;
	if (n == size) {
		for (uint64_t c = 0; c < n; c++)
			pick[c] = c;
		return pick;
	}
	rec_rng_seed(&rng, seed);
	for (uint64_t j = size - n; j < size; j++) {
		uint64_t t = rec_rng_below(&rng, j + 1), i = 0;

		while (i < got && pick[i] != t)
			i++;
		pick[got] = i < got ? j : t;
		got++;
	}
	qsort(pick, n, sizeof(*pick), by_value);
	return pick;
}

/* Set combination c's values on m, the last param varying fastest, each
 * value's text into values[p].  0, or REC_EINVAL with err filled. */
static int set_combination(struct rec_model *m, const struct rec_search_options *opt,
			   uint64_t c, const char **values, struct rec_error *err)
{
	for (unsigned p = opt->nparams; p-- > 0;) {
		const struct rec_search_param *sp = &opt->param[p];

		values[p] = sp->values[c % sp->nvalues];
		c /= sp->nvalues;
		if (rec_model_set(m, sp->name, values[p], err) < 0)
			return REC_EINVAL;
	}
	return 0;
}

/* Train a model with base's settings and combination c on a copy of data
 * (all: a mask of zeros that selects every entry) into *out, which the
 * caller frees, and score it into *metric. */
static int train_one(const struct rec_model *base, const struct rec_dataset *data,
		     const uint8_t *all, const struct rec_search_options *opt, uint64_t c,
		     const char **values, struct rec_model **out,
		     struct rec_train_metric *metric, struct rec_error *err)
{
	struct rec_train_options train = opt->train;
	struct rec_model *m = rec_model_new(base->algo);
	struct rec_dataset copy;
	int rc;

	*metric = (struct rec_train_metric){ NULL, NAN, 0 };
	train.metric = metric;
	if (!m)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	memcpy(m->hp, base->hp, sizeof(m->hp));
	m->half_life = base->half_life;
	m->now = base->now;
	if ((rc = set_combination(m, opt, c, values, err)) < 0 ||
	    (rc = rec_dataset_select(&copy, data, all, 0, err)) < 0 ||
	    (rc = rec_model_train(m, &copy, &train, err)) < 0 ||
	    (!metric->name && (rc = rec_validation_metric(m, train.validation, metric, err)) < 0)) {
		rec_model_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* Is metric a better than b?  A metric that is not a number never is. */
static int better(const struct rec_train_metric *a, const struct rec_train_metric *b)
{
	if (isnan(a->value))
		return 0;
	if (isnan(b->value))
		return 1;
	return a->lower_better ? a->value < b->value : a->value > b->value;
}

int rec_search(const struct rec_model *base, const struct rec_dataset *data,
	       const struct rec_search_options *opt, struct rec_model **best,
	       struct rec_error *err)
{
	uint64_t size = rec_search_size(opt), n, *pick = NULL;
	const char **values = calloc(opt->nparams + 1, sizeof(*values));
	uint8_t *all = calloc(data->nnz + 1, 1);
	struct rec_train_metric kept = { NULL, NAN, 0 };
	int rc = REC_ENOMEM;

	*best = NULL;
	if (!size) {
		rc = rec_error_set(err, REC_EINVAL, "more than 2^32 combinations to search");
		goto out;
	}
	n = opt->budget && opt->budget < size ? opt->budget : size;
	if (!values || !all || !(pick = sample(size, n, opt->train.seed))) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	for (uint64_t j = 0; j < n; j++) {
		struct rec_train_metric metric;
		struct rec_model *m = NULL;

		if ((rc = train_one(base, data, all, opt, pick[j], values, &m, &metric, err)) < 0)
			goto out;
		if (opt->tried)
			opt->tried(opt->ctx, values, &metric);
		if (!*best || better(&metric, &kept)) {
			rec_model_free(*best);
			*best = m;
			kept = metric;
		} else {
			rec_model_free(m);
		}
	}
	rc = 0;
out:
	if (rc < 0) {
		rec_model_free(*best);
		*best = NULL;
	}
	free(pick);
	free(all);
	free(values);
	return rc;
}
