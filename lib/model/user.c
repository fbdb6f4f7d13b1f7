/* user.c - one user's history and fold-in state, and the users that a
 * stream of events touches.
 *
 * A trained user starts from the training data and the state training
 * left; a new user starts empty and is served the popularity until the
 * first event.  Each learned event is appended to the history and folded
 * into the state by the family's fold_in. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void rec_user_release(struct rec_user *u)
{
	free(u->items);
	free(u->values);
	free(u->times);
	free(u->state);
	free(u->sums);
	memset(u, 0, sizeof(*u));
}

static int reserve(struct rec_user *u, uint32_t n)
{
	uint32_t cap = u->cap ? u->cap : 8;
	void *p;

	if (n <= u->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if (!(p = realloc(u->items, cap * sizeof(*u->items))))
		return REC_ENOMEM;
	u->items = p;
	if (!(p = realloc(u->values, cap * sizeof(*u->values))))
		return REC_ENOMEM;
	u->values = p;
	if (!(p = realloc(u->times, cap * sizeof(*u->times))))
		return REC_ENOMEM;
	u->times = p;
	u->cap = cap;
	return 0;
}

int rec_user_push(struct rec_user *u, uint32_t item, float value, int64_t time)
{
	if (reserve(u, u->n + 1) < 0)
		return REC_ENOMEM;
	u->items[u->n] = item;
	u->values[u->n] = value;
	u->times[u->n] = time;
	u->n++;
	return 0;
}

uint32_t rec_user_state_size(const struct rec_model *m)
{
	uint32_t width = 0;

	if (m->algo->user_rows)
		m->algo->user_rows(m, &width);
	else if (m->algo->state_size)
		width = m->algo->state_size(m);
	return width;
}

void rec_user_state_get(const struct rec_model *m, uint32_t user, float *state)
{
	uint32_t width;
	const float *rows;

	if (!m->algo->user_rows) {
		m->algo->user_state(m, user, state);
		return;
	}
	rows = m->algo->user_rows(m, &width);
	memcpy(state, rows + (size_t)user * width, width * sizeof(*state));
}

int rec_user_state_set(struct rec_model *m, uint32_t user, const float *state)
{
	uint32_t width;
	float *rows;

	if (!m->algo->user_rows) {
		if (!m->algo->set_user_state)
			return 0;
		m->algo->set_user_state(m, user, state);
		return 1;
	}
	rows = m->algo->user_rows(m, &width);
	memcpy(rows + (size_t)user * width, state, width * sizeof(*state));
	return 1;
}

int rec_user_start(const struct rec_model *m, uint32_t user, struct rec_user *u)
{
	const struct rec_dataset *d = &m->data;
	uint32_t size = rec_user_state_size(m);

	memset(u, 0, sizeof(*u));
	if (size && !(u->state = calloc(size, sizeof(*u->state))))
		return REC_ENOMEM;
	if (user >= d->nusers)
		return 0;
	if (reserve(u, (uint32_t)(d->rowptr[user + 1] - d->rowptr[user])) < 0) {
		rec_user_release(u);
		return REC_ENOMEM;
	}
	for (uint64_t e = d->rowptr[user]; e < d->rowptr[user + 1]; e++)
		rec_user_push(u, d->col[e], d->val[e], d->time[e]);
	if (size)
		rec_user_state_get(m, user, u->state);
	u->folded = u->n;
	return 0;
}

void rec_user_view(const struct rec_model *m, uint32_t user, struct rec_user *u)
{
	const struct rec_dataset *d = &m->data;
	uint64_t a = d->rowptr[user];

	memset(u, 0, sizeof(*u));
	u->n = u->cap = u->folded = (uint32_t)(d->rowptr[user + 1] - a);
	u->items = d->col + a;
	u->values = d->val + a;
	u->times = d->time + a;
}

float *rec_user_weights(const struct rec_model *m, const struct rec_user *u)
{
	float *w = malloc((u->n + 1) * sizeof(*w));
	int64_t newest = INT64_MIN;

	if (!w)
		return NULL;
	for (uint32_t e = 0; e < u->n; e++)
		if (u->times[e] > newest)
			newest = u->times[e];
	for (uint32_t e = 0; e < u->n; e++)
		w[e] = (float)rec_model_decay(m, m->now - (newest - u->times[e]));
	return w;
}

uint64_t rec_user_seed(const struct rec_user *u)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ u->n;

	for (uint32_t j = 0; j < u->n; j++)
		h = (h ^ u->items[j]) * 0x100000001b3ULL;
	return h;
}

int rec_user_fold(const struct rec_model *m, struct rec_user *u)
{
	struct rec_thread_counts threads;
	int rc = 0;

	if (u->folded == u->n)
		return 0;
	if (m->algo->fold_in) {
		rec_threads_one(&threads);
		rc = m->algo->fold_in(m, u);
		rec_threads_back(&threads);
		if (rc < 0)
			return rc;
	}
	u->folded = u->n;
	return 0;
}

void rec_user_score(const struct rec_model *m, const struct rec_user *u,
		    int include_seen, float *scores)
{
	struct rec_thread_counts threads;

	if (u->n == 0) {
		memcpy(scores, m->popularity, m->data.nitems * sizeof(*scores));
		return;
	}
	rec_threads_one(&threads);
	m->algo->score_user(m, u, scores);
	rec_threads_back(&threads);
	if (!include_seen)
		rec_scores_exclude(scores, m->data.nitems, u->items, u->n, NULL);
}

/* --- the users of a stream --- */

int rec_stream_init(struct rec_stream *s, struct rec_model *m)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	return 0;
}

void rec_stream_release(struct rec_stream *s)
{
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->user[i]) {
			rec_user_release(s->user[i]);
			free(s->user[i]);
		}
	free(s->user);
	memset(s, 0, sizeof(*s));
}

static int grow_table(struct rec_stream *s, uint32_t index)
{
	uint32_t cap = s->cap ? s->cap : 64;
	struct rec_user **p;

	if (index < s->cap)
		return 0;
	while (cap <= index)
		cap *= 2;
	if (!(p = realloc(s->user, cap * sizeof(*p))))
		return REC_ENOMEM;
	memset(p + s->cap, 0, (cap - s->cap) * sizeof(*p));
	s->user = p;
	s->cap = cap;
	return 0;
}

int rec_stream_user(struct rec_stream *s, const char *id, size_t len,
		    struct rec_user **u, struct rec_error *err)
{
	uint32_t index;
	int added;

	if (rec_dict_intern(s->m->data.users, id, len, &index, &added) < 0 ||
	    grow_table(s, index) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if (!s->user[index]) {
		if (!(s->user[index] = malloc(sizeof(**u))) ||
		    rec_user_start(s->m, index, s->user[index]) < 0) {
			free(s->user[index]);
			s->user[index] = NULL;
			return rec_error_set(err, REC_ENOMEM, "out of memory");
		}
	}
	*u = s->user[index];
	return 0;
}

int rec_stream_learn(struct rec_stream *s, struct rec_user *u, uint32_t item,
		     float value, int64_t time, struct rec_error *err)
{
	if (rec_user_push(u, item, value, time) < 0 || rec_user_fold(s->m, u) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	s->m->popularity[item] += (float)rec_model_decay(s->m, time);
	s->events++;
	return 0;
}

/* The events each touched user learned beyond the training data. */
static int new_events(const struct rec_stream *s, struct rec_events *ev)
{
	const struct rec_dataset *d = &s->m->data;

	for (uint32_t i = 0; i < s->cap; i++) {
		const struct rec_user *u = s->user[i];
		uint32_t first = i < d->nusers ? (uint32_t)(d->rowptr[i + 1] - d->rowptr[i]) : 0;

		for (uint32_t j = first; u && j < u->n; j++)
			if (rec_events_push(ev, i, u->items[j], u->values[j], u->times[j]) < 0)
				return REC_ENOMEM;
	}
	return 0;
}

int rec_stream_merge(struct rec_stream *s, struct rec_error *err)
{
	struct rec_model *m = s->m;
	struct rec_train_options opt = { .passes = 0 };
	struct rec_events ev;
	int rc;

	if (rec_events_init(&ev, m->data.users, m->data.items) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	ev.has_rating = m->data.has_rating;
	ev.has_time = m->data.has_time;
	if (new_events(s, &ev) < 0) {
		rec_events_release(&ev);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	if ((rc = rec_model_update(m, &ev, &opt, err)) < 0)
		return rc;
	for (uint32_t i = 0; i < s->cap && i < m->data.nusers; i++)
		if (s->user[i] && !rec_user_state_set(m, i, s->user[i]->state))
			break;
	return 0;
}
