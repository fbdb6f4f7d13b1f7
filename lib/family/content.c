/* content.c - content-based nearest neighbours: each item is its vector
 * of attributes (the dataset's item features) weighted by tf-idf and
 * scaled to unit length; a user's profile is the sum of the vectors of
 * the items in the user's history, each weighted by its event's weight;
 * an item's score is the cosine of the profile and the item's vector.
 * Items known only by their attributes are scored like any other, which
 * is what serves a catalogue's new items.
 *
 * The tf-idf is scikit-learn's smooth one: tf is the attribute's value,
 * idf(f) = ln((1 + N) / (1 + df(f))) + 1, with N the items that have
 * attributes and df(f) those that have f. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { HP_WEIGHTING };

static const char *const weightings[] = { "implicit", "rating", NULL };

static const struct rec_hparam content_hparams[] = {
	[HP_WEIGHTING] = { "weighting", 0, 0, 1, 1, weightings },
};

struct content {
	uint32_t nf;		/* features */
	float *idf;		/* nf */
	float *scale;		/* nitems: 1 / the length of the item's tf-idf
				 * vector, 0 for an item without attributes */
};

static const struct rec_features *item_features(const struct rec_model *m)
{
	return m->data.item_features;
}

static int content_init(struct rec_model *m)
{
	const struct rec_features *f = item_features(m);
	struct content *c = calloc(1, sizeof(*c));

	if (!c)
		return REC_ENOMEM;
	m->state = c;
	c->nf = f ? rec_dict_size(f->names) : 0;
	c->idf = calloc((size_t)c->nf + 1, sizeof(*c->idf));
	c->scale = calloc((size_t)m->data.nitems + 1, sizeof(*c->scale));
	return c->idf && c->scale ? 0 : REC_ENOMEM;
}

/* The scales of items [from, nitems) under the idf. */
static void item_scales(struct rec_model *m, uint32_t from)
{
	const struct rec_features *f = item_features(m);
	struct content *c = m->state;
	uint32_t rows = f ? f->nrows : 0;

	for (uint32_t i = from; i < rows && i < m->data.nitems; i++) {
		double len = 0;

		for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++) {
			double x = (double)f->val[e] * c->idf[f->col[e]];

			len += x * x;
		}
		c->scale[i] = len > 0 ? (float)(1 / sqrt(len)) : 0;
	}
}

static int content_train(struct rec_model *m, const struct rec_train_options *opt,
			 struct rec_error *err)
{
	const struct rec_features *f = item_features(m);
	struct content *c = m->state;
	uint32_t rows = f ? f->nrows : 0, n = 0;

	(void)opt;
	(void)err;
	for (uint32_t i = 0; i < rows; i++) {
		n += f->ptr[i + 1] > f->ptr[i];
		for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++)
			c->idf[f->col[e]]++;
	}
	for (uint32_t k = 0; k < c->nf; k++)
		c->idf[k] = (float)(log((1.0 + n) / (1.0 + c->idf[k])) + 1);
	item_scales(m, 0);
	return 0;
}

static unsigned content_params(struct rec_model *m, struct rec_param *p)
{
	struct content *c = m->state;

	p[0] = (struct rec_param){ { 'I', 'D', 'F', 'S' }, c->idf, NULL, c->nf };
	p[1] = (struct rec_param){ { 'S', 'C', 'A', 'L' }, c->scale, NULL, m->data.nitems };
	return 2;
}

/* What a loaded model's arrays must hold: idf values of at least 1 (the
 * smallest the formula gives) and item scales finite and not negative. */
static int content_check(const struct rec_model *m, struct rec_error *err)
{
	const struct content *c = m->state;

	for (uint32_t k = 0; k < c->nf; k++)
		if (!(c->idf[k] >= 1))
			return rec_error_set(err, REC_EFORMAT, "section 'IDFS': idf %g is "
					     "below 1", c->idf[k]);
	for (uint32_t i = 0; i < m->data.nitems; i++)
		if (!(c->scale[i] >= 0))
			return rec_error_set(err, REC_EFORMAT, "section 'SCAL': item scale "
					     "%g is negative", c->scale[i]);
	return 0;
}

/* New items join with their scales under the idf of training, which they
 * do not change: what the profiles have seen stays as it was.  New users
 * need nothing, and events nothing but their histories. */
static int content_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
			  const uint8_t *touched, const struct rec_train_options *opt,
			  struct rec_error *err)
{
	struct content *c = m->state;

	(void)old_users;
	(void)touched;
	(void)opt;
	if (rec_grow_floats(&c->scale, old_items, m->data.nitems) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	item_scales(m, old_items);
	return 0;
}

static uint32_t content_state_size(const struct rec_model *m)
{
	const struct content *c = m->state;

	return c->nf;
}

/* Add the vectors of u's events [from, u->n) to profile. */
static void add_events(const struct rec_model *m, const struct rec_user *u, uint32_t from,
		       float *profile)
{
	const struct rec_features *f = item_features(m);
	const struct content *c = m->state;

	for (uint32_t j = from; f && j < u->n; j++) {
		uint32_t i = u->items[j];
		float w;

		if (i >= f->nrows)
			continue;
		w = rec_event_weight(m, u->values[j], u->times[j], m->hp[HP_WEIGHTING] == 1) *
		    c->scale[i];
		for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++)
			profile[f->col[e]] += w * f->val[e] * c->idf[f->col[e]];
	}
}

static void content_user_state(const struct rec_model *m, uint32_t user, float *state)
{
	struct rec_user u;

	rec_user_view(m, user, &u);
	memset(state, 0, content_state_size(m) * sizeof(*state));
	add_events(m, &u, 0, state);
}

static int content_fold_in(const struct rec_model *m, struct rec_user *u)
{
	if (u->state)
		add_events(m, u, u->folded, u->state);
	return 0;
}

/* The cosine of the profile, of length len, and item i's vector. */
static float item_score(const struct rec_model *m, const float *profile, double len,
			uint32_t i)
{
	const struct rec_features *f = item_features(m);
	const struct content *c = m->state;
	double dot = 0;

	if (!f || i >= f->nrows || len <= 0)
		return 0;
	for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++)
		dot += (double)f->val[e] * c->idf[f->col[e]] * profile[f->col[e]];
	return (float)(dot * c->scale[i] / len);
}

/* u's profile: its state, or made from its history into a new array
 * (*owned) for a user without one.  NULL when out of memory. */
static const float *profile_of(const struct rec_model *m, const struct rec_user *u,
			       float **owned)
{
	*owned = NULL;
	if (u->state)
		return u->state;
	if (!(*owned = calloc((size_t)content_state_size(m) + 1, sizeof(**owned))))
		return NULL;
	add_events(m, u, 0, *owned);
	return *owned;
}

static double length(const float *v, uint32_t n)
{
	double sum = 0;

	for (uint32_t k = 0; k < n; k++)
		sum += (double)v[k] * v[k];
	return sqrt(sum);
}

/* Out of memory, the user gets the popularity, as a user without events
 * would. */
static void content_score_user(const struct rec_model *m, const struct rec_user *u,
			       float *scores)
{
	float *owned;
	const float *p = profile_of(m, u, &owned);
	double len;

	if (!p) {
		memcpy(scores, m->popularity, m->data.nitems * sizeof(*scores));
		return;
	}
	len = length(p, content_state_size(m));
	for (uint32_t i = 0; i < m->data.nitems; i++)
		scores[i] = item_score(m, p, len, i);
	free(owned);
}

static void content_score(const struct rec_model *m, uint32_t user, float *scores)
{
	struct rec_user u;

	rec_user_view(m, user, &u);
	content_score_user(m, &u, scores);
}

static float content_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	struct rec_user u;
	float *owned, s;
	const float *p;

	if (item < 0)
		return 0;
	if (user < 0)
		return m->popularity[item];
	rec_user_view(m, (uint32_t)user, &u);
	if (!(p = profile_of(m, &u, &owned)))
		return 0;
	s = item_score(m, p, length(p, content_state_size(m)), (uint32_t)item);
	free(owned);
	return s;
}

/* The weighted vectors' dot product of items a and b, both with rows:
 * the sum over their common features of the values times idf squared. */
static double shared(const struct rec_model *m, uint32_t a, uint32_t b)
{
	const struct rec_features *f = item_features(m);
	const struct content *c = m->state;
	uint64_t x = f->ptr[a], y = f->ptr[b];
	double dot = 0;

	while (x < f->ptr[a + 1] && y < f->ptr[b + 1]) {
		if (f->col[x] < f->col[y]) {
			x++;
		} else if (f->col[x] > f->col[y]) {
			y++;
		} else {
			dot += (double)f->val[x] * f->val[y] * c->idf[f->col[x]] *
			       c->idf[f->col[x]];
			x++;
			y++;
		}
	}
	return dot;
}

/* The profile is the sum of the events' weighted vectors, and the score
 * its dot product with the item's over the profile's length: linear in
 * the events for that length. */
static int content_explain(const struct rec_model *m, const struct rec_user *u,
			   const uint32_t *items, uint32_t n, float *contrib)
{
	const struct rec_features *f = item_features(m);
	const struct content *c = m->state;
	float *owned;
	const float *p = profile_of(m, u, &owned);
	double len;

	if (!p)
		return REC_ENOMEM;
	len = length(p, content_state_size(m));
	for (uint32_t t = 0; t < n; t++)
		for (uint32_t j = 0; j < u->n; j++) {
			uint32_t a = u->items[j], b = items[t];
			float w = rec_event_weight(m, u->values[j], u->times[j],
						   m->hp[HP_WEIGHTING] == 1);

			contrib[(size_t)t * u->n + j] = !f || a >= f->nrows ||
				b >= f->nrows || len <= 0 ? 0 :
				(float)(w * c->scale[a] * shared(m, a, b) * c->scale[b] / len);
		}
	free(owned);
	return 0;
}

static void content_release(struct rec_model *m)
{
	struct content *c = m->state;

	if (!c)
		return;
	free(c->idf);
	free(c->scale);
	free(c);
	m->state = NULL;
}

const struct rec_algo rec_algo_content = {
	.name = "content",
	.summary = "cosine of tf-idf item attributes and the user's profile",
	.hparams = content_hparams,
	.nhparams = sizeof(content_hparams) / sizeof(content_hparams[0]),
	.init = content_init,
	.train = content_train,
	.params = content_params,
	.score = content_score,
	.predict = content_predict,
	.ratings = 0,
	.release = content_release,
	.state_size = content_state_size,
	.user_state = content_user_state,
	.fold_in = content_fold_in,
	.score_user = content_score_user,
	.check = content_check,
	.update = content_update,
	.explain = content_explain,
};
