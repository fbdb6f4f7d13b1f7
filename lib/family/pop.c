/* pop.c - popularity: every user gets the items with the most events,
 * each event weighted by the model's time decay. */
#include <string.h>

#include "internal.h"

static int pop_init(struct rec_model *m)
{
	(void)m;
	return 0;
}

static void pop_score(const struct rec_model *m, uint32_t user, float *scores)
{
	(void)user;
	memcpy(scores, m->popularity, m->data.nitems * sizeof(*scores));
}

static void pop_score_user(const struct rec_model *m, const struct rec_user *u,
			   float *scores)
{
	(void)u;
	pop_score(m, 0, scores);
}

/* The scores are the popularity, whatever the history. */
static int pop_explain(const struct rec_model *m, const struct rec_user *u,
		       const uint32_t *items, uint32_t n, float *contrib)
{
	(void)m;
	(void)u;
	(void)items;
	(void)n;
	(void)contrib;
	return 1;
}

static float pop_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	(void)user;
	return item < 0 ? 0 : m->popularity[item];
}

const struct rec_algo rec_algo_pop = {
	.name = "pop",
	.summary = "item popularity (event counts, optionally time-decayed)",
	.init = pop_init,
	.score = pop_score,
	.predict = pop_predict,
	.ratings = 0,
	.score_user = pop_score_user,
	.explain = pop_explain,
};
