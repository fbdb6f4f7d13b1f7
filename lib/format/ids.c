/* ids.c - lists of IDs, one a line: the users or the candidate items that
 * rec-recommend and rec-eval are given. */
#include <stdlib.h>
#include <string.h>

#include "rec.h"

static int take_id(void *ctx, char *const *field, const size_t *len, struct rec_error *err)
{
	struct rec_ids *l = ctx;

	if (!len[0])
		return rec_error_set(err, REC_EPARSE, "empty ID");
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		uint32_t *p = realloc(l->idx, cap * sizeof(*p));

		if (!p)
			return rec_error_set(err, REC_ENOMEM, "out of memory");
		l->idx = p;
		l->cap = cap;
	}
	if (rec_dict_intern(l->dict, field[0], len[0], &l->idx[l->n], NULL) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	l->n++;
	return 0;
}

void rec_ids_release(struct rec_ids *l)
{
	if (!l)
		return;
	rec_dict_free(l->dict);
	free(l->idx);
	memset(l, 0, sizeof(*l));
}

int rec_ids_read(struct rec_ids *l, const char *path, struct rec_error *err)
{
	struct rec_csv_options opt = { .no_header = 1, .delim = ',' };
	struct rec_csv_column col = { "ID", "", NULL, 0, 0, 0 };
	int rc;

	memset(l, 0, sizeof(*l));
	if (!(l->dict = rec_dict_new()))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if ((rc = rec_csv_read(path, &opt, &col, 1, take_id, l, NULL, err)) < 0)
		rec_ids_release(l);
	return rc;
}

int rec_candidates_read(uint8_t **allow, const char *path, const struct rec_dict *items,
			uint32_t nitems, struct rec_error *err)
{
	struct rec_ids l;
	int64_t *map = NULL;
	int rc;

	*allow = NULL;
	if ((rc = rec_ids_read(&l, path, err)) < 0)
		return rc;
	*allow = calloc((size_t)nitems + 1, 1);
	map = rec_dict_map(l.dict, items);
	if (!*allow || !map) {
		free(*allow);
		*allow = NULL;
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	for (size_t j = 0; j < l.n && rc == 0; j++)
		if (map[l.idx[j]] >= 0 && map[l.idx[j]] < nitems)
			(*allow)[map[l.idx[j]]] = 1;
	free(map);
	rec_ids_release(&l);
	return rc;
}
