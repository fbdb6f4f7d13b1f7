/* trainpart.c - training ials in shards: a half sweep solves one side's
 * rows of a shard against the model's other side into a part file, and a
 * merge puts the parts of all the shards back into the model.  The part
 * file (rec-formats(5)) names the model by the CRC-32 of its file, so that
 * parts of different models are never joined. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define PART_MAGIC "RECPART\n"
#define PART_MAJOR 1
#define PART_MINOR 0
/* PART: the model's checksum (u64), then side, shard index, shard count,
 * factors and rows (u32 each). */
#define HEAD_BYTES 28

static const char part_tag[4] = { 'P', 'A', 'R', 'T' }, rows_tag[4] = { 'R', 'O', 'W', 'S' },
		  fact_tag[4] = { 'F', 'A', 'C', 'T' };

static const char *side_name(int items)
{
	return items ? "items" : "users";
}

int rec_model_shardable(const struct rec_model *m, struct rec_error *err)
{
	if (m->algo != &rec_algo_ials)
		return rec_error_set(err, REC_EINVAL, "a %s model cannot be trained in shards "
				     "(ials can)", m->algo->name);
	return 0;
}

void rec_train_part_release(struct rec_train_part *p)
{
	free(p->idx);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

/* The entries of a dataset as rows of one side of a model, for
 * rec_side_entries: ptr (rows + 2 for the building), idx, val, time. */
struct side_build {
	uint64_t *ptr;
	uint32_t *idx;
	float *val;
	int64_t *time;
};

static void side_build_release(struct side_build *b)
{
	free(b->ptr);
	free(b->idx);
	free(b->val);
	free(b->time);
}

/* An entry's row and other-side index in m, or an error naming the ID
 * that m does not know or that lies outside the shard. */
static int place(const struct rec_dataset *d, const int64_t *umap, const int64_t *imap,
		 uint32_t u, uint64_t e, int items, const uint8_t *mark,
		 const struct rec_shard *s, uint32_t *row, uint32_t *other,
		 struct rec_error *err)
{
	int64_t mu = umap[u], mi = imap[d->col[e]];
	const char *id;
	size_t len;

	if (mu < 0 || mi < 0) {
		id = mu < 0 ? rec_dict_name(d->users, u, &len) : rec_dict_name(d->items, d->col[e], &len);
		return rec_error_set(err, REC_EINVAL, "%s '%.*s' is not in the model",
				     mu < 0 ? "user" : "item", (int)(len > 64 ? 64 : len), id);
	}
	*row = (uint32_t)(items ? mi : mu);
	*other = (uint32_t)(items ? mu : mi);
	if (!mark[*row]) {
		id = items ? rec_dict_name(d->items, d->col[e], &len) : rec_dict_name(d->users, u, &len);
		return rec_error_set(err, REC_EINVAL, "%s '%.*s' is not in shard %u/%u",
				     items ? "item" : "user", (int)(len > 64 ? 64 : len), id,
				     s->i, s->n);
	}
	return 0;
}

/* The entries of d as rows of one side of m, by ID, each row in mark,
 * into b (which the caller releases, whatever happens): two passes over
 * d's entries, users in order, counting each row's and then placing them,
 * so that each row keeps the order d gives it. */
static int side_build(struct side_build *b, const struct rec_model *m,
		      const struct rec_dataset *d, int items, const uint8_t *mark,
		      const struct rec_shard *s, struct rec_error *err)
{
	uint32_t nrows = items ? m->data.nitems : m->data.nusers, row, other;
	int64_t *umap = rec_dict_map(d->users, m->data.users);
	int64_t *imap = rec_dict_map(d->items, m->data.items);
	int rc = 0;

	memset(b, 0, sizeof(*b));
	b->ptr = calloc((size_t)nrows + 2, sizeof(*b->ptr));
	b->idx = malloc((d->nnz + 1) * sizeof(*b->idx));
	b->val = malloc((d->nnz + 1) * sizeof(*b->val));
	b->time = malloc((d->nnz + 1) * sizeof(*b->time));
	if (!umap || !imap || !b->ptr || !b->idx || !b->val || !b->time) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t u = 0; u < d->nusers && rc == 0; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1] && rc == 0; e++)
			if ((rc = place(d, umap, imap, u, e, items, mark, s, &row, &other, err)) == 0)
				b->ptr[row + 2]++;
	for (uint32_t r = 0; r < nrows && rc == 0; r++)
		b->ptr[r + 2] += b->ptr[r + 1];
	for (uint32_t u = 0; u < d->nusers && rc == 0; u++)
		for (uint64_t e = d->rowptr[u]; e < d->rowptr[u + 1]; e++) {
			uint64_t at;

			place(d, umap, imap, u, e, items, mark, s, &row, &other, err);
			at = b->ptr[row + 1]++;
			b->idx[at] = other;
			b->val[at] = d->val[e];
			b->time[at] = d->time[e];
		}
out:
	free(umap);
	free(imap);
	return rc;
}

/* Copy the marked rows of the side's vectors x (k each) into p. */
static int collect(struct rec_train_part *p, const float *x, const uint8_t *mark,
		   uint32_t nrows)
{
	uint32_t n = 0;

	for (uint32_t r = 0; r < nrows; r++)
		n += mark[r];
	p->idx = malloc(((size_t)n + 1) * sizeof(*p->idx));
	p->rows = malloc(((size_t)n * p->k + 1) * sizeof(*p->rows));
	if (!p->idx || !p->rows)
		return REC_ENOMEM;
	for (uint32_t r = 0; r < nrows; r++) {
		if (!mark[r])
			continue;
		p->idx[p->nrows] = r;
		memcpy(p->rows + (size_t)p->nrows++ * p->k, x + (size_t)r * p->k,
		       p->k * sizeof(*p->rows));
	}
	return 0;
}

int rec_train_part_solve(struct rec_train_part *p, struct rec_model *m,
			 const struct rec_dataset *data, int items, const struct rec_shard *s,
			 struct rec_error *err)
{
	uint32_t nrows = items ? m->data.nitems : m->data.nusers;
	uint8_t *mark = NULL;
	struct side_build b = { 0 };
	struct rec_side_entries e;
	const float *x;
	int rc;

	memset(p, 0, sizeof(*p));
	p->model = m->checksum;
	p->items = items;
	p->shard = *s;
	if ((rc = rec_model_shardable(m, err)) < 0)
		return rc;
	if (!(mark = rec_shard_mask(items ? m->data.items : m->data.users, s))) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = side_build(&b, m, data, items, mark, s, err)) < 0)
		goto out;
	e = (struct rec_side_entries){ b.ptr, b.idx, b.val, b.time };
	if ((rc = rec_ials_solve_rows(m, items, &e, mark, err)) < 0)
		goto out;
	x = rec_ials_rows(m, items, &p->k);
	if ((rc = collect(p, x, mark, nrows)) < 0)
		rec_error_set(err, rc, "out of memory");
out:
	side_build_release(&b);
	free(mark);
	if (rc < 0)
		rec_train_part_release(p);
	return rc;
}

int rec_train_part_write(const struct rec_train_part *p, const char *path,
			 struct rec_error *err)
{
	struct rec_section sec[3] = {
		{ { 'P', 'A', 'R', 'T' }, REC_SECTION_REQUIRED, 0, HEAD_BYTES },
		{ { 'R', 'O', 'W', 'S' }, REC_SECTION_REQUIRED, 0, (uint64_t)p->nrows * 4 },
		{ { 'F', 'A', 'C', 'T' }, REC_SECTION_REQUIRED, 0,
		  (uint64_t)p->nrows * p->k * 4 },
	};
	uint32_t head[5] = { (uint32_t)p->items, p->shard.i, p->shard.n, p->k, p->nrows };
	struct rec_writer *w;
	int rc;

	if ((rc = rec_writer_open(&w, path, PART_MAGIC, PART_MAJOR, PART_MINOR, sec, 3,
				  err)) < 0)
		return rc;
	if (rec_writer_u64(w, &p->model, 1) < 0 || rec_writer_u32(w, head, 5) < 0 ||
	    rec_writer_u32(w, p->idx, p->nrows) < 0 ||
	    rec_writer_f32(w, p->rows, (size_t)p->nrows * p->k) < 0) {
		rec_writer_abort(w);
		rec_error_set(err, REC_EIO, "write failed");
		rec_error_at(err, path, 0, 0);
		return REC_EIO;
	}
	return rec_writer_commit(w, err);
}

/* The PART section: the model's checksum and the five counts, in range. */
static int read_head(struct rec_reader *r, const struct rec_section *s,
		     struct rec_train_part *p)
{
	uint32_t head[5];

	if (s->length != HEAD_BYTES)
		return rec_reader_fail(r, REC_EFORMAT, "section 'PART' is not 28 bytes");
	if (rec_reader_u64(r, &p->model, 1) < 0 || rec_reader_u32(r, head, 5) < 0)
		return REC_EFORMAT;
	if (head[0] > 1 || head[1] < 1 || head[1] > head[2] || head[2] > REC_SHARD_LIMIT ||
	    head[3] < 1)
		return rec_reader_fail(r, REC_EFORMAT, "section 'PART': bad side, shard or "
				       "factors");
	p->items = (int)head[0];
	p->shard = (struct rec_shard){ head[1], head[2] };
	p->k = head[3];
	p->nrows = head[4];
	return 1;
}

/* ROWS, after PART: the rows' indices, ascending. */
static int read_rows(struct rec_reader *r, const struct rec_section *s,
		     struct rec_train_part *p)
{
	if (s->length != (uint64_t)p->nrows * 4)
		return rec_reader_fail(r, REC_EFORMAT, "section 'ROWS' does not hold the rows");
	if (rec_reader_array(r, REC_U32, p->nrows, (void **)&p->idx) < 0)
		return REC_EFORMAT;
	for (uint32_t j = 1; j < p->nrows; j++)
		if (p->idx[j] <= p->idx[j - 1])
			return rec_reader_fail(r, REC_EFORMAT, "section 'ROWS' is not ascending");
	return 1;
}

/* FACT, after PART: the rows' vectors. */
static int read_fact(struct rec_reader *r, const struct rec_section *s,
		     struct rec_train_part *p)
{
	if (s->length != (uint64_t)p->nrows * p->k * 4)
		return rec_reader_fail(r, REC_EFORMAT, "section 'FACT' does not hold the rows");
	if (rec_reader_array(r, REC_F32, (size_t)p->nrows * p->k, (void **)&p->rows) < 0)
		return REC_EFORMAT;
	return 1;
}

/* Read one section into p: 1 if it was one of the part's, 0 if not. */
static int read_section(struct rec_reader *r, const struct rec_section *s,
			struct rec_train_part *p, int have_head)
{
	if (memcmp(s->tag, part_tag, 4) == 0)
		return read_head(r, s, p);
	if (memcmp(s->tag, rows_tag, 4) != 0 && memcmp(s->tag, fact_tag, 4) != 0)
		return 0;
	if (!have_head)
		return rec_reader_fail(r, REC_EFORMAT, "section 'PART' is not first");
	return memcmp(s->tag, rows_tag, 4) == 0 ? read_rows(r, s, p) : read_fact(r, s, p);
}

int rec_train_part_read(struct rec_train_part *p, const char *path, struct rec_error *err)
{
	const struct rec_section *s;
	struct rec_reader *r;
	int rc, have_head = 0;

	memset(p, 0, sizeof(*p));
	if ((rc = rec_reader_open(&r, path, PART_MAGIC, PART_MAJOR, NULL, err)) < 0)
		return rc;
	while ((rc = rec_reader_next(r, &s)) > 0) {
		if ((rc = read_section(r, s, p, have_head)) == 0)
			rc = rec_reader_skip(r);
		if (rc < 0)
			break;
		have_head |= memcmp(s->tag, part_tag, 4) == 0;
	}
	if ((rc = rec_reader_close(r, err)) == 0 && (!p->idx || !p->rows))
		rc = rec_error_set(err, REC_EFORMAT, "section '%s' is missing",
				   have_head ? (p->idx ? "FACT" : "ROWS") : "PART");
	if (rc < 0) {
		rec_error_at(err, path, 0, 0);
		rec_train_part_release(p);
	}
	return rc;
}

/* Does part p, of path, fit model m (checksum, side, shard count) and
 * come first for its shard (*seen)?  REC_EINVAL naming path, or 0. */
static int check_part(struct rec_model *m, const struct rec_train_part *p,
		      const struct rec_train_part *first, uint8_t *seen, const char *path,
		      struct rec_error *err)
{
	uint32_t nrows = p->items ? m->data.nitems : m->data.nusers, k;
	int rc = 0;

	rec_ials_rows(m, p->items, &k);
	if (p->model != m->checksum || p->k != k || (p->nrows && p->idx[p->nrows - 1] >= nrows))
		rc = rec_error_set(err, REC_EINVAL, "a part of another model");
	else if (p->items != first->items)
		rc = rec_error_set(err, REC_EINVAL, "a part of the %s' half sweep, not the %s'",
				   side_name(p->items), side_name(first->items));
	else if (p->shard.n != first->shard.n)
		rc = rec_error_set(err, REC_EINVAL, "a part of %u shards, not %u", p->shard.n,
				   first->shard.n);
	else if (seen[p->shard.i]++)
		rc = rec_error_set(err, REC_EINVAL, "shard %u/%u given twice", p->shard.i,
				   p->shard.n);
	if (rc < 0)
		rec_error_at(err, path, 0, 0);
	return rc;
}

/* A sweep ends with the users' half: the model counts one epoch more, as
 * the same training in one process would. */
static int count_epoch(struct rec_model *m, struct rec_error *err)
{
	char text[32];

	snprintf(text, sizeof(text), "%.0f", rec_model_get(m, "epochs") + 1);
	return rec_model_set(m, "epochs", text, err);
}

int rec_train_merge(struct rec_model *m, const struct rec_train_part *parts,
		    const char *const *paths, uint32_t n, struct rec_error *err)
{
	uint32_t shards = parts[0].shard.n, k;
	uint8_t *seen;
	float *x;
	int rc;

	if ((rc = rec_model_shardable(m, err)) < 0)
		return rc;
	if (!(seen = calloc((size_t)shards + 1, 1)))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	for (uint32_t j = 0; j < n && rc == 0; j++)
		rc = check_part(m, &parts[j], &parts[0], seen, paths[j], err);
	for (uint32_t i = 1; i <= shards && rc == 0; i++)
		if (!seen[i])
			rc = rec_error_set(err, REC_EINVAL, "shard %u/%u of the %s is missing", i,
					   shards, side_name(parts[0].items));
	free(seen);
	if (rc == 0 && !parts[0].items)
		rc = count_epoch(m, err);
	if (rc < 0)
		return rc;
	x = rec_ials_rows(m, parts[0].items, &k);
	for (uint32_t j = 0; j < n; j++)
		for (uint32_t r = 0; r < parts[j].nrows; r++)
			memcpy(x + (size_t)parts[j].idx[r] * k, parts[j].rows + (size_t)r * k,
			       k * sizeof(*x));
	rec_ials_rows_changed(m);
	return 0;
}
