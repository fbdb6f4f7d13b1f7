/* explain.c - why an item is in a user's list: the items of the user's
 * history and their shares of its score.
 *
 * A family whose score is a sum over the history says exactly what each
 * event adds (its explain hook).  For the others, occlusion: the user is
 * folded in again without one item of the history, and the drop of each
 * listed item's score is that item's share.  It costs a fold-in and a
 * scoring of every item per distinct item of the history, and the shares
 * need not sum to the score. */
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

static int by_item(const void *a, const void *b)
{
	const struct rec_reason *x = a, *y = b;

	return (x->item > y->item) - (x->item < y->item);
}

/* The largest share first; the lower item index first among equals. */
static int by_share(const void *a, const void *b)
{
	const struct rec_reason *x = a, *y = b;

	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	return by_item(a, b);
}

/* The top reasons of one listed item from its events' parts c[0..u->n),
 * the parts of an item's events added up and those of 0 left out;
 * returns how many. */
static uint32_t top_reasons(const struct rec_user *u, const float *c, uint32_t top,
			    struct rec_reason *all, struct rec_reason *out)
{
	uint32_t n = 0, kept;

	for (uint32_t j = 0; j < u->n; j++)
		all[j] = (struct rec_reason){ u->items[j], c[j] };
	qsort(all, u->n, sizeof(*all), by_item);
	for (uint32_t j = 0; j < u->n; j++) {
		if (n && all[n - 1].item == all[j].item)
			all[n - 1].share += all[j].share;
		else
			all[n++] = all[j];
	}
	qsort(all, n, sizeof(*all), by_share);
	/* An item that owes the score nothing is no reason. */
	kept = 0;
	for (uint32_t j = 0; j < n; j++)
		if (all[j].share != 0)
			all[kept++] = all[j];
	n = kept < top ? kept : top;
	memcpy(out, all, n * sizeof(*out));
	return n;
}

int rec_explain(const struct rec_model *m, const struct rec_user *u, const uint32_t *items,
		uint32_t n, uint32_t top, struct rec_reason *reasons, uint32_t *count,
		struct rec_error *err)
{
	float *contrib;
	struct rec_reason *all;
	int rc;

	if (u->n == 0)
		return 1;
	contrib = malloc(((size_t)n * u->n + 1) * sizeof(*contrib));
	all = malloc(u->n * sizeof(*all));
	if (!contrib || !all)
		rc = REC_ENOMEM;
	else if (m->algo->explain)
		rc = m->algo->explain(m, u, items, n, contrib);
	else
		rc = occlude(m, u, items, n, contrib);
	for (uint32_t t = 0; rc == 0 && t < n; t++)
		count[t] = top_reasons(u, contrib + (size_t)t * u->n, top, all,
				       reasons + (size_t)t * top);
	free(contrib);
	free(all);
	return rc == REC_ENOMEM ? rec_error_set(err, rc, "out of memory") : rc;
}
