/* check.c - checks that catch a likely mistake before it gives numbers
 * that look right and mean nothing: a model and data that share few IDs,
 * a rating model on data without ratings, a time option without times. */
#include <stdlib.h>
#include <string.h>

#include "rec.h"

/* Name the file of an error, "-" being standard input. */
static void at(struct rec_error *err, const char *name)
{
	rec_error_at(err, strcmp(name, "-") ? name : "standard input", 0, 0);
}

/* How many of the n IDs of from with used[i] set are in to (all of
 * from's IDs without used); -1 when out of memory. */
static int64_t count_known(const struct rec_dict *from, const uint8_t *used,
			   const struct rec_dict *to, uint32_t *n)
{
	uint32_t size = rec_dict_size(from);
	int64_t *map = rec_dict_map(from, to);
	int64_t known = 0;

	if (!map)
		return -1;
	*n = 0;
	for (uint32_t i = 0; i < size; i++)
		if (!used || used[i]) {
			(*n)++;
			known += map[i] >= 0;
		}
	free(map);
	return known;
}

int rec_check_overlap(const struct rec_dataset *ds, const struct rec_model *m,
		      const char *name, struct rec_error *err)
{
	uint8_t *uused = calloc((size_t)ds->nusers + 1, 1);
	uint8_t *iused = calloc((size_t)ds->nitems + 1, 1);
	int64_t ku = -1, ki = -1;
	uint32_t nu = 0, ni = 0;
	int rc = 0;

	/* A split's parts share the whole dictionary: count only the IDs
	 * that have entries here. */
	if (uused && iused) {
		for (uint32_t u = 0; u < ds->nusers; u++)
			uused[u] = ds->rowptr[u + 1] > ds->rowptr[u];
		for (uint64_t e = 0; e < ds->nnz; e++)
			iused[ds->col[e]] = 1;
		ku = count_known(ds->users, uused, m->data.users, &nu);
		ki = count_known(ds->items, iused, m->data.items, &ni);
	}
	if (ku < 0 || ki < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	else if (2 * ku < nu && 2 * ki < ni)
		rc = rec_error_set(err, REC_EINVAL, "%lld of %u users and %lld of %u items "
				   "are known to the model (--force to go on)",
				   (long long)ku, nu, (long long)ki, ni);
	if (rc < 0)
		at(err, name);
	free(uused);
	free(iused);
	return rc;
}

int rec_check_ratings(const struct rec_algo *algo, const struct rec_dataset *ds,
		      const char *name, struct rec_error *err)
{
	if (!algo->ratings || !ds->nnz)
		return 0;
	for (uint64_t e = 1; e < ds->nnz; e++)
		if (ds->val[e] != ds->val[0])
			return 0;
	rec_error_set(err, REC_EINVAL, "every rating is %g: %s learns ratings and has "
		      "nothing to learn from equal ones; for implicit feedback try "
		      "-a bpr or -a ials (--force to go on)", ds->val[0], algo->name);
	at(err, name);
	return REC_EINVAL;
}

int rec_check_time(int has_time, const char *name, const char *what,
		   struct rec_error *err)
{
	if (has_time)
		return 0;
	rec_error_set(err, REC_EINVAL, "no timestamp column for %s; --time file-order "
		      "takes the order of the rows for time", what);
	at(err, name);
	return REC_EINVAL;
}

int rec_parse_time_source(const char *s, int *file_order, struct rec_error *err)
{
	char q[REC_QUOTED];

	if (strcmp(s, "column") != 0 && strcmp(s, "file-order") != 0)
		return rec_error_set(err, REC_EINVAL,
				     "bad --time %s (want column or file-order)", rec_quoted(s, q));
	*file_order = strcmp(s, "file-order") == 0;
	return 0;
}
