/* csv.c - CSV input (libcsv over zlib): a reader of named columns, the
 * events reader on top of it, what it shares with the splitter of plain
 * files (csvsplit.c), and the CSV field writer.
 *
 * libcsv calls back once per field and once per row; callbacks cannot stop
 * the parser, so the first error is kept in the context and everything
 * after it is ignored until csv_parse returns. */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "csvread.h"
#include "evparts.h"
#include "internal.h"

struct rec_csv_buf {
	char *s;
	size_t cap;
};

/* The separators that have names; those marked sniff are the ones the
 * reader may pick, in the order it prefers them on a tie. */
static const struct named_sep {
	const char *name;
	const char *s;
	int sniff;
} seps[] = {
	{ "comma", ",", 1 }, { "tab", "\t", 1 }, { "semicolon", ";", 1 },
	{ "pipe", "|", 1 }, { "::", "::", 1 }, { "space", " ", 0 },
};

#define NSEPS (sizeof(seps) / sizeof(seps[0]))

/* Record the first error at the current line; column is 1-based in the
 * file, or 0. */
static int fail(struct rec_csv_reader *r, long column, int code, const char *msg)
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

/* The first header field from i on that names is a name of, or -1. */
static long header_find(const struct rec_csv_reader *r, const char *names, long i)
{
	for (; i < r->nheader; i++)
		if (name_matches(names, r->header[i]))
			return i;
	return -1;
}

/* The header's fields joined by the separator: its line as it was, but
 * for quotes.  The caller frees it; NULL if out of memory. */
static char *header_line(const struct rec_csv_reader *r)
{
	size_t len = 1;
	char *line, *p;

	for (long i = 0; i < r->nheader; i++)
		len += strlen(r->header[i]) + r->sep.len;
	if (!(p = line = malloc(len)))
		return NULL;
	*p = '\0';
	for (long i = 0; i < r->nheader; i++) {
		if (i)
			p = mempcpy(p, r->sep.s, r->sep.len);
		p = stpcpy(p, r->header[i]);
	}
	return line;
}

/* Another separator of seps[] that would split the header line into a
 * field that names matches: that separator, with the field in field (of
 * size bytes); NULL if there is none. */
static const struct named_sep *other_separator(const struct rec_csv_reader *r,
					       const char *line, const char *names,
					       char *field, size_t size)
{
	for (size_t i = 0; i < NSEPS; i++) {
		const char *p = line, *end;
		size_t len = strlen(seps[i].s);

		if (len == r->sep.len && memcmp(seps[i].s, r->sep.s, len) == 0)
			continue;
		for (;;) {
			size_t n = (end = strstr(p, seps[i].s)) ? (size_t)(end - p) : strlen(p);

			if (n < size) {
				memcpy(field, p, n);
				field[n] = '\0';
				if (name_matches(names, field))
					return &seps[i];
			}
			if (!end)
				break;
			p = end + len;
		}
	}
	return NULL;
}

/* Why col is not in the header: the header as it was read, and a
 * separator that would have found the column, if there is one. */
static int no_column(struct rec_csv_reader *r, const struct rec_csv_column *col,
		     const char *names)
{
	char msg[512], want[REC_QUOTED], head[REC_QUOTED], field[256], hint[REC_QUOTED + 32];
	char *line = header_line(r);
	const struct named_sep *other;

	if (!line)
		return fail(r, 0, REC_ENOMEM, "out of memory");
	rec_quote(head, sizeof(head), line, strlen(line));
	if ((other = other_separator(r, line, names, field, sizeof(field))))
		snprintf(hint, sizeof(hint), " (with -d %s it would be %s)", other->name,
			 rec_quote(want, sizeof(want), field, strlen(field)));
	else if (!col->want)
		snprintf(hint, sizeof(hint), " (looked for %s)", col->names);
	else
		hint[0] = '\0';
	if (col->want)
		snprintf(msg, sizeof(msg), "no %s column %s in the header %s%s", col->what,
			 rec_quote(want, sizeof(want), col->want, strlen(col->want)), head, hint);
	else
		snprintf(msg, sizeof(msg), "no %s column in the header %s%s", col->what, head, hint);
	free(line);
	return fail(r, 0, REC_EPARSE, msg);
}

/* Find col in the header, which must name it once. */
static int header_column(struct rec_csv_reader *r, struct rec_csv_column *col)
{
	const char *names = col->want ? col->want : col->names;
	char msg[512], a[REC_QUOTED], b[REC_QUOTED];
	long again;

	col->pos = header_find(r, names, 0);
	if (col->pos < 0 && (col->want || !col->optional))
		return no_column(r, col, names);
	if (col->pos >= 0 && (again = header_find(r, names, col->pos + 1)) >= 0) {
		const char *first = r->header[col->pos], *second = r->header[again];

		snprintf(msg, sizeof(msg), "two %s columns in the header: %s and %s", col->what,
			 rec_quote(a, sizeof(a), first, strlen(first)),
			 rec_quote(b, sizeof(b), second, strlen(second)));
		return fail(r, again + 1, REC_EPARSE, msg);
	}
	col->present = col->pos >= 0;
	return 0;
}

/* Work out the position of each column from the options and the header.
 * An optional column named "none" is absent.  Without a header, column c
 * defaults to position c + 1, and an optional column with default names
 * is absent unless a position names it: a third field may be anything,
 * not a rating.  An optional column without names is positional, present
 * when the first row reaches it (rec_csv_settle_columns). */
int rec_csv_resolve_columns(struct rec_csv_reader *r)
{
	char msg[512], q[REC_QUOTED];

	r->width = r->opt->no_header ? LONG_MAX : r->nheader;

	for (int c = 0; c < r->ncol; c++) {
		struct rec_csv_column *col = &r->col[c];
		long pos;

		col->present = 1;
		if (col->optional && (col->want ? strcmp(col->want, "none") == 0 :
				      r->opt->no_header && col->names)) {
			col->pos = -1;
			col->present = 0;
		} else if (col->want && is_position(col->want)) {
			if (rec_parse_long(col->want, 1, 1000000, &pos, "column", NULL) < 0) {
				snprintf(msg, sizeof(msg), "bad %s column %s", col->what,
					 rec_quote(q, sizeof(q), col->want, strlen(col->want)));
				return fail(r, 0, REC_EINVAL, msg);
			}
			col->pos = pos - 1;
		} else if (r->opt->no_header) {
			if (col->want) {
				snprintf(msg, sizeof(msg),
					 "%s column %s is a name, but there is no header", col->what,
					 rec_quote(q, sizeof(q), col->want, strlen(col->want)));
				return fail(r, 0, REC_EINVAL, msg);
			}
			col->pos = c;
		} else if (header_column(r, col) < 0) {
			return r->err->code;
		}
	}
	return 0;
}

/* Without a header, the first data row settles how many fields a row
 * may have. */
void rec_csv_settle_columns(struct rec_csv_reader *r)
{
	if (r->opt->no_header)
		r->width = r->nfield;
	for (int c = 0; c < r->ncol; c++)
		if (r->opt->no_header && r->col[c].optional && !r->col[c].want &&
		    !r->col[c].names && r->col[c].pos >= r->nfield) {
			r->col[c].pos = -1;
			r->col[c].present = 0;
		}
	r->settled = 1;
}

static int keep_field(struct rec_csv_buf *f, const char *s, size_t len)
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

int rec_csv_keep_header(struct rec_csv_reader *r, const char *s, size_t len)
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
	struct rec_csv_reader *r = data;
	long i = r->nfield++;
	int rc = 0;

	if (r->failed)
		return;
	if (!s)
		s = "", len = 0;
	if (!r->nul && memchr(s, '\0', len))
		r->nul = i + 1;
	if (r->line == 1 && !r->opt->no_header) {
		rc = rec_csv_keep_header(r, s, len);
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
static int take_row(struct rec_csv_reader *r)
{
	char msg[128];
	int rc;

	if (r->nul)
		return fail(r, r->nul, REC_EPARSE, "NUL byte in the field");
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
	if (r->nfield > r->width) {
		snprintf(msg, sizeof(msg), "the row has %ld fields, the %s %ld", r->nfield,
			 r->opt->no_header ? "first row" : "header", r->width);
		return fail(r, r->width + 1, REC_EPARSE, msg);
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
void rec_csv_data_row(struct rec_csv_reader *r)
{
	if (!r->settled)
		rec_csv_settle_columns(r);
	if (take_row(r) < 0 && r->opt->skip_bad && r->err->code == REC_EPARSE) {
		r->failed = 0;
		r->skipped++;
	}
}

static void on_row(int term, void *data)
{
	struct rec_csv_reader *r = data;

	(void)term;
	if (r->failed) {
		/* nothing: the error stands */
	} else if (r->line == 1 && !r->opt->no_header) {
		if (r->nul)
			fail(r, r->nul, REC_EPARSE, "NUL byte in the header");
		else
			rec_csv_resolve_columns(r);
	} else {
		rec_csv_data_row(r);
	}
	r->nfield = 0;
	r->nul = 0;
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

void rec_csv_reader_release(struct rec_csv_reader *r)
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

static int stopped(const struct rec_csv_reader *r)
{
	return r->opt->stop && *r->opt->stop;
}

/* gzread fills its whole buffer before it returns; read(2) returns what
 * has arrived, which a line-buffered reader needs. */
static int read_some(const struct rec_csv_reader *r, gzFile gz, int fd, char *buf, int n)
{
	ssize_t got;

	if (fd < 0)
		return gzread(gz, buf, (unsigned)n);
	do
		got = read(fd, buf, (size_t)n);
	while (got < 0 && errno == EINTR && !stopped(r));
	return (int)got;
}

/* The first read: the input's first bytes after the UTF-8 byte order
 * mark that spreadsheets write before the header, if there is one.  It
 * reads until it has the mark's three bytes, lest a mark cut across two
 * reads be taken for data. */
static int read_start(const struct rec_csv_reader *r, gzFile gz, int fd, char *buf, int n)
{
	/* the separator is picked from the first line, at least */
	int whole_line = !r->opt->delim && !r->opt->separator;
	int got = 0, k;

	do {
		k = read_some(r, gz, fd, buf + got, n - got);
		got += k > 0 ? k : 0;
	} while (k > 0 && got < n && (got < 3 || (whole_line && !memchr(buf, '\n', (size_t)got) &&
						 !memchr(buf, '\r', (size_t)got))));
	if (got >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		got -= 3;
		memmove(buf, buf + 3, (size_t)got);
		if (!got)
			return read_some(r, gz, fd, buf, n);
	}
	return got ? got : k;
}

/* Hand n bytes to libcsv: 0, or < 0 with the error recorded. */
static int parse(struct rec_csv_reader *r, struct csv_parser *p, const char *s, size_t n)
{
	if (n && csv_parse(p, s, n, on_field, on_row, r) != n)
		return fail(r, 0, REC_EPARSE, csv_strerror(csv_error(p)));
	return 0;
}

/* libcsv takes a delimiter of one byte.  A separator of two ("::") is
 * replaced here, outside quotes, by a NUL byte, which libcsv then takes
 * for the delimiter: a NUL is in no file the reader accepts, and one in
 * the input is dropped after its field is marked as holding one, so that
 * it is reported as with any other separator.  Quoting is followed by a
 * flip at each double quote, right for RFC 4180 fields (a doubled quote
 * flips twice); a stray quote is an error of libcsv's anyway.  This
 * rewrites buf in place, which never grows.  The splitter of plain files
 * leaves such files to this reader. */
static int feed(struct rec_csv_reader *r, struct csv_parser *p, char *buf, size_t n)
{
	size_t from = 0, to = 0;

	if (r->sep.len == 1)
		return parse(r, p, buf, n);
	for (size_t i = 0; i < n && !r->failed; i++) {
		char c = buf[i];

		/* a first byte of the separator that turns out to be data,
		 * from the last read if i is 0 */
		if (r->sep_part && c != r->sep.s[1]) {
			if (i)
				buf[to++] = r->sep.s[0];
			else if (parse(r, p, r->sep.s, 1) < 0)
				break;
		}
		if (r->sep_part && c == r->sep.s[1]) {
			buf[to++] = '\0';
		} else if (c == '\0') {
			parse(r, p, buf + from, to - from);
			from = to = i + 1;
			if (!r->nul)
				r->nul = r->nfield + 1;
		} else if (!r->quoted && c == r->sep.s[0]) {
			r->sep_part = 1;
			continue;
		} else {
			r->quoted ^= c == '"';
			buf[to++] = c;
		}
		r->sep_part = 0;
	}
	return r->failed ? r->err->code : parse(r, p, buf + from, to - from);
}

enum { CHUNK = 1 << 20 };

/* The size of a regular file shorter than CHUNK bytes, else -1. */
static off_t small_file(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < CHUNK)
		return st.st_size;
	return -1;
}

/* The bytes read at a time: CHUNK, or a small plain file's size and one
 * more, so that a small file costs small buffers. */
static int chunk_size(const char *path, gzFile gz)
{
	off_t size = small_file(path);

	if (size >= 0 && gzbuffer(gz, (unsigned)size + 2) == 0 && gzdirect(gz))
		return (int)size + 1;
	return CHUNK;
}

static int parse_stream(struct rec_csv_reader *r, gzFile gz, int fd, int chunk,
			struct csv_parser *p)
{
	char *buf = malloc((size_t)chunk);
	const char *kind;
	int n = 0, rc;

	if (!buf)
		return rec_error_set(r->err, REC_ENOMEM, "out of memory");
	if (!stopped(r))
		n = read_start(r, gz, fd, buf, chunk);
	if (n > 0 && (kind = rec_file_kind(buf, (size_t)n))) {
		free(buf);
		return rec_error_set(r->err, REC_EFORMAT, "a %s, not CSV", kind);
	}
	if (fd >= 0 && n > 0 && rec_is_gzip(buf, (size_t)n)) {
		free(buf);
		return rec_error_set(r->err, REC_EFORMAT, "gzip data: read line by line, "
				     "the input must be plain text");
	}
	rec_csv_pick_separator(r->opt, buf, n > 0 ? (size_t)n : 0, fd < 0 && n < chunk, &r->sep);
	csv_set_delim(p, r->sep.len == 1 ? (unsigned char)r->sep.s[0] : '\0');
	while (n > 0) {
		if (feed(r, p, buf, (size_t)n) < 0 || stopped(r))
			break;
		n = read_some(r, gz, fd, buf, chunk);
	}
	free(buf);
	/* a first byte of the separator that turned out to be data */
	if (r->sep_part && !r->failed && !stopped(r))
		parse(r, p, r->sep.s, 1);
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
	struct rec_csv_reader r = { .opt = opt, .col = col, .ncol = ncol, .fn = fn, .ctx = ctx,
			    .path = strcmp(path, "-") ? path : "standard input",
			    .err = err, .line = 1 };
	struct csv_parser p;
	gzFile gz;
	int rc = REC_ENOMEM;

	r.field = calloc((size_t)ncol, sizeof(*r.field));
	r.fieldp = calloc((size_t)ncol, sizeof(*r.fieldp));
	r.fieldlen = calloc((size_t)ncol, sizeof(*r.fieldlen));
	if (!r.field || !r.fieldp || !r.fieldlen) {
		rec_csv_reader_release(&r);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	if (!(gz = open_input(path, err))) {
		rec_csv_reader_release(&r);
		return REC_EIO;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
		gzclose(gz);
		rec_csv_reader_release(&r);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	rc = opt->no_header ? rec_csv_resolve_columns(&r) : 0;
	if (!rc)
		rc = parse_stream(&r, gz, line_fd(opt, path), chunk_size(path, gz), &p);
	if (!rc && r.line == 1 && !stopped(&r))
		rc = rec_error_set(err, REC_EPARSE, "empty input");
	if (rc < 0)
		rec_error_at(err, r.path, 0, 0);
	if (skipped)
		*skipped += r.skipped;
	csv_free(&p);
	gzclose(gz);
	rec_csv_reader_release(&r);
	return rc;
}

int rec_csv_parse_event(void *data, char *const *field, const size_t *len,
			struct rec_error *err)
{
	struct rec_each_ctx *x = data;
	struct rec_event ev = {
		field[REC_COL_USER], field[REC_COL_ITEM], len[REC_COL_USER], len[REC_COL_ITEM], 1, x->row,
		field[REC_COL_RATING] != NULL, field[REC_COL_TIME] != NULL
	};
	int rc;

	for (int c = 0; c < REC_NCOLS; c++)
		if (field[c] && rec_csv_is_na(x->na, field[c], len[c])) {
			x->missing++;
			return 0;
		}
	for (int c = REC_COL_USER; c <= REC_COL_ITEM; c++)
		if (!len[c]) {
			rec_error_set(err, REC_EPARSE, "empty %s ID", c == REC_COL_USER ? "user" : "item");
			err->column = c + 1;
			return REC_EPARSE;
		}
	if (ev.has_rating &&
	    rec_parse_float(field[REC_COL_RATING], -1e30, 1e30, &ev.value, "rating", err) < 0) {
		err->column = REC_COL_RATING + 1;
		return REC_EPARSE;
	}
	if (ev.has_time && rec_parse_time(field[REC_COL_TIME], &ev.time, "timestamp", err) < 0) {
		err->column = REC_COL_TIME + 1;
		return REC_EPARSE;
	}
	if ((rc = x->fn(x->ctx, &ev, err)) < 0)
		return rc;
	x->row++;
	return 0;
}

void rec_events_columns(struct rec_csv_column *col, const struct rec_csv_options *opt)
{
	const struct rec_csv_column defaults[REC_NCOLS] = {
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
	struct rec_csv_column col[REC_NCOLS];
	struct rec_each_ctx x = { fn, ctx, first_row, opt->na, 0 };
	int rc;

	rec_events_columns(col, opt);
	rc = rec_csv_read(path, opt, col, REC_NCOLS, rec_csv_parse_event, &x, skipped, err);
	if (opt->report)
		opt->report->missing += x.missing;
	return rc;
}


int rec_events_take(void *data, const struct rec_event *e, struct rec_error *err)
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

	return rec_events_each(path, opt, rec_events_take, ev, (int64_t)ev->n, &ev->skipped, err);
}

void rec_events_put(struct rec_events *ev, uint32_t user, uint32_t item, float rating,
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

/* Bytes that cannot be in a separator: quotes and line ends are CSV's
 * own, and a NUL stands for a two-byte separator inside the reader. */
static int sep_byte(char c)
{
	return c && c != '"' && c != '\n' && c != '\r';
}

int rec_parse_delim(const char *s, struct rec_csv_options *opt, struct rec_error *err)
{
	char q[REC_QUOTED];

	for (size_t i = 0; i < NSEPS; i++)
		if (strcmp(s, seps[i].name) == 0) {
			s = seps[i].s;
			break;
		}
	if (strcmp(s, "\\t") == 0)
		s = "\t";
	opt->delim = 0;
	opt->separator = NULL;
	if (strlen(s) == 1 && sep_byte(s[0]))
		opt->delim = (unsigned char)s[0];
	else if (strlen(s) == 2 && sep_byte(s[0]) && sep_byte(s[1]))
		opt->separator = s;
	else
		return rec_error_set(err, REC_EINVAL, "bad delimiter %s",
				     rec_quote(q, sizeof(q), s, strlen(s)));
	return 0;
}

static int is_line_end(char c)
{
	return c == '\n' || c == '\r';
}

/* The fields that sep splits the line at *p into, up to end; *p moves to
 * the line's end, which is a line end outside quotes, or end. */
static long count_fields(const char **p, const char *end, const char *sep, size_t seplen)
{
	const char *c = *p;
	long n = 1;
	int quoted = 0;

	for (; c < end && (quoted || !is_line_end(*c)); c++) {
		if (*c == '"')
			quoted = !quoted;
		else if (!quoted && (size_t)(end - c) >= seplen && memcmp(c, sep, seplen) == 0) {
			n++;
			c += seplen - 1;
		}
	}
	*p = c;
	return n;
}

/* The separator of seps[] that splits the first line of buf into the most
 * fields, at least two, and the second line, if buf holds it whole, into
 * as many; the first of them on a tie, and a comma if none does. */
static const struct named_sep *sniff(const char *buf, size_t len, int at_end)
{
	const char *end = buf + len;
	const struct named_sep *best = &seps[0];
	long most = 1;

	for (size_t i = 0; i < NSEPS; i++) {
		const char *p = buf;
		long first, second;

		if (!seps[i].sniff)
			continue;
		while (p < end && is_line_end(*p))
			p++;
		first = count_fields(&p, end, seps[i].s, strlen(seps[i].s));
		while (p < end && is_line_end(*p))
			p++;
		if (p < end) {
			second = count_fields(&p, end, seps[i].s, strlen(seps[i].s));
			if ((p < end || at_end) && second != first)
				continue;
		}
		if (first > most) {
			most = first;
			best = &seps[i];
		}
	}
	return best;
}

void rec_csv_pick_separator(const struct rec_csv_options *opt, const char *buf, size_t len,
			    int at_end, struct rec_csv_sep *sep)
{
	const struct named_sep *found;

	memset(sep, 0, sizeof(*sep));
	if (opt->separator) {
		sep->len = strlen(opt->separator);
		memcpy(sep->s, opt->separator, sep->len);
		return;
	}
	sep->len = 1;
	if (opt->delim) {
		sep->s[0] = (char)opt->delim;
		return;
	}
	found = sniff(buf, len < REC_CSV_SNIFF ? len : REC_CSV_SNIFF,
		      at_end && len <= REC_CSV_SNIFF);
	sep->len = strlen(found->s);
	memcpy(sep->s, found->s, sep->len);
	if (opt->report)
		opt->report->separator = found->name;
}

int rec_csv_is_na(const char *na, const char *s, size_t len)
{
	if (!na)
		return 0;
	for (;;) {
		size_t n = strcspn(na, ",");

		if (n == len && memcmp(na, s, n) == 0)
			return 1;
		if (!na[n])
			return 0;
		na += n + 1;
	}
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
	/* half as many again, and one: a guess of one event must grow too */
	if (ev->n == ev->cap && rec_events_reserve(ev, ev->cap ? ev->cap / 2 + 1 : 1024) < 0)
		return REC_ENOMEM;
	rec_events_put(ev, user, item, rating, time);
	return 0;
}
