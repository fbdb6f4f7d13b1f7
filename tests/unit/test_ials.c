/* test_ials.c - the ials family: every trained user's vector against his
 * normal equations built over every item and solved in double precision,
 * with confidences, negative correction weights, time decay and the
 * frequency-scaled penalty all in play; fold-in against the trained vector
 * and against the normal equations, from the kept sums of a heavy user
 * against the whole history; conjugate gradients against the exact
 * solve; planted groups; predictions; incremental training.  What every
 * family promises is in test_contract.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "unit.h"
#include "data.h"

#define NUSERS 60
#define NITEMS 40

/* A model trained on the groups with the settings "name=value", NULL
 * ended; with half_life, events decay with it. */
static struct rec_model *train(uint64_t seed, double half_life, const char *const *set)
{
	struct rec_train_options opt = { .seed = seed };
	struct rec_model *m = rec_model_new(rec_algo_find("ials"));
	struct rec_dataset ds;
	struct rec_error err;

	make_groups(&ds, NUSERS, NITEMS, 5, 1);
	CHECK(m != NULL);
	CHECK(rec_model_set(m, "factors", "8", &err) == 0);
	for (; set && *set; set++) {
		char name[32];
		const char *eq = strchr(*set, '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - *set), *set);
		CHECK(rec_model_set(m, name, eq + 1, &err) == 0);
	}
	m->half_life = half_life;
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

static const float *user_vector(struct rec_model *m, uint32_t u)
{
	struct rec_param p[REC_MAX_PARAMS];

	m->algo->params(m, p);
	return p[0].f32 + (size_t)u * rec_user_state_size(m);
}

static const float *item_vectors(struct rec_model *m)
{
	struct rec_param p[REC_MAX_PARAMS];

	m->algo->params(m, p);
	return p[1].f32;
}

/* Solve the k x k system a x = b in place by Gaussian elimination with
 * partial pivoting; x is left in b. */
static void gauss(double *a, double *b, int k)
{
	for (int c = 0; c < k; c++) {
		int p = c;

		for (int r = c + 1; r < k; r++)
			if (fabs(a[r * k + c]) > fabs(a[p * k + c]))
				p = r;
		for (int j = 0; j < k; j++) {
			double t = a[c * k + j];

			a[c * k + j] = a[p * k + j];
			a[p * k + j] = t;
		}
		double t = b[c];
		b[c] = b[p];
		b[p] = t;
		for (int r = c + 1; r < k; r++) {
			double f = a[r * k + c] / a[c * k + c];

			for (int j = c; j < k; j++)
				a[r * k + j] -= f * a[c * k + j];
			b[r] -= f * b[c];
		}
	}
	for (int r = k - 1; r >= 0; r--) {
		for (int j = r + 1; j < k; j++)
			b[r] -= a[r * k + j] * b[j];
		b[r] /= a[r * k + r];
	}
}

/* A user's vector from the normal equations written out over every item,
 * in double:
 *
 *   (V^T C_u V + lambda I) x = V^T C_u p_u,
 *
 * C_u the diagonal of the confidences, c = decay (1 + alpha value) for
 * the items of the user's entries and unobserved for the others, p_u 1
 * for the entries and 0 elsewhere, and lambda = reg (sum of the entries'
 * c + unobserved x items)^reg_exp.  The entries are items[0..n) with
 * confidences c[0..n), each item at most once. */
static void reference_solve(struct rec_model *m, const uint32_t *items, const double *c,
			    uint32_t n, double *x)
{
	int k = (int)rec_user_state_size(m);
	uint32_t ni = m->data.nitems;
	const float *q = item_vectors(m);
	double *a = calloc((size_t)k * k, sizeof(*a));
	double *conf = malloc(ni * sizeof(*conf)), *target = calloc(ni, sizeof(*target));
	double a0 = rec_model_get(m, "unobserved"), total = a0 * ni;

	for (uint32_t i = 0; i < ni; i++)
		conf[i] = a0;
	for (uint32_t j = 0; j < n; j++) {
		conf[items[j]] = c[j];
		target[items[j]] = 1;
		total += c[j];
	}
	memset(x, 0, (size_t)k * sizeof(*x));
	for (uint32_t i = 0; i < ni; i++) {
		const float *qi = q + (size_t)i * k;

		for (int f = 0; f < k; f++) {
			for (int g = 0; g < k; g++)
				a[f * k + g] += conf[i] * qi[f] * qi[g];
			x[f] += conf[i] * target[i] * qi[f];
		}
	}
	for (int f = 0; f < k; f++)
		a[f * k + f] += rec_model_get(m, "reg") * pow(total, rec_model_get(m, "reg_exp"));
	gauss(a, x, k);
	free(a);
	free(conf);
	free(target);
}

/* The largest difference of a float vector from a double one, relative to
 * the double one's largest entry. */
static double relative_error(const float *got, const double *want, int k)
{
	double diff = 0, size = 1e-30;

	for (int f = 0; f < k; f++) {
		diff = fmax(diff, fabs(got[f] - want[f]));
		size = fmax(size, fabs(want[f]));
	}
	return diff / size;
}

/* A trained user's normal equations, from his row of the training data. */
static double user_error(struct rec_model *m, uint32_t u, const float *got)
{
	const struct rec_dataset *d = &m->data;
	uint32_t n = (uint32_t)(d->rowptr[u + 1] - d->rowptr[u]), k = rec_user_state_size(m);
	uint32_t *items = malloc((n + 1) * sizeof(*items));
	double *c = malloc((n + 1) * sizeof(*c)), *x = malloc(k * sizeof(*x)), err;

	for (uint32_t j = 0; j < n; j++) {
		uint64_t e = d->rowptr[u] + j;

		items[j] = d->col[e];
		c[j] = rec_model_decay(m, d->time[e]) * (1 + rec_model_get(m, "alpha") * d->val[e]);
	}
	reference_solve(m, items, c, n, x);
	err = relative_error(got, x, (int)k);
	free(items);
	free(c);
	free(x);
	return err;
}

/* Confidences from 1.5 to 3.5 around unobserved = 2, so that some
 * corrections c - unobserved are negative; a half-life that spreads the
 * weights over two orders of magnitude; a square-root penalty. */
static const char *const normal_settings[] = {
	"alpha=0.5", "unobserved=2", "reg=0.3", "reg_exp=0.5", "epochs=4", "solver=cholesky",
	NULL
};

/* The same at 16 factors, where the rank updates may take another path
 * (a multiple of 16 on a CPU with 512-bit vectors). */
static const char *const normal_settings_16[] = {
	"alpha=0.5", "unobserved=2", "reg=0.3", "reg_exp=0.5", "epochs=4", "factors=16",
	"solver=cholesky", NULL
};

/* With the cholesky solver, training ends on the users' exact solve: each
 * trained vector solves his normal equations. */
static void check_normal_equations(const char *const *settings)
{
	struct rec_model *m = train(1, 1000, settings);
	double worst = 0;

	for (uint32_t u = 0; u < m->data.nusers; u++)
		worst = fmax(worst, user_error(m, u, user_vector(m, u)));
	CHECK(worst < 1e-4);
	rec_model_free(m);
}

/* Folding a trained user's history in gives his trained vector back; a
 * new history's fold solves its normal equations, an item's later event
 * standing for its earlier one and unknown items left out. */
static void check_fold_in(void)
{
	struct rec_model *m = train(1, 1000, normal_settings);
	uint32_t k = rec_user_state_size(m);
	struct rec_user u = { 0 };
	double worst = 0, x[8];
	static const uint32_t items[] = { 3, 5, 7 };
	double c[3];

	CHECK_INT(k, 8);
	for (uint32_t user = 0; user < m->data.nusers; user++) {
		CHECK(rec_user_start(m, user, &u) == 0);
		CHECK(memcmp(u.state, user_vector(m, user), k * sizeof(float)) == 0);
		memset(u.state, 0, k * sizeof(float));
		CHECK(m->algo->fold_in(m, &u) == 0);
		for (uint32_t f = 0; f < k; f++)
			worst = fmax(worst, fabs(u.state[f] - user_vector(m, user)[f]) /
					    (1 + fabs(user_vector(m, user)[f])));
		rec_user_release(&u);
	}
	CHECK(worst < 1e-5);

	/* Times at the model's reference point decay by 1: c = 1 + 0.5 v. */
	CHECK(rec_user_start(m, m->data.nusers, &u) == 0);
	CHECK(rec_user_push(&u, 3, 5, m->now) == 0);
	CHECK(rec_user_push(&u, 5, 1, m->now) == 0);
	CHECK(rec_user_push(&u, NITEMS + 9, 1, m->now) == 0);
	CHECK(rec_user_push(&u, 7, 2, m->now) == 0);
	CHECK(rec_user_push(&u, 3, 3, m->now) == 0);
	CHECK(rec_user_fold(m, &u) == 0);
	c[0] = 2.5;
	c[1] = 1.5;
	c[2] = 2;
	reference_solve(m, items, c, 3, x);
	CHECK(relative_error(u.state, x, (int)k) < 1e-4);
	rec_user_release(&u);
	rec_model_free(m);
}

/* A streamed user of many events keeps the sums of his normal equations
 * between events: after each of 60 events, some of an item seen before,
 * one of an item the model lacks, his vector is the one that a fold from
 * the whole history gives (the path of a model whose weights decay, here
 * by nothing in a double). */
static void check_fold_sums(void)
{
	struct rec_model *m = train(1, 1000, normal_settings);
	uint32_t k = rec_user_state_size(m);
	struct rec_user kept, whole;
	double worst = 0;

	CHECK(rec_user_start(m, m->data.nusers, &kept) == 0);
	CHECK(rec_user_start(m, m->data.nusers, &whole) == 0);
	for (uint32_t e = 0; e < 60; e++) {
		uint32_t item = e == 30 ? NITEMS + 2 : (e * 7) % (NITEMS - 3);
		float value = (float)(e % 4);

		CHECK(rec_user_push(&kept, item, value, m->now) == 0);
		CHECK(rec_user_push(&whole, item, value, m->now) == 0);
		m->half_life = 0;
		CHECK(rec_user_fold(m, &kept) == 0);
		m->half_life = 1e300;
		CHECK(rec_user_fold(m, &whole) == 0);
		for (uint32_t f = 0; f < k; f++)
			worst = fmax(worst, fabs(kept.state[f] - whole.state[f]) /
					    (1 + fabs(whole.state[f])));
	}
	CHECK(worst < 1e-5);
	CHECK(kept.sums != NULL && whole.sums == NULL);
	rec_user_release(&kept);
	rec_user_release(&whole);
	rec_model_free(m);
}

/* With as many steps as factors, conjugate gradients solve each row's
 * system nearly exactly at every half sweep. */
static void check_conjugate_gradient(void)
{
	static const char *const set[] = {
		"alpha=0.5", "unobserved=2", "reg=0.3", "reg_exp=0.5", "epochs=4",
		"solver=cg", "cg_steps=8", NULL
	};
	struct rec_model *m = train(1, 1000, set);
	double worst = 0;

	for (uint32_t u = 0; u < m->data.nusers; u++)
		worst = fmax(worst, user_error(m, u, user_vector(m, u)));
	CHECK(worst < 1e-3);
	rec_model_free(m);
}

static void hide_seen(const struct rec_model *m, uint32_t u, float *s)
{
	const struct rec_dataset *d = &m->data;

	for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
		s[d->col[e]] = -INFINITY;
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

/* Every user's five best unseen items, or all his group's unseen items
 * where it has fewer, are of his group. */
static void check_planted(const struct rec_model *m)
{
	float *s = malloc(NITEMS * sizeof(*s));
	int bad = 0;

	for (uint32_t u = 0; u < m->data.nusers; u++) {
		uint32_t unseen = 0;

		rec_model_score(m, u, s);
		hide_seen(m, u, s);
		for (uint32_t i = u % 2; i < NITEMS; i += 2)
			unseen += s[i] != -INFINITY;
		bad += !top_in_group(s, NITEMS, (int)(u % 2), unseen < 5 ? unseen : 5);
	}
	CHECK_INT(bad, 0);
	free(s);
}

/* With few users and items, and some users holding most of their group's
 * items, a heavier weight on the pairs without entries keeps the other
 * group's items below the last few of the user's own. */
static const char *const planted_settings[] = { "unobserved=1", NULL };

/* An unknown user or item predicts 0. */
static void check_fallbacks(const struct rec_model *m)
{
	CHECK(rec_model_predict(m, -1, 3) == 0);
	CHECK(rec_model_predict(m, 3, -1) == 0);
	CHECK(rec_model_predict(m, NUSERS + 3, 3) == 0);
}

/* New events for a few users, a new user and a new item: the untouched
 * users keep their vectors bit for bit, the touched ones move, the new
 * item learns, and the new user's best items are of his group. */
static void check_update(struct rec_model *m)
{
	struct rec_train_options opt = { .seed = 3, .passes = 3 };
	uint32_t k = rec_user_state_size(m), old = m->data.nusers;
	float *before = malloc((size_t)old * k * sizeof(*before));
	float *s = malloc((NITEMS + 1) * sizeof(*s)), *state = malloc(k * sizeof(*state));
	static const char *const events[][2] = {
		{ "u0", "i6" }, { "u3", "i7" }, { "new", "i0" }, { "new", "i2" },
		{ "new", "i4" }, { "new", "i6" }, { "u0", "fresh" }, { "u2", "fresh" },
	};
	struct rec_events ev;
	struct rec_error err;
	int64_t user;
	int moved = 0;
	float norm = 0;

	for (uint32_t u = 0; u < old; u++)
		rec_user_state_get(m, u, before + (size_t)u * k);
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
	for (uint32_t f = 0; f < k; f++)
		norm += fabsf(item_vectors(m)[(size_t)NITEMS * k + f]);
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
}

/* With passes = 0 an update only grows: the old vectors keep their bytes
 * and the new rows are drawn. */
static void check_grow_only(struct rec_model *m)
{
	struct rec_train_options opt = { .seed = 3, .passes = 0 };
	struct rec_param p[REC_MAX_PARAMS];
	float *old[2];
	uint64_t n[2];
	struct rec_events ev;
	struct rec_error err;
	uint32_t u, i;

	m->algo->params(m, p);
	for (unsigned j = 0; j < 2; j++) {
		n[j] = p[j].n;
		old[j] = malloc(n[j] * sizeof(float));
		memcpy(old[j], p[j].f32, n[j] * sizeof(float));
	}
	CHECK(rec_events_init(&ev, m->data.users, m->data.items) == 0);
	rec_dict_intern(ev.users, "grown", 5, &u, NULL);
	rec_dict_intern(ev.items, "sprout", 6, &i, NULL);
	CHECK(rec_events_push(&ev, u, i, 1, 30000) == 0);
	CHECK(rec_model_update(m, &ev, &opt, &err) == 0);
	m->algo->params(m, p);
	for (unsigned j = 0; j < 2; j++) {
		float norm = 0;

		CHECK(p[j].n == n[j] + 8);
		CHECK(memcmp(old[j], p[j].f32, n[j] * sizeof(float)) == 0);
		for (uint64_t x = n[j]; x < p[j].n; x++)
			norm += fabsf(p[j].f32[x]);
		CHECK(norm > 0);
		free(old[j]);
	}
}

int main(void)
{
	struct rec_model *m;

	rec_threads(1);
	check_normal_equations(normal_settings);
	check_normal_equations(normal_settings_16);
	check_fold_in();
	check_fold_sums();
	check_conjugate_gradient();
	m = train(7, 0, planted_settings);
	check_planted(m);
	check_fallbacks(m);
	check_update(m);
	check_grow_only(m);
	rec_model_free(m);
	return UNIT_STATUS();
}
