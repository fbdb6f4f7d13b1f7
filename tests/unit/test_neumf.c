/* test_neumf.c - the neumf family: its hand-written backward pass against
 * finite differences, the planted groups after training, after a fold-in
 * and after incremental training, predictions and the fallbacks.  What
 * every family promises is in test_contract.c.
 *
 * The gradient check perturbs every learned float of a tiny network in
 * turn by +-STEP and takes the central difference of the mean loss, which
 * the network computes in float (and sums in double).  Each array's
 * gradient is compared as a whole, by |analytic - numeric| / (|analytic| +
 * |numeric|) in the Euclidean norm, against TOL = 1e-3; runs show 1e-5 to
 * 1e-4.  STEP = 3e-3 keeps the float rounding of the losses below the
 * signal; far larger steps start to cross the kinks of the ReLUs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "unit.h"
#include "data.h"

#define STEP 3e-3f
#define TOL 1e-3

#define NUSERS 60
#define NITEMS 40

static struct rec_model *model(const char *const (*set)[2], size_t nset,
			       uint32_t nusers, uint32_t nitems, uint64_t seed)
{
	struct rec_train_options opt = { .seed = seed };
	struct rec_model *m = rec_model_new(rec_algo_find("neumf"));
	struct rec_dataset ds;
	struct rec_error err;

	CHECK(m != NULL);
	make_groups(&ds, nusers, nitems, 5, 0);
	for (size_t i = 0; i < nset; i++)
		CHECK(rec_model_set(m, set[i][0], set[i][1], &err) == 0);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

static struct rec_model *train(uint64_t seed)
{
	static const char *const set[][2] = {
		{ "factors", "8" }, { "layers", "16,8" }, { "epochs", "80" },
		{ "batch", "32" }, { "negatives", "1" }, { "candidates", "1" }, { "lr", "0.01" },
		{ "reg", "0.2" },
	};

	return model(set, sizeof(set) / sizeof(set[0]), NUSERS, NITEMS, seed);
}

/* --- the gradient --- */

struct pairs {
	struct rec_model *m;
	uint32_t n;
	uint32_t user[24], item[24];
	float label[24];
};

static double pairs_loss(struct pairs *p, float *gu, float *gi, float *gn)
{
	return rec_neumf_loss(p->m, p->n, p->user, p->item, p->label, gu, gi, gn);
}

/* The relative error of the analytic gradient ga of x[0..n) against
 * central differences of the loss; scratch holds the three gradients the
 * loss writes and ignores here. */
static double rel_error(struct pairs *p, float *x, const float *ga, size_t n,
			float *const scratch[3])
{
	double num = 0, den = 0;

	for (size_t j = 0; j < n; j++) {
		float keep = x[j];
		double up, down, g;

		x[j] = keep + STEP;
		up = pairs_loss(p, scratch[0], scratch[1], scratch[2]);
		x[j] = keep - STEP;
		down = pairs_loss(p, scratch[0], scratch[1], scratch[2]);
		x[j] = keep;
		g = (up - down) / (2.0 * STEP);
		num += (ga[j] - g) * (ga[j] - g);
		den += (fabs(ga[j]) + fabs(g)) * (fabs(ga[j]) + fabs(g));
	}
	return den > 0 ? sqrt(num) / sqrt(den) : 0;
}

/* A network of two dense layers (16 -> 8 -> 4) and 3 GMF factors at
 * random weights of about unit size, on positives and negatives of five
 * users and six items, with a user and an item in several rows. */
static void check_gradient(void)
{
	static const char *const set[][2] = {
		{ "factors", "3" }, { "layers", "16,8,4" }, { "epochs", "1" },
	};
	struct pairs p = { .m = model(set, 3, 5, 6, 1), .n = 24 };
	struct rec_param par[REC_MAX_PARAMS];
	unsigned np = p.m->algo->params(p.m, par);
	float *grad[3], *scratch[3];
	struct rec_rng rng;

	CHECK_INT(np, 3);
	rec_rng_seed(&rng, 11);
	for (unsigned a = 0; a < np; a++) {
		for (uint64_t j = 0; j < par[a].n; j++)
			par[a].f32[j] = (float)(0.7 * rec_rng_normal(&rng));
		grad[a] = calloc(par[a].n, sizeof(float));
		scratch[a] = calloc(par[a].n, sizeof(float));
	}
	for (uint32_t j = 0; j < p.n; j++) {
		p.user[j] = j < 6 ? 0 : (uint32_t)rec_rng_below(&rng, 5);
		p.item[j] = j < 6 ? j : (uint32_t)rec_rng_below(&rng, 6);
		p.label[j] = (float)(j % 3 == 0);
	}
	CHECK(isfinite(pairs_loss(&p, grad[0], grad[1], grad[2])));
	for (unsigned a = 0; a < np; a++) {
		double r = rel_error(&p, par[a].f32, grad[a], par[a].n, scratch);

		fprintf(stderr, "neumf gradient of %.4s: relative error %.2g\n", par[a].tag, r);
		CHECK(r < TOL);
	}
	for (unsigned a = 0; a < np; a++) {
		free(grad[a]);
		free(scratch[a]);
	}
	rec_model_free(p.m);
}

/* --- trained on the groups --- */

/* Are the k best scored items all of `group`? */
static int top_in_group(const float *s, uint32_t n, int group, uint32_t k)
{
	uint32_t idx[16], found;
	float val[16];

	found = rec_topn(s, n, k, idx, val);
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

/* Nearly every user's five best unseen items are of his group, where
 * chance would give one user in a hundred and fifty.  The uniform
 * negatives are often his group's unseen items, and a network this free
 * may still let an item of the other group in for a user or two. */
static void check_planted(const struct rec_model *m)
{
	float s[NITEMS];
	int bad = 0;

	for (uint32_t u = 0; u < m->data.nusers; u++) {
		rec_model_score(m, u, s);
		hide_seen(m, u, s);
		bad += !top_in_group(s, NITEMS, (int)(u % 2), 5);
	}
	CHECK(bad <= 2);
}

/* Unknown users get the popularity, unknown items 0. */
static void check_fallbacks(const struct rec_model *m)
{
	CHECK(rec_model_predict(m, -1, 3) == m->popularity[3]);
	CHECK(rec_model_predict(m, 3, -1) == 0);
}

/* A new user with items of group 0 ranks that group first once folded
 * in, and the fold repeats bit for bit from the same start; a trained
 * user's state scores as he does. */
static void check_fold_in(const struct rec_model *m)
{
	uint32_t k = rec_user_state_size(m);
	struct rec_user u = { 0 };
	float s[NITEMS], t[NITEMS], *first = malloc(k * sizeof(*first));

	CHECK_INT(k, 8 + 8);
	CHECK(rec_user_start(m, NUSERS + 5, &u) == 0);
	for (uint32_t i = 0; i < 8; i += 2)
		CHECK(rec_user_push(&u, i, 1, 10000 + i) == 0);
	CHECK(rec_user_fold(m, &u) == 0);
	rec_user_score(m, &u, 0, s);
	CHECK(top_in_group(s, NITEMS, 0, 10));
	memcpy(first, u.state, k * sizeof(*first));
	memset(u.state, 0, k * sizeof(*u.state));
	CHECK(m->algo->fold_in(m, &u) == 0);
	CHECK(memcmp(first, u.state, k * sizeof(*first)) == 0);
	rec_user_release(&u);

	CHECK(rec_user_start(m, 1, &u) == 0);
	rec_user_score(m, &u, 0, s);
	rec_model_score(m, 1, t);
	hide_seen(m, 1, t);
	for (int i = 0; i < NITEMS; i++)
		CHECK(s[i] == t[i] || fabsf(s[i] - t[i]) < 1e-5f * (1 + fabsf(t[i])));
	rec_user_release(&u);
	free(first);
}

/* New events for a few users, a new user and a new item: the arrays grow,
 * the untouched users' embeddings and the network keep their bytes, and
 * the new user's best items are of his group. */
static void check_update(struct rec_model *m)
{
	struct rec_train_options opt = { .seed = 3, .passes = 20 };
	struct rec_param p[REC_MAX_PARAMS];
	uint32_t k = rec_user_state_size(m), old = m->data.nusers;
	float *before = malloc((size_t)old * k * sizeof(*before)), *net, state[64];
	float s[NITEMS + 1];
	static const char *const events[][2] = {
		{ "u0", "i6" }, { "u3", "i7" }, { "new", "i0" }, { "new", "i2" },
		{ "new", "i4" }, { "new", "i6" }, { "u0", "fresh" }, { "u2", "fresh" },
	};
	struct rec_events ev;
	struct rec_error err;
	uint64_t nnet;
	int64_t user;
	int moved = 0;

	m->algo->params(m, p);
	nnet = p[2].n;
	net = malloc(nnet * sizeof(*net));
	memcpy(net, p[2].f32, nnet * sizeof(*net));
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
	m->algo->params(m, p);
	CHECK(p[2].n == nnet && memcmp(net, p[2].f32, nnet * sizeof(*net)) == 0);
	for (uint32_t u = 0; u < old; u++) {
		rec_user_state_get(m, u, state);
		if (u == 0 || u == 2 || u == 3)
			moved += memcmp(state, before + (size_t)u * k, k * sizeof(*state)) != 0;
		else
			CHECK(memcmp(state, before + (size_t)u * k, k * sizeof(*state)) == 0);
	}
	CHECK_INT(moved, 3);
	user = rec_dict_find(m->data.users, "new", 3);
	CHECK(user == old);
	rec_model_score(m, user, s);
	hide_seen(m, (uint32_t)user, s);
	s[NITEMS] = -INFINITY;
	CHECK(top_in_group(s, NITEMS, 0, 10));
	for (uint32_t i = 0; i <= NITEMS; i++)
		CHECK(isfinite(rec_model_predict(m, user, i)));
	free(before);
	free(net);
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
		CHECK(p[j].n >= n[j]);
		CHECK(memcmp(old[j], p[j].f32, n[j] * sizeof(float)) == 0);
		for (uint64_t x = n[j]; x < p[j].n; x++)
			CHECK(p[j].f32[x] == 0);
		free(old[j]);
	}
}

static void check_bad_settings(void)
{
	static const char *const bad[][2] = {
		{ "layers", "64,33" }, { "layers", "64" }, { "factors", "0" },
		{ "negatives", "1.5" }, { "lr", "0" }, { "batch", "0" }, { "patience", "0" },
		{ "reg", "-1" }, { "epochs", "x" }, { "nosuch", "1" },
	};
	struct rec_model *m = rec_model_new(rec_algo_find("neumf"));
	struct rec_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(rec_model_set(m, bad[i][0], bad[i][1], &err) == REC_EINVAL);
	CHECK(rec_model_set(m, "layers", "128,64,32,16", &err) == 0);
	rec_model_free(m);
}

int main(void)
{
	struct rec_model *m;

	rec_threads(1);
	check_gradient();
	m = train(7);
	check_planted(m);
	check_fallbacks(m);
	check_fold_in(m);
	check_update(m);
	check_grow_only(m);
	rec_model_free(m);
	check_bad_settings();
	return UNIT_STATUS();
}
