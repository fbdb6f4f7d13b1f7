/* search.c - hyperparameter search: a model trained on each combination
 * of a grid of values, or on a sample of them drawn with the seed, each
 * scored on a validation set, the best kept.  The combinations train one
 * after another, each on the family's own threads with the same seed, so
 * that the best model is the very one that training its combination
 * alone would give.  A refit then trains the best combination on the
 * training and validation events together: what the search held out to
 * choose is not lost to the model it writes. */
#include <math.h>
#include <stdio.h>
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

/* A new model with base's settings and combination c, its values' text
 * into values: 0, or a REC_E* code with err filled. */
static int configure(const struct rec_model *base, const struct rec_search_options *opt,
		     uint64_t c, const char **values, struct rec_model **out,
		     struct rec_error *err)
{
	struct rec_model *m = rec_model_new(base->algo);
	int rc;

	*out = NULL;
	if (!m)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	memcpy(m->hp, base->hp, sizeof(m->hp));
	m->half_life = base->half_life;
	m->now = base->now;
	if ((rc = set_combination(m, opt, c, values, err)) < 0) {
		rec_model_free(m);
		return rc;
	}
	*out = m;
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
	struct rec_model *m;
	struct rec_dataset copy;
	int rc;

	*metric = (struct rec_train_metric){ NULL, NAN, 0, 0 };
	train.metric = metric;
	if ((rc = configure(base, opt, c, values, &m, err)) < 0)
		return rc;
	if ((rc = rec_dataset_select(&copy, data, all, 0, err)) < 0 ||
	    (rc = rec_model_train(m, &copy, &train, err)) < 0 ||
	    (!metric->name && (rc = rec_validation_metric(m, train.validation, metric, err)) < 0)) {
		rec_model_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* The entries of data, then those of more, into *both: data's IDs come
 * first and in data's order, so that its attributes, which both shares,
 * still belong to them.  0, or a REC_E* code with err filled. */
static int join(struct rec_dataset *both, const struct rec_dataset *data,
		const struct rec_dataset *more, struct rec_error *err)
{
	struct rec_events ev;
	int rc;

	if (rec_events_init(&ev, NULL, NULL) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if (rec_events_add_dataset(&ev, data) < 0 || rec_events_add_dataset(&ev, more) < 0) {
		rec_events_release(&ev);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	if ((rc = rec_dataset_from_events(both, &ev, REC_DEDUP_LAST, err)) < 0)
		return rc;
	both->pseudonymous = data->pseudonymous;
	both->item_features = rec_features_ref(data->item_features);
	both->user_features = rec_features_ref(data->user_features);
	return 0;
}

/* Train combination c of base again on data and the validation set
 * together, for the epochs that its validation kept (metric), into *out,
 * which the caller frees. */
static int refit(const struct rec_model *base, const struct rec_dataset *data,
		 const struct rec_search_options *opt, uint64_t c,
		 const struct rec_train_metric *metric, const char **values,
		 struct rec_model **out, struct rec_error *err)
{
	struct rec_train_options train = opt->train;
	struct rec_dataset both;
	struct rec_model *m;
	char epochs[16];
	int rc;

	train.validation = NULL;
	train.metric = NULL;
	snprintf(epochs, sizeof(epochs), "%u", metric->epoch);
	if ((rc = configure(base, opt, c, values, &m, err)) < 0)
		return rc;
	if ((metric->epoch && (rc = rec_model_set(m, "epochs", epochs, err)) < 0) ||
	    (rc = join(&both, data, opt->train.validation, err)) < 0 ||
	    (rc = rec_model_train(m, &both, &train, err)) < 0) {
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
	uint64_t size = rec_search_size(opt), n, *pick = NULL, winner = 0;
	const char **values = calloc(opt->nparams + 1, sizeof(*values));
	uint8_t *all = calloc(data->nnz + 1, 1);
	struct rec_train_metric kept = { NULL, NAN, 0, 0 };
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
			winner = pick[j];
		} else {
			rec_model_free(m);
		}
	}
	rc = 0;
	if (opt->refit) {
		rec_model_free(*best);
		*best = NULL;
		rc = refit(base, data, opt, winner, &kept, values, best, err);
	}
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
