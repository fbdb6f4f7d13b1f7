/* csvsplit.c - plain events files split by hand, in parts on all threads.
 *
 * A regular file that is not gzip, with a separator of one byte, is read
 * in blocks and split at its delimiters and line ends in place, in parts
 * on all threads.  The rows
 * are the ones libcsv gives: CR and LF both end a row, and empty rows do
 * not count.  A quote, or a space or tab that is not the delimiter,
 * brings in libcsv's rules (quoting, trimming), so a file with one is
 * left to libcsv; so is a file with a NUL byte, an error that libcsv's
 * reader reports.  Rows that the quick path cannot take go to the same
 * row code as libcsv's (csvread.h), which takes them or says why not. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvread.h"
#include "evparts.h"
#include "internal.h"

enum { BYTE_PLAIN, BYTE_DELIM, BYTE_END, BYTE_ODD };
enum { ROW_NONE, ROW_READ, ROW_ODD };

#define BLOCK (1 << 20)
#define HEAD_BLOCK (1 << 12)	/* bytes first read for the header */
#define SLACK 8			/* sentinel bytes after the buffer's data */

long rec_csv_min_part = 1 << 16;
unsigned long rec_csv_split_files;

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
	cls->of['"'] = cls->of[' '] = cls->of['\t'] = cls->of['\0'] = BYTE_ODD;
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

/* The length of the UTF-8 byte order mark at the start of the file: 3,
 * or 0 if there is none. */
static off_t bom_length(int fd)
{
	char mark[3];

	return pread(fd, mark, 3, 0) == 3 && memcmp(mark, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* The header, if any, and the first data row set the columns, as they
 * do for libcsv; *data is where the data rows start.  0 if the general
 * reader should read the file: it also reports a bad header. */
static int read_head(struct rec_csv_reader *r, int fd, off_t size, const struct classes *cls,
		     off_t *data)
{
	struct blocks b;
	long n;
	int ok = 0;

	/* a block that grows as a row needs: the first two rows are all */
	if (blocks_open(&b, fd, bom_length(fd), size, HEAD_BLOCK, cls) < 0)
		return 0;
	if (!r->opt->no_header) {
		if (next_row(&b, LONG_MAX, &n) != ROW_READ)
			goto out;
		for (long i = 0; i < n; i++)
			if (rec_csv_keep_header(r, b.field[i].s, b.field[i].len) < 0)
				goto out;
	}
	if (rec_csv_resolve_columns(r) < 0)
		goto out;
	r->line += !r->opt->no_header;
	*data = blocks_at(&b);
	if (next_row(&b, 0, &r->nfield) == ROW_READ) {
		rec_csv_settle_columns(r);
		ok = 1;
	}
out:
	blocks_close(&b);
	return ok;
}

/* The separator of the file, as the general reader picks it, in *sep,
 * and the classes of bytes it makes: 1, or 0 if the file is left to the
 * general reader, which also takes separators of two bytes. */
static int file_classes(const struct rec_csv_options *opt, int fd, off_t size,
			struct rec_csv_sep *sep, struct classes *cls)
{
	off_t bom = bom_length(fd);
	char *buf = NULL;
	ssize_t got = 0;

	if (!opt->delim && !opt->separator &&
	    (!(buf = malloc(REC_CSV_SNIFF)) || (got = pread(fd, buf, REC_CSV_SNIFF, bom)) < 0)) {
		free(buf);
		return 0;
	}
	rec_csv_pick_separator(opt, buf, (size_t)got, bom + got >= size, sep);
	free(buf);
	/* a quote that separates is libcsv's to make sense of */
	if (sep->len != 1 || sep->s[0] == '"')
		return 0;
	byte_classes(cls, (unsigned char)sep->s[0]);
	return 1;
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
	_Alignas(64) struct rec_csv_reader r;
	struct blocks b;
	struct rec_each_ctx x;
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
 * rec_csv_parse_event reads it: 0 if it reads, < 0 if not. */
static int quick_rating(const struct span *f, float *out)
{
	if (f->len == 1 && f->s[0] >= '0' && f->s[0] <= '9') {
		*out = (float)(f->s[0] - '0');
		return 0;
	}
	return rec_parse_float(terminate(f), -1e30, 1e30, out, "rating", NULL);
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
	if (v > REC_TIME_MAX)
		return rec_parse_time(terminate(f), out, "timestamp", NULL);
	*out = v;
	return 0;
}

/* Does a field of the row mark a missing value?  Such a row is left to
 * rec_csv_parse_event, which drops it and counts it. */
static int is_na(const struct part *pt, const struct span *f)
{
	for (int c = 0; pt->x.na && c < REC_NCOLS; c++)
		if (pt->r.col[c].present && rec_csv_is_na(pt->x.na, f[c].s, f[c].len))
			return 1;
	return 0;
}

/* A good row taken as rec_csv_data_row would take it, without its indirection;
 * < 0 leaves the row to rec_csv_data_row, to be taken or reported there. */
static int quick_row(struct part *pt, const struct span *f)
{
	const struct rec_csv_column *col = pt->r.col;
	const struct span *user = &f[REC_COL_USER], *item = &f[REC_COL_ITEM];
	struct rec_events *ev = pt->x.ctx;
	float value = 1;
	int64_t t = pt->x.row;
	uint32_t u, i;

	if (!user->len || !item->len || ev->n == ev->cap || is_na(pt, f) ||
	    (col[REC_COL_RATING].present && quick_rating(&f[REC_COL_RATING], &value) < 0) ||
	    (col[REC_COL_TIME].present && quick_time(&f[REC_COL_TIME], &t) < 0) ||
	    rec_dict_intern(ev->users, user->s, user->len, &u, NULL) < 0 ||
	    rec_dict_intern(ev->items, item->s, item->len, &i, NULL) < 0)
		return REC_EPARSE;
	rec_events_put(ev, u, i, value, t);
	pt->x.row++;
	return 0;
}

/* A split row: its columns' fields, and how many fields it has. */
struct split {
	struct span col[REC_NCOLS];
	long nfield;
};

/* Keep the columns of the row just split, and start loading the
 * dictionary slots of its IDs: the rows of a batch wait for them
 * together. */
static void keep_row(const struct part *pt, struct split *row, long keep)
{
	const struct rec_csv_column *col = pt->r.col;
	const struct rec_events *ev = pt->x.ctx;

	for (int c = 0; c < REC_NCOLS; c++)
		if (col[c].present && col[c].pos < row->nfield)
			row->col[c] = pt->b.field[col[c].pos];
	if (row->nfield >= keep) {
		rec_dict_prefetch(ev->users, row->col[REC_COL_USER].s, row->col[REC_COL_USER].len);
		rec_dict_prefetch(ev->items, row->col[REC_COL_ITEM].s, row->col[REC_COL_ITEM].len);
	}
}

static void take_split(struct part *pt, struct split *row, long keep)
{
	struct rec_csv_reader *r = &pt->r;

	if (row->nfield < keep || row->nfield > r->width || quick_row(pt, row->col) < 0) {
		r->nfield = row->nfield;
		for (int c = 0; c < REC_NCOLS; c++)
			if (r->col[c].present && r->col[c].pos < row->nfield) {
				r->fieldp[c] = terminate(&row->col[c]);
				r->fieldlen[c] = row->col[c].len;
			}
		rec_csv_data_row(r);
	}
	r->line++;
	pt->rows++;
}

#define BATCH 16

static void read_part(struct part *pt, long keep, int *odd)
{
	struct rec_csv_reader *r = &pt->r;
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
		ev->has_rating |= r->col[REC_COL_RATING].present;
		ev->has_time |= r->col[REC_COL_TIME].present;
	}
}

static long last_position(const struct rec_csv_reader *r)
{
	long keep = 0;

	for (int c = 0; c < r->ncol; c++)
		if (r->col[c].present && r->col[c].pos + 1 > keep)
			keep = r->col[c].pos + 1;
	return keep;
}

/* A part's buffer: BLOCK bytes, or the part and one more if it is
 * smaller. */
static size_t block_size(off_t start, off_t end)
{
	return end - start < BLOCK ? (size_t)(end - start) + 1 : BLOCK;
}

static int part_init(struct part *pt, const struct rec_csv_reader *head, int fd, off_t start,
		     off_t end, const struct classes *cls)
{
	*pt = (struct part){ .r = *head, .x = { rec_events_take, &pt->ev, 0, head->opt->na, 0 } };
	pt->r.ctx = &pt->x;
	pt->r.err = &pt->err;
	pt->r.line = 1;
	pt->r.header = NULL;
	pt->r.nheader = 0;
	pt->r.fieldp = calloc((size_t)head->ncol, sizeof(*pt->r.fieldp));
	pt->r.fieldlen = calloc((size_t)head->ncol, sizeof(*pt->r.fieldlen));
	if (!pt->r.fieldp || !pt->r.fieldlen || blocks_open(&pt->b, fd, start, end, block_size(start, end), cls) < 0 ||
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

	if (bytes / rec_csv_min_part < n)
		n = (int)(bytes / rec_csv_min_part);
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
	for (int k = 0; k < n; k++) {
		if (skipped)
			*skipped += pt[k].r.skipped;
		if (pt[k].r.opt->report)
			pt[k].r.opt->report->missing += pt[k].x.missing;
	}
	return n;
}

/* Read the data rows in parts on all threads into ev[k]: the number of
 * parts, 0 if a row needs the general reader, or < 0 on an error. */
static int read_in_parts(const struct rec_csv_reader *head, int fd, off_t data, off_t size,
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

/* Whether the file is for the general reader to make sense of: gzip,
 * or a dataset or model, which it names in its message; like it, after
 * a byte order mark. */
static int not_plain_csv(int fd)
{
	char head[REC_MAGIC_LEN];
	ssize_t n = pread(fd, head, sizeof(head), bom_length(fd));

	return n > 0 && (rec_is_gzip(head, (size_t)n) || rec_file_kind(head, (size_t)n));
}

int rec_csv_splits(const struct rec_csv_options *opt)
{
	const char *env = getenv("REC_TEST_LIBCSV");

	return !opt->libcsv && !(env && *env);
}

int rec_events_read_parts(const char *path, const struct rec_csv_options *opt,
			  struct rec_events **parts, uint64_t *skipped, struct rec_error *err)
{
	struct rec_csv_column col[REC_NCOLS];
	struct rec_csv_reader head = { .opt = opt, .col = col, .ncol = REC_NCOLS, .fn = rec_csv_parse_event,
			       .path = path, .err = err, .line = 1 };
	struct classes cls;
	struct rec_events *ev = NULL;
	struct stat st;
	off_t data;
	int fd, nparts, n = 0;

	*parts = NULL;
	if (!rec_csv_splits(opt) || opt->line_buffered || strcmp(path, "-") == 0 ||
	    (fd = open(path, O_RDONLY)) < 0)
		return 0;
	rec_events_columns(col, opt);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !not_plain_csv(fd) &&
	    file_classes(opt, fd, st.st_size, &head.sep, &cls) &&
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
	rec_csv_split_files += n != 0;
	rec_csv_reader_release(&head);
	close(fd);
	return n;
}
