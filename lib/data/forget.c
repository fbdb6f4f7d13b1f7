/* forget.c - forgetting users: their IDs, their events and their state
 * leave a dataset or a model, and the others are renumbered in order, so
 * that nothing in the file names them any more. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* keep[u] for each user of ds: 0 for those of ids (raw IDs, mapped with p
 * unless it is NULL), 1 for the others; a new array, or NULL. */
static uint8_t *kept_users(const struct rec_dataset *ds, const struct rec_dict *ids,
			   const struct rec_pseudo *p, uint32_t *gone)
{
	int64_t *map = rec_pseudo_dict_map(ids, ds->users, p);
	uint8_t *keep = malloc((size_t)ds->nusers + 1);
	uint32_t n = rec_dict_size(ids);

	*gone = 0;
	if (!map || !keep) {
		free(map);
		free(keep);
		return NULL;
	}
	memset(keep, 1, ds->nusers);
	for (uint32_t i = 0; i < n; i++)
		if (map[i] >= 0 && keep[map[i]]) {
			keep[map[i]] = 0;
			++*gone;
		}
	free(map);
	return keep;
}

/* Drop the entries and the users whose keep[] is 0 from ds; the items
 * stay, so that a model's item arrays keep their rows. */
static int drop_users(struct rec_dataset *ds, const uint8_t *keep)
{
	uint8_t *mask = malloc(ds->nnz + 1);
	uint32_t *remap = malloc(((size_t)ds->nusers + 1) * sizeof(*remap));
	struct rec_dict *users = NULL;
	int rc = REC_ENOMEM;

	if (!mask || !remap || !(users = rec_dict_subset(ds->users, keep, remap)))
		goto out;
	for (uint32_t u = 0; u < ds->nusers; u++)
		memset(mask + ds->rowptr[u], keep[u], ds->rowptr[u + 1] - ds->rowptr[u]);
	rec_dataset_filter(ds, mask, 1);
	for (uint32_t u = 0, w = 0; u < ds->nusers; u++)
		if (keep[u])
			ds->rowptr[++w] = ds->rowptr[u + 1];
	ds->nusers = rec_dict_size(users);
	rec_dict_free(ds->users);
	ds->users = users;
	rc = 0;
out:
	free(mask);
	free(remap);
	return rc;
}

int rec_forget_mask(const struct rec_dataset *ds, const struct rec_dict *ids,
		    const struct rec_pseudo *p, uint8_t **keep, uint32_t *gone,
		    struct rec_error *err)
{
	if (ds->user_features && rec_dict_size(ids))
		return rec_error_set(err, REC_EINVAL, "users with attributes cannot be forgotten");
	if (!(*keep = kept_users(ds, ids, p, gone)))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return 0;
}

int rec_forget_apply(struct rec_dataset *ds, const uint8_t *keep, struct rec_error *err)
{
	if (drop_users(ds, keep) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return 0;
}

int rec_dataset_forget(struct rec_dataset *ds, const struct rec_dict *ids,
		       const struct rec_pseudo *p, uint32_t *gone, struct rec_error *err)
{
	uint8_t *keep;
	int rc = rec_forget_mask(ds, ids, p, &keep, gone, err);

	if (rc == 0)
		rc = rec_forget_apply(ds, keep, err);
	free(keep);
	return rc;
}

/* Move each kept user's state down to his new index, in order, so that a
 * family's per-user arrays match the renumbered users. */
static int compact_state(struct rec_model *m, const uint8_t *keep)
{
	uint32_t width = 0, w = 0;
	float *rows = m->algo->user_rows ? m->algo->user_rows(m, &width) : NULL;
	float *buf = NULL;

	if (!rows && !(buf = malloc((rec_user_state_size(m) + 1) * sizeof(*buf))))
		return REC_ENOMEM;
	for (uint32_t u = 0; u < m->data.nusers; u++) {
		if (!keep[u])
			continue;
		if (rows)
			memmove(rows + (size_t)w * width, rows + (size_t)u * width,
				width * sizeof(*rows));
		else {
			m->algo->user_state(m, u, buf);
			m->algo->set_user_state(m, w, buf);
		}
		w++;
	}
	free(buf);
	return 0;
}

/* 1 for the kept users who share an item with a forgotten one, under the
 * new numbering: those whose state the forgotten events moved. */
static uint8_t *touched_users(const struct rec_dataset *d, const uint8_t *keep)
{
	uint8_t *item = calloc((size_t)d->nitems + 1, 1);
	uint8_t *touched = calloc((size_t)d->nusers + 1, 1);
	uint32_t w = 0;

	if (!item || !touched) {
		free(item);
		free(touched);
		return NULL;
	}
	for (uint32_t u = 0; u < d->nusers; u++)
		for (uint64_t e = d->rowptr[u]; !keep[u] && e < d->rowptr[u + 1]; e++)
			item[d->col[e]] = 1;
	for (uint32_t u = 0; u < d->nusers; u++) {
		if (!keep[u])
			continue;
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++)
			touched[w] |= item[d->col[e]];
		w++;
	}
	free(item);
	return touched;
}

int rec_forget_partial(struct rec_model *m, const uint8_t *keep, uint8_t **touched,
		       struct rec_error *err)
{
	if (!(*touched = touched_users(&m->data, keep)) || compact_state(m, keep) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return rec_forget_apply(&m->data, keep, err);
}
