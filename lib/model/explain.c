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

static int by_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The history's distinct items in index order into items, and for each
 * event the place of its item there into group; key is scratch of u->n.
 * Returns how many. */
static uint32_t group_events(const struct rec_user *u, uint32_t *items, uint32_t *group,
			     uint64_t *key)
{
	uint32_t n = 0;

	for (uint32_t j = 0; j < u->n; j++)
		key[j] = (uint64_t)u->items[j] << 32 | j;
	qsort(key, u->n, sizeof(*key), by_key);
	for (uint32_t x = 0; x < u->n; x++) {
		uint32_t item = (uint32_t)(key[x] >> 32);

		if (n == 0 || items[n - 1] != item)
			items[n++] = item;
		group[(uint32_t)key[x]] = n - 1;
	}
	return n;
}

/* The top reasons of one listed item from its events' parts c[0..u->n),
 * with the history's nd distinct items and the events' groups of
 * group_events: the parts of an item's events added up in their order,
 * the largest sums first, the lower item first among equals (rec_topn's
 * order), those of 0 left out; returns how many. */
static uint32_t top_reasons(const struct rec_user *u, const uint32_t *items,
			    const uint32_t *group, uint32_t nd, const float *c, uint32_t top,
			    float *share, uint32_t *pos, float *val, struct rec_reason *out)
{
	uint32_t n;

	memset(share, 0, nd * sizeof(*share));
	for (uint32_t j = 0; j < u->n; j++)
		share[group[j]] += c[j];
	/* An item that owes the score nothing is no reason. */
	#pragma omp simd
	for (uint32_t x = 0; x < nd; x++)
		share[x] = share[x] == 0 ? -INFINITY : share[x];
	n = rec_topn(share, nd, top, pos, val);
	for (uint32_t x = 0; x < n; x++)
		out[x] = (struct rec_reason){ items[pos[x]], val[x] };
	return n;
}

int rec_explain(const struct rec_model *m, const struct rec_user *u, const uint32_t *items,
		uint32_t n, uint32_t top, struct rec_reason *reasons, uint32_t *count,
		struct rec_error *err)
{
	size_t h = u->n;
	float *contrib, *share;
	uint32_t *distinct, nd;
	uint64_t *key;
	int rc;

	if (u->n == 0)
		return 1;
	contrib = malloc(((size_t)n * h + 2 * h) * sizeof(*contrib));
	distinct = malloc(3 * h * sizeof(*distinct));
	key = malloc(h * sizeof(*key));
	if (!contrib || !distinct || !key)
		rc = REC_ENOMEM;
	else if (m->algo->explain)
		rc = m->algo->explain(m, u, items, n, contrib);
	else
		rc = occlude(m, u, items, n, contrib);
	share = contrib + (size_t)n * h;
	nd = rc == 0 ? group_events(u, distinct, distinct + h, key) : 0;
	for (uint32_t t = 0; rc == 0 && t < n; t++)
		count[t] = top_reasons(u, distinct, distinct + h, nd, contrib + (size_t)t * h,
				       top, share, distinct + 2 * h, share + h,
				       reasons + (size_t)t * top);
	free(contrib);
	free(distinct);
	free(key);
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
