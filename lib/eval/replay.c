/* replay.c - prequential evaluation: replay events in time order, rank
 * each event's item for its user with the model as it stands, then (unless
 * frozen) fold the event in, as a live system would have; and sum the
 * ranks into the metrics, overall and by window or by the user's past. */
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

int rec_replay_load(struct rec_events *ev, const char *path,
		    const struct rec_csv_options *opt, struct rec_error *err)
{
	struct rec_dataset ds;
	int rc = rec_file_has_magic(path, REC_DATASET_MAGIC, err);

	if (rc < 0)
		return rc;
	if (rec_events_init(ev, NULL, NULL) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if (rc == 0)
		rc = rec_events_read(ev, path, opt, err);
	else if ((rc = rec_dataset_load(&ds, path, opt, REC_DEDUP_LAST, NULL, err)) == 0) {
		if ((rc = rec_events_add_dataset(ev, &ds)) < 0)
			rec_error_set(err, rc, "out of memory");
		rec_dataset_release(&ds);
	}
	if (rc < 0)
		rec_events_release(ev);
	return rc;
}

/* --- the replay's metrics, overall and by group --- */

struct replay_sums {
	struct rec_replay_eval *p;
	const struct rec_replay_eval_options *opt;
	int rc;
};

/* Users by the events they had before: 0, 1-9, 10-99, ..., keyed by the
 * lower bound. */
static int64_t decade(uint32_t before)
{
	int64_t low = 1;

	if (before == 0)
		return 0;
	while (low * 10 <= before)
		low *= 10;
	return low;
}

static int64_t group_key(const struct rec_replay_eval_options *opt,
			 const struct rec_replay_event *r)
{
	if (opt->by == REC_REPLAY_BEFORE)
		return decade(r->before);
	return (int64_t)(floor((double)r->time / opt->window) * opt->window);
}

/* The sums of the group of key, added if new; NULL when out of memory.
 * Windows arrive in order and decades are few, so the search runs from
 * the newest group back. */
static struct rec_eval_acc *find_group(struct rec_replay_eval *p,
				       const struct rec_replay_eval_options *opt,
				       int64_t key)
{
	struct rec_replay_group *g;

	for (size_t i = p->n; i-- > 0;)
		if (p->group[i].key == key)
			return &p->group[i].acc;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;

		if (!(g = realloc(p->group, cap * sizeof(*g))))
			return NULL;
		p->group = g;
		p->cap = cap;
	}
	g = &p->group[p->n];
	g->key = key;
	if (rec_eval_acc_init(&g->acc, REC_EVAL_REPLAY, opt->k, opt->nk, 0, NULL) < 0)
		return NULL;
	p->n++;
	return &g->acc;
}

static void take_replayed(void *ctx, const struct rec_replay_event *r)
{
	struct replay_sums *s = ctx;
	struct rec_eval_acc *g;

	if (r->rank == 0) {
		s->p->unknown += r->unknown_item;
		s->p->repeated += !r->unknown_item;
		return;
	}
	rec_eval_add_rank(&s->p->all, r->rank);
	if (s->opt->by == REC_REPLAY_ALL || s->rc < 0)
		return;
	if ((g = find_group(s->p, s->opt, group_key(s->opt, r))))
		rec_eval_add_rank(g, r->rank);
	else
		s->rc = REC_ENOMEM;
}

static int by_key(const void *a, const void *b)
{
	const struct rec_replay_group *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

void rec_replay_eval_release(struct rec_replay_eval *p)
{
	if (!p)
		return;
	rec_eval_acc_release(&p->all);
	for (size_t i = 0; i < p->n; i++)
		rec_eval_acc_release(&p->group[i].acc);
	free(p->group);
	memset(p, 0, sizeof(*p));
}

int rec_replay_eval(struct rec_replay_eval *p, struct rec_model *m,
		    const struct rec_events *ev, const struct rec_replay_eval_options *opt,
		    struct rec_error *err)
{
	struct replay_sums s = { p, opt, 0 };
	struct rec_replay_options ro = { opt->update, take_replayed, &s };
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = rec_eval_acc_init(&p->all, REC_EVAL_REPLAY, opt->k, opt->nk, 0, err)) < 0)
		return rc;
	if ((rc = rec_replay(m, ev, &ro, err)) < 0)
		return rc;
	if (s.rc < 0)
		return rec_error_set(err, s.rc, "out of memory");
	if (p->n)
		qsort(p->group, p->n, sizeof(*p->group), by_key);
	return 0;
}
