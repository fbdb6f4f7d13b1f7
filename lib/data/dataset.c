/* dataset.c - the sparse user x item matrix: building it from events,
 * cleaning it, and its file (.recd) and text forms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evparts.h"
#include "internal.h"

#define META_LEN 24
#define HAS_RATING 1u
#define HAS_TIME 2u
#define PSEUDONYMOUS 4u

int rec_parse_dedup(const char *s, enum rec_dedup *out, struct rec_error *err)
{
	static const char *const names[] = { "last", "first", "sum", "mean", "max", "count" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum rec_dedup)i;
			return 0;
		}
	char q[REC_QUOTED];

	return rec_error_set(err, REC_EINVAL, "bad --dedup %s", rec_quoted(s, q));
}

void rec_dataset_release(struct rec_dataset *ds)
{
	rec_dict_free(ds->users);
	rec_dict_free(ds->items);
	free(ds->rowptr);
	free(ds->col);
	free(ds->val);
	free(ds->time);
	rec_features_free(ds->item_features);
	rec_features_free(ds->user_features);
	memset(ds, 0, sizeof(*ds));
}

static int dataset_alloc(struct rec_dataset *ds, uint32_t nusers, uint64_t nnz)
{
	ds->nusers = nusers;
	ds->nnz = nnz;
	ds->rowptr = rec_alloc_large_zero(((size_t)nusers + 1) * sizeof(*ds->rowptr));
	ds->col = rec_alloc_large(nnz * sizeof(*ds->col));
	ds->val = rec_alloc_large(nnz * sizeof(*ds->val));
	ds->time = rec_alloc_large(nnz * sizeof(*ds->time));
	return ds->rowptr && ds->col && ds->val && ds->time ? 0 : REC_ENOMEM;
}

/* One entry of a user's row while it is being cleaned. */
struct entry {
	uint32_t item;
	float val;
	int64_t time;
	uint64_t pos;		/* input order, the tie-break */
};

static int by_item_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_time(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Merge the run e[0..n) of one item (sorted by time) into one entry. */
static struct entry merge_run(const struct entry *e, size_t n, enum rec_dedup dedup)
{
	struct entry out = e[n - 1];
	double sum = 0, max = e[0].val;

	if (dedup == REC_DEDUP_FIRST)
		return e[0];
	for (size_t i = 0; i < n; i++) {
		sum += e[i].val;
		if (e[i].val > max)
			max = e[i].val;
	}
	switch (dedup) {
	case REC_DEDUP_SUM: out.val = (float)sum; break;
	case REC_DEDUP_MEAN: out.val = (float)(sum / (double)n); break;
	case REC_DEDUP_MAX: out.val = (float)max; break;
	case REC_DEDUP_COUNT: out.val = (float)n; break;
	default: break;
	}
	return out;
}

enum row_state { ROW_CLEAN, ROW_REPEATS, ROW_UNORDERED };

#define NO_ENTRY UINT32_MAX

/* Does the row need work: repeated items, or times out of order?  mark
 * is a per-item scratch array stamped with stamp in its high half, the
 * low half left at NO_ENTRY for merge_ordered. */
static enum row_state row_state(const uint32_t *item, const int64_t *time, size_t n,
				uint64_t *mark, uint64_t stamp)
{
	enum row_state state = ROW_CLEAN;

	for (size_t i = 0; i < n; i++) {
		if (i && time[i] < time[i - 1])
			return ROW_UNORDERED;
		if (mark[item[i]] >> 32 == stamp)
			state = ROW_REPEATS;
		mark[item[i]] = stamp << 32 | NO_ENTRY;
	}
	return state;
}

/* Merge the repeats of a row in time order in one pass, for the rules
 * whose result needs no sum: each item's entry takes the place in time
 * order that merge_run gives it, its first event's for REC_DEDUP_FIRST,
 * else its last's.  mark[item], as row_state left it, gets the item's
 * entry in its low half; pos counts the item's events.  Rows must be
 * shorter than NO_ENTRY. */
static size_t merge_ordered(struct entry *e, size_t n, enum rec_dedup dedup,
			    uint64_t *mark, uint64_t stamp)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t *at = &mark[e[i].item];
		struct entry *kept = &e[*at & UINT32_MAX];

		if ((*at & UINT32_MAX) == NO_ENTRY) {
			*at = stamp << 32 | i;
			e[i].pos = 1;
			continue;
		}
		if (dedup == REC_DEDUP_FIRST) {
			e[i].item = UINT32_MAX;
			continue;
		}
		e[i].pos = kept->pos + 1;
		if (dedup == REC_DEDUP_MAX && kept->val > e[i].val)
			e[i].val = kept->val;
		else if (dedup == REC_DEDUP_COUNT)
			e[i].val = (float)e[i].pos;
		kept->item = UINT32_MAX;
		*at = stamp << 32 | i;
	}
	for (size_t i = 0; i < n; i++)
		if (e[i].item != UINT32_MAX)
			e[out++] = e[i];
	return out;
}

/* Clean one row in place, in the state row_state found it: merge
 * duplicates, order by time.  Returns the new length. */
static size_t clean_row(struct entry *e, size_t n, enum rec_dedup dedup,
			enum row_state state, uint64_t *mark, uint64_t stamp)
{
	size_t out = 0;

	if (dedup == REC_DEDUP_COUNT)
		for (size_t i = 0; i < n; i++)
			e[i].val = 1;
	if (state == ROW_REPEATS && dedup != REC_DEDUP_SUM && dedup != REC_DEDUP_MEAN &&
	    n < NO_ENTRY)
		return merge_ordered(e, n, dedup, mark, stamp);
	qsort(e, n, sizeof(*e), by_item_time);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && e[j].item == e[i].item)
			j++;
		e[out++] = merge_run(e + i, j - i, dedup);
		i = j;
	}
	qsort(e, out, sizeof(*e), by_time);
	return out;
}

static uint32_t *intern_all(const struct rec_dict *from, struct rec_dict *to);

/* Where one part's events go: the dataset's indices of its IDs (NULL for
 * the first part, whose dictionaries the dataset takes), what to add to
 * its times where they count rows, and, per user, the next entry of the
 * user's row that its events fill. */
struct part_map {
	uint32_t *user;
	uint32_t *item;
	int64_t time_offset;
	uint64_t *next;
};

static int map_parts(struct rec_dataset *ds, const struct rec_events *part, int nparts,
		     struct part_map *map)
{
	int64_t rows = 0;

	for (int p = 0; p < nparts; p++) {
		if (p > 0 && (!(map[p].user = intern_all(part[p].users, ds->users)) ||
			      !(map[p].item = intern_all(part[p].items, ds->items))))
			return REC_ENOMEM;
		map[p].time_offset = part[p].has_time ? 0 : rows;
		rows += (int64_t)part[p].n;
	}
	return 0;
}

static uint32_t map_id(const uint32_t *map, uint32_t id)
{
	return map ? map[id] : id;
}

/* Count each user's events per part; then each part's events of a user
 * follow the earlier parts' in the user's row. */
static void place_rows(struct rec_dataset *ds, const struct rec_events *part, int nparts,
		       struct part_map *map)
{
	uint64_t at = 0;

	#pragma omp parallel for schedule(static, 1)
	for (int p = 0; p < nparts; p++)
		for (size_t e = 0; e < part[p].n; e++)
			map[p].next[map_id(map[p].user, part[p].user[e])]++;
	for (uint32_t u = 0; u < ds->nusers; u++) {
		ds->rowptr[u] = at;
		for (int p = 0; p < nparts; p++) {
			uint64_t n = map[p].next[u];

			map[p].next[u] = at;
			at += n;
		}
	}
	ds->rowptr[ds->nusers] = at;
}

/* Scatter the events into rows by user, keeping input order in a row,
 * one array at a time: items, then values, then times.  Fresh memory
 * costs most of the time here, and each array the parts no longer need
 * goes back to the kernel, to be handed out again for the next: only the
 * items need fresh pages.  The passes go forwards, backwards and
 * forwards, so that the row positions count up, back down to where they
 * started, and up again. */
static int scatter(struct rec_dataset *ds, struct rec_events *part, int nparts,
		   struct part_map *map)
{
	uint64_t nnz = 0;

	for (int p = 0; p < nparts; p++)
		nnz += part[p].n;
	if (dataset_alloc(ds, rec_dict_size(ds->users), nnz) < 0)
		return REC_ENOMEM;
	for (int p = 0; p < nparts; p++)
		if (!(map[p].next = calloc((size_t)ds->nusers + 1, sizeof(*map[p].next))))
			return REC_ENOMEM;
	place_rows(ds, part, nparts, map);
	#pragma omp parallel for schedule(static, 1)
	for (int p = 0; p < nparts; p++) {
		struct rec_events *ev = &part[p];
		struct part_map *m = &map[p];

		for (size_t e = 0; e < ev->n; e++)
			ds->col[m->next[map_id(m->user, ev->user[e])]++] = map_id(m->item,
										ev->item[e]);
		free(ev->item);
		ev->item = NULL;
		for (size_t e = ev->n; e-- > 0;)
			ds->val[--m->next[map_id(m->user, ev->user[e])]] = ev->rating[e];
		free(ev->rating);
		ev->rating = NULL;
		for (size_t e = 0; e < ev->n; e++)
			ds->time[m->next[map_id(m->user, ev->user[e])]++] = ev->time[e] +
									m->time_offset;
		free(ev->time);
		ev->time = NULL;
	}
	return 0;
}

static uint64_t max_row(const struct rec_dataset *ds)
{
	uint64_t m = 0;

	for (uint32_t u = 0; u < ds->nusers; u++)
		if (ds->rowptr[u + 1] - ds->rowptr[u] > m)
			m = ds->rowptr[u + 1] - ds->rowptr[u];
	return m;
}

/* Compact rows whose lengths shrank to len[u]; rows start where they were. */
static void compact_rows(struct rec_dataset *ds, const uint64_t *len)
{
	uint64_t w = 0;

	for (uint32_t u = 0; u < ds->nusers; u++) {
		uint64_t start = ds->rowptr[u];

		memmove(ds->col + w, ds->col + start, len[u] * sizeof(*ds->col));
		memmove(ds->val + w, ds->val + start, len[u] * sizeof(*ds->val));
		memmove(ds->time + w, ds->time + start, len[u] * sizeof(*ds->time));
		ds->rowptr[u] = w;
		w += len[u];
	}
	ds->rowptr[ds->nusers] = w;
	ds->nnz = w;
}

static int clean_rows(struct rec_dataset *ds, enum rec_dedup dedup)
{
	uint64_t widest = max_row(ds);
	uint64_t *len = malloc(((size_t)ds->nusers + 1) * sizeof(*len));
	int rc = 0;

	if (!len)
		return REC_ENOMEM;
	#pragma omp parallel reduction(min:rc)
	{
		struct entry *e = malloc((widest ? widest : 1) * sizeof(*e));
		uint64_t *mark = calloc(ds->nitems ? ds->nitems : 1, sizeof(*mark));

		if (!e || !mark)
			rc = REC_ENOMEM;
		#pragma omp for schedule(dynamic, 256)
		for (uint32_t u = 0; u < ds->nusers; u++) {
			uint64_t a = ds->rowptr[u], n = ds->rowptr[u + 1] - a;
			enum row_state state;

			len[u] = n;
			if (!e || !mark)
				continue;
			/* most rows are clean: they stay where they are */
			state = row_state(ds->col + a, ds->time + a, n, mark, (uint64_t)u + 1);
			if (state == ROW_CLEAN) {
				for (uint64_t i = 0; dedup == REC_DEDUP_COUNT && i < n; i++)
					ds->val[a + i] = 1;
				continue;
			}
			for (uint64_t i = 0; i < n; i++)
				e[i] = (struct entry){ ds->col[a + i], ds->val[a + i],
						       ds->time[a + i], i };
			len[u] = clean_row(e, n, dedup, state, mark, (uint64_t)u + 1);
			for (uint64_t i = 0; i < len[u]; i++) {
				ds->col[a + i] = e[i].item;
				ds->val[a + i] = e[i].val;
				ds->time[a + i] = e[i].time;
			}
		}
		free(e);
		free(mark);
	}
	if (rc == 0)
		compact_rows(ds, len);
	free(len);
	return rc;
}

/* Counting turns events into values even where there were no ratings. */
static int has_values(int rated, enum rec_dedup dedup)
{
	return rated || dedup == REC_DEDUP_COUNT || dedup == REC_DEDUP_SUM;
}

/* The dataset of the parts' events taken in order, as
 * rec_dataset_from_events would make of them appended to one another;
 * releases the parts. */
static int from_parts(struct rec_dataset *ds, struct rec_events *part, int nparts,
		      enum rec_dedup dedup, struct rec_error *err)
{
	struct part_map *map = calloc((size_t)nparts, sizeof(*map));
	int rc = map ? 0 : REC_ENOMEM;

	memset(ds, 0, sizeof(*ds));
	ds->users = rec_dict_ref(part[0].users);
	ds->items = rec_dict_ref(part[0].items);
	for (int p = 0; p < nparts; p++) {
		ds->has_rating |= has_values(part[p].has_rating, dedup);
		ds->has_time |= part[p].has_time;
	}
	if (rc == 0)
		rc = map_parts(ds, part, nparts, map);
	ds->nitems = rec_dict_size(ds->items);
	if (rc == 0)
		rc = scatter(ds, part, nparts, map);
	for (int p = 0; p < nparts; p++) {
		rec_events_release(&part[p]);
		if (map) {
			free(map[p].user);
			free(map[p].item);
			free(map[p].next);
		}
	}
	free(map);
	if (rc == 0)
		rc = clean_rows(ds, dedup);
	if (rc < 0) {
		rec_dataset_release(ds);
		return rec_error_set(err, rc, "out of memory");
	}
	return 0;
}

int rec_dataset_from_events(struct rec_dataset *ds, struct rec_events *ev,
			    enum rec_dedup dedup, struct rec_error *err)
{
	return from_parts(ds, ev, 1, dedup, err);
}

/* Grow ds's arrays to nusers rows and nnz entries, keeping what they
 * hold. */
static int grow_arrays(struct rec_dataset *ds, uint32_t nusers, uint64_t nnz)
{
	void *p;

	if (!(p = rec_realloc_large(ds->rowptr, ((size_t)ds->nusers + 1) * sizeof(*ds->rowptr),
				    ((size_t)nusers + 1) * sizeof(*ds->rowptr))))
		return REC_ENOMEM;
	ds->rowptr = p;
	if (!(p = rec_realloc_large(ds->col, ds->nnz * sizeof(*ds->col), nnz * sizeof(*ds->col))))
		return REC_ENOMEM;
	ds->col = p;
	if (!(p = rec_realloc_large(ds->val, ds->nnz * sizeof(*ds->val), nnz * sizeof(*ds->val))))
		return REC_ENOMEM;
	ds->val = p;
	if (!(p = rec_realloc_large(ds->time, ds->nnz * sizeof(*ds->time),
				    nnz * sizeof(*ds->time))))
		return REC_ENOMEM;
	ds->time = p;
	return 0;
}

/* Move each of the first old rows of ds to make room after it for its
 * user's new events, from the last row back so that no row is written
 * over before it has moved, and set the row pointers of all nusers rows
 * for nnz entries.  next[u] comes in holding the count of user u's new
 * events and leaves holding where the first goes. */
static void spread_rows(struct rec_dataset *ds, uint32_t old, uint32_t nusers, uint64_t nnz,
			uint64_t *next)
{
	uint64_t end = nnz, old_end = ds->rowptr[old];

	for (uint32_t u = nusers; u-- > 0;) {
		uint64_t from = u < old ? ds->rowptr[u] : old_end, len = old_end - from;
		uint64_t at = end - next[u] - len;

		memmove(ds->col + at, ds->col + from, len * sizeof(*ds->col));
		memmove(ds->val + at, ds->val + from, len * sizeof(*ds->val));
		memmove(ds->time + at, ds->time + from, len * sizeof(*ds->time));
		ds->rowptr[u + 1] = end;
		next[u] = at + len;
		end = at;
		old_end = from;
	}
	ds->rowptr[0] = 0;
}

int rec_dataset_append(struct rec_dataset *ds, struct rec_events *ev, enum rec_dedup dedup,
		       struct rec_error *err)
{
	uint32_t nusers = rec_dict_size(ev->users);
	uint64_t nnz = ds->nnz + ev->n;
	uint64_t *next = calloc((size_t)nusers + 1, sizeof(*next));
	int rc = REC_ENOMEM;

	if (next && grow_arrays(ds, nusers, nnz) == 0) {
		for (size_t e = 0; e < ev->n; e++)
			next[ev->user[e]]++;
		spread_rows(ds, ds->nusers, nusers, nnz, next);
		for (size_t e = 0; e < ev->n; e++) {
			uint64_t at = next[ev->user[e]]++;

			ds->col[at] = ev->item[e];
			ds->val[at] = ev->rating[e];
			ds->time[at] = ev->time[e];
		}
		rec_dict_free(ds->users);
		rec_dict_free(ds->items);
		ds->users = rec_dict_ref(ev->users);
		ds->items = rec_dict_ref(ev->items);
		ds->nusers = nusers;
		ds->nitems = rec_dict_size(ds->items);
		ds->nnz = nnz;
		ds->has_rating = has_values(ds->has_rating || ev->has_rating, dedup);
		ds->has_time = ds->has_time || ev->has_time;
		rc = clean_rows(ds, dedup);
	}
	free(next);
	rec_events_release(ev);
	if (rc < 0) {
		rec_dataset_release(ds);
		return rec_error_set(err, rc, "out of memory");
	}
	return 0;
}

/* rec_events_read and rec_dataset_from_events of one file, in parts
 * where the file allows. */
static int from_csv(struct rec_dataset *ds, const char *path,
		    const struct rec_csv_options *opt, enum rec_dedup dedup,
		    uint64_t *skipped, struct rec_error *err)
{
	struct rec_events *part, ev;
	int rc = rec_events_read_parts(path, opt, &part, skipped, err);

	if (rc > 0) {
		rc = from_parts(ds, part, rc, dedup, err);
		free(part);
		return rc;
	}
	if (rc < 0)
		return rc;
	if (rec_events_init(&ev, NULL, NULL) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if ((rc = rec_events_read_general(&ev, path, opt, err)) < 0) {
		rec_events_release(&ev);
		return rc;
	}
	if (skipped)
		*skipped += ev.skipped;
	return rec_dataset_from_events(ds, &ev, dedup, err);
}

void rec_dataset_filter(struct rec_dataset *ds, const uint8_t *mask, uint8_t want)
{
	uint64_t w = 0;

	for (uint32_t u = 0; u < ds->nusers; u++) {
		uint64_t a = ds->rowptr[u], b = ds->rowptr[u + 1];

		ds->rowptr[u] = w;
		for (uint64_t e = a; e < b; e++) {
			if (mask[e] != want)
				continue;
			ds->col[w] = ds->col[e];
			ds->val[w] = ds->val[e];
			ds->time[w] = ds->time[e];
			w++;
		}
	}
	ds->rowptr[ds->nusers] = w;
	ds->nnz = w;
}

void rec_dataset_binarize(struct rec_dataset *ds, double threshold)
{
	uint64_t w = 0;

	for (uint32_t u = 0; u < ds->nusers; u++) {
		uint64_t a = ds->rowptr[u], b = ds->rowptr[u + 1];

		ds->rowptr[u] = w;
		for (uint64_t e = a; e < b; e++) {
			if (ds->val[e] < threshold)
				continue;
			ds->col[w] = ds->col[e];
			ds->val[w] = 1;
			ds->time[w] = ds->time[e];
			w++;
		}
	}
	ds->rowptr[ds->nusers] = w;
	ds->nnz = w;
}

/* One k-core round: count, and mark entries of users and items that are
 * too thin.  Returns how many entries it dropped. */
static uint64_t kcore_round(const struct rec_dataset *ds, uint8_t *keep,
			    uint64_t *icount, uint32_t min_user, uint32_t min_item)
{
	uint64_t dropped = 0;

	memset(icount, 0, ds->nitems * sizeof(*icount));
	for (uint64_t e = 0; e < ds->nnz; e++)
		icount[ds->col[e]] += keep[e];
	for (uint32_t u = 0; u < ds->nusers; u++) {
		uint64_t a = ds->rowptr[u], b = ds->rowptr[u + 1], n = 0;

		for (uint64_t e = a; e < b; e++)
			n += keep[e];
		for (uint64_t e = a; e < b; e++)
			if (keep[e] && (n < min_user || icount[ds->col[e]] < min_item)) {
				keep[e] = 0;
				dropped++;
			}
	}
	return dropped;
}

/* Renumber users and items so that only those with entries remain. */
static int renumber(struct rec_dataset *ds)
{
	uint8_t *ukeep = calloc((size_t)ds->nusers + 1, 1);
	uint8_t *ikeep = calloc((size_t)ds->nitems + 1, 1);
	uint32_t *umap = malloc(((size_t)ds->nusers + 1) * sizeof(*umap));
	uint32_t *imap = malloc(((size_t)ds->nitems + 1) * sizeof(*imap));
	struct rec_dict *users = NULL, *items = NULL;
	int rc = REC_ENOMEM;

	if (!ukeep || !ikeep || !umap || !imap)
		goto out;
	for (uint32_t u = 0; u < ds->nusers; u++)
		ukeep[u] = ds->rowptr[u + 1] > ds->rowptr[u];
	for (uint64_t e = 0; e < ds->nnz; e++)
		ikeep[ds->col[e]] = 1;
	users = rec_dict_subset(ds->users, ukeep, umap);
	items = rec_dict_subset(ds->items, ikeep, imap);
	if (!users || !items)
		goto out;
	for (uint64_t e = 0; e < ds->nnz; e++)
		ds->col[e] = imap[ds->col[e]];
	for (uint32_t u = 0, w = 0; u < ds->nusers; u++)
		if (ukeep[u])
			ds->rowptr[++w] = ds->rowptr[u + 1];
	ds->nusers = rec_dict_size(users);
	ds->nitems = rec_dict_size(items);
	rec_dict_free(ds->users);
	rec_dict_free(ds->items);
	ds->users = users;
	ds->items = items;
	users = items = NULL;
	rc = 0;
out:
	rec_dict_free(users);
	rec_dict_free(items);
	free(ukeep);
	free(ikeep);
	free(umap);
	free(imap);
	return rc;
}

int rec_dataset_kcore(struct rec_dataset *ds, uint32_t min_user,
		      uint32_t min_item, struct rec_error *err)
{
	uint8_t *keep = malloc(ds->nnz ? ds->nnz : 1);
	uint64_t *icount = malloc((ds->nitems ? ds->nitems : 1) * sizeof(*icount));
	int rc = 0;

	if (!keep || !icount) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	memset(keep, 1, ds->nnz);
	while (kcore_round(ds, keep, icount, min_user, min_item) > 0)
		;
	rec_dataset_filter(ds, keep, 1);
	if (renumber(ds) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
out:
	free(keep);
	free(icount);
	return rc;
}

int rec_dataset_select(struct rec_dataset *dst, const struct rec_dataset *src,
		       const uint8_t *mask, uint8_t want, struct rec_error *err)
{
	uint64_t n = 0, w = 0;

	memset(dst, 0, sizeof(*dst));
	for (uint64_t e = 0; e < src->nnz; e++)
		n += mask[e] == want;
	dst->users = rec_dict_ref(src->users);
	dst->items = rec_dict_ref(src->items);
	dst->nitems = src->nitems;
	dst->has_rating = src->has_rating;
	dst->has_time = src->has_time;
	dst->pseudonymous = src->pseudonymous;
	dst->item_features = rec_features_ref(src->item_features);
	dst->user_features = rec_features_ref(src->user_features);
	if (dataset_alloc(dst, src->nusers, n) < 0) {
		rec_dataset_release(dst);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	for (uint32_t u = 0; u < src->nusers; u++) {
		dst->rowptr[u] = w;
		for (uint64_t e = src->rowptr[u]; e < src->rowptr[u + 1]; e++) {
			if (mask[e] != want)
				continue;
			dst->col[w] = src->col[e];
			dst->val[w] = src->val[e];
			dst->time[w] = src->time[e];
			w++;
		}
	}
	dst->rowptr[src->nusers] = w;
	return 0;
}

/* --- the .recd file --- */

enum { SEC_META, SEC_USER, SEC_ITEM, SEC_ROWS, SEC_COLS, SEC_VALS, SEC_TIME, NSEC };
static const char sec_tags[NSEC][4] = {
	{ 'M', 'E', 'T', 'A' }, { 'U', 'S', 'E', 'R' }, { 'I', 'T', 'E', 'M' },
	{ 'R', 'O', 'W', 'S' }, { 'C', 'O', 'L', 'S' }, { 'V', 'A', 'L', 'S' },
	{ 'T', 'I', 'M', 'E' },
};

unsigned rec_dataset_sections(const struct rec_dataset *ds, struct rec_section *sec)
{
	uint64_t len[NSEC] = {
		META_LEN, rec_dict_section_length(ds->users),
		rec_dict_section_length(ds->items), ((uint64_t)ds->nusers + 1) * 8,
		ds->nnz * 4, ds->nnz * 4, ds->nnz * 8,
	};

	for (int i = 0; i < NSEC; i++) {
		memcpy(sec[i].tag, sec_tags[i], 4);
		sec[i].flags = REC_SECTION_REQUIRED;
		sec[i].length = len[i];
	}
	return NSEC + rec_features_sections(ds, sec + NSEC);
}

int rec_dataset_write_sections(struct rec_writer *w, const struct rec_dataset *ds)
{
	/* nnz is a u64 written as two u32 halves, low first: little-endian. */
	uint32_t meta[6] = { ds->nusers, ds->nitems, (uint32_t)ds->nnz,
			     (uint32_t)(ds->nnz >> 32),
			     (ds->has_rating ? HAS_RATING : 0) | (ds->has_time ? HAS_TIME : 0) |
			     (ds->pseudonymous ? PSEUDONYMOUS : 0), 0 };

	if (rec_writer_u32(w, meta, 6) < 0 ||
	    rec_writer_dict(w, ds->users) < 0 ||
	    rec_writer_dict(w, ds->items) < 0 ||
	    rec_writer_u64(w, ds->rowptr, (size_t)ds->nusers + 1) < 0 ||
	    rec_writer_u32(w, ds->col, ds->nnz) < 0 ||
	    rec_writer_f32(w, ds->val, ds->nnz) < 0 ||
	    rec_writer_i64(w, ds->time, ds->nnz) < 0 ||
	    rec_features_write_sections(w, ds) < 0)
		return REC_EIO;
	return 0;
}

int rec_dataset_write(const struct rec_dataset *ds, const char *path,
		      struct rec_error *err)
{
	struct rec_section sec[REC_DATASET_SECTIONS];
	struct rec_writer *w;
	unsigned ns = rec_dataset_sections(ds, sec);
	int rc;

	rc = rec_writer_open(&w, path, REC_DATASET_MAGIC, REC_DATASET_MAJOR,
			     REC_DATASET_MINOR, sec, ns, err);
	if (rc < 0)
		return rc;
	if (rec_dataset_write_sections(w, ds) < 0) {
		rec_writer_abort(w);
		rec_error_set(err, REC_EIO, "write failed");
		rec_error_at(err, path, 0, 0);
		return REC_EIO;
	}
	return rec_writer_commit(w, err);
}

static int find_tag(const char tag[4])
{
	for (int i = 0; i < NSEC; i++)
		if (memcmp(tag, sec_tags[i], 4) == 0)
			return i;
	return -1;
}

/* The counts, checked against the file's claimed length to refuse a bad
 * file early; the arrays are allocated only as their bytes arrive. */
static int read_meta(struct rec_reader *r, struct rec_dataset *ds)
{
	uint32_t meta[6];
	int rc = rec_reader_u32(r, meta, 6);
	uint64_t nnz, room = rec_reader_length(r);

	if (rc < 0)
		return rc;
	nnz = meta[2] | (uint64_t)meta[3] << 32;
	if (nnz > room / 16 || ((uint64_t)meta[0] + 1) * 8 + nnz * 16 > room)
		return rec_reader_fail(r, REC_EFORMAT, "more entries than the file holds");
	ds->has_rating = !!(meta[4] & HAS_RATING);
	ds->has_time = !!(meta[4] & HAS_TIME);
	ds->pseudonymous = !!(meta[4] & PSEUDONYMOUS);
	ds->nusers = meta[0];
	ds->nitems = meta[1];
	ds->nnz = nnz;
	return 0;
}

static int check_unread(struct rec_reader *r, const struct rec_dataset *ds, int which);

static int read_body(struct rec_reader *r, struct rec_dataset *ds, int which, unsigned seen)
{
	static const enum rec_type type[NSEC] = {
		[SEC_ROWS] = REC_U64, [SEC_COLS] = REC_U32, [SEC_VALS] = REC_F32,
		[SEC_TIME] = REC_I64,
	};
	void *p = NULL;
	int rc;

	switch (which) {
	case SEC_META: return read_meta(r, ds);
	case SEC_USER: return rec_reader_dict(r, ds->nusers, &ds->users);
	case SEC_ITEM: return rec_reader_dict(r, ds->nitems, &ds->items);
	}
	if (seen & REC_DATASET_NO_ENTRIES)
		return 0;
	if ((seen & REC_DATASET_UNREAD) && (seen & 1u << SEC_ROWS) &&
	    (which == SEC_VALS || which == SEC_TIME))
		return check_unread(r, ds, which);
	rc = rec_reader_array(r, type[which], which == SEC_ROWS ? (size_t)ds->nusers + 1 :
			      (size_t)ds->nnz, &p);
	switch (which) {
	case SEC_ROWS: ds->rowptr = p; break;
	case SEC_COLS: ds->col = p; break;
	case SEC_VALS: ds->val = p; break;
	default: ds->time = p; break;
	}
	return rc;
}

int rec_dataset_read_section(struct rec_reader *r, const struct rec_section *s,
			     struct rec_dataset *ds, unsigned *seen)
{
	int which = find_tag(s->tag);
	uint64_t want[NSEC] = { META_LEN, s->length, s->length,
				((uint64_t)ds->nusers + 1) * 8, ds->nnz * 4,
				ds->nnz * 4, ds->nnz * 8 };
	char text[96];
	int rc;

	if (which < 0)
		return rec_features_read_section(r, s, ds);
	if ((*seen & 1u << which) || (which != SEC_META && !(*seen & 1u << SEC_META)) ||
	    s->length != want[which]) {
		snprintf(text, sizeof(text),
			 "section '%.4s' is repeated, out of order or of the wrong length", s->tag);
		rec_reader_fail(r, REC_EFORMAT, text);
		return REC_EFORMAT;
	}
	*seen |= 1u << which;
	rc = read_body(r, ds, which, *seen);
	if (rc == REC_ENOMEM)
		rec_reader_fail(r, REC_ENOMEM, "out of memory");
	return rc < 0 ? rc : 1;
}

/* Row pointers from 0 to nnz, never going back. */
static int check_rows(const struct rec_dataset *ds, struct rec_error *err)
{
	if (ds->rowptr[0] != 0 || ds->rowptr[ds->nusers] != ds->nnz)
		return rec_error_set(err, REC_EFORMAT, "section 'ROWS': row pointers run "
				     "from %llu to %llu, not from 0 to the %llu entries",
				     (unsigned long long)ds->rowptr[0],
				     (unsigned long long)ds->rowptr[ds->nusers],
				     (unsigned long long)ds->nnz);
	for (uint32_t u = 0; u < ds->nusers; u++)
		if (ds->rowptr[u + 1] < ds->rowptr[u])
			return rec_error_set(err, REC_EFORMAT, "section 'ROWS': row "
					     "pointers go backwards at user %u", u);
	return 0;
}

/* User u's ID in quotes, for a message: never quoted where all is well,
 * for it costs more than the checks. */
static const char *user_quoted(const struct rec_dataset *ds, uint32_t u, char q[REC_QUOTED])
{
	return rec_quoted(rec_dict_name(ds->users, u, NULL), q);
}

static int check_value(const struct rec_dataset *ds, uint32_t u, float v,
		       struct rec_error *err)
{
	char qu[REC_QUOTED];

	if (isfinite(v))
		return 0;
	return rec_error_set(err, REC_EFORMAT, "section 'VALS': value '%g' of user %s "
			     "is not finite", v, user_quoted(ds, u, qu));
}

/* Entry e's time t in range, and not before the entry before it in user
 * u's row, whose time is prev. */
static int check_time(const struct rec_dataset *ds, uint32_t u, uint64_t e, int64_t t,
		      int64_t prev, struct rec_error *err)
{
	char qu[REC_QUOTED];

	if (t < REC_TIME_MIN || t > REC_TIME_MAX)
		return rec_error_set(err, REC_EFORMAT, "section 'TIME': time %lld of "
				     "user %s is outside the years 0001 to 9999",
				     (long long)t, user_quoted(ds, u, qu));
	if (e > ds->rowptr[u] && t < prev)
		return rec_error_set(err, REC_EFORMAT, "section 'TIME': the events "
				     "of user %s are not in time order", user_quoted(ds, u, qu));
	return 0;
}

/* What the writers guarantee of user u's entries: items in range and
 * each once (stamp[i] == u + 1 marks item i seen in this row), finite
 * values, times in range and in order; values and times that loading
 * left out were checked as they went by. */
static int check_row(const struct rec_dataset *ds, uint32_t u, uint32_t *stamp,
		     struct rec_error *err)
{
	char qu[REC_QUOTED], qi[REC_QUOTED];

	for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++) {
		uint32_t i = ds->col[e];

		if (i >= ds->nitems)
			return rec_error_set(err, REC_EFORMAT, "section 'COLS': item index "
					     "%u out of range (items %u)", i, ds->nitems);
		if (stamp[i] == u + 1)
			return rec_error_set(err, REC_EFORMAT, "section 'COLS': user %s "
					     "has item %s twice", user_quoted(ds, u, qu),
					     rec_quoted(rec_dict_name(ds->items, i, NULL), qi));
		stamp[i] = u + 1;
		if (ds->val && check_value(ds, u, ds->val[e], err) < 0)
			return REC_EFORMAT;
		if (ds->time && check_time(ds, u, e, ds->time[e],
					   e > ds->rowptr[u] ? ds->time[e - 1] : 0, err) < 0)
			return REC_EFORMAT;
	}
	return 0;
}

#define UNREAD_CHUNK 4096

/* Entries [e0, e0 + n) of the values v, user *u's the first: the first
 * that is not finite, if any, names its user in err. */
static int check_values(const struct rec_dataset *ds, uint64_t e0, const float *v,
			size_t n, uint32_t *u, struct rec_error *err)
{
	float zero = 0;

	#pragma omp simd reduction(+:zero)
	for (size_t j = 0; j < n; j++)
		zero += v[j] * 0;
	for (size_t j = 0; zero != 0 && j < n; j++) {
		while (ds->rowptr[*u + 1] <= e0 + j)
			(*u)++;
		if (check_value(ds, *u, v[j], err) < 0)
			return REC_EFORMAT;
	}
	return 0;
}

/* Entries [e0, e0 + n) of the times t, user *u's the first, after the
 * time *prev, row by row. */
static int check_times(const struct rec_dataset *ds, uint64_t e0, const int64_t *t,
		       size_t n, uint32_t *u, int64_t *prev, struct rec_error *err)
{
	for (uint64_t e = e0, end = e0 + n; e < end;) {
		uint64_t stop;

		while (ds->rowptr[*u + 1] <= e)
			(*u)++;
		stop = ds->rowptr[*u + 1] < end ? ds->rowptr[*u + 1] : end;
		for (; e < stop; e++) {
			int64_t x = t[e - e0];

			if ((x < REC_TIME_MIN || x > REC_TIME_MAX || x < *prev) &&
			    check_time(ds, *u, e, x, *prev, err) < 0)
				return REC_EFORMAT;
			*prev = x;
		}
	}
	return 0;
}

/* VALS or TIME checked as rec_dataset_check would, a chunk at a time as
 * the bytes go by, and not kept; the row pointers, read before, are
 * checked first, since they say whose entry each one is. */
static int check_unread(struct rec_reader *r, const struct rec_dataset *ds, int which)
{
	union { float v[UNREAD_CHUNK]; int64_t t[UNREAD_CHUNK]; } buf;
	struct rec_error err;
	int64_t prev = 0;
	uint32_t u = 0;

	if (check_rows(ds, &err) < 0)
		return rec_reader_fail(r, REC_EFORMAT, err.msg);
	for (uint64_t e0 = 0; e0 < ds->nnz; e0 += UNREAD_CHUNK) {
		size_t n = ds->nnz - e0 < UNREAD_CHUNK ? (size_t)(ds->nnz - e0) : UNREAD_CHUNK;
		int rc = which == SEC_VALS ? rec_reader_f32(r, buf.v, n) :
			 rec_reader_i64(r, buf.t, n);

		if (rc < 0)
			return rc;
		rc = which == SEC_VALS ? check_values(ds, e0, buf.v, n, &u, &err) :
		     check_times(ds, e0, buf.t, n, &u, &prev, &err);
		if (rc < 0)
			return rec_reader_fail(r, REC_EFORMAT, err.msg);
	}
	return 0;
}

int rec_dataset_check(const struct rec_dataset *ds, unsigned seen, struct rec_error *err)
{
	uint32_t *stamp;
	int rc = 0;

	for (int i = 0; i < NSEC; i++)
		if (!(seen & 1u << i))
			return rec_error_set(err, REC_EFORMAT, "section '%.4s' is missing",
					     sec_tags[i]);
	if (seen & REC_DATASET_NO_ENTRIES)
		return rec_features_check(ds, err);
	if ((rc = check_rows(ds, err)) < 0)
		return rc;
	if (!(stamp = calloc((size_t)ds->nitems + 1, sizeof(*stamp))))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	for (uint32_t u = 0; u < ds->nusers && rc == 0; u++)
		rc = check_row(ds, u, stamp, err);
	free(stamp);
	return rc < 0 ? rc : rec_features_check(ds, err);
}

int rec_dataset_read(struct rec_dataset *ds, const char *path, struct rec_error *err)
{
	struct rec_reader *r;
	const struct rec_section *s;
	unsigned seen = 0;
	int rc;

	memset(ds, 0, sizeof(*ds));
	if ((rc = rec_reader_open(&r, path, REC_DATASET_MAGIC, REC_DATASET_MAJOR,
				  NULL, err)) < 0)
		return rc;
	while ((rc = rec_reader_next(r, &s)) > 0) {
		rc = rec_dataset_read_section(r, s, ds, &seen);
		if (rc == 0)
			rc = rec_reader_skip(r);
		if (rc < 0)
			break;
	}
	if ((rc = rec_reader_close(r, err)) == 0 && (rc = rec_dataset_check(ds, seen, err)) < 0)
		rec_error_at(err, path, 0, 0);
	if (rc < 0)
		rec_dataset_release(ds);
	return rc;
}

int rec_dataset_load(struct rec_dataset *ds, const char *path,
		     const struct rec_csv_options *opt, enum rec_dedup dedup,
		     uint64_t *skipped, struct rec_error *err)
{
	int rc = rec_file_has_magic(path, REC_DATASET_MAGIC, err);

	if (rc < 0)
		return rc;
	if (rc == 1)
		return rec_dataset_read(ds, path, err);
	return from_csv(ds, path, opt, dedup, skipped, err);
}

/* --- text forms --- */

static void put_id(FILE *fp, const struct rec_dict *d, uint32_t i)
{
	size_t len;
	const char *s = rec_dict_name(d, i, &len);

	rec_csv_field(fp, s, len);
}

int rec_dataset_write_long(const struct rec_dataset *ds, FILE *fp)
{
	fprintf(fp, "user,item%s%s\n", ds->has_rating ? ",rating" : "",
		ds->has_time ? ",timestamp" : "");
	for (uint32_t u = 0; u < ds->nusers; u++)
		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++) {
			put_id(fp, ds->users, u);
			putc(',', fp);
			put_id(fp, ds->items, ds->col[e]);
			if (ds->has_rating)
				fprintf(fp, ",%.9g", ds->val[e]);
			if (ds->has_time)
				fprintf(fp, ",%lld", (long long)ds->time[e]);
			putc('\n', fp);
		}
	return ferror(fp) ? REC_EIO : 0;
}

#define WIDE_MAX_CELLS 100000000ULL

int rec_dataset_write_wide(const struct rec_dataset *ds, FILE *fp,
			   struct rec_error *err)
{
	float *row;

	if ((uint64_t)ds->nusers * ds->nitems > WIDE_MAX_CELLS)
		return rec_error_set(err, REC_EINVAL,
				     "%u users x %u items is too large for --format wide",
				     ds->nusers, ds->nitems);
	if (!(row = malloc((ds->nitems ? ds->nitems : 1) * sizeof(*row))))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	fputs("user", fp);
	for (uint32_t i = 0; i < ds->nitems; i++) {
		putc(',', fp);
		put_id(fp, ds->items, i);
	}
	putc('\n', fp);
	for (uint32_t u = 0; u < ds->nusers; u++) {
		for (uint32_t i = 0; i < ds->nitems; i++)
			row[i] = NAN;
		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++)
			row[ds->col[e]] = ds->val[e];
		put_id(fp, ds->users, u);
		for (uint32_t i = 0; i < ds->nitems; i++)
			if (isnan(row[i]))
				putc(',', fp);
			else
				fprintf(fp, ",%.9g", row[i]);
		putc('\n', fp);
	}
	free(row);
	return ferror(fp) ? rec_error_set(err, REC_EIO, "write failed") : 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

#define HIST_MAX 32

/* The histogram of distinct values, if there are at most HIST_MAX. */
static void write_histogram(const struct rec_dataset *ds, FILE *fp)
{
	float value[HIST_MAX];
	uint64_t count[HIST_MAX] = { 0 };
	int n = 0;

	for (uint64_t e = 0; e < ds->nnz; e++) {
		int k;

		for (k = 0; k < n && value[k] != ds->val[e]; k++)
			;
		if (k == n) {
			if (n == HIST_MAX)
				return;
			value[n++] = ds->val[e];
		}
	}
	qsort(value, (size_t)n, sizeof(*value), cmp_float);
	for (uint64_t e = 0; e < ds->nnz; e++)
		for (int k = 0; k < n; k++)
			if (value[k] == ds->val[e]) {
				count[k]++;
				break;
			}
	for (int k = 0; k < n; k++)
		fprintf(fp, "rating=%.9g,%llu\n", value[k], (unsigned long long)count[k]);
}

int rec_dataset_write_stats(const struct rec_dataset *ds, FILE *fp)
{
	double cells, sum = 0;
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	char buf[32];

	for (uint64_t e = 0; e < ds->nnz; e++) {
		sum += ds->val[e];
		if (ds->time[e] < tmin)
			tmin = ds->time[e];
		if (ds->time[e] > tmax)
			tmax = ds->time[e];
	}
	uint32_t users = 0, items = 0;
	uint8_t *seen = calloc(ds->nitems ? ds->nitems : 1, 1);

	if (!seen)
		return REC_ENOMEM;
	for (uint32_t u = 0; u < ds->nusers; u++)
		users += ds->rowptr[u + 1] > ds->rowptr[u];
	for (uint64_t e = 0; e < ds->nnz; e++) {
		items += !seen[ds->col[e]];
		seen[ds->col[e]] = 1;
	}
	free(seen);
	cells = (double)users * items;
	fprintf(fp, "stat,value\nusers,%u\nitems,%u\nevents,%llu\ndensity,%.6g\n",
		users, items, (unsigned long long)ds->nnz,
		cells > 0 ? (double)ds->nnz / cells : 0.0);
	if (ds->has_rating && ds->nnz) {
		fprintf(fp, "rating_mean,%.6g\n", sum / (double)ds->nnz);
		write_histogram(ds, fp);
	}
	if (ds->has_time && ds->nnz) {
		rec_format_time(tmin, buf, sizeof(buf));
		fprintf(fp, "time_first,%s\n", buf);
		rec_format_time(tmax, buf, sizeof(buf));
		fprintf(fp, "time_last,%s\n", buf);
	}
	rec_features_write_stats(ds, fp);
	return ferror(fp) ? REC_EIO : 0;
}

/* The index in to of each ID of from, interning those it lacks. */
static uint32_t *intern_all(const struct rec_dict *from, struct rec_dict *to)
{
	uint32_t *map = malloc(((size_t)rec_dict_size(from) + 1) * sizeof(*map));

	if (map && rec_dict_intern_all(from, to, map) < 0) {
		free(map);
		return NULL;
	}
	return map;
}

int rec_events_add_dataset(struct rec_events *ev, const struct rec_dataset *ds)
{
	uint32_t *umap = intern_all(ds->users, ev->users);
	uint32_t *imap = intern_all(ds->items, ev->items);
	int rc = umap && imap ? rec_events_reserve(ev, ds->nnz) : REC_ENOMEM;

	for (uint32_t u = 0; rc == 0 && u < ds->nusers; u++)
		for (uint64_t e = ds->rowptr[u]; rc == 0 && e < ds->rowptr[u + 1]; e++)
			rc = rec_events_push(ev, umap[u], imap[ds->col[e]], ds->val[e], ds->time[e]);
	ev->has_rating |= ds->has_rating;
	ev->has_time |= ds->has_time;
	free(umap);
	free(imap);
	return rc;
}

void rec_columns_free(struct rec_columns *c)
{
	free(c->ptr);
	free(c->ent);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

int rec_columns_build(const struct rec_dataset *ds, struct rec_columns *c)
{
	uint64_t *next = malloc(((size_t)ds->nitems + 1) * sizeof(*next));

	c->ptr = calloc((size_t)ds->nitems + 1, sizeof(*c->ptr));
	c->ent = rec_alloc_large((ds->nnz + 1) * sizeof(*c->ent));
	c->user = rec_alloc_large((ds->nnz + 1) * sizeof(*c->user));
	if (!next || !c->ptr || !c->ent || !c->user) {
		free(next);
		rec_columns_free(c);
		return REC_ENOMEM;
	}
	for (uint64_t e = 0; e < ds->nnz; e++)
		c->ptr[ds->col[e] + 1]++;
	for (uint32_t i = 0; i < ds->nitems; i++)
		c->ptr[i + 1] += c->ptr[i];
	memcpy(next, c->ptr, (size_t)ds->nitems * sizeof(*next));
	for (uint32_t u = 0; u < ds->nusers; u++)
		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++) {
			c->ent[next[ds->col[e]]] = e;
			c->user[next[ds->col[e]]++] = u;
		}
	free(next);
	return 0;
}

int64_t rec_dataset_dominant(const struct rec_dataset *ds, int items, uint64_t *most)
{
	uint32_t n = items ? ds->nitems : ds->nusers, top = 0;
	uint64_t *count = calloc((size_t)n + 1, sizeof(*count));

	if (!count)
		return -1;
	for (uint32_t u = 0; u < ds->nusers; u++)
		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++)
			count[items ? ds->col[e] : u]++;
	for (uint32_t i = 1; i < n; i++)
		if (count[i] > count[top])
			top = i;
	*most = count[top];
	free(count);
	return top;
}
