/* test_bpr.c - the bpr family on planted groups: users rank the items of
 * their own group first, after training, after a fold-in of a new user's
 * history and after incremental training; predictions; incremental
 * training leaves the untouched users' vectors alone.  What every family
 * promises is in test_contract.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "unit.h"
#include "data.h"

#define NUSERS 60
#define NITEMS 40

static struct rec_model *train_with(uint64_t seed, const char *solver)
{
	struct rec_train_options opt = { .seed = seed };
	struct rec_model *m = rec_model_new(rec_algo_find("bpr"));
	struct rec_dataset ds;
	struct rec_error err;

	make_groups(&ds, NUSERS, NITEMS, 5, 0);
	CHECK(m != NULL);
	CHECK(rec_model_set(m, "factors", "8", &err) == 0);
	CHECK(rec_model_set(m, "epochs", "40", &err) == 0);
	/* Half of what a user has not seen is of his group here: the best
	 * scored of several draws would mostly be such an item. */
	CHECK(rec_model_set(m, "negatives", "1", &err) == 0);
	CHECK(rec_model_set(m, "solver", solver, &err) == 0);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

static struct rec_model *train(uint64_t seed)
{
	return train_with(seed, "adagrad");
}

/* Does every item of the other group than `group` score below every
 * unseen item of `group`?  Seen items carry -INFINITY. */
static int group_first(const float *s, uint32_t n, int group)
{
	float worst_own = INFINITY, best_other = -INFINITY;

	for (uint32_t i = 0; i < n; i++) {
		if (s[i] == -INFINITY)
			continue;
		if ((int)(i % 2) == group)
			worst_own = fminf(worst_own, s[i]);
		else
			best_other = fmaxf(best_other, s[i]);
	}
	return worst_own > best_other;
}

/* Are the k best scored items all of `group`? */
static int top_in_group(const float *s, uint32_t n, int group, uint32_t k)
{
	uint32_t idx[16];
	float val[16];
	uint32_t found = rec_topn(s, n, k, idx, val);

	for (uint32_t r = 0; r < found; r++)
		if ((int)(idx[r] % 2) != group)
			return 0;
	return found == k;
}

static void hide_seen(const struct rec_model *m, uint32_t u, float *s)
{
	const struct rec_dataset *d = &m->data;

	for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
		s[d->col[e]] = -INFINITY;
}

/* Every user's five best unseen items are of his group. */
static void check_planted(const struct rec_model *m)
{
	float *s = malloc(NITEMS * sizeof(*s));
	int bad = 0;

	for (uint32_t u = 0; u < m->data.nusers; u++) {
		rec_model_score(m, u, s);
		hide_seen(m, u, s);
		bad += !top_in_group(s, NITEMS, (int)(u % 2), 5);
	}
	CHECK_INT(bad, 0);
	free(s);
}

/* The fallbacks are finite. */
static void check_fallbacks(const struct rec_model *m)
{
	CHECK(isfinite(rec_model_predict(m, -1, 3)));
	CHECK(rec_model_predict(m, 3, -1) == 0);
}

/* A new user whose history is items of group 0 ranks group 0 first once
 * it is folded in; the fold repeats bit for bit; a trained user's state
 * is his trained vector and scores as he does. */
static void check_fold_in(const struct rec_model *m)
{
	uint32_t k = rec_user_state_size(m);
	struct rec_user u = { 0 };
	float *s = malloc(NITEMS * sizeof(*s)), *t = malloc(NITEMS * sizeof(*t));
	float *first = calloc(k, sizeof(*first));

	CHECK_INT(k, 8);
	CHECK(rec_user_start(m, NUSERS + 5, &u) == 0);
	for (uint32_t i = 0; i < 8; i += 2)
		CHECK(rec_user_push(&u, i, 1, 10000 + i) == 0);
	CHECK(rec_user_fold(m, &u) == 0);
	rec_user_score(m, &u, 0, s);
	CHECK(group_first(s, NITEMS, 0));
	memcpy(first, u.state, k * sizeof(*first));
	memset(u.state, 0, k * sizeof(*u.state));
	CHECK(m->algo->fold_in(m, &u) == 0);
	CHECK(memcmp(first, u.state, k * sizeof(*first)) == 0);
	rec_user_release(&u);

	CHECK(rec_user_start(m, 1, &u) == 0);
	rec_user_score(m, &u, 0, s);
	rec_model_score(m, 1, t);
	hide_seen(m, 1, t);
	CHECK(memcmp(s, t, NITEMS * sizeof(*s)) == 0);
	rec_user_release(&u);
	free(s);
	free(t);
	free(first);
}

/* A stream long past the time the decay was measured from: the weights,
 * relative to the history's newest event, stay at most 1, so the vector
 * stays finite and the history's group still comes first. */
static void check_fold_late(struct rec_model *m)
{
	uint32_t k = rec_user_state_size(m);
	struct rec_user u = { 0 };
	float *s = malloc(NITEMS * sizeof(*s));
	int finite = 1;

	m->half_life = 10;
	CHECK(rec_user_start(m, NUSERS + 6, &u) == 0);
	for (uint32_t i = 1; i < 9; i += 2)
		CHECK(rec_user_push(&u, i, 1, m->now + 1000000 + i) == 0);
	CHECK(rec_user_fold(m, &u) == 0);
	for (uint32_t f = 0; f < k; f++)
		finite &= isfinite(u.state[f]) && fabsf(u.state[f]) < 100;
	CHECK(finite);
	rec_user_score(m, &u, 0, s);
	CHECK(group_first(s, NITEMS, 1));
	m->half_life = 0;
	rec_user_release(&u);
	free(s);
}

/* New events for a few users, a new user and a new item: the arrays grow,
 * the untouched users' vectors and the old items' parameters stay bit for
 * bit (so an untouched user scores the old items as before), the new item
 * learns, and the new user's best items are of his group (the most
 * popular items of the other group, which every user of it has, may still
 * pass his group's least popular ones). */
static void check_update(struct rec_model *m)
{
	struct rec_train_options opt = { .seed = 3, .passes = 20 };
	uint32_t k = rec_user_state_size(m), old = m->data.nusers;
	float *before = malloc((size_t)old * k * sizeof(*before));
	float *s = malloc((NITEMS + 1) * sizeof(*s)), *state = malloc(k * sizeof(*state));
	float *kept = malloc(NITEMS * sizeof(*kept));
	struct rec_param p[REC_MAX_PARAMS];
	float norm = 0;
	static const char *const events[][2] = {
		{ "u0", "i6" }, { "u3", "i7" }, { "new", "i0" }, { "new", "i2" },
		{ "new", "i4" }, { "new", "i6" }, { "u0", "fresh" }, { "u2", "fresh" },
	};
	struct rec_events ev;
	struct rec_error err;
	int64_t user;
	int moved = 0;

	for (uint32_t u = 0; u < old; u++)
		rec_user_state_get(m, u, before + (size_t)u * k);
	rec_model_score(m, 1, kept);
	CHECK(rec_events_init(&ev, m->data.users, m->data.items) == 0);
	for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
		uint32_t u, i;

		rec_dict_intern(ev.users, events[e][0], strlen(events[e][0]), &u, NULL);
		rec_dict_intern(ev.items, events[e][1], strlen(events[e][1]), &i, NULL);
		CHECK(rec_events_push(&ev, u, i, 1, 20000 + (int64_t)e) == 0);
	}
	CHECK(rec_model_update(m, &ev, &opt, &err) == 0);
	CHECK_INT(m->data.nusers, old + 1);
	CHECK_INT(m->data.nitems, NITEMS + 1);
	for (uint32_t u = 0; u < old; u++) {
		rec_user_state_get(m, u, state);
		if (u == 0 || u == 2 || u == 3)
			moved += memcmp(state, before + (size_t)u * k, k * sizeof(*state)) != 0;
		else
			CHECK(memcmp(state, before + (size_t)u * k, k * sizeof(*state)) == 0);
	}
	CHECK_INT(moved, 3);
	rec_model_score(m, 1, s);
	CHECK(memcmp(s, kept, NITEMS * sizeof(*s)) == 0);
	m->algo->params(m, p);
	for (uint32_t f = 0; f < k; f++)
		norm += fabsf(p[1].f32[(size_t)NITEMS * k + f]);
	CHECK(norm > 0);
	user = rec_dict_find(m->data.users, "new", 3);
	CHECK(user == old);
	rec_model_score(m, user, s);
	hide_seen(m, (uint32_t)user, s);
	s[NITEMS] = -INFINITY;
	CHECK(top_in_group(s, NITEMS, 0, 10));
	for (uint32_t i = 0; i <= NITEMS; i++)
		CHECK(isfinite(rec_model_predict(m, user, i)));
	free(before);
	free(s);
	free(state);
	free(kept);
}

/* With passes = 0 an update only grows: the old arrays keep their bytes
 * and the new rows are zero. */
static void check_grow_only(struct rec_model *m)
{
	struct rec_train_options opt = { .seed = 3, .passes = 0 };
	struct rec_param p[REC_MAX_PARAMS];
	unsigned np = m->algo->params(m, p);
	float *old[REC_MAX_PARAMS];
	uint64_t n[REC_MAX_PARAMS];
	struct rec_events ev;
	struct rec_error err;
	uint32_t u, i;

	for (unsigned j = 0; j < np; j++) {
		n[j] = p[j].n;
		old[j] = malloc(n[j] * sizeof(float));
		memcpy(old[j], p[j].f32, n[j] * sizeof(float));
	}
	CHECK(rec_events_init(&ev, m->data.users, m->data.items) == 0);
	rec_dict_intern(ev.users, "grown", 5, &u, NULL);
	rec_dict_intern(ev.items, "sprout", 6, &i, NULL);
	CHECK(rec_events_push(&ev, u, i, 1, 30000) == 0);
	CHECK(rec_model_update(m, &ev, &opt, &err) == 0);
	CHECK(m->algo->params(m, p) == np);
	for (unsigned j = 0; j < np; j++) {
		CHECK(p[j].n > n[j]);
		CHECK(memcmp(old[j], p[j].f32, n[j] * sizeof(float)) == 0);
		for (uint64_t x = n[j]; x < p[j].n; x++)
			CHECK(p[j].f32[x] == 0);
		free(old[j]);
	}
}

/* The other solvers learn the groups too. */
static void check_solvers(void)
{
	static const char *const other[] = { "sgd", "adam" };

	for (int i = 0; i < 2; i++) {
		struct rec_model *m = train_with(7, other[i]);

		check_planted(m);
		rec_model_free(m);
	}
}

static void check_bad_settings(void)
{
	static const char *const bad[][2] = {
		{ "solver", "lbfgs" }, { "factors", "0" }, { "negatives", "1.5" },
		{ "lr", "-1" }, { "patience", "0" }, { "epochs", "x" }, { "nosuch", "1" },
	};
	struct rec_model *m = rec_model_new(rec_algo_find("bpr"));
	struct rec_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(rec_model_set(m, bad[i][0], bad[i][1], &err) == REC_EINVAL);
	CHECK(rec_model_set(m, "solver", "sgd", &err) == 0);
	CHECK(rec_model_get(m, "solver") == 0);
	rec_model_free(m);
}

int main(void)
{
	struct rec_model *m;

	rec_threads(1);
	m = train(7);
	check_planted(m);
	check_fallbacks(m);
	check_fold_in(m);
	check_fold_late(m);
	check_update(m);
	check_grow_only(m);
	rec_model_free(m);
	check_solvers();
	check_bad_settings();
	return UNIT_STATUS();
}
