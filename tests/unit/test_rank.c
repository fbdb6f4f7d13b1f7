/* test_rank.c - rec_model_rank gives each user, across blocks and threads,
 * the top k of its own scores: seen items and non-candidates left out,
 * unknown users served the popularity, every user told once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

#define USERS 300
#define ITEMS 40
#define LISTED 1300	/* more than a round of users */
#define K 7

static struct rec_model *trained(const char *algo)
{
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find(algo));
	struct rec_dataset ds;
	struct rec_error err;

	if (!isnan(rec_model_get(m, "epochs")))
		CHECK(rec_model_set(m, "epochs", "3", &err) == 0);
	make_random(&ds, USERS, ITEMS, 6000, 3);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

/* What the callbacks saw, per listed user. */
struct seen {
	uint32_t idx[LISTED][K];
	float val[LISTED][K];
	uint32_t found[LISTED];
	int scored[LISTED];
	int ranked[LISTED];
	int excluded_ok[LISTED];
	const struct rec_model *m;
	const int64_t *users;
	const struct rec_rank_options *opt;
};

/* Would the item be ranked for the user? */
static int rankable(const struct seen *s, int64_t user, uint32_t item)
{
	const struct rec_dataset *d = &s->m->data;

	if (s->opt->allow && !s->opt->allow[item])
		return 0;
	if (s->opt->include_seen || user < 0)
		return 1;
	for (uint64_t e = d->rowptr[user]; e < d->rowptr[user + 1]; e++)
		if (d->col[e] == item)
			return 0;
	return 1;
}

static void take_scores(void *ctx, size_t i, const float *scores)
{
	struct seen *s = ctx;
	int ok = 1;

	for (uint32_t item = 0; item < ITEMS; item++)
		if (!rankable(s, s->users[i], item) && scores[item] != -INFINITY)
			ok = 0;
	s->excluded_ok[i] = ok;
	#pragma omp atomic
	s->scored[i]++;
}

static void take_lists(void *ctx, size_t first, uint32_t n, const uint32_t *idx,
		       const float *val, const uint32_t *found)
{
	struct seen *s = ctx;

	for (uint32_t j = 0; j < n; j++) {
		memcpy(s->idx[first + j], idx + (size_t)j * K, found[j] * sizeof(*idx));
		memcpy(s->val[first + j], val + (size_t)j * K, found[j] * sizeof(*val));
		s->found[first + j] = found[j];
		s->ranked[first + j]++;
	}
}

/* User i's list against its scores from rec_model_score: each listed item
 * rankable and scored as listed, best first, none left out scoring more.
 * Matrix products may round differently from vector ones, hence the slack. */
static void check_list(const struct seen *s, size_t i, float *ref)
{
	int64_t user = s->users[i];
	uint32_t rankables = 0;
	float last;

	rec_model_score(s->m, user, ref);
	for (uint32_t item = 0; item < ITEMS; item++)
		rankables += rankable(s, user, item);
	CHECK_INT(s->found[i], rankables < K ? rankables : K);
	for (uint32_t r = 0; r < s->found[i]; r++) {
		uint32_t item = s->idx[i][r];

		CHECK(rankable(s, user, item));
		CHECK(fabsf(s->val[i][r] - ref[item]) <= 1e-4f * (1 + fabsf(ref[item])));
		CHECK(r == 0 || s->val[i][r] <= s->val[i][r - 1]);
		ref[item] = -INFINITY;
	}
	if (s->found[i] < K)
		return;
	last = s->val[i][K - 1];
	for (uint32_t item = 0; item < ITEMS; item++)
		if (rankable(s, user, item))
			CHECK(ref[item] <= last + 1e-4f * (1 + fabsf(last)));
}

static void check_rank(const char *algo, int include_seen, const uint8_t *allow)
{
	struct rec_model *m = trained(algo);
	struct rec_rank_options opt = { .k = K, .include_seen = include_seen,
					.allow = allow, .scored = take_scores,
					.ranked = take_lists };
	struct seen *s = calloc(1, sizeof(*s));
	int64_t users[LISTED];
	float ref[ITEMS];
	struct rec_error err;
	struct rec_rng rng;

	rec_rng_seed(&rng, 5);
	/* Mostly known users, repeated, with an unknown one now and then. */
	for (size_t i = 0; i < LISTED; i++)
		users[i] = rec_rng_below(&rng, 20) ? (int64_t)rec_rng_below(&rng, USERS) : -1;
	s->m = m;
	s->users = users;
	s->opt = &opt;
	opt.ctx = s;
	CHECK(rec_model_rank(m, users, LISTED, &opt, &err) == 0);
	for (size_t i = 0; i < LISTED; i++) {
		CHECK_INT(s->scored[i], 1);
		CHECK_INT(s->ranked[i], 1);
		CHECK(s->excluded_ok[i]);
		check_list(s, i, ref);
	}
	free(s);
	rec_model_free(m);
}

int main(void)
{
	uint8_t odd[ITEMS];

	for (int i = 0; i < ITEMS; i++)
		odd[i] = i % 2;
	rec_threads(3);
	for (int a = 0; rec_algos[a]; a++) {
		check_rank(rec_algos[a]->name, 0, NULL);
		check_rank(rec_algos[a]->name, 1, NULL);
		check_rank(rec_algos[a]->name, 0, odd);
	}
	return UNIT_STATUS();
}
