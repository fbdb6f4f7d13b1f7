/* features.c - item and user attributes: reading them from a CSV file in
 * the long or the wide layout, giving them to a dataset, and their
 * optional sections of the dataset and model files (IFEA for items, UFEA
 * for users), which the reader checks before anything trusts them.
 *
 * A section holds, in order: u32 rows, u32 features, u64 entries (as two
 * u32 halves, low first), u64 row offsets[rows + 1], u32 feature
 * indices[entries], f32 values[entries], then the feature names as a
 * dictionary (u32 length and bytes each), which takes the rest. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define HEAD_LEN 16
#define WIDE_MAX_COLUMNS 512

static const char tags[2][4] = { { 'I', 'F', 'E', 'A' }, { 'U', 'F', 'E', 'A' } };

struct rec_features *rec_features_ref(struct rec_features *f)
{
	if (f)
		f->refs++;
	return f;
}

void rec_features_free(struct rec_features *f)
{
	if (!f || --f->refs > 0)
		return;
	rec_dict_free(f->names);
	free(f->ptr);
	free(f->col);
	free(f->val);
	free(f);
}

/* New features of nrows rows and nnz entries, without names; NULL when
 * out of memory. */
static struct rec_features *features_new(uint32_t nrows, uint64_t nnz)
{
	struct rec_features *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->nrows = nrows;
	f->nnz = nnz;
	f->ptr = rec_alloc_large_zero(((size_t)nrows + 1) * sizeof(*f->ptr));
	f->col = rec_alloc_large((nnz + 1) * sizeof(*f->col));
	f->val = rec_alloc_large((nnz + 1) * sizeof(*f->val));
	if (!f->ptr || !f->col || !f->val) {
		rec_features_free(f);
		return NULL;
	}
	return f;
}

/* --- reading an attribute file --- */

/* One (entity, feature, value) as read; seq is its order in the file, so
 * that the last of repeated pairs wins. */
struct triple {
	uint32_t row;
	uint32_t feature;
	float val;
	uint64_t seq;
};

enum kind { KIND_ID, KIND_CAT, KIND_MULTI, KIND_NUMERIC };

struct attr_reader {
	const char *what;
	const char *want;	/* the user's choice of ID column, or NULL */
	struct rec_dict *ids;
	struct rec_dict *names;
	const struct rec_features_options *fo;
	int started;		/* the header was read */
	long ncols;
	long id, feature, value;	/* long layout: positions, value -1 if none */
	char **header;
	enum kind *kind;	/* wide layout: what each column is */
	struct triple *t;
	size_t n, cap;
};

/* Does the header name h match one of the comma-separated names? */
static int one_of(const char *names, const char *h, size_t hl)
{
	for (const char *p = names; *p; p += *p == ',') {
		size_t n = strcspn(p, ",");

		if (n == hl && strncasecmp(p, h, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* The position of the first column named one of names, or -1. */
static long find_column(const struct attr_reader *a, const char *names)
{
	for (long c = 0; c < a->ncols; c++)
		if (one_of(names, a->header[c], strlen(a->header[c])))
			return c;
	return -1;
}

/* The ID column, found as the events' reader finds it, with its message. */
static int find_id(struct attr_reader *a, struct rec_error *err)
{
	const char *names = strcmp(a->what, "user") == 0 ? "user,user_id,userid" :
			    "item,item_id,itemid";
	char q[REC_QUOTED];
	long pos;

	if (a->want && rec_parse_long(a->want, 1, WIDE_MAX_COLUMNS, &pos, "column", NULL) == 0)
		a->id = pos - 1 < a->ncols ? pos - 1 : -1;
	else
		a->id = find_column(a, a->want ? a->want : names);
	if (a->id >= 0)
		return 0;
	if (a->want)
		return rec_error_set(err, REC_EINVAL, "no %s column %s in the header",
				     a->what, rec_quoted(a->want, q));
	return rec_error_set(err, REC_EINVAL, "no %s column in the header (looked for %s)",
			     a->what, names);
}

/* Is column name among the comma-separated list? */
static int listed(const char *list, const char *name)
{
	for (const char *p = list; p && *p; p += *p == ',') {
		size_t n = strcspn(p, ",");

		if (n == strlen(name) && strncmp(p, name, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* The header row: keep the names, tell the layouts apart and find the
 * columns. */
static int read_header(struct attr_reader *a, char *const *field, const size_t *len,
		       struct rec_error *err)
{
	while (a->ncols < WIDE_MAX_COLUMNS && field[a->ncols])
		a->ncols++;
	a->header = calloc((size_t)a->ncols, sizeof(*a->header));
	a->kind = calloc((size_t)a->ncols, sizeof(*a->kind));
	if (!a->header || !a->kind)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	for (long c = 0; c < a->ncols; c++) {
		if (len[c] > REC_FEATURE_MAX)
			return rec_error_set(err, REC_EINVAL, "column name longer than %d bytes",
					     REC_FEATURE_MAX);
		if (!(a->header[c] = strdup(field[c])))
			return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	if (find_id(a, err) < 0)
		return REC_EINVAL;
	a->feature = find_column(a, "feature");
	a->value = find_column(a, "value");
	for (long c = 0; c < a->ncols; c++)
		a->kind[c] = c == a->id ? KIND_ID :
			     a->fo->multi && strcmp(a->header[c], a->fo->multi) == 0 ? KIND_MULTI :
			     listed(a->fo->numeric, a->header[c]) ? KIND_NUMERIC : KIND_CAT;
	a->started = 1;
	return 0;
}

static int too_long(struct rec_error *err)
{
	return rec_error_set(err, REC_EPARSE, "feature name longer than %d bytes",
			     REC_FEATURE_MAX);
}

/* Add the feature name[0..len) with its value for the row being read,
 * whose entity is settled once the whole row is good. */
static int add(struct attr_reader *a, const char *name, size_t len, float val,
	       struct rec_error *err)
{
	uint32_t f;

	if (len > REC_FEATURE_MAX)
		return too_long(err);
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 1024;
		void *p = realloc(a->t, cap * sizeof(*a->t));

		if (!p)
			return rec_error_set(err, REC_ENOMEM, "out of memory");
		a->t = p;
		a->cap = cap;
	}
	if (rec_dict_intern(a->names, name, len, &f, NULL) < 0)
		return rec_error_set(err, REC_ENOMEM, "too many features");
	a->t[a->n] = (struct triple){ UINT32_MAX, f, val, a->n };
	a->n++;
	return 0;
}

/* Add "column=cell", or one feature per '|'-separated part of a multi
 * column's cell. */
static int add_categorical(struct attr_reader *a, long c, const char *cell,
			   struct rec_error *err)
{
	char name[REC_FEATURE_MAX + 2];
	size_t hl = strlen(a->header[c]);
	const char *p = cell;

	do {
		size_t n = a->kind[c] == KIND_MULTI ? strcspn(p, "|") : strlen(p);

		if (n && hl + 1 + n > REC_FEATURE_MAX)
			return too_long(err);
		if (n) {
			memcpy(name, a->header[c], hl);
			name[hl] = '=';
			memcpy(name + hl + 1, p, n);
			if (add(a, name, hl + 1 + n, 1, err) < 0)
				return REC_EPARSE;
		}
		p += n;
	} while (*p++);
	return 0;
}

static int add_wide(struct attr_reader *a, char *const *field, const size_t *len,
		    struct rec_error *err)
{
	float v;
	int rc;

	for (long c = 0; c < a->ncols; c++) {
		if (a->kind[c] == KIND_ID || len[c] == 0)
			continue;
		if (a->kind[c] != KIND_NUMERIC)
			rc = add_categorical(a, c, field[c], err);
		else if ((rc = rec_parse_float(field[c], -1e30, 1e30, &v, a->header[c], err)) == 0)
			rc = add(a, a->header[c], strlen(a->header[c]), v, err);
		if (rc < 0) {
			err->column = c + 1;
			return err->code;
		}
	}
	return 0;
}

static int add_long(struct attr_reader *a, char *const *field, const size_t *len,
		    struct rec_error *err)
{
	float v = 1;

	if (len[a->feature] == 0) {
		rec_error_set(err, REC_EPARSE, "empty feature");
		err->column = a->feature + 1;
		return REC_EPARSE;
	}
	if (a->value >= 0 && len[a->value] &&
	    rec_parse_float(field[a->value], -1e30, 1e30, &v, "value", err) < 0) {
		err->column = a->value + 1;
		return REC_EPARSE;
	}
	if (add(a, field[a->feature], len[a->feature], v, err) < 0) {
		err->column = a->feature + 1;
		return err->code;
	}
	return 0;
}

/* A row function of rec_csv_read over positional columns: the first row
 * is the header.  A bad row adds nothing, not even its entity. */
static int take(void *ctx, char *const *field, const size_t *len, struct rec_error *err)
{
	struct attr_reader *a = ctx;
	size_t first = a->n;
	uint32_t row;
	int rc;

	if (!a->started)
		return read_header(a, field, len, err);
	if (len[a->id] == 0) {
		rec_error_set(err, REC_EPARSE, "empty %s ID", a->what);
		err->column = a->id + 1;
		return REC_EPARSE;
	}
	rc = a->feature >= 0 ? add_long(a, field, len, err) : add_wide(a, field, len, err);
	if (rc == 0 && rec_dict_intern(a->ids, field[a->id], len[a->id], &row, NULL) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "too many IDs");
	if (rc < 0) {
		a->n = first;
		return rc;
	}
	for (size_t k = first; k < a->n; k++)
		a->t[k].row = row;
	return 0;
}

static int by_row_feature(const void *x, const void *y)
{
	const struct triple *a = x, *b = y;

	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	if (a->feature != b->feature)
		return a->feature < b->feature ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sort the triples, keep the last of each pair, and count each feature's
 * entities into count[]; returns how many triples remain. */
static size_t dedup(struct triple *t, size_t n, uint64_t *count)
{
	size_t w = 0;

	qsort(t, n, sizeof(*t), by_row_feature);
	for (size_t k = 0; k < n; k++) {
		if (k + 1 < n && t[k + 1].row == t[k].row && t[k + 1].feature == t[k].feature)
			continue;
		t[w++] = t[k];
		count[t[k].feature]++;
	}
	return w;
}

/* The features of rows [0, nrows) from the read triples, features seen
 * fewer than min_count times (and at least once) dropped. */
static int build(struct attr_reader *a, uint32_t nrows, struct rec_features **out)
{
	uint32_t nf = rec_dict_size(a->names);
	uint64_t *count = calloc((size_t)nf + 1, sizeof(*count));
	uint8_t *keep = malloc((size_t)nf + 1);
	uint32_t *remap = malloc(((size_t)nf + 1) * sizeof(*remap));
	uint32_t min = a->fo->min_count > 1 ? a->fo->min_count : 1;
	struct rec_features *f = NULL;
	size_t n, w = 0;
	int rc = REC_ENOMEM;

	if (!count || !keep || !remap)
		goto out;
	n = dedup(a->t, a->n, count);
	for (uint32_t i = 0; i < nf; i++)
		keep[i] = count[i] >= min;
	for (size_t k = 0; k < n; k++)
		if (keep[a->t[k].feature])
			a->t[w++] = a->t[k];
	if (!(f = features_new(nrows, w)) || !(f->names = rec_dict_subset(a->names, keep, remap)))
		goto out;
	for (size_t k = 0; k < w; k++) {
		f->ptr[a->t[k].row + 1]++;
		f->col[k] = remap[a->t[k].feature];
		f->val[k] = a->t[k].val;
	}
	for (uint32_t r = 0; r < nrows; r++)
		f->ptr[r + 1] += f->ptr[r];
	*out = f;
	f = NULL;
	rc = 0;
out:
	rec_features_free(f);
	free(count);
	free(keep);
	free(remap);
	return rc;
}

int rec_features_read(struct rec_features **out, const char *path, const char *what,
		      struct rec_dict *ids, const struct rec_features_options *fo,
		      const struct rec_csv_options *opt, uint64_t *skipped,
		      struct rec_error *err)
{
	struct rec_csv_options o = *opt;
	struct rec_csv_column col[WIDE_MAX_COLUMNS];
	struct attr_reader a = {
		.what = what, .want = strcmp(what, "user") == 0 ? opt->user : opt->item,
		.ids = ids, .names = rec_dict_new(), .fo = fo,
	};
	char q[REC_QUOTED];
	int rc;

	*out = NULL;
	/* Without a header for the reader, every column is a positional one
	 * and the header reaches take() as the first row. */
	o.no_header = 1;
	for (int c = 0; c < WIDE_MAX_COLUMNS; c++)
		col[c] = (struct rec_csv_column){ "attribute", NULL, NULL, 1, 0, 0 };
	if (!a.names)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	rc = rec_csv_read(path, &o, col, WIDE_MAX_COLUMNS, take, &a, skipped, err);
	if (rc == 0 && a.feature < 0 && fo->multi && find_column(&a, fo->multi) < 0) {
		rc = rec_error_set(err, REC_EINVAL, "no --multi column %s in the header",
				   rec_quoted(fo->multi, q));
		rec_error_at(err, path, 1, 0);
	}
	if (rc == 0 && build(&a, rec_dict_size(ids), out) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	for (long c = 0; a.header && c < a.ncols; c++)
		free(a.header[c]);
	free(a.header);
	free(a.kind);
	free(a.t);
	rec_dict_free(a.names);
	return rc;
}

int rec_dataset_set_features(struct rec_dataset *ds, int users, struct rec_features *f,
			     struct rec_error *err)
{
	uint32_t n = rec_dict_size(users ? ds->users : ds->items);
	struct rec_features **slot = users ? &ds->user_features : &ds->item_features;
	uint64_t *p;

	if (users && n > ds->nusers) {
		p = rec_realloc_large(ds->rowptr, ((size_t)ds->nusers + 1) * sizeof(*p),
				      ((size_t)n + 1) * sizeof(*p));
		if (!p) {
			rec_features_free(f);
			return rec_error_set(err, REC_ENOMEM, "out of memory");
		}
		for (uint32_t u = ds->nusers + 1; u <= n; u++)
			p[u] = ds->nnz;
		ds->rowptr = p;
		ds->nusers = n;
	} else if (!users) {
		ds->nitems = n;
	}
	rec_features_free(*slot);
	*slot = f;
	return 0;
}

/* Row r of f, or an empty one past its rows. */
static void row_of(const struct rec_features *f, uint32_t r, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	if (f && r < f->nrows) {
		*lo = f->ptr[r];
		*hi = f->ptr[r + 1];
	}
}

/* Entries [lo, hi) of f in ascending feature order, by insertion: a
 * row's attributes are few. */
static void sort_row(struct rec_features *f, uint64_t lo, uint64_t hi)
{
	for (uint64_t e = lo + 1; e < hi; e++) {
		uint32_t c = f->col[e];
		float v = f->val[e];
		uint64_t at = e;

		for (; at > lo && f->col[at - 1] > c; at--) {
			f->col[at] = f->col[at - 1];
			f->val[at] = f->val[at - 1];
		}
		f->col[at] = c;
		f->val[at] = v;
	}
}

int rec_features_extend(struct rec_features **out, const struct rec_features *old,
			const struct rec_features *add, uint32_t from, uint64_t *dropped)
{
	int64_t *map = rec_dict_map(add->names, old->names);
	uint32_t nrows = add->nrows > old->nrows ? add->nrows : old->nrows;
	struct rec_features *f = map ? features_new(nrows, old->nnz + add->nnz) : NULL;
	uint64_t w = 0, lo, hi;

	*out = NULL;
	if (!f || !(f->names = rec_dict_ref(old->names))) {
		free(map);
		rec_features_free(f);
		return REC_ENOMEM;
	}
	for (uint32_t r = 0; r < nrows; r++) {
		const struct rec_features *src = r < from ? old : add;

		row_of(src, r, &lo, &hi);
		for (uint64_t e = lo; e < hi; e++) {
			int64_t c = src == old ? src->col[e] : map[src->col[e]];

			*dropped += c < 0;
			if (c >= 0) {
				f->col[w] = (uint32_t)c;
				f->val[w++] = src->val[e];
			}
		}
		/* the new rows' names map to the old indices in another order */
		sort_row(f, f->ptr[r], w);
		f->ptr[r + 1] = w;
	}
	f->nnz = w;
	free(map);
	*out = f;
	return 0;
}

/* --- the sections --- */

static uint64_t section_length(const struct rec_features *f)
{
	return HEAD_LEN + ((uint64_t)f->nrows + 1) * 8 + f->nnz * 8 +
	       rec_dict_section_length(f->names);
}

unsigned rec_features_sections(const struct rec_dataset *ds, struct rec_section *sec)
{
	const struct rec_features *f[2] = { ds->item_features, ds->user_features };
	unsigned n = 0;

	for (int k = 0; k < 2; k++)
		if (f[k]) {
			memcpy(sec[n].tag, tags[k], 4);
			sec[n].flags = 0;
			sec[n++].length = section_length(f[k]);
		}
	return n;
}

static int write_one(struct rec_writer *w, const struct rec_features *f)
{
	uint32_t head[4] = { f->nrows, rec_dict_size(f->names), (uint32_t)f->nnz,
			     (uint32_t)(f->nnz >> 32) };

	if (rec_writer_u32(w, head, 4) < 0 ||
	    rec_writer_u64(w, f->ptr, (size_t)f->nrows + 1) < 0 ||
	    rec_writer_u32(w, f->col, f->nnz) < 0 ||
	    rec_writer_f32(w, f->val, f->nnz) < 0 ||
	    rec_writer_dict(w, f->names) < 0)
		return REC_EIO;
	return 0;
}

int rec_features_write_sections(struct rec_writer *w, const struct rec_dataset *ds)
{
	if (ds->item_features && write_one(w, ds->item_features) < 0)
		return REC_EIO;
	if (ds->user_features && write_one(w, ds->user_features) < 0)
		return REC_EIO;
	return 0;
}

/* What is wrong with the matrix of f, whose names are nf, or NULL. */
static const char *check_matrix(const struct rec_features *f, uint32_t nf)
{
	if (f->ptr[0] != 0 || f->ptr[f->nrows] != f->nnz)
		return "row offsets do not match the entry count";
	for (uint32_t r = 0; r < f->nrows; r++) {
		if (f->ptr[r + 1] < f->ptr[r] || f->ptr[r + 1] > f->nnz)
			return "row offsets go backwards or past the end";
		for (uint64_t e = f->ptr[r]; e < f->ptr[r + 1]; e++) {
			if (f->col[e] >= nf)
				return "a feature index is out of range";
			if (e > f->ptr[r] && f->col[e] <= f->col[e - 1])
				return "feature indices are not ascending";
			if (!isfinite(f->val[e]))
				return "a value is not finite";
		}
	}
	return NULL;
}

static int read_fail(struct rec_reader *r, const char tag[4], int code, const char *what)
{
	char text[160];

	snprintf(text, sizeof(text), "section '%.4s': %s", tag, what);
	return rec_reader_fail(r, code, text);
}

int rec_features_read_section(struct rec_reader *r, const struct rec_section *s,
			      struct rec_dataset *ds)
{
	int k = memcmp(s->tag, tags[0], 4) == 0 ? 0 : memcmp(s->tag, tags[1], 4) == 0 ? 1 : -1;
	struct rec_features **slot = k ? &ds->user_features : &ds->item_features;
	uint32_t head[4];
	uint64_t nnz, room;
	const char *bad;
	int rc;

	if (k < 0)
		return 0;
	if (*slot || s->length < HEAD_LEN)
		return read_fail(r, s->tag, REC_EFORMAT, "repeated or too short");
	if ((rc = rec_reader_u32(r, head, 4)) < 0)
		return rc;
	nnz = head[2] | (uint64_t)head[3] << 32;
	room = s->length - HEAD_LEN;
	/* Checked before allocating: the CRC is only known at the end. */
	if (nnz > room / 8 || ((uint64_t)head[0] + 1) * 8 + nnz * 8 + (uint64_t)head[1] * 4 > room)
		return read_fail(r, s->tag, REC_EFORMAT, "counts larger than the section");
	if (!(*slot = features_new(head[0], nnz)))
		return read_fail(r, s->tag, REC_ENOMEM, "out of memory");
	if ((rc = rec_reader_u64(r, (*slot)->ptr, (size_t)head[0] + 1)) < 0 ||
	    (rc = rec_reader_u32(r, (*slot)->col, nnz)) < 0 ||
	    (rc = rec_reader_f32(r, (*slot)->val, nnz)) < 0 ||
	    (rc = rec_reader_dict(r, head[1], &(*slot)->names)) < 0)
		return rc;
	if ((bad = check_matrix(*slot, head[1])))
		return read_fail(r, s->tag, REC_EFORMAT, bad);
	return 1;
}

int rec_features_check(const struct rec_dataset *ds, struct rec_error *err)
{
	if (ds->item_features && ds->item_features->nrows > ds->nitems)
		return rec_error_set(err, REC_EFORMAT, "section 'IFEA': attributes of %u "
				     "items, more than the dataset's %u",
				     ds->item_features->nrows, ds->nitems);
	if (ds->user_features && ds->user_features->nrows > ds->nusers)
		return rec_error_set(err, REC_EFORMAT, "section 'UFEA': attributes of %u "
				     "users, more than the dataset's %u",
				     ds->user_features->nrows, ds->nusers);
	return 0;
}

void rec_features_write_stats(const struct rec_dataset *ds, FILE *fp)
{
	const struct rec_features *f[2] = { ds->item_features, ds->user_features };
	uint64_t entries = 0;

	if (!f[0] && !f[1])
		return;
	for (int k = 0; k < 2; k++)
		entries += f[k] ? f[k]->nnz : 0;
	fprintf(fp, "item_features,%u\nuser_features,%u\nfeatures,%llu\n",
		f[0] ? rec_dict_size(f[0]->names) : 0, f[1] ? rec_dict_size(f[1]->names) : 0,
		(unsigned long long)entries);
}
