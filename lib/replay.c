/* replay.c - prequential evaluation: replay events in time order, rank
 * each event's item for its user with the model as it stands, then (unless
 * frozen) fold the event in, as a live system would have. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The rank of item among the candidates of scores (1 is best): items
 * scoring higher, and items scoring the same at a lower index, go first,
 * as in rec_topn. */
static uint32_t rank_of(const float *scores, uint32_t n, uint32_t item)
{
	float s = scores[item];
	uint32_t rank = 1;

	for (uint32_t i = 0; i < n; i++)
		rank += scores[i] > s || (scores[i] == s && i < item);
	return rank;
}

static int seen(const struct rec_user *u, uint32_t item)
{
	for (uint32_t j = 0; j < u->n; j++)
		if (u->items[j] == item)
			return 1;
	return 0;
}

/* Event indices in time order, ties in file order. */
static int by_time(const void *a, const void *b, void *ctx)
{
	const int64_t *time = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (time[x] != time[y])
		return time[x] < time[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int replay_one(struct rec_stream *s, const struct rec_events *ev, size_t e,
		      int64_t item, const struct rec_replay_options *opt,
		      float *scores, struct rec_error *err)
{
	struct rec_replay_event r = { e, ev->time[e], 0, 0, item < 0 };
	struct rec_user *u;
	size_t len;
	const char *id = rec_dict_name(ev->users, ev->user[e], &len);
	int rc;

	if ((rc = rec_stream_user(s, id, len, &u, err)) < 0)
		return rc;
	r.before = u->n;
	if (item < 0 || seen(u, (uint32_t)item)) {
		opt->fn(opt->ctx, &r);
		return 0;
	}
	rec_user_score(s->m, u, 0, scores);
	r.rank = rank_of(scores, s->m->data.nitems, (uint32_t)item);
	opt->fn(opt->ctx, &r);
	if (!opt->update)
		return 0;
	return rec_stream_learn(s, u, (uint32_t)item, ev->rating[e], ev->time[e], err);
}

int rec_replay(struct rec_model *m, const struct rec_events *ev,
	       const struct rec_replay_options *opt, struct rec_error *err)
{
	int64_t *items = rec_dict_map(ev->items, m->data.items);
	size_t *order = malloc((ev->n + 1) * sizeof(*order));
	float *scores = malloc(((size_t)m->data.nitems + 1) * sizeof(*scores));
	struct rec_stream s;
	int rc = 0;

	if (!items || !order || !scores) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t e = 0; e < ev->n; e++)
		order[e] = e;
	qsort_r(order, ev->n, sizeof(*order), by_time, ev->time);
	rec_stream_init(&s, m);
	for (size_t j = 0; j < ev->n && rc == 0; j++)
		rc = replay_one(&s, ev, order[j], items[ev->item[order[j]]], opt, scores, err);
	rec_stream_release(&s);
out:
	free(items);
	free(order);
	free(scores);
	return rc;
}
