/* test_model.c - every model family scores a trained user's history as it
 * scores the user and folds a user's history in (the factor families fast
 * enough for a stream), and the top-N selection agrees with a full sort. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

/* A model of algo trained on 600 random events of 40 users and 30 items,
 * with few epochs where it has them. */
static struct rec_model *trained(const char *algo)
{
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find(algo));
	struct rec_dataset ds;
	struct rec_error err;

	if (!isnan(rec_model_get(m, "epochs")))
		CHECK(rec_model_set(m, "epochs", "3", &err) == 0);
	make_random(&ds, 40, 30, 600, 9);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

/* A trained user's history, started and scored as a stream would, scores
 * as the model scores the user; folding the whole history in again keeps
 * the scores finite. */
static void check_fold_in(const char *algo)
{
	struct rec_model *m = trained(algo);
	uint32_t n = m->data.nitems;
	float *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	struct rec_user u;

	CHECK(m->algo->score_user != NULL);
	for (uint32_t user = 0; m->algo->score_user && user < m->data.nusers; user++) {
		float worst = 0, scale = 1;

		CHECK(rec_user_start(m, user, &u) == 0);
		rec_model_score(m, user, a);
		rec_user_score(m, &u, 1, b);
		for (uint32_t i = 0; i < n; i++) {
			scale = fmaxf(scale, fabsf(a[i]));
			worst = fmaxf(worst, fabsf(a[i] - b[i]));
		}
		if (worst > 1e-4f * scale)
			fprintf(stderr, "%s user %u: scores differ by %g\n", algo, user, worst);
		CHECK(worst <= 1e-4f * scale);
		u.folded = 0;
		CHECK(rec_user_fold(m, &u) == 0);
		rec_user_score(m, &u, 0, b);
		for (uint32_t i = 0; i < n; i++)
			CHECK(!isnan(b[i]));
		rec_user_release(&u);
	}
	free(a);
	free(b);
	rec_model_free(m);
}

static int by_score_then_index(const void *x, const void *y)
{
	const float *a = *(const float *const *)x, *b = *(const float *const *)y;

	if (*a != *b)
		return *a > *b ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* rec_topn against qsort on random scores with many ties and exclusions. */
static void check_topn(void)
{
	enum { N = 500, K = 37 };
	float scores[N], val[K];
	const float *order[N];
	uint32_t idx[K], n = 0, got;
	struct rec_rng rng;

	rec_rng_seed(&rng, 5);
	for (int j = 0; j < N; j++) {
		scores[j] = (float)rec_rng_below(&rng, 20);
		if (rec_rng_below(&rng, 10) == 0)
			scores[j] = -INFINITY;
		else
			order[n++] = &scores[j];
	}
	qsort(order, n, sizeof(*order), by_score_then_index);
	got = rec_topn(scores, N, K, idx, val);
	CHECK_INT(got, K);
	for (uint32_t r = 0; r < got; r++) {
		CHECK_INT(idx[r], order[r] - scores);
		CHECK(val[r] == *order[r]);
	}
	CHECK_INT(rec_topn(scores, 3, 10, idx, val), 3 - (scores[0] == -INFINITY) -
		  (scores[1] == -INFINITY) - (scores[2] == -INFINITY));
	CHECK_INT(rec_topn(scores, N, 0, idx, val), 0);
}

/* One fold of a 100-event history at 64 factors over 2000 items, which
 * the stream pays for every event: report it, and fail only far beyond
 * the tens of microseconds it takes, since machines and sanitizers
 * differ. */
static void check_fold_speed(const char *algo)
{
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find(algo));
	struct rec_events ev;
	struct rec_dataset ds;
	struct rec_error err;
	struct rec_user u = { 0 };
	struct rec_rng rng;
	double best = INFINITY;

	data_start(&ev, &rng, 3, 0);
	for (uint32_t e = 0; e < 20000; e++) {
		uint32_t user = data_id(ev.users, 'u', e / 20);
		uint32_t item = data_id(ev.items, 'i', rec_rng_below(&rng, 2000));

		rec_events_push(&ev, user, item, 1, e);
	}
	data_finish(&ds, &ev);
	CHECK(rec_model_set(m, "epochs", "1", &err) == 0);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	CHECK(rec_user_start(m, m->data.nusers, &u) == 0);
	for (uint32_t e = 0; e < 100; e++)
		CHECK(rec_user_push(&u, (uint32_t)rec_rng_below(&rng, m->data.nitems), 1, e) == 0);
	for (int rep = 0; rep < 20; rep++) {
		double start = omp_get_wtime();

		CHECK(m->algo->fold_in(m, &u) == 0);
		best = fmin(best, omp_get_wtime() - start);
	}
	fprintf(stderr, "%s fold-in of 100 events at 64 factors: %.1f us\n", algo, best * 1e6);
	CHECK(best < 20e-3);
	rec_user_release(&u);
	rec_model_free(m);
}

int main(void)
{
	for (int a = 0; rec_algos[a]; a++)
		check_fold_in(rec_algos[a]->name);
	check_fold_speed("ials");
	check_fold_speed("bpr");
	check_topn();
	return UNIT_STATUS();
}
