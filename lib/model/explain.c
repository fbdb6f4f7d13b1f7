/* explain.c - why an item is in a user's list: the items of the user's
 * history and their shares of its score.
 *
 * A family whose score is a sum over the history says exactly what each
 * event adds (its explain hook).  For the others, occlusion: the user is
 * folded in again without one item of the history, and the drop of each
 * listed item's score is that item's share.  It costs a fold-in and a
 * scoring of every item per distinct item of the history, and the shares
 * need not sum to the score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Is event j of u the first of its item? */
static int first_of_item(const struct rec_user *u, uint32_t j)
{
	for (uint32_t x = 0; x < j; x++)
		if (u->items[x] == u->items[j])
			return 0;
	return 1;
}

/* Fold u's history into v, a new user, without the events of item skip
 * (UINT32_MAX: none), and score every item into scores; a history left
 * empty scores 0, so that its one item owes the whole score. */
static int refold(const struct rec_model *m, const struct rec_user *u, uint32_t skip,
		  float *scores)
{
	struct rec_user v;
	int rc;

	if ((rc = rec_user_start(m, UINT32_MAX, &v)) < 0)
		return rc;
	for (uint32_t j = 0; j < u->n && rc == 0; j++)
		if (u->items[j] != skip)
			rc = rec_user_push(&v, u->items[j], u->values[j], u->times[j]);
	if (rc == 0)
		rc = rec_user_fold(m, &v);
	if (rc == 0 && v.n)
		m->algo->score_user(m, &v, scores);
	else if (rc == 0)
		memset(scores, 0, m->data.nitems * sizeof(*scores));
	rec_user_release(&v);
	return rc;
}

/* contrib[t * u->n + j] = the drop of items[t]'s score without the item
 * of event j, on the item's first event; 0 on its later ones.  Both
 * scores come from a fresh fold-in, so that what training left in a
 * trained user's state weighs on neither. */
static int occlude(const struct rec_model *m, const struct rec_user *u,
		   const uint32_t *items, uint32_t n, float *contrib)
{
	size_t ni = (size_t)m->data.nitems + 1;
	float *full = malloc(ni * sizeof(*full)), *without = malloc(ni * sizeof(*without));
	int rc = full && without ? refold(m, u, UINT32_MAX, full) : REC_ENOMEM;

	memset(contrib, 0, (size_t)n * u->n * sizeof(*contrib));
	for (uint32_t j = 0; j < u->n && rc == 0; j++) {
		if (!first_of_item(u, j) || (rc = refold(m, u, u->items[j], without)) < 0)
			continue;
		for (uint32_t t = 0; t < n; t++)
			contrib[(size_t)t * u->n + j] = full[items[t]] - without[items[t]];
	}
	free(full);
	free(without);
	return rc;
}

/* The places of u's events in order, sorted by item, the events of an
 * item in their order: a radix sort of the items' bytes, as many as the
 * largest item needs (qsort took a tenth of an explanation's time);
 * tmp is scratch of u->n. */
static void sort_by_item(const struct rec_user *u, uint32_t *order, uint32_t *tmp)
{
	uint32_t largest = 0;

	for (uint32_t j = 0; j < u->n; j++) {
		order[j] = j;
		largest = u->items[j] > largest ? u->items[j] : largest;
	}
	for (unsigned shift = 0; shift < 32 && largest >> shift; shift += 8) {
		uint32_t start[257] = { 0 };

		for (uint32_t x = 0; x < u->n; x++)
			start[(u->items[order[x]] >> shift & 255) + 1]++;
		for (unsigned b = 0; b < 256; b++)
			start[b + 1] += start[b];
		for (uint32_t x = 0; x < u->n; x++)
			tmp[start[u->items[order[x]] >> shift & 255]++] = order[x];
		memcpy(order, tmp, u->n * sizeof(*order));
	}
}

/* u's history grouped by item, and the scratch of one listed item's
 * reasons. */
struct groups {
	uint32_t n;		/* distinct items */
	uint32_t *item;		/* the n distinct items in index order */
	uint32_t *of;		/* of[j]: the place in item of event j's item */
	uint32_t *order;	/* 2 u->n: sort_by_item's */
	uint32_t *pos;		/* n: the places rec_topn picks */
	float *share;		/* n: a listed item's share of each */
	float *val;		/* n: rec_topn's values */
};

static void groups_release(struct groups *g)
{
	free(g->item);
	free(g->share);
}

/* Group u's events, u->n of them, by item. */
static int groups_init(struct groups *g, const struct rec_user *u)
{
	g->n = 0;
	g->item = malloc(5 * (size_t)u->n * sizeof(*g->item));
	g->share = malloc(2 * (size_t)u->n * sizeof(*g->share));
	if (!g->item || !g->share) {
		groups_release(g);
		return REC_ENOMEM;
	}
	g->of = g->item + u->n;
	g->order = g->of + u->n;
	g->pos = g->order + 2 * u->n;
	g->val = g->share + u->n;
	sort_by_item(u, g->order, g->order + u->n);
	for (uint32_t x = 0; x < u->n; x++) {
		uint32_t item = u->items[g->order[x]];

		if (g->n == 0 || g->item[g->n - 1] != item)
			g->item[g->n++] = item;
		g->of[g->order[x]] = g->n - 1;
	}
	return 0;
}

/* The top reasons of one listed item from its events' parts c[0..u->n):
 * the parts of an item's events added up in their order, the largest
 * sums first, the lower item first among equals (rec_topn's order),
 * those of 0 left out; returns how many. */
static uint32_t top_reasons(const struct rec_user *u, struct groups *g, const float *c,
			    uint32_t top, struct rec_reason *out)
{
	uint32_t n;

	memset(g->share, 0, g->n * sizeof(*g->share));
	for (uint32_t j = 0; j < u->n; j++)
		g->share[g->of[j]] += c[j];
	/* An item that owes the score nothing is no reason. */
	#pragma omp simd
	for (uint32_t x = 0; x < g->n; x++)
		g->share[x] = g->share[x] == 0 ? -INFINITY : g->share[x];
	n = rec_topn(g->share, g->n, top, g->pos, g->val);
	for (uint32_t x = 0; x < n; x++)
		out[x] = (struct rec_reason){ g->item[g->pos[x]], g->val[x] };
	return n;
}

int rec_explain(const struct rec_model *m, const struct rec_user *u, const uint32_t *items,
		uint32_t n, uint32_t top, struct rec_reason *reasons, uint32_t *count,
		struct rec_error *err)
{
	struct groups g = { 0 };
	float *contrib;
	int rc;

	if (u->n == 0)
		return 1;
	contrib = malloc(((size_t)n * u->n + 1) * sizeof(*contrib));
	if (!contrib || groups_init(&g, u) < 0)
		rc = REC_ENOMEM;
	else if (m->algo->explain)
		rc = m->algo->explain(m, u, items, n, contrib);
	else
		rc = occlude(m, u, items, n, contrib);
	for (uint32_t t = 0; rc == 0 && t < n; t++)
		count[t] = top_reasons(u, &g, contrib + (size_t)t * u->n, top,
				       reasons + (size_t)t * top);
	free(contrib);
	groups_release(&g);
	return rc == REC_ENOMEM ? rec_error_set(err, rc, "out of memory") : rc;
}

/* One user's part of rec_explain_users: his training history and state. */
static int explain_user(const struct rec_model *m, int64_t user, const uint32_t *items,
			uint32_t n, uint32_t top, struct rec_reason *reasons, uint32_t *count,
			struct rec_error *err)
{
	struct rec_user u = { 0 };
	int rc = 0;

	if (user >= 0 && (rc = rec_user_start(m, (uint32_t)user, &u)) < 0)
		return rec_error_set(err, rc, "out of memory");
	rc = rec_explain(m, &u, items, n, top, reasons, count, err);
	rec_user_release(&u);
	return rc;
}

int rec_explain_users(const struct rec_model *m, const int64_t *users, uint32_t nu,
		      const uint32_t *items, const uint32_t *n, uint32_t stride, uint32_t top,
		      struct rec_reason *reasons, uint32_t *count, int *popular,
		      struct rec_error *err)
{
	int blas = rec_blas_serial(), rc = 0;
	uint32_t failed = nu;

	#pragma omp parallel for schedule(dynamic, 1)
	for (uint32_t x = 0; x < nu; x++) {
		struct rec_error e;
		size_t at = (size_t)x * stride;
		int r = explain_user(m, users[x], items + at, n[x], top, reasons + at * top,
				     count + at, &e);

		popular[x] = r > 0;
		if (r < 0) {
			#pragma omp critical(rec_explain_users)
			if (x < failed) {
				failed = x;
				rc = r;
				*err = e;
			}
		}
	}
	rec_blas_restore(blas);
	return rc;
}
