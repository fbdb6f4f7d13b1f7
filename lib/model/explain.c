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

/* An event of the history: its item and its place. */
struct event {
	uint32_t item, j;
};

/* By item, then by place: the order in which the parts of an item's
 * events are added up. */
static int by_item_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->item != y->item)
		return (x->item > y->item) - (x->item < y->item);
	return (x->j > y->j) - (x->j < y->j);
}

/* The largest share first; the lower item index first among equals. */
static int by_share(const void *a, const void *b)
{
	const struct rec_reason *x = a, *y = b;

	if (x->share != y->share)
		return x->share < y->share ? 1 : -1;
	return (x->item > y->item) - (x->item < y->item);
}

static void swap(struct rec_reason *a, struct rec_reason *b)
{
	struct rec_reason t = *a;

	*a = *b;
	*b = t;
}

/* Put the k first of r[0..n) by by_share at its front, in no order
 * (Hoare's selection): a list wants a few reasons of a long history. */
static void select_first(struct rec_reason *r, uint32_t n, uint32_t k)
{
	uint32_t lo = 0, hi = n;

	while (lo < k && k < hi) {
		uint32_t p = lo;

		swap(&r[lo + (hi - lo) / 2], &r[hi - 1]);
		for (uint32_t x = lo; x < hi - 1; x++)
			if (by_share(&r[x], &r[hi - 1]) < 0)
				swap(&r[x], &r[p++]);
		swap(&r[p], &r[hi - 1]);
		if (p < k)
			lo = p + 1;
		else
			hi = p;
	}
}

/* The top reasons of one listed item from its events' parts c[0..u->n),
 * ev the history by_item_event: the parts of an item's events added up
 * and those of 0 left out; returns how many. */
static uint32_t top_reasons(const struct rec_user *u, const struct event *ev,
			    const float *c, uint32_t top, struct rec_reason *all,
			    struct rec_reason *out)
{
	uint32_t n = 0, kept = 0;

	for (uint32_t x = 0; x < u->n; x++) {
		if (n && all[n - 1].item == ev[x].item)
			all[n - 1].share += c[ev[x].j];
		else
			all[n++] = (struct rec_reason){ ev[x].item, c[ev[x].j] };
	}
	/* An item that owes the score nothing is no reason. */
	for (uint32_t x = 0; x < n; x++)
		if (all[x].share != 0)
			all[kept++] = all[x];
	n = kept < top ? kept : top;
	select_first(all, kept, n);
	qsort(all, n, sizeof(*all), by_share);
	memcpy(out, all, n * sizeof(*out));
	return n;
}

int rec_explain(const struct rec_model *m, const struct rec_user *u, const uint32_t *items,
		uint32_t n, uint32_t top, struct rec_reason *reasons, uint32_t *count,
		struct rec_error *err)
{
	float *contrib;
	struct rec_reason *all;
	struct event *ev;
	int rc;

	if (u->n == 0)
		return 1;
	contrib = malloc(((size_t)n * u->n + 1) * sizeof(*contrib));
	all = malloc(u->n * sizeof(*all));
	ev = malloc(u->n * sizeof(*ev));
	if (!contrib || !all || !ev)
		rc = REC_ENOMEM;
	else if (m->algo->explain)
		rc = m->algo->explain(m, u, items, n, contrib);
	else
		rc = occlude(m, u, items, n, contrib);
	for (uint32_t j = 0; rc == 0 && j < u->n; j++)
		ev[j] = (struct event){ u->items[j], j };
	if (rc == 0)
		qsort(ev, u->n, sizeof(*ev), by_item_event);
	for (uint32_t t = 0; rc == 0 && t < n; t++)
		count[t] = top_reasons(u, ev, contrib + (size_t)t * u->n, top, all,
				       reasons + (size_t)t * top);
	free(contrib);
	free(all);
	free(ev);
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
