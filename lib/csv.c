/* csv.c - CSV input (libcsv over zlib): a reader of named columns, the
 * events reader on top of it, and the CSV field writer.
 *
 * libcsv calls back once per field and once per row; callbacks cannot stop
 * the parser, so the first error is kept in the context and everything
 * after it is ignored until csv_parse returns. */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "evparts.h"
#include "internal.h"

struct field {
	char *s;
	size_t cap;
};

struct reader {
	const struct rec_csv_options *opt;
	struct rec_csv_column *col;
	int ncol;
	rec_csv_row_fn *fn;
	void *ctx;
	const char *path;
	struct rec_error *err;
	uint64_t skipped;
	int failed;
	long line;		/* record number, header included */
	long nfield;		/* fields seen in this record */
	int settled;		/* the first data row fixed the columns */
	struct field *field;	/* one per selected column */
	char **fieldp;
	size_t *fieldlen;
	char **header;
	long nheader;
};

/* Record the first error at the current line; column is 1-based in the
 * file, or 0. */
static int fail(struct reader *r, long column, int code, const char *msg)
{
	if (!r->failed) {
		if (msg)
			rec_error_set(r->err, code, "%s", msg);
		r->err->code = code;
		r->err->column = 0;
		rec_error_at(r->err, r->path, r->line, column);
		r->failed = 1;
	}
	return code;
}

static int is_position(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Does the header name h match one of the comma-separated names? */
static int name_matches(const char *names, const char *h)
{
	size_t hl = strlen(h);

	while (*names) {
		size_t n = strcspn(names, ",");

		if (n == hl && strncasecmp(names, h, n) == 0)
			return 1;
		names += n + (names[n] == ',');
	}
	return 0;
}

static long header_find(const struct reader *r, const char *names)
{
	for (long i = 0; i < r->nheader; i++)
		if (name_matches(names, r->header[i]))
			return i;
	return -1;
}

/* Work out the position of each column from the options and the header.
 * Without a header, column c defaults to position c + 1, and optional
 * columns count only if the first row is wide enough. */
static int resolve_columns(struct reader *r)
{
	char msg[256];

	for (int c = 0; c < r->ncol; c++) {
		struct rec_csv_column *col = &r->col[c];
		long pos;

		col->present = 1;
		if (col->want && is_position(col->want)) {
			if (rec_parse_long(col->want, 1, 1000000, &pos, "column", NULL) < 0) {
				snprintf(msg, sizeof(msg), "bad %s column '%s'", col->what, col->want);
				return fail(r, 0, REC_EINVAL, msg);
			}
			col->pos = pos - 1;
		} else if (r->opt->no_header) {
			if (col->want) {
				snprintf(msg, sizeof(msg),
					 "%s column '%s' is a name, but there is no header",
					 col->what, col->want);
				return fail(r, 0, REC_EINVAL, msg);
			}
			col->pos = c;
		} else {
			col->pos = header_find(r, col->want ? col->want : col->names);
			if (col->pos < 0 && (col->want || !col->optional)) {
				if (col->want)
					snprintf(msg, sizeof(msg), "no %s column '%s' in the header",
						 col->what, col->want);
				else
					snprintf(msg, sizeof(msg),
						 "no %s column in the header (looked for %s)",
						 col->what, col->names);
				return fail(r, 0, REC_EPARSE, msg);
			}
			col->present = col->pos >= 0;
		}
	}
	return 0;
}

/* The first data row settles which optional positional columns exist. */
static void settle_columns(struct reader *r)
{
	for (int c = 0; c < r->ncol; c++)
		if (r->opt->no_header && r->col[c].optional && !r->col[c].want &&
		    r->col[c].pos >= r->nfield) {
			r->col[c].pos = -1;
			r->col[c].present = 0;
		}
	r->settled = 1;
}

static int keep_field(struct field *f, const char *s, size_t len)
{
	if (len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 32;
		char *p;

		while (cap < len + 1)
			cap *= 2;
		if (!(p = realloc(f->s, cap)))
			return REC_ENOMEM;
		f->s = p;
		f->cap = cap;
	}
	memcpy(f->s, s, len);
	f->s[len] = '\0';
	return 0;
}

static int keep_header(struct reader *r, const char *s, size_t len)
{
	char **h = realloc(r->header, (r->nheader + 1) * sizeof(*h));

	if (!h)
		return REC_ENOMEM;
	r->header = h;
	if (!(h[r->nheader] = strndup(s, len)))
		return REC_ENOMEM;
	r->nheader++;
	return 0;
}

static void on_field(void *s, size_t len, void *data)
{
	struct reader *r = data;
	long i = r->nfield++;
	int rc = 0;

	if (r->failed)
		return;
	if (!s)
		s = "", len = 0;
	if (r->line == 1 && !r->opt->no_header) {
		rc = keep_header(r, s, len);
	} else {
		for (int c = 0; c < r->ncol && rc == 0; c++)
			if (r->col[c].pos == i && (rc = keep_field(&r->field[c], s, len)) == 0) {
				r->fieldp[c] = r->field[c].s;
				r->fieldlen[c] = len;
			}
	}
	if (rc < 0)
		fail(r, 0, REC_ENOMEM, "out of memory");
}

/* Hand a data row to the caller's function: r->fieldp and r->fieldlen
 * hold the row's fields at the columns' positions. */
static int take_row(struct reader *r)
{
	char msg[128];
	int rc;

	for (int c = 0; c < r->ncol; c++) {
		if (r->col[c].pos >= r->nfield) {
			snprintf(msg, sizeof(msg), "missing %s column (the row has %ld field%s)",
				 r->col[c].what, r->nfield, r->nfield == 1 ? "" : "s");
			return fail(r, 0, REC_EPARSE, msg);
		}
		if (!r->col[c].present) {
			r->fieldp[c] = NULL;
			r->fieldlen[c] = 0;
		}
	}
	r->err->column = 0;
	if ((rc = r->fn(r->ctx, r->fieldp, r->fieldlen, r->err)) < 0) {
		long c = r->err->column;

		return fail(r, c > 0 && c <= r->ncol ? r->col[c - 1].pos + 1 : 0, rc, NULL);
	}
	return 0;
}

/* A data row, bad or good: with skip_bad, a row that fails to parse is
 * counted and passed over. */
static void data_row(struct reader *r)
{
	if (!r->settled)
		settle_columns(r);
	if (take_row(r) < 0 && r->opt->skip_bad && r->err->code == REC_EPARSE) {
		r->failed = 0;
		r->skipped++;
	}
}

static void on_row(int term, void *data)
{
	struct reader *r = data;

	(void)term;
	if (r->failed) {
		/* nothing: the error stands */
	} else if (r->line == 1 && !r->opt->no_header) {
		resolve_columns(r);
	} else {
		data_row(r);
	}
	r->nfield = 0;
	r->line++;
}

static gzFile open_input(const char *path, struct rec_error *err)
{
	gzFile gz;

	if (strcmp(path, "-") == 0) {
		int fd = dup(STDIN_FILENO);

		gz = fd < 0 ? NULL : gzdopen(fd, "rb");
		if (!gz && fd >= 0)
			close(fd);
	} else {
		gz = gzopen(path, "rb");
	}
	if (!gz) {
		rec_error_set(err, REC_EIO, "%s", errno ? strerror(errno) : "out of memory");
		rec_error_at(err, path, 0, 0);
		return NULL;
	}
	gzbuffer(gz, 1 << 17);
	return gz;
}

/* The zlib error of gz after a short read, or 0 at a clean end.  zlib puts
 * the stream's name (path, or "<fd:N>") before its message; the error
 * gets the path on its own. */
static int gz_failed(gzFile gz, const char *path, struct rec_error *err)
{
	int errnum;
	const char *msg = gzerror(gz, &errnum);
	size_t n = strlen(path);

	if (errnum == Z_OK || errnum == Z_STREAM_END)
		return 0;
	if (strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		msg += n + 2;
	else if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	rec_error_set(err, REC_EIO, "%s", errnum == Z_ERRNO ? strerror(errno) : msg);
	rec_error_at(err, path, 0, 0);
	return REC_EIO;
}

/* Standard input read line by line, or -1 to read through zlib. */
static int line_fd(const struct rec_csv_options *opt, const char *path)
{
	return opt->line_buffered && strcmp(path, "-") == 0 ? STDIN_FILENO : -1;
}

static void reader_release(struct reader *r)
{
	for (int c = 0; c < r->ncol && r->field; c++)
		free(r->field[c].s);
	free(r->field);
	free(r->fieldp);
	free(r->fieldlen);
	for (long i = 0; i < r->nheader; i++)
		free(r->header[i]);
	free(r->header);
}

static int stopped(const struct reader *r)
{
	return r->opt->stop && *r->opt->stop;
}

/* gzread fills its whole buffer before it returns; read(2) returns what
 * has arrived, which a line-buffered reader needs. */
static int read_some(const struct reader *r, gzFile gz, int fd, char *buf, int n)
{
	ssize_t got;

	if (fd < 0)
		return gzread(gz, buf, (unsigned)n);
	do
		got = read(fd, buf, (size_t)n);
	while (got < 0 && errno == EINTR && !stopped(r));
	return (int)got;
}

static int parse_stream(struct reader *r, gzFile gz, int fd, struct csv_parser *p)
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK);
	int n = 0, rc;

	if (!buf)
		return rec_error_set(r->err, REC_ENOMEM, "out of memory");
	while (!stopped(r) && (n = read_some(r, gz, fd, buf, CHUNK)) > 0) {
		if (csv_parse(p, buf, (size_t)n, on_field, on_row, r) != (size_t)n) {
			fail(r, 0, REC_EPARSE, csv_strerror(csv_error(p)));
			break;
		}
		if (r->failed)
			break;
	}
	free(buf);
	if (r->failed)
		return r->err->code;
	if (stopped(r))
		return 0;
	if ((rc = gz_failed(gz, r->path, r->err)) < 0)
		return rc;
	if (n < 0)
		return rec_error_set(r->err, REC_EIO, "read error");
	if (csv_fini(p, on_field, on_row, r) != 0)
		fail(r, 0, REC_EPARSE, csv_strerror(csv_error(p)));
	return r->failed ? r->err->code : 0;
}

int rec_csv_read(const char *path, const struct rec_csv_options *opt,
		 struct rec_csv_column *col, int ncol, rec_csv_row_fn *fn,
		 void *ctx, uint64_t *skipped, struct rec_error *err)
{
	struct reader r = { .opt = opt, .col = col, .ncol = ncol, .fn = fn, .ctx = ctx,
			    .path = strcmp(path, "-") ? path : "standard input",
			    .err = err, .line = 1 };
	struct csv_parser p;
	gzFile gz;
	int rc = REC_ENOMEM;

	r.field = calloc((size_t)ncol, sizeof(*r.field));
	r.fieldp = calloc((size_t)ncol, sizeof(*r.fieldp));
	r.fieldlen = calloc((size_t)ncol, sizeof(*r.fieldlen));
	if (!r.field || !r.fieldp || !r.fieldlen) {
		reader_release(&r);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	if (!(gz = open_input(path, err))) {
		reader_release(&r);
		return REC_EIO;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		gzclose(gz);
		reader_release(&r);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	csv_set_delim(&p, opt->delim ? opt->delim : ',');
	rc = opt->no_header ? resolve_columns(&r) : 0;
	if (!rc)
		rc = parse_stream(&r, gz, line_fd(opt, path), &p);
	if (!rc && r.line == 1 && !stopped(&r))
		rc = rec_error_set(err, REC_EPARSE, "empty input");
	if (rc < 0)
		rec_error_at(err, r.path, 0, 0);
	if (skipped)
		*skipped += r.skipped;
	csv_free(&p);
	gzclose(gz);
	reader_release(&r);
	return rc;
}

enum { COL_USER, COL_ITEM, COL_RATING, COL_TIME, NCOLS };

struct each_ctx {
	rec_event_fn *fn;
	void *ctx;
	int64_t row;		/* data rows read: the time without a time column */
};

static int parse_event(void *data, char *const *field, const size_t *len,
		       struct rec_error *err)
{
	struct each_ctx *x = data;
	struct rec_event ev = {
		field[COL_USER], field[COL_ITEM], len[COL_USER], len[COL_ITEM], 1, x->row,
		field[COL_RATING] != NULL, field[COL_TIME] != NULL
	};
	double rating = 1;
	int rc;

	for (int c = COL_USER; c <= COL_ITEM; c++)
		if (!len[c]) {
			rec_error_set(err, REC_EPARSE, "empty %s ID", c == COL_USER ? "user" : "item");
			err->column = c + 1;
			return REC_EPARSE;
		}
	if (ev.has_rating &&
	    rec_parse_double(field[COL_RATING], -1e30, 1e30, &rating, "rating", err) < 0) {
		err->column = COL_RATING + 1;
		return REC_EPARSE;
	}
	if (ev.has_time && rec_parse_time(field[COL_TIME], &ev.time, "timestamp", err) < 0) {
		err->column = COL_TIME + 1;
		return REC_EPARSE;
	}
	ev.value = (float)rating;
	if ((rc = x->fn(x->ctx, &ev, err)) < 0)
		return rc;
	x->row++;
	return 0;
}

static void event_columns(struct rec_csv_column *col, const struct rec_csv_options *opt)
{
	const struct rec_csv_column defaults[NCOLS] = {
		{ "user", "user,user_id,userid", opt->user, 0, 0, 0 },
		{ "item", "item,item_id,itemid", opt->item, 0, 0, 0 },
		{ "rating", "rating,ratings,score", opt->rating, 1, 0, 0 },
		{ "timestamp", "timestamp,ts,time", opt->time, 1, 0, 0 },
	};

	memcpy(col, defaults, sizeof(defaults));
}

int rec_events_each(const char *path, const struct rec_csv_options *opt,
		    rec_event_fn *fn, void *ctx, int64_t first_row,
		    uint64_t *skipped, struct rec_error *err)
{
	struct rec_csv_column col[NCOLS];
	struct each_ctx x = { fn, ctx, first_row };

	event_columns(col, opt);
	return rec_csv_read(path, opt, col, NCOLS, parse_event, &x, skipped, err);
}


static int take_event(void *data, const struct rec_event *e, struct rec_error *err)
{
	struct rec_events *ev = data;
	uint32_t user, item;
	int rc;

	rc = rec_dict_intern(ev->users, e->user, e->user_len, &user, NULL);
	if (rc == 0)
		rc = rec_dict_intern(ev->items, e->item, e->item_len, &item, NULL);
	if (rc == 0)
		rc = rec_events_push(ev, user, item, e->value, e->time);
	if (rc < 0)
		return rec_error_set(err, rc, "%s", rc == REC_ENOMEM ? "out of memory" : "too many IDs");
	ev->has_rating |= e->has_rating;
	ev->has_time |= e->has_time;
	return 0;
}

int rec_events_read_general(struct rec_events *ev, const char *path,
			    const struct rec_csv_options *opt, struct rec_error *err)
{
	struct stat st;

	/* The shortest event line, "u,i\n", has four bytes.  If the guess
	 * cannot be had, the arrays grow as they fill. */
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		rec_events_reserve(ev, (size_t)st.st_size / 4);

	return rec_events_each(path, opt, take_event, ev, (int64_t)ev->n, &ev->skipped, err);
}

/* Store an event at the end of ev, which has room for it. */
static void put_event(struct rec_events *ev, uint32_t user, uint32_t item, float rating,
		      int64_t time)
{
	ev->user[ev->n] = user;
	ev->item[ev->n] = item;
	ev->rating[ev->n] = rating;
	ev->time[ev->n] = time;
	ev->n++;
}

/* Append a part's events to ev, the part's IDs interned in ev's
 * dictionaries in the order they came; times that count rows go on from
 * ev's. */
static int append_part(struct rec_events *ev, const struct rec_events *part)
{
	uint32_t nusers = rec_dict_size(part->users), nitems = rec_dict_size(part->items);
	uint32_t *map = malloc(((size_t)nusers + nitems + 1) * sizeof(*map));
	int64_t offset = part->has_time ? 0 : (int64_t)ev->n;
	int rc = map ? rec_events_reserve(ev, part->n) : REC_ENOMEM;

	if (rc == 0 && (rc = rec_dict_intern_all(part->users, ev->users, map)) == 0)
		rc = rec_dict_intern_all(part->items, ev->items, map + nusers);
	for (size_t e = 0; rc == 0 && e < part->n; e++) {
		ev->user[ev->n + e] = map[part->user[e]];
		ev->item[ev->n + e] = map[nusers + part->item[e]];
		ev->rating[ev->n + e] = part->rating[e];
		ev->time[ev->n + e] = part->time[e] + offset;
	}
	if (rc == 0) {
		ev->n += part->n;
		ev->has_rating |= part->has_rating;
		ev->has_time |= part->has_time;
	}
	free(map);
	return rc;
}

int rec_events_read(struct rec_events *ev, const char *path,
		    const struct rec_csv_options *opt, struct rec_error *err)
{
	struct rec_events *part;
	int n = rec_events_read_parts(path, opt, &part, &ev->skipped, err), rc = 0;

	if (n == 0)
		return rec_events_read_general(ev, path, opt, err);
	for (int k = 0; k < n; k++) {
		if (rc == 0 && (rc = append_part(ev, &part[k])) < 0) {
			rec_error_set(err, rc, "%s", rc == REC_ENOMEM ? "out of memory" :
				      "too many IDs");
			rec_error_at(err, path, 0, 0);
		}
		rec_events_release(&part[k]);
	}
	free(part);
	return n < 0 ? n : rc;
}

/* --- plain files, split by hand ---
 *
 * A regular file that is not gzip is read in blocks and split at its
 * delimiters and line ends in place, in parts on all threads.  The rows
 * are the ones libcsv gives: CR and LF both end a row, and empty rows do
 * not count.  A quote, or a space or tab that is not the delimiter,
 * brings in libcsv's rules (quoting, trimming), so a file with one is
 * left to libcsv. */

enum { BYTE_PLAIN, BYTE_DELIM, BYTE_END, BYTE_ODD };
enum { ROW_NONE, ROW_READ, ROW_ODD };

#define BLOCK (1 << 20)
#define HEAD_BLOCK (1 << 12)	/* bytes first read for the header */
#define SLACK 8			/* sentinel bytes after the buffer's data */
#define MIN_PART (1 << 16)	/* bytes: smaller files are read in one part */

struct span {
	char *s;
	size_t len;
};

/* What each byte is to the splitter, and the delimiter. */
struct classes {
	unsigned char of[256];
	unsigned char delim;
};

/* A byte range of a file, read in blocks and split into rows. */
struct blocks {
	int fd;
	off_t off;		/* the next byte to read */
	off_t end;		/* the end of the range */
	char *buf;		/* cap bytes and SLACK sentinel line ends */
	size_t cap;
	size_t len;
	size_t pos;		/* the first byte not split yet */
	const struct classes *cls;
	struct span *field;	/* the first fields of the row */
	long nfield_cap;
};

static void byte_classes(struct classes *cls, unsigned char delim)
{
	memset(cls->of, BYTE_PLAIN, sizeof(cls->of));
	cls->of['"'] = cls->of[' '] = cls->of['\t'] = BYTE_ODD;
	cls->of['\r'] = cls->of['\n'] = BYTE_END;
	cls->of[delim] = BYTE_DELIM;
	cls->delim = delim;
}

static int blocks_open(struct blocks *b, int fd, off_t start, off_t end, size_t cap,
		       const struct classes *cls)
{
	*b = (struct blocks){ .fd = fd, .off = start, .end = end, .cap = cap, .cls = cls };
	if (!(b->buf = malloc(b->cap + SLACK)))
		return REC_ENOMEM;
	memset(b->buf, '\n', SLACK);
	return 0;
}

static void blocks_close(struct blocks *b)
{
	free(b->buf);
	free(b->field);
}

/* Keep the bytes not split yet and read more after them: > 0 if some
 * came, 0 at the end of the range, < 0 on an error. */
static int fill(struct blocks *b)
{
	size_t tail = b->len - b->pos;
	ssize_t got;

	if (b->off >= b->end)
		return 0;
	if (tail == b->cap) {
		char *buf = realloc(b->buf, 2 * b->cap + SLACK);

		if (!buf)
			return REC_ENOMEM;
		b->buf = buf;
		b->cap *= 2;
	}
	memmove(b->buf, b->buf + b->pos, tail);
	b->len = tail;
	b->pos = 0;
	do
		got = pread(b->fd, b->buf + b->len,
			    (size_t)(b->end - b->off) < b->cap - b->len ?
			    (size_t)(b->end - b->off) : b->cap - b->len, b->off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return REC_EIO;
	if (got == 0)
		b->end = b->off;	/* the file shrank */
	b->off += got;
	b->len += (size_t)got;
	memset(b->buf + b->len, '\n', SLACK);
	return got > 0;
}

static int keep_span(struct blocks *b, long i, char *s, char *end)
{
	if (i == b->nfield_cap) {
		long cap = b->nfield_cap ? 2 * b->nfield_cap : 8;
		struct span *f = realloc(b->field, (size_t)cap * sizeof(*f));

		if (!f)
			return REC_ENOMEM;
		b->field = f;
		b->nfield_cap = cap;
	}
	b->field[i] = (struct span){ s, (size_t)(end - s) };
	return 0;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Eight bytes from p, the first in the low byte. */
static uint64_t load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The high bits of the bytes of w that may end a field: those below '#'
 * (line ends, quote, space, tab, controls) and delimiters.  The lowest
 * is exact; the bits above it may be false. */
static uint64_t stops(uint64_t w, uint64_t delims)
{
	uint64_t d = w ^ delims;

	return (((w - ONES * '#') & ~w) | ((d - ONES) & ~d)) & HIGHS;
}

/* The byte that ends the field at p, eight bytes at a time. */
static char *field_end(char *p, const unsigned char *cls, uint64_t delims)
{
	for (;;) {
		uint64_t m = stops(load8(p), delims);

		if (!m) {
			p += 8;
			continue;
		}
		p += __builtin_ctzll(m) / 8;
		if (cls[(unsigned char)*p] != BYTE_PLAIN)
			return p;
		p++;
	}
}

/* Split the row at b->pos, keeping its first keep fields (not
 * terminated: the byte after each is free for a NUL): ROW_READ,
 * ROW_NONE if the row goes on past the bytes read, ROW_ODD, or < 0. */
static int split_row(struct blocks *b, long keep, long *nfield)
{
	const unsigned char *cls = b->cls->of;
	uint64_t delims = ONES * b->cls->delim;
	char *p = b->buf + b->pos, *end = b->buf + b->len, *start;
	int last = b->off >= b->end;	/* the sentinel ends the last row */
	long n = 0;

	while (p < end && cls[(unsigned char)*p] == BYTE_END)
		p++;
	b->pos = (size_t)(p - b->buf);
	if (p == end)
		return ROW_NONE;
	for (start = p;; start = ++p) {
		unsigned char c;

		p = field_end(p, cls, delims);
		c = cls[(unsigned char)*p];
		if (c == BYTE_ODD)
			return ROW_ODD;
		if (p == end && !last)
			return ROW_NONE;
		if (n < keep && keep_span(b, n, start, p) < 0)
			return REC_ENOMEM;
		n++;
		if (c == BYTE_END)
			break;
	}
	b->pos = (size_t)(p - b->buf) + (p < end);
	*nfield = n;
	return ROW_READ;
}

/* The next row of the range, as split_row, or ROW_NONE at its end. */
static int next_row(struct blocks *b, long keep, long *nfield)
{
	int rc;

	while ((rc = split_row(b, keep, nfield)) == ROW_NONE)
		if ((rc = fill(b)) <= 0)
			return rc;
	return rc;
}

/* Where the first row of the range's data starts. */
static off_t blocks_at(const struct blocks *b)
{
	return b->off - (off_t)(b->len - b->pos);
}

/* The header, if any, and the first data row set the columns, as they
 * do for libcsv; *data is where the data rows start.  0 if the general
 * reader should read the file: it also reports a bad header. */
static int read_head(struct reader *r, int fd, off_t size, const struct classes *cls,
		     off_t *data)
{
	struct blocks b;
	long n;
	int ok = 0;

	/* a block that grows as a row needs: the first two rows are all */
	if (blocks_open(&b, fd, 0, size, HEAD_BLOCK, cls) < 0)
		return 0;
	if (!r->opt->no_header) {
		if (next_row(&b, LONG_MAX, &n) != ROW_READ)
			goto out;
		for (long i = 0; i < n; i++)
			if (keep_header(r, b.field[i].s, b.field[i].len) < 0)
				goto out;
	}
	if (resolve_columns(r) < 0)
		goto out;
	r->line += !r->opt->no_header;
	*data = blocks_at(&b);
	if (next_row(&b, 0, &r->nfield) == ROW_READ) {
		settle_columns(r);
		ok = 1;
	}
out:
	blocks_close(&b);
	return ok;
}

/* Where part k of n of the data [data, size) starts: after a line end. */
static off_t part_start(int fd, off_t data, off_t size, int k, int n)
{
	char buf[4096];
	off_t at = data + (off_t)((double)(size - data) * k / n);
	ssize_t got;

	if (k == 0)
		return data;
	while ((got = pread(fd, buf, sizeof(buf), at)) > 0) {
		for (ssize_t i = 0; i < got; i++)
			if (buf[i] == '\n' || buf[i] == '\r')
				return at + i + 1;
		at += got;
	}
	return size;
}

/* One thread's part: a reader of its own whose line counts from 1.
 * Parts start on cache lines of their own, so that the threads do not
 * share one for the counts they bump on every row. */
struct part {
	_Alignas(64) struct reader r;
	struct blocks b;
	struct each_ctx x;
	struct rec_events ev;	/* handed over when the part is read */
	struct rec_error err;
	long rows;
};

/* The field as a string, for the parsers. */
static char *terminate(const struct span *f)
{
	f->s[f->len] = '\0';
	return f->s;
}

/* A rating or time in the form most files write it, else as
 * parse_event reads it: 0 if it reads, < 0 if not. */
static int quick_rating(const struct span *f, float *out)
{
	double v;

	if (f->len == 1 && f->s[0] >= '0' && f->s[0] <= '9') {
		*out = (float)(f->s[0] - '0');
		return 0;
	}
	if (rec_parse_double(terminate(f), -1e30, 1e30, &v, "rating", NULL) < 0)
		return REC_EPARSE;
	*out = (float)v;
	return 0;
}

/* Eight ASCII digits, the first in the low byte, as a number; -1 if
 * there is a byte that is not a digit. */
static int64_t eight_digits(uint64_t w)
{
	if (((w & ONES * 0xf0) | ((w + ONES * 0x06) & ONES * 0xf0) >> 4) != ONES * 0x33)
		return -1;
	w = (w & ONES * 0x0f) * (10 * 256 + 1) >> 8;
	w = (w & 0x00ff00ff00ff00ffULL) * (100 * 65536 + 1) >> 16;
	return (int64_t)((w & 0x0000ffff0000ffffULL) * (10000 * 4294967296ULL + 1) >> 32);
}

static int quick_time(const struct span *f, int64_t *out)
{
	const char *s = f->s;
	size_t len = f->len;
	int64_t v = 0, eight;

	if (len == 0 || len > 18)
		return rec_parse_time(terminate(f), out, "timestamp", NULL);
	for (; len >= 8; s += 8, len -= 8) {
		if ((eight = eight_digits(load8(s))) < 0)
			return rec_parse_time(terminate(f), out, "timestamp", NULL);
		v = v * 100000000 + eight;
	}
	for (; len > 0; s++, len--) {
		unsigned digit = (unsigned char)*s - '0';

		if (digit > 9)
			return rec_parse_time(terminate(f), out, "timestamp", NULL);
		v = v * 10 + digit;
	}
	*out = v;
	return 0;
}

/* A good row taken as data_row would take it, without its indirection;
 * < 0 leaves the row to data_row, to be taken or reported there. */
static int quick_row(struct part *pt, const struct span *f)
{
	const struct rec_csv_column *col = pt->r.col;
	const struct span *user = &f[COL_USER], *item = &f[COL_ITEM];
	struct rec_events *ev = pt->x.ctx;
	float value = 1;
	int64_t t = pt->x.row;
	uint32_t u, i;

	if (!user->len || !item->len || ev->n == ev->cap ||
	    (col[COL_RATING].present && quick_rating(&f[COL_RATING], &value) < 0) ||
	    (col[COL_TIME].present && quick_time(&f[COL_TIME], &t) < 0) ||
	    rec_dict_intern(ev->users, user->s, user->len, &u, NULL) < 0 ||
	    rec_dict_intern(ev->items, item->s, item->len, &i, NULL) < 0)
		return REC_EPARSE;
	put_event(ev, u, i, value, t);
	pt->x.row++;
	return 0;
}

/* A split row: its columns' fields, and how many fields it has. */
struct split {
	struct span col[NCOLS];
	long nfield;
};

/* Keep the columns of the row just split, and start loading the
 * dictionary slots of its IDs: the rows of a batch wait for them
 * together. */
static void keep_row(const struct part *pt, struct split *row, long keep)
{
	const struct rec_csv_column *col = pt->r.col;
	const struct rec_events *ev = pt->x.ctx;

	for (int c = 0; c < NCOLS; c++)
		if (col[c].present && col[c].pos < row->nfield)
			row->col[c] = pt->b.field[col[c].pos];
	if (row->nfield >= keep) {
		rec_dict_prefetch(ev->users, row->col[COL_USER].s, row->col[COL_USER].len);
		rec_dict_prefetch(ev->items, row->col[COL_ITEM].s, row->col[COL_ITEM].len);
	}
}

static void take_split(struct part *pt, struct split *row, long keep)
{
	struct reader *r = &pt->r;

	if (row->nfield < keep || quick_row(pt, row->col) < 0) {
		r->nfield = row->nfield;
		for (int c = 0; c < NCOLS; c++)
			if (r->col[c].present && r->col[c].pos < row->nfield) {
				r->fieldp[c] = terminate(&row->col[c]);
				r->fieldlen[c] = row->col[c].len;
			}
		data_row(r);
	}
	r->line++;
	pt->rows++;
}

#define BATCH 16

static void read_part(struct part *pt, long keep, int *odd)
{
	struct reader *r = &pt->r;
	struct rec_events *ev = pt->x.ctx;
	struct split row[BATCH];
	int rc = ROW_READ, n, stop = 0, other;

	while (!r->failed && !stop) {
		for (n = 0; n < BATCH; n++) {
			if ((rc = split_row(&pt->b, keep, &row[n].nfield)) != ROW_READ)
				break;
			keep_row(pt, &row[n], keep);
		}
		for (int i = 0; i < n && !r->failed; i++)
			take_split(pt, &row[i], keep);
		if (rc == ROW_ODD) {
			#pragma omp atomic write
			*odd = 1;
		} else if (rc == ROW_NONE && (rc = fill(&pt->b)) <= 0) {
			stop = 1;
		}
		if (rc < 0 && !r->failed) {
			rec_error_set(r->err, rc, "%s", rc == REC_ENOMEM ? "out of memory" :
				      strerror(errno));
			rec_error_at(r->err, r->path, 0, 0);
			r->failed = 1;
		}
		#pragma omp atomic read
		other = *odd;
		stop |= other;
	}
	/* once, not per row: the parts' events sit side by side */
	if (ev->n) {
		ev->has_rating |= r->col[COL_RATING].present;
		ev->has_time |= r->col[COL_TIME].present;
	}
}

static long last_position(const struct reader *r)
{
	long keep = 0;

	for (int c = 0; c < r->ncol; c++)
		if (r->col[c].present && r->col[c].pos + 1 > keep)
			keep = r->col[c].pos + 1;
	return keep;
}

static int part_init(struct part *pt, const struct reader *head, int fd, off_t start,
		     off_t end, const struct classes *cls)
{
	*pt = (struct part){ .r = *head, .x = { take_event, &pt->ev, 0 } };
	pt->r.ctx = &pt->x;
	pt->r.err = &pt->err;
	pt->r.line = 1;
	pt->r.header = NULL;
	pt->r.nheader = 0;
	pt->r.fieldp = calloc((size_t)head->ncol, sizeof(*pt->r.fieldp));
	pt->r.fieldlen = calloc((size_t)head->ncol, sizeof(*pt->r.fieldlen));
	if (!pt->r.fieldp || !pt->r.fieldlen || blocks_open(&pt->b, fd, start, end, BLOCK, cls) < 0 ||
	    rec_events_init(&pt->ev, NULL, NULL) < 0)
		return REC_ENOMEM;
	/* The shortest event row, "u,i" and its line end, has four bytes. */
	rec_events_reserve(&pt->ev, (size_t)(end - start) / 4 + 1);
	return 0;
}

static void part_release(struct part *pt)
{
	free(pt->r.fieldp);
	free(pt->r.fieldlen);
	blocks_close(&pt->b);
}

static int part_count(off_t bytes)
{
	/* inside another parallel region, the parts would share one thread */
	int n = omp_get_active_level() < omp_get_max_active_levels() ? omp_get_max_threads() : 1;

	if (bytes / MIN_PART < n)
		n = (int)(bytes / MIN_PART);
	return n > 1 ? n : 1;
}

/* The number of parts, or the first error in file order, its line
 * counted from line, the first data row's. */
static int parts_result(const struct part *pt, int n, long line, uint64_t *skipped,
			struct rec_error *err)
{
	for (int k = 0; k < n; k++) {
		if (pt[k].r.failed) {
			*err = pt[k].err;
			if (err->line)
				err->line += line - 1;
			return err->code;
		}
		line += pt[k].rows;
	}
	for (int k = 0; skipped && k < n; k++)
		*skipped += pt[k].r.skipped;
	return n;
}

/* Read the data rows in parts on all threads into ev[k]: the number of
 * parts, 0 if a row needs the general reader, or < 0 on an error. */
static int read_in_parts(const struct reader *head, int fd, off_t data, off_t size,
			 const struct classes *cls, struct rec_events *ev, int n,
			 uint64_t *skipped, struct rec_error *err)
{
	struct part *pt = aligned_alloc(_Alignof(struct part), (size_t)n * sizeof(*pt));
	off_t *start = malloc(((size_t)n + 1) * sizeof(*start));
	long keep = last_position(head);
	int odd = 0, rc;

	if (!pt || !start) {
		free(pt);
		free(start);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	start[n] = size;
	for (int k = 0; k < n; k++)
		start[k] = part_start(fd, data, size, k, n);
	for (int k = n - 1; k > 0; k--)
		if (start[k] > start[k + 1])
			start[k] = start[k + 1];
	#pragma omp parallel for num_threads(n) schedule(static, 1)
	for (int k = 0; k < n; k++) {
		if (part_init(&pt[k], head, fd, start[k], start[k + 1], cls) == 0) {
			read_part(&pt[k], keep, &odd);
		} else {
			rec_error_set(&pt[k].err, REC_ENOMEM, "out of memory");
			rec_error_at(&pt[k].err, head->path, 0, 0);
			pt[k].r.failed = 1;
		}
	}
	rc = odd ? 0 : parts_result(pt, n, head->line, skipped, err);
	for (int k = 0; k < n; k++) {
		ev[k] = pt[k].ev;
		part_release(&pt[k]);
	}
	free(pt);
	free(start);
	return rc;
}

static int is_gzip(int fd)
{
	unsigned char magic[2];

	return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

int rec_events_read_parts(const char *path, const struct rec_csv_options *opt,
			  struct rec_events **parts, uint64_t *skipped, struct rec_error *err)
{
	struct rec_csv_column col[NCOLS];
	struct reader head = { .opt = opt, .col = col, .ncol = NCOLS, .fn = parse_event,
			       .path = path, .err = err, .line = 1 };
	struct classes cls;
	struct rec_events *ev = NULL;
	struct stat st;
	off_t data;
	int fd, nparts, n = 0;

	*parts = NULL;
	if (opt->line_buffered || strcmp(path, "-") == 0 || (fd = open(path, O_RDONLY)) < 0)
		return 0;
	event_columns(col, opt);
	byte_classes(&cls, opt->delim ? opt->delim : ',');
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !is_gzip(fd) &&
	    read_head(&head, fd, st.st_size, &cls, &data)) {
		nparts = part_count(st.st_size - data);
		if (!(ev = calloc((size_t)nparts, sizeof(*ev))))
			n = rec_error_set(err, REC_ENOMEM, "out of memory");
		else
			n = read_in_parts(&head, fd, data, st.st_size, &cls, ev, nparts, skipped, err);
		for (int k = 0; n <= 0 && ev && k < nparts; k++)
			rec_events_release(&ev[k]);
	}
	if (n > 0)
		*parts = ev;
	else
		free(ev);
	reader_release(&head);
	close(fd);
	return n;
}


int rec_parse_delim(const char *s, unsigned char *out, struct rec_error *err)
{
	static const struct { const char *name; unsigned char c; } names[] = {
		{ "tab", '\t' }, { "comma", ',' }, { "semicolon", ';' },
		{ "space", ' ' }, { "pipe", '|' },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].c;
			return 0;
		}
	if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r') {
		*out = (unsigned char)s[0];
		return 0;
	}
	return rec_error_set(err, REC_EINVAL, "bad delimiter '%s'", s);
}

void rec_csv_field(FILE *fp, const char *s, size_t len)
{
	if (strcspn(s, ",\"\r\n") >= len) {
		fwrite(s, 1, len, fp);
		return;
	}
	putc('"', fp);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			putc('"', fp);
		putc(s[i], fp);
	}
	putc('"', fp);
}

int rec_events_init(struct rec_events *ev, struct rec_dict *users,
		    struct rec_dict *items)
{
	memset(ev, 0, sizeof(*ev));
	ev->users = users ? rec_dict_ref(users) : rec_dict_new();
	ev->items = items ? rec_dict_ref(items) : rec_dict_new();
	if (!ev->users || !ev->items) {
		rec_events_release(ev);
		return REC_ENOMEM;
	}
	return 0;
}

void rec_events_release(struct rec_events *ev)
{
	rec_dict_free(ev->users);
	rec_dict_free(ev->items);
	free(ev->user);
	free(ev->item);
	free(ev->rating);
	free(ev->time);
	memset(ev, 0, sizeof(*ev));
}

static int grow(void **p, size_t old, size_t cap, size_t size);

/* Room for n more events.  Untouched pages of a large allocation cost no
 * memory, so a generous guess only saves the copies of regrowing. */
int rec_events_reserve(struct rec_events *ev, size_t n)
{
	size_t cap = ev->n + n;

	if (cap <= ev->cap)
		return 0;
	if (grow((void **)&ev->user, ev->cap, cap, sizeof(*ev->user)) < 0 ||
	    grow((void **)&ev->item, ev->cap, cap, sizeof(*ev->item)) < 0 ||
	    grow((void **)&ev->rating, ev->cap, cap, sizeof(*ev->rating)) < 0 ||
	    grow((void **)&ev->time, ev->cap, cap, sizeof(*ev->time)) < 0)
		return REC_ENOMEM;
	ev->cap = cap;
	return 0;
}

static int grow(void **p, size_t old, size_t cap, size_t size)
{
	void *q = rec_realloc_large(*p, old * size, cap * size);

	if (!q)
		return REC_ENOMEM;
	*p = q;
	return 0;
}

int rec_events_push(struct rec_events *ev, uint32_t user, uint32_t item,
		    float rating, int64_t time)
{
	if (ev->n == ev->cap && rec_events_reserve(ev, ev->cap ? ev->cap / 2 : 1024) < 0)
		return REC_ENOMEM;
	put_event(ev, user, item, rating, time);
	return 0;
}
