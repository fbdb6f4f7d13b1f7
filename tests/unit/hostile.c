/* hostile.c - makes the files a hostile user would: a dataset or model
 * rewritten with some of its contents changed and a valid CRC, so that a
 * test can show that the readers refuse what the checksum cannot.
 *
 *   hostile IN OUT EDIT...
 *
 * Each EDIT is one of
 *   TAG+OFF:TYPE=VALUE  put VALUE (TYPE u32, u64, i64 or f32; nan and inf
 *                       for f32) at byte OFF of section TAG
 *   TAG.NAME=VALUE      set the line NAME=VALUE of the text section TAG
 *                       (ALGO), in place of the old one or after the last
 *   -TAG                drop section TAG
 *   TAG#LEN             claim LEN bytes for section TAG in the table and
 *                       the header's length, whatever it holds
 *   truncate=N          keep only the first N bytes of the content
 * and the result is written as a gzip stream with the CRC of what it
 * holds.  Without arguments it tests itself on a small dataset. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

#define HEADER_LEN 32
#define ENTRY_LEN 24
#define MAX_SECTIONS 256

struct section {
	char tag[4];
	uint32_t flags;
	uint64_t claim;		/* the length the table gives */
	unsigned char *body;
	size_t len;
};

struct file {
	unsigned char header[HEADER_LEN];
	struct section sec[MAX_SECTIONS];
	unsigned nsec;
	uint64_t truncate;	/* 0: keep it all */
};

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The decompressed content of path in a new buffer, its length in *len. */
static unsigned char *slurp(const char *path, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	size_t cap = 1 << 16;
	unsigned char *p = malloc(cap);
	int k;

	*len = 0;
	if (!gz || !p)
		return NULL;
	while ((k = gzread(gz, p + *len, (unsigned)(cap - *len))) > 0) {
		*len += (size_t)k;
		if (*len == cap && !(p = realloc(p, cap *= 2)))
			return NULL;
	}
	gzclose(gz);
	return k < 0 ? NULL : p;
}

static int parse(struct file *f, const unsigned char *p, size_t len)
{
	size_t at;

	if (len < HEADER_LEN)
		return -1;
	memcpy(f->header, p, HEADER_LEN);
	f->nsec = (unsigned)get_le(p + 24, 4);
	at = HEADER_LEN + (size_t)f->nsec * ENTRY_LEN;
	if (f->nsec > MAX_SECTIONS || at > len)
		return -1;
	for (unsigned i = 0; i < f->nsec; i++) {
		const unsigned char *e = p + HEADER_LEN + i * ENTRY_LEN;
		struct section *s = &f->sec[i];

		memcpy(s->tag, e, 4);
		s->flags = (uint32_t)get_le(e + 4, 4);
		s->claim = s->len = get_le(e + 16, 8);
		if (s->len > len - at || !(s->body = malloc(s->len + 1)))
			return -1;
		memcpy(s->body, p + at, s->len);
		at += s->len;
	}
	return 0;
}

static struct section *find(struct file *f, const char *tag)
{
	for (unsigned i = 0; i < f->nsec; i++)
		if (memcmp(f->sec[i].tag, tag, 4) == 0)
			return &f->sec[i];
	fprintf(stderr, "hostile: no section '%.4s'\n", tag);
	return NULL;
}

static int put_value(struct section *s, uint64_t off, const char *type, const char *value)
{
	int width = strcmp(type, "u64") == 0 || strcmp(type, "i64") == 0 ? 8 : 4;
	uint64_t v;

	if (strcmp(type, "f32") == 0) {
		float x = strtof(value, NULL);
		uint32_t u;

		memcpy(&u, &x, 4);
		v = u;
	} else if (strcmp(type, "i64") == 0) {
		v = (uint64_t)strtoll(value, NULL, 10);
	} else {
		v = strtoull(value, NULL, 10);
	}
	if (off + width > s->len)
		return -1;
	put_le(s->body + off, v, width);
	return 0;
}

/* Replace the line "name=..." of a text section, or append one. */
static int set_line(struct section *s, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value), at = 0, end;
	unsigned char *p;

	while (at < s->len && !(strncmp((char *)s->body + at, name, nlen) == 0 &&
				s->body[at + nlen] == '=')) {
		unsigned char *nl = memchr(s->body + at, '\n', s->len - at);

		at = nl ? (size_t)(nl - s->body) + 1 : s->len;
	}
	end = at;
	while (end < s->len && s->body[end] != '\n')
		end++;
	end += end < s->len;
	if (!(p = malloc(s->len - (end - at) + nlen + vlen + 3)))
		return -1;
	memcpy(p, s->body, at);
	at += (size_t)sprintf((char *)p + at, "%s=%s\n", name, value);
	memcpy(p + at, s->body + end, s->len - end);
	s->len = s->claim = at + s->len - end;
	free(s->body);
	s->body = p;
	return 0;
}

static int edit(struct file *f, const char *e)
{
	char tag[5] = { 0 };
	struct section *s;
	unsigned long long off;
	char type[4];
	int used = 0;

	if (sscanf(e, "truncate=%llu", &off) == 1)
		return f->truncate = off, 0;
	if (e[0] == '-' && (s = find(f, e + 1))) {
		free(s->body);
		memmove(s, s + 1, (size_t)(f->sec + --f->nsec - s) * sizeof(*s));
		return 0;
	}
	memcpy(tag, e, strnlen(e, 4));
	if (strlen(e) < 5 || !(s = find(f, tag)))
		return -1;
	if (e[4] == '#')
		return s->claim = strtoull(e + 5, NULL, 10), 0;
	if (e[4] == '.' && strchr(e, '=')) {
		char *name = strndup(e + 5, (size_t)(strchr(e, '=') - e - 5));
		int rc = name ? set_line(s, name, strchr(e, '=') + 1) : -1;

		free(name);
		return rc;
	}
	if (e[4] == '+' && sscanf(e + 5, "%llu:%3s=%n", &off, type, &used) == 2 && used)
		return put_value(s, off, type, e + 5 + used);
	return -1;
}

/* The file's bytes as edited, with the header's length and offsets that
 * the claims give, then the CRC of it all. */
static int save(struct file *f, const char *path)
{
	uint64_t off = HEADER_LEN + (uint64_t)f->nsec * ENTRY_LEN, total = off + 4;
	uLong crc = crc32(0, NULL, 0);
	size_t len = (size_t)off, at;
	unsigned char *p, c[4];
	gzFile gz;
	int rc;

	for (unsigned i = 0; i < f->nsec; i++) {
		total += f->sec[i].claim;
		len += f->sec[i].len;
	}
	if (!(p = malloc(len + 4)))
		return -1;
	put_le(f->header + 16, total, 8);
	put_le(f->header + 24, f->nsec, 4);
	memcpy(p, f->header, HEADER_LEN);
	at = (size_t)off;
	for (unsigned i = 0; i < f->nsec; i++) {
		unsigned char *e = p + HEADER_LEN + i * ENTRY_LEN;

		memcpy(e, f->sec[i].tag, 4);
		put_le(e + 4, f->sec[i].flags, 4);
		put_le(e + 8, off, 8);
		put_le(e + 16, f->sec[i].claim, 8);
		off += f->sec[i].claim;
		memcpy(p + at, f->sec[i].body, f->sec[i].len);
		at += f->sec[i].len;
	}
	crc = crc32(crc, p, (uInt)len);
	put_le(c, crc, 4);
	memcpy(p + len, c, 4);
	len += 4;
	if (f->truncate && f->truncate < len)
		len = (size_t)f->truncate;
	rc = (gz = gzopen(path, "wb")) && gzwrite(gz, p, (unsigned)len) == (int)len ? 0 : -1;
	if (gz && gzclose(gz) != Z_OK)
		rc = -1;
	free(p);
	return rc;
}

static void release(struct file *f)
{
	for (unsigned i = 0; i < f->nsec; i++)
		free(f->sec[i].body);
}

static int rewrite(const char *in, const char *out, char *const *edits, int n)
{
	struct file f = { 0 };
	size_t len;
	unsigned char *p = slurp(in, &len);
	int rc = p ? parse(&f, p, len) : -1;

	if (rc < 0)
		fprintf(stderr, "hostile: %s: cannot read\n", in);
	for (int i = 0; i < n && rc == 0; i++)
		if ((rc = edit(&f, edits[i])) < 0)
			fprintf(stderr, "hostile: bad edit '%s'\n", edits[i]);
	if (rc == 0 && (rc = save(&f, out)) < 0)
		fprintf(stderr, "hostile: %s: %s\n", out, strerror(errno));
	release(&f);
	free(p);
	return rc;
}

/* A rewritten dataset reads back, and an item index past the items is
 * refused with the section named, though the CRC is right. */
static void self_test(void)
{
	char dir[] = "/tmp/hostileXXXXXX", in[64], out[64], cols[32], want[64];
	char *none[] = { NULL }, *bad[] = { cols };
	struct rec_dataset ds;
	struct rec_error err;
	uint32_t nitems;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(in, sizeof(in), "%s/in.recd", dir);
	snprintf(out, sizeof(out), "%s/out.recd", dir);
	make_random(&ds, 4, 30, 20, 3);
	nitems = ds.nitems;
	CHECK(rec_dataset_write(&ds, in, &err) == 0);
	rec_dataset_release(&ds);
	snprintf(cols, sizeof(cols), "COLS+4:u32=%u", nitems);
	snprintf(want, sizeof(want), "section 'COLS': item index %u out of range", nitems);

	CHECK(rewrite(in, out, none, 0) == 0);
	CHECK(rec_dataset_read(&ds, out, &err) == 0);
	CHECK_INT(ds.nitems, nitems);
	rec_dataset_release(&ds);

	CHECK(rewrite(in, out, bad, 1) == 0);
	CHECK_INT(rec_dataset_read(&ds, out, &err), REC_EFORMAT);
	CHECK(strstr(err.msg, want) != NULL);
	unlink(in);
	unlink(out);
	rmdir(dir);
}

/* A family whose arrays hold indices checks them on loading: a u32
 * array needs the check hook, so that a new family cannot forget it. */
static void families_check_indices(void)
{
	for (int a = 0; rec_algos[a]; a++) {
		struct rec_model *m = rec_model_new(rec_algos[a]);
		struct rec_param p[REC_MAX_PARAMS];
		unsigned np = 0;

		make_random(&m->data, 4, 6, 12, 5);
		CHECK(m->algo->init(m) == 0);
		if (m->algo->params)
			np = m->algo->params(m, p);
		for (unsigned i = 0; i < np; i++) {
			int ok = !p[i].u32 || m->algo->check;

			CHECK(ok);
			if (!ok)
				fprintf(stderr, "%s: section '%.4s' holds u32 values but the "
					"family has no check\n", m->algo->name, p[i].tag);
		}
		rec_model_free(m);
	}
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		self_test();
		families_check_indices();
		return UNIT_STATUS();
	}
	if (argc < 3) {
		fprintf(stderr, "usage: hostile IN OUT EDIT...\n");
		return 2;
	}
	return rewrite(argv[1], argv[2], argv + 3, argc - 3) < 0;
}
