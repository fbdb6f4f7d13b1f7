/* binfile.c - the framing shared by datasets (.recd) and models (.recm).
 *
 * Uncompressed layout, all integers little-endian (rec-formats(5)):
 *   magic[8] major:u16 minor:u16 byte_order:u32 total:u64 nsec:u32 0:u32
 *   nsec x { tag[4] flags:u32 offset:u64 length:u64 }
 *   section bodies, back to back, in table order
 *   crc32:u32 of every byte before it
 * The whole is one gzip stream.  Writers go through a temporary file that
 * is renamed into place only when complete. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gzstream.h"
#include "internal.h"

#define HEADER_LEN 32
#define ENTRY_LEN 24
#define BYTE_ORDER_MARK 0x0a0b0c0du
#define MAX_SECTIONS 256
#define BUF_LEN (1 << 16)

struct rec_writer {
	struct rec_gzstream_sink *gz;
	int sync_fd;		/* a second descriptor kept for fsync, or -1 */
	char *path;
	char *tmp;		/* NULL when writing to standard output */
	uLong crc;
	uint64_t pos;
	uint64_t total;
	int failed;
	size_t len;
	unsigned char buf[BUF_LEN];
};

struct rec_reader {
	struct rec_gzstream_source *gz;
	char *path;
	uLong crc;
	uint64_t pos;
	uint64_t total;
	struct rec_section sec[MAX_SECTIONS];
	unsigned nsec;
	int cur;		/* current section, -1 before the first */
	size_t at;		/* buffered bytes consumed */
	size_t len;		/* buffered bytes */
	struct rec_error err;
	unsigned char buf[BUF_LEN];
};

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* --- writer --- */

/* Checksum and compress n bytes at p. */
static int writer_put(struct rec_writer *w, const unsigned char *p, size_t n)
{
	if (w->failed)
		return REC_EIO;
	w->crc = crc32_z(w->crc, p, n);
	if (rec_gzstream_sink_write(w->gz, p, n) < 0)
		w->failed = 1;
	w->pos += n;
	return w->failed ? REC_EIO : 0;
}

static int writer_flush(struct rec_writer *w)
{
	int rc = w->len ? writer_put(w, w->buf, w->len) : 0;

	w->len = 0;
	return w->failed ? REC_EIO : rc;
}

int rec_writer_bytes(struct rec_writer *w, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (n >= BUF_LEN)
		return writer_flush(w) < 0 ? REC_EIO : writer_put(w, s, n);
	while (n) {
		size_t k = BUF_LEN - w->len < n ? BUF_LEN - w->len : n;

		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
		if (w->len == BUF_LEN && writer_flush(w) < 0)
			return REC_EIO;
	}
	return w->failed ? REC_EIO : 0;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_LE 1
#else
#define NATIVE_LE 0
#endif

/* Append n little-endian integers of width bytes taken from get(i). */
#define WRITE_LE(w, v, n, width, cast)					\
	do {								\
		if (NATIVE_LE)						\
			return rec_writer_bytes(w, v, (n) * (width));	\
		for (size_t i_ = 0; i_ < (n); i_++) {			\
			if ((w)->len + (width) > BUF_LEN &&		\
			    writer_flush(w) < 0)			\
				return REC_EIO;				\
			put_le((w)->buf + (w)->len, cast((v)[i_]), width); \
			(w)->len += (width);				\
		}							\
		return (w)->failed ? REC_EIO : 0;			\
	} while (0)

static uint64_t float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

int rec_writer_u32(struct rec_writer *w, const uint32_t *v, size_t n)
{
	WRITE_LE(w, v, n, 4, (uint64_t));
}

int rec_writer_u64(struct rec_writer *w, const uint64_t *v, size_t n)
{
	WRITE_LE(w, v, n, 8, (uint64_t));
}

int rec_writer_i64(struct rec_writer *w, const int64_t *v, size_t n)
{
	WRITE_LE(w, v, n, 8, (uint64_t));
}

int rec_writer_f32(struct rec_writer *w, const float *v, size_t n)
{
	WRITE_LE(w, v, n, 4, float_bits);
}

static int open_target(struct rec_writer *w, const char *path, struct rec_error *err)
{
	int fd;
	mode_t mask;
	struct stat st;

	if (strcmp(path, "-") == 0) {
		fd = dup(STDOUT_FILENO);
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device or pipe cannot be replaced by a rename. */
		fd = open(path, O_WRONLY | O_TRUNC);
	} else {
		if (asprintf(&w->tmp, "%s.tmpXXXXXX", path) < 0) {
			w->tmp = NULL;
			return rec_error_set(err, REC_ENOMEM, "out of memory");
		}
		fd = mkstemp(w->tmp);
		if (fd >= 0) {
			mask = umask(0);
			umask(mask);
			fchmod(fd, 0666 & ~mask);
		}
	}
	if (fd < 0) {
		free(w->tmp);
		w->tmp = NULL;
		rec_error_set(err, REC_EIO, "%s", strerror(errno));
		rec_error_at(err, path, 0, 0);
		return REC_EIO;
	}
	w->sync_fd = w->tmp ? dup(fd) : -1;
	/* Stored, not deflated: the next program in a pipeline reads it at
	 * memory speed, and a gzip -9 of the file is still readable. */
	if (!(w->gz = rec_gzstream_sink_open(fd)))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return 0;
}

static void write_header(struct rec_writer *w, const char *magic, unsigned major,
			 unsigned minor, const struct rec_section *sec, unsigned nsec)
{
	unsigned char h[HEADER_LEN] = { 0 };

	memcpy(h, magic, REC_MAGIC_LEN);
	put_le(h + 8, major, 2);
	put_le(h + 10, minor, 2);
	put_le(h + 12, BYTE_ORDER_MARK, 4);
	put_le(h + 16, w->total, 8);
	put_le(h + 24, nsec, 4);
	rec_writer_bytes(w, h, sizeof(h));
	for (unsigned i = 0; i < nsec; i++) {
		unsigned char e[ENTRY_LEN];

		memcpy(e, sec[i].tag, 4);
		put_le(e + 4, sec[i].flags, 4);
		put_le(e + 8, sec[i].offset, 8);
		put_le(e + 16, sec[i].length, 8);
		rec_writer_bytes(w, e, sizeof(e));
	}
}

int rec_writer_open(struct rec_writer **out, const char *path, const char *magic,
		    unsigned major, unsigned minor, struct rec_section *sec,
		    unsigned nsec, struct rec_error *err)
{
	struct rec_writer *w = calloc(1, sizeof(*w));
	uint64_t off = HEADER_LEN + (uint64_t)nsec * ENTRY_LEN;
	int rc;

	*out = NULL;
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	w->sync_fd = -1;
	w->crc = crc32(0, NULL, 0);
	for (unsigned i = 0; i < nsec; i++) {
		sec[i].offset = off;
		off += sec[i].length;
	}
	w->total = off + 4;
	if ((rc = open_target(w, path, err)) < 0) {
		rec_writer_abort(w);
		return rc;
	}
	write_header(w, magic, major, minor, sec, nsec);
	*out = w;
	return 0;
}

static int writer_finish(struct rec_writer *w, struct rec_error *err)
{
	unsigned char crc[4];

	if (writer_flush(w) < 0)
		goto io;
	if (w->pos + 4 != w->total)
		return rec_error_set(err, REC_EINVAL,
				     "internal error: wrote %llu bytes of %llu",
				     (unsigned long long)w->pos,
				     (unsigned long long)w->total - 4);
	put_le(crc, w->crc, 4);
	if (rec_gzstream_sink_write(w->gz, crc, 4) < 0 ||
	    rec_gzstream_sink_finish(w->gz, (uint32_t)crc32(w->crc, crc, 4), w->total) < 0)
		goto io;
	if (w->sync_fd >= 0 && fsync(w->sync_fd) < 0 && errno != EINVAL)
		goto io;
	if (w->tmp && rename(w->tmp, w->path) < 0)
		goto io;
	return 0;
io:
	rec_error_set(err, REC_EIO, "write failed: %s", strerror(errno ? errno : EIO));
	rec_error_at(err, strcmp(w->path, "-") ? w->path : "standard output", 0, 0);
	return REC_EIO;
}

int rec_writer_commit(struct rec_writer *w, struct rec_error *err)
{
	int rc;

	errno = 0;
	rc = writer_finish(w, err);
	if (rc == 0) {
		free(w->tmp);
		w->tmp = NULL;
	}
	rec_writer_abort(w);
	return rc;
}

void rec_writer_abort(struct rec_writer *w)
{
	if (!w)
		return;
	rec_gzstream_sink_close(w->gz);
	if (w->sync_fd >= 0)
		close(w->sync_fd);
	if (w->tmp) {
		unlink(w->tmp);
		free(w->tmp);
	}
	free(w->path);
	free(w);
}

/* --- reader --- */

int rec_reader_fail(struct rec_reader *r, int code, const char *msg)
{
	if (!r->err.code) {
		rec_error_set(&r->err, code, "%s", msg);
		rec_error_at(&r->err, r->path, 0, 0);
	}
	return r->err.code;
}

/* Fill the buffer; the CRC covers everything up to the trailing checksum,
 * so it is updated as bytes are consumed, not as they are read. */
static int reader_fill(struct rec_reader *r)
{
	ssize_t n;

	if (r->err.code)
		return r->err.code;
	n = rec_gzstream_source_read(r->gz, r->buf, BUF_LEN);
	if (n < 0)
		return rec_reader_fail(r, REC_EFORMAT, rec_gzstream_source_error(r->gz));
	r->at = 0;
	r->len = (size_t)n;
	return 0;
}

static int reader_truncated(struct rec_reader *r)
{
	char text[128];

	snprintf(text, sizeof(text), "truncated: the file ends at byte %llu of %llu",
		 (unsigned long long)r->pos, (unsigned long long)r->total);
	return rec_reader_fail(r, REC_EFORMAT, text);
}

/* Decompress straight into the caller's memory, skipping the buffer. */
static int reader_direct(struct rec_reader *r, unsigned char *d, size_t n, int in_crc)
{
	while (n) {
		ssize_t k = rec_gzstream_source_read(r->gz, d, n);

		if (k < 0)
			return rec_reader_fail(r, REC_EFORMAT, rec_gzstream_source_error(r->gz));
		if (k == 0)
			return reader_truncated(r);
		if (in_crc)
			r->crc = crc32_z(r->crc, d, (size_t)k);
		d += k;
		r->pos += (uint64_t)k;
		n -= (size_t)k;
	}
	return 0;
}

/* Consume n bytes into p (or drop them if p is NULL). */
static int reader_take(struct rec_reader *r, void *p, size_t n, int in_crc)
{
	unsigned char *d = p;

	while (n) {
		size_t k;

		if (r->at == r->len && d && n >= BUF_LEN)
			return reader_direct(r, d, n, in_crc);
		if (r->at == r->len) {
			if (reader_fill(r) < 0)
				return r->err.code;
			if (!r->len)
				return reader_truncated(r);
		}
		k = r->len - r->at < n ? r->len - r->at : n;
		if (in_crc)
			r->crc = crc32(r->crc, r->buf + r->at, (uInt)k);
		if (d) {
			memcpy(d, r->buf + r->at, k);
			d += k;
		}
		r->at += k;
		r->pos += k;
		n -= k;
	}
	return 0;
}

/* Bytes of the current section left unread. */
static uint64_t section_left(const struct rec_reader *r)
{
	const struct rec_section *s = &r->sec[r->cur];

	return s->offset + s->length - r->pos;
}

/* Does the current section hold n more bytes?  0, or the failure. */
static int section_holds(struct rec_reader *r, uint64_t n)
{
	if (r->cur < 0 || (unsigned)r->cur >= r->nsec || section_left(r) < n) {
		char text[96];

		snprintf(text, sizeof(text), "section '%.4s' is too short for its contents",
			 r->cur >= 0 && (unsigned)r->cur < r->nsec ? r->sec[r->cur].tag : "?");
		return rec_reader_fail(r, REC_EFORMAT, text);
	}
	return 0;
}

static int section_take(struct rec_reader *r, void *p, size_t n)
{
	return section_holds(r, n) < 0 ? r->err.code : reader_take(r, p, n, 1);
}

int rec_reader_bytes(struct rec_reader *r, void *p, size_t n)
{
	return section_take(r, p, n);
}

/* Read n little-endian integers of width bytes and store them with set. */
#define READ_LE(r, v, n, width, conv)					\
	do {								\
		unsigned char b_[BUF_LEN];				\
		size_t done_ = 0;					\
		if (NATIVE_LE)						\
			return section_take(r, v, (n) * (width));	\
		while (done_ < (n)) {					\
			size_t k_ = (n) - done_;			\
			if (k_ > BUF_LEN / (width))			\
				k_ = BUF_LEN / (width);			\
			if (section_take(r, b_, k_ * (width)) < 0)	\
				return r->err.code;			\
			for (size_t i_ = 0; i_ < k_; i_++)		\
				(v)[done_ + i_] = conv(get_le(b_ + i_ * (width), width)); \
			done_ += k_;					\
		}							\
		return 0;						\
	} while (0)

static float bits_float(uint64_t u64)
{
	uint32_t u = (uint32_t)u64;
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

int rec_reader_u32(struct rec_reader *r, uint32_t *v, size_t n)
{
	READ_LE(r, v, n, 4, (uint32_t));
}

int rec_reader_u64(struct rec_reader *r, uint64_t *v, size_t n)
{
	READ_LE(r, v, n, 8, (uint64_t));
}

int rec_reader_i64(struct rec_reader *r, int64_t *v, size_t n)
{
	READ_LE(r, v, n, 8, (int64_t));
}

int rec_reader_f32(struct rec_reader *r, float *v, size_t n)
{
	READ_LE(r, v, n, 4, bits_float);
}

/* What rec_reader_array allocates first, and how much more each time the
 * bytes read fill it: a file much shorter than its counts claim costs at
 * most ARRAY_STEP or GROWTH times its bytes.  Each step copies what was
 * read; with 4 the copies and fresh pages of a large array cost a third
 * of what they would with 2. */
#define ARRAY_STEP ((size_t)1 << 20)
#define GROWTH 4

static size_t type_width(enum rec_type type)
{
	static const unsigned char width[] = {
		[REC_BYTE] = 1, [REC_U32] = 4, [REC_U64] = 8, [REC_I64] = 8, [REC_F32] = 4,
	};

	return width[type];
}

static int read_values(struct rec_reader *r, enum rec_type type, void *v, size_t n)
{
	switch (type) {
	case REC_BYTE: return rec_reader_bytes(r, v, n);
	case REC_U32: return rec_reader_u32(r, v, n);
	case REC_U64: return rec_reader_u64(r, v, n);
	case REC_I64: return rec_reader_i64(r, v, n);
	default: return rec_reader_f32(r, v, n);
	}
}

/* The section table's lengths are claims until the bytes arrive, and a
 * gzip stream's length is known only at its end: so the array grows as
 * it fills, each step backed by the bytes of the one before. */
int rec_reader_array(struct rec_reader *r, enum rec_type type, size_t n, void **out)
{
	size_t width = type_width(type), done = 0, cap = 0;
	unsigned char *p = NULL;

	*out = NULL;
	if (section_holds(r, (uint64_t)n * width) < 0)
		return r->err.code;
	while (!p || done < n) {
		size_t next = cap * GROWTH > ARRAY_STEP / width ? cap * GROWTH : ARRAY_STEP / width;
		unsigned char *q;

		next = next < n ? next : n ? n : 1;
		if (!(q = rec_realloc_large(p, cap * width, next * width))) {
			free(p);
			return rec_reader_fail(r, REC_ENOMEM, "out of memory");
		}
		p = q;
		cap = next;
		if (read_values(r, type, p + done * width, (n < cap ? n : cap) - done) < 0) {
			free(p);
			return r->err.code;
		}
		done = n < cap ? n : cap;
	}
	*out = p;
	return 0;
}

static int check_table(struct rec_reader *r)
{
	uint64_t off = HEADER_LEN + (uint64_t)r->nsec * ENTRY_LEN;
	char text[160];

	for (unsigned i = 0; i < r->nsec; i++) {
		const struct rec_section *s = &r->sec[i];

		if (s->offset != off || s->length > r->total - 4 - off) {
			snprintf(text, sizeof(text),
				 "section '%.4s' does not fit: offset %llu, length %llu, file length %llu",
				 s->tag, (unsigned long long)s->offset,
				 (unsigned long long)s->length,
				 (unsigned long long)r->total);
			return rec_reader_fail(r, REC_EFORMAT, text);
		}
		off += s->length;
	}
	if (off + 4 != r->total) {
		snprintf(text, sizeof(text),
			 "sections end at byte %llu, but the header says %llu",
			 (unsigned long long)off, (unsigned long long)r->total - 4);
		return rec_reader_fail(r, REC_EFORMAT, text);
	}
	return 0;
}

static int read_header(struct rec_reader *r, const char *magic,
		       unsigned max_major, unsigned *minor)
{
	unsigned char h[HEADER_LEN];
	unsigned major;
	char text[160];

	r->total = HEADER_LEN + 4;
	if (reader_take(r, h, REC_MAGIC_LEN, 1) < 0 ||
	    memcmp(h, magic, REC_MAGIC_LEN) != 0) {
		const char *kind = r->err.code ? NULL : rec_file_kind((const char *)h, REC_MAGIC_LEN);
		const char *wanted = rec_file_kind(magic, REC_MAGIC_LEN);

		memset(&r->err, 0, sizeof(r->err));
		if (kind && wanted)
			snprintf(text, sizeof(text), "a %s, not a %s", kind, wanted);
		else
			snprintf(text, sizeof(text), "bad magic: not a %.*s file",
				 (int)strcspn(magic, "\n"), magic);
		return rec_reader_fail(r, REC_EFORMAT, text);
	}
	if (reader_take(r, h + REC_MAGIC_LEN, HEADER_LEN - REC_MAGIC_LEN, 1) < 0)
		return r->err.code;
	major = (unsigned)get_le(h + 8, 2);
	*minor = (unsigned)get_le(h + 10, 2);
	if (major > max_major) {
		snprintf(text, sizeof(text),
			 "format version %u.%u is newer than this program reads (%u.x)",
			 major, *minor, max_major);
		return rec_reader_fail(r, REC_EVERSION, text);
	}
	if (get_le(h + 12, 4) != BYTE_ORDER_MARK)
		return rec_reader_fail(r, REC_EFORMAT, "bad byte-order mark");
	r->total = get_le(h + 16, 8);
	r->nsec = (unsigned)get_le(h + 24, 4);
	if (get_le(h + 24, 4) > MAX_SECTIONS ||
	    r->total < HEADER_LEN + (uint64_t)r->nsec * ENTRY_LEN + 4)
		return rec_reader_fail(r, REC_EFORMAT, "bad section count or file length");
	for (unsigned i = 0; i < r->nsec; i++) {
		unsigned char e[ENTRY_LEN];

		if (reader_take(r, e, ENTRY_LEN, 1) < 0)
			return r->err.code;
		memcpy(r->sec[i].tag, e, 4);
		r->sec[i].flags = (uint32_t)get_le(e + 4, 4);
		r->sec[i].offset = get_le(e + 8, 8);
		r->sec[i].length = get_le(e + 16, 8);
	}
	return check_table(r);
}

static struct rec_gzstream_source *open_read(const char *path)
{
	int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY);

	return fd < 0 ? NULL : rec_gzstream_source_open(fd);
}

int rec_reader_open(struct rec_reader **out, const char *path, const char *magic,
		    unsigned max_major, unsigned *minor, struct rec_error *err)
{
	struct rec_reader *r = calloc(1, sizeof(*r));
	unsigned m;

	*out = NULL;
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	r->cur = -1;
	r->crc = crc32(0, NULL, 0);
	if (!(r->gz = open_read(path))) {
		rec_error_set(err, REC_EIO, "%s", strerror(errno ? errno : ENOMEM));
		rec_error_at(err, path, 0, 0);
		rec_reader_abort(r);
		return REC_EIO;
	}
	if (read_header(r, magic, max_major, minor ? minor : &m) < 0) {
		int rc = rec_reader_error(r, err);

		rec_reader_abort(r);
		return rc;
	}
	*out = r;
	return 0;
}

int rec_reader_next(struct rec_reader *r, const struct rec_section **sec)
{
	if (r->cur >= 0 && (unsigned)r->cur < r->nsec &&
	    reader_take(r, NULL, section_left(r), 1) < 0)
		return r->err.code;
	if ((unsigned)(r->cur + 1) >= r->nsec) {
		r->cur = (int)r->nsec;
		return 0;
	}
	*sec = &r->sec[++r->cur];
	return 1;
}

uint64_t rec_reader_length(const struct rec_reader *r)
{
	return r->total;
}

int rec_reader_skip(struct rec_reader *r)
{
	const struct rec_section *s = &r->sec[r->cur];
	char text[80];

	if (s->flags & REC_SECTION_REQUIRED) {
		snprintf(text, sizeof(text), "unknown required section '%.4s'", s->tag);
		return rec_reader_fail(r, REC_EFORMAT, text);
	}
	return reader_take(r, NULL, section_left(r), 1);
}

int rec_reader_error(struct rec_reader *r, struct rec_error *err)
{
	if (err)
		*err = r->err;
	return r->err.code;
}

static int reader_finish(struct rec_reader *r)
{
	unsigned char crc[4];
	char text[96];

	if (r->err.code)
		return r->err.code;
	if (reader_take(r, NULL, r->total - 4 - r->pos, 1) < 0 ||
	    reader_take(r, crc, 4, 0) < 0)
		return r->err.code;
	if (get_le(crc, 4) != r->crc) {
		snprintf(text, sizeof(text),
			 "checksum mismatch: stored %08llx, computed %08lx",
			 (unsigned long long)get_le(crc, 4), (unsigned long)r->crc);
		return rec_reader_fail(r, REC_ECHECKSUM, text);
	}
	if (r->at < r->len || (reader_fill(r) == 0 && r->len > 0))
		return rec_reader_fail(r, REC_EFORMAT, "trailing data after the checksum");
	if (!r->err.code &&
	    rec_gzstream_source_check(r->gz, (uint32_t)crc32(r->crc, crc, 4), r->total) < 0)
		return rec_reader_fail(r, REC_EFORMAT, rec_gzstream_source_error(r->gz));
	return r->err.code;
}

int rec_reader_close_sum(struct rec_reader *r, uint32_t *sum, struct rec_error *err)
{
	int rc = reader_finish(r);

	*sum = (uint32_t)r->crc;
	rec_reader_error(r, err);
	rec_reader_abort(r);
	return rc;
}

int rec_reader_close(struct rec_reader *r, struct rec_error *err)
{
	uint32_t sum;

	return rec_reader_close_sum(r, &sum, err);
}

void rec_reader_abort(struct rec_reader *r)
{
	if (!r)
		return;
	rec_gzstream_source_close(r->gz);
	free(r->path);
	free(r);
}

uint64_t rec_dict_section_length(const struct rec_dict *d)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < rec_dict_size(d); i++) {
		size_t len;

		rec_dict_name(d, i, &len);
		n += 4 + len;
	}
	return n;
}

int rec_writer_dict(struct rec_writer *w, const struct rec_dict *d)
{
	for (uint32_t i = 0; i < rec_dict_size(d); i++) {
		size_t len;
		const char *s = rec_dict_name(d, i, &len);
		uint32_t n = (uint32_t)len;

		if (rec_writer_u32(w, &n, 1) < 0 || rec_writer_bytes(w, s, len) < 0)
			return REC_EIO;
	}
	return 0;
}

/* Fail with a message about the current section, which it names. */
static int section_fail(struct rec_reader *r, int code, const char *msg)
{
	char text[160];

	snprintf(text, sizeof(text), "section '%.4s': %s", r->sec[r->cur].tag, msg);
	return rec_reader_fail(r, code, text);
}

/* Intern the n IDs of a dictionary section's bytes, each a length and
 * its bytes, into d: 0, or the failure. */
static int intern_ids(struct rec_reader *r, const unsigned char *p, uint64_t bytes,
		      uint32_t n, struct rec_dict *d)
{
	uint64_t at = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t len, index;
		int added, rc;

		if (bytes - at < 4 || (len = (uint32_t)get_le(p + at, 4)) > bytes - at - 4)
			return section_fail(r, REC_EFORMAT, "fewer IDs than the header counts");
		if ((rc = rec_dict_intern(d, (const char *)p + at + 4, len, &index, &added)) < 0)
			return section_fail(r, rc, rc == REC_ENOMEM ? "out of memory" :
					    "too many IDs");
		if (!added)
			return section_fail(r, REC_EFORMAT, "an ID appears twice");
		at += 4 + (uint64_t)len;
	}
	return at < bytes ? section_fail(r, REC_EFORMAT, "more IDs than the header counts") : 0;
}

/* The section is read whole: a call for each ID's length and bytes took
 * longer than the IDs' interning. */
int rec_reader_dict(struct rec_reader *r, uint32_t n, struct rec_dict **out)
{
	uint64_t bytes = section_left(r);
	void *p = NULL;
	struct rec_dict *d = rec_dict_new();
	int rc;

	if (!d || bytes > SIZE_MAX)
		rc = rec_reader_fail(r, REC_ENOMEM, "out of memory");
	else if ((rc = rec_reader_array(r, REC_BYTE, (size_t)bytes, &p)) == 0)
		rc = intern_ids(r, p, bytes, n, d);
	free(p);
	if (rc < 0) {
		rec_dict_free(d);
		d = NULL;
	}
	*out = d;
	return rc;
}

/* Standard input can be read only once, but a .recd and a CSV are told
 * apart by their first bytes: a pipe is copied into an unlinked temporary
 * file put in its place, so that the bytes can be read again from *start. */
static int stdin_rewindable(off_t *start)
{
	char buf[8192];
	FILE *tmp;
	ssize_t n;

	if ((*start = lseek(STDIN_FILENO, 0, SEEK_CUR)) >= 0)
		return 0;
	*start = 0;
	if (!(tmp = tmpfile()))
		return -1;
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fwrite(buf, 1, (size_t)n, tmp) != (size_t)n)
			goto fail;
	}
	if (fflush(tmp) != 0 || dup2(fileno(tmp), STDIN_FILENO) < 0 ||
	    lseek(STDIN_FILENO, 0, SEEK_SET) < 0)
		goto fail;
	fclose(tmp);
	return 0;
fail:
	fclose(tmp);
	return -1;
}

/* The first bytes of the gzip stream head, inflated into out[n]: how
 * many there are. */
static size_t gzip_start(const char *head, size_t len, char *out, size_t n)
{
	z_stream z = { .next_in = (Bytef *)head, .avail_in = (uInt)len,
		       .next_out = (Bytef *)out, .avail_out = (uInt)n };

	if (len > UINT_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return 0;
	inflate(&z, Z_SYNC_FLUSH);
	n -= z.avail_out;
	inflateEnd(&z);
	return n;
}

int rec_is_gzip(const void *head, size_t n)
{
	return n >= 2 && memcmp(head, "\x1f\x8b", 2) == 0;
}

const char *rec_file_kind(const char *head, size_t n)
{
	static const char *const kind[][2] = {
		{ REC_MODEL_MAGIC, "model (.recm)" },
		{ REC_DATASET_MAGIC, "dataset (.recd)" },
	};
	char plain[REC_MAGIC_LEN];

	if (rec_is_gzip(head, n)) {
		n = gzip_start(head, n, plain, sizeof(plain));
		head = plain;
	}
	for (size_t k = 0; n >= REC_MAGIC_LEN && k < sizeof(kind) / sizeof(kind[0]); k++)
		if (memcmp(head, kind[k][0], REC_MAGIC_LEN) == 0)
			return kind[k][1];
	return NULL;
}

/* Whether a plain regular file starts with magic: 1 or 0, read without
 * the buffers of decompression, or -1 if it is gzip, too short to tell
 * or not to be read here. */
static int plain_has_magic(const char *path, const char *magic)
{
	unsigned char head[REC_MAGIC_LEN];
	struct stat st;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n < 2 || rec_is_gzip(head, (size_t)n))
		return -1;
	return n == REC_MAGIC_LEN && memcmp(head, magic, REC_MAGIC_LEN) == 0;
}

int rec_file_has_magic(const char *path, const char *magic, struct rec_error *err)
{
	char head[REC_MAGIC_LEN];
	int is_stdin = strcmp(path, "-") == 0;
	off_t start = 0;
	struct rec_gzstream_source *gz = NULL;
	ssize_t n = 0, k = 1;
	int rc = 0;

	if (!is_stdin && (rc = plain_has_magic(path, magic)) >= 0)
		return rc;
	rc = 0;
	errno = 0;
	if (!is_stdin || stdin_rewindable(&start) == 0)
		gz = open_read(path);
	if (!gz) {
		rc = rec_error_set(err, REC_EIO, "%s", strerror(errno ? errno : ENOMEM));
		goto out;
	}
	while (n < REC_MAGIC_LEN && (k = rec_gzstream_source_read(gz, head + n, REC_MAGIC_LEN - n)) > 0)
		n += k;
	if (k < 0)
		rc = rec_error_set(err, REC_EFORMAT, "%s", rec_gzstream_source_error(gz));
	rec_gzstream_source_close(gz);
	if (is_stdin && lseek(STDIN_FILENO, start, SEEK_SET) < 0 && rc == 0)
		rc = rec_error_set(err, REC_EIO, "%s", strerror(errno));
	if (rc == 0)
		rc = n == REC_MAGIC_LEN && memcmp(head, magic, REC_MAGIC_LEN) == 0;
out:
	if (rc < 0)
		rec_error_at(err, is_stdin ? "standard input" : path, 0, 0);
	return rc;
}
