/* test_core.c - unit tests of the library core: dictionaries, number
 * parsing, the random generator, the binary file framing and datasets.
 * Files are written in the current directory. */
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

/* --- dictionaries --- */

static int id_of(char *buf, size_t size, uint32_t i)
{
	return snprintf(buf, size, "user-%u-%x", i, i * 2654435761u);
}

static void test_dict_many(void)
{
	enum { N = 200000 };
	struct rec_dict *d = rec_dict_new();
	char id[64];
	uint32_t idx;
	int added, bad = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_INT(rec_dict_size(d), 0);
	for (uint32_t i = 0; i < N; i++) {
		int len = id_of(id, sizeof(id), i);

		if (rec_dict_intern(d, id, (size_t)len, &idx, &added) < 0 || idx != i || !added)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(rec_dict_size(d), N);
	/* interning again finds the same index and adds nothing */
	for (uint32_t i = 0; i < N; i += 7) {
		int len = id_of(id, sizeof(id), i);

		if (rec_dict_intern(d, id, (size_t)len, &idx, &added) < 0 || idx != i || added)
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(rec_dict_size(d), N);
	for (uint32_t i = 0; i < N; i++) {
		int len = id_of(id, sizeof(id), i);
		size_t nlen;
		const char *name = rec_dict_name(d, i, &nlen);

		if (rec_dict_find(d, id, (size_t)len) != i || nlen != (size_t)len ||
		    memcmp(name, id, nlen) != 0 || name[nlen] != '\0')
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(rec_dict_find(d, "user-", 5), -1);
	CHECK_INT(rec_dict_find(d, "nobody", 6), -1);
	/* a prefix of a known ID is another ID */
	id_of(id, sizeof(id), 5);
	CHECK_INT(rec_dict_find(d, id, strlen(id) - 1), -1);
	rec_dict_free(d);
}

static void test_dict_bytes(void)
{
	struct rec_dict *d = rec_dict_new(), *r;
	uint32_t a, anul, empty;
	size_t len;
	int added;

	CHECK(d != NULL);
	if (!d)
		return;
	/* IDs are byte strings of a length: an inner NUL is part of the ID */
	CHECK_INT(rec_dict_intern(d, "a", 1, &a, &added), 0);
	CHECK_INT(rec_dict_intern(d, "a\0b", 3, &anul, &added), 0);
	CHECK(added && anul != a);
	CHECK_INT(rec_dict_intern(d, "", 0, &empty, &added), 0);
	CHECK(added);
	CHECK_INT(rec_dict_find(d, "a", 1), a);
	CHECK_INT(rec_dict_find(d, "a\0b", 3), anul);
	CHECK_INT(rec_dict_find(d, "", 0), empty);
	CHECK(memcmp(rec_dict_name(d, anul, &len), "a\0b", 3) == 0);
	CHECK_INT(len, 3);
	CHECK_STR(rec_dict_name(d, empty, &len), "");
	CHECK_INT(len, 0);
	CHECK_STR(rec_dict_name(d, a, NULL), "a");
	/* a reference keeps the dictionary alive after the first free */
	r = rec_dict_ref(d);
	CHECK(r == d);
	rec_dict_free(d);
	CHECK_INT(rec_dict_size(r), 3);
	rec_dict_free(r);
	rec_dict_free(NULL);
}

static void test_dict_subset(void)
{
	enum { N = 200000 };
	struct rec_dict *d = rec_dict_new(), *s;
	uint8_t *keep = malloc(N);
	uint32_t *remap = malloc(N * sizeof(*remap));
	char id[64];
	uint32_t idx;
	int bad = 0;

	CHECK(d && keep && remap);
	if (!d || !keep || !remap)
		goto out;
	for (uint32_t i = 0; i < N; i++) {
		int len = id_of(id, sizeof(id), i);

		rec_dict_intern(d, id, (size_t)len, &idx, NULL);
		keep[i] = i % 3 == 1;
	}
	s = rec_dict_subset(d, keep, remap);
	CHECK(s != NULL);
	if (!s)
		goto out;
	CHECK_INT(rec_dict_size(s), (N + 1) / 3);
	for (uint32_t i = 0; i < N; i++) {
		int len = id_of(id, sizeof(id), i);

		if (keep[i]) {
			if (remap[i] != i / 3 || rec_dict_find(s, id, (size_t)len) != i / 3 ||
			    strcmp(rec_dict_name(s, remap[i], NULL), id) != 0)
				bad++;
		} else if (remap[i] != UINT32_MAX || rec_dict_find(s, id, (size_t)len) != -1) {
			bad++;
		}
	}
	CHECK_INT(bad, 0);
	/* the source is untouched */
	CHECK_INT(rec_dict_size(d), N);
	rec_dict_free(s);
	memset(keep, 0, N);
	s = rec_dict_subset(d, keep, remap);
	CHECK(s != NULL && rec_dict_size(s) == 0);
	rec_dict_free(s);
out:
	rec_dict_free(d);
	free(keep);
	free(remap);
}

/* --- numbers and times --- */

static void test_parse_long(void)
{
	struct rec_error e;
	long v = 99;

	CHECK_INT(rec_parse_long("42", 0, 100, &v, "count", &e), 0);
	CHECK_INT(v, 42);
	CHECK_INT(rec_parse_long("-7", -10, 10, &v, "n", &e), 0);
	CHECK_INT(v, -7);
	CHECK_INT(rec_parse_long("+5", 0, 10, &v, "n", &e), 0);
	CHECK_INT(v, 5);
	v = 99;
	CHECK_INT(rec_parse_long("12x", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_STR(e.msg, "bad count '12x'");
	CHECK_INT(v, 99);
	CHECK_INT(rec_parse_long("", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_INT(rec_parse_long("-", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_INT(rec_parse_long("4 ", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_INT(rec_parse_long("0x10", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_INT(rec_parse_long("1.0", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_INT(rec_parse_long("99999999999999999999", 0, 100, &v, "count", &e), REC_EPARSE);
	CHECK_STR(e.msg, "bad count '99999999999999999999'");
	CHECK_INT(rec_parse_long("101", 0, 100, &v, "--min-user", &e), REC_EPARSE);
	CHECK_STR(e.msg, "--min-user '101' is out of range [0, 100]");
	CHECK_INT(rec_parse_long("-1", 0, 100, &v, "n", NULL), REC_EPARSE);
	CHECK_INT(v, 99);
	CHECK_INT(rec_parse_long("0", 0, 0, &v, "n", NULL), 0);
	CHECK_INT(v, 0);
}

static void test_parse_double(void)
{
	struct rec_error e;
	double v = 99;

	CHECK_INT(rec_parse_double("3.5", 0, 5, &v, "rating", &e), 0);
	CHECK(v == 3.5);
	CHECK_INT(rec_parse_double("-1e3", -1e30, 1e30, &v, "rating", &e), 0);
	CHECK(v == -1000);
	CHECK_INT(rec_parse_double(".5", 0, 1, &v, "r", &e), 0);
	CHECK(v == 0.5);
	v = 99;
	CHECK_INT(rec_parse_double("1.5x", 0, 5, &v, "rating", &e), REC_EPARSE);
	CHECK_STR(e.msg, "bad rating '1.5x'");
	CHECK(v == 99);
	CHECK_INT(rec_parse_double("", 0, 5, &v, "rating", &e), REC_EPARSE);
	CHECK_INT(rec_parse_double("nan", -1e30, 1e30, &v, "rating", &e), REC_EPARSE);
	CHECK_INT(rec_parse_double("inf", -1e30, 1e30, &v, "rating", &e), REC_EPARSE);
	CHECK_INT(rec_parse_double("1e400", -1e30, 1e30, &v, "rating", &e), REC_EPARSE);
	CHECK_INT(rec_parse_double("2", 0, 1, &v, "--ratio", &e), REC_EPARSE);
	CHECK_STR(e.msg, "--ratio '2' is out of range [0, 1]");
	CHECK_INT(rec_parse_double("1", 0, 1, &v, "--ratio", NULL), 0);
	CHECK(v == 1);
}

static void test_parse_time(void)
{
	static const struct { const char *s; int64_t t; } good[] = {
		{ "0", 0 },
		{ "-86400", -86400 },
		{ "1704067200", 1704067200 },
		{ "1970-01-01", 0 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2024-01-01", 1704067200 },
		{ "2024-01-01Z", 1704067200 },
		{ "2024-01-01T10:20", 1704067200 + 37200 },
		{ "2024-01-01T10:20Z", 1704067200 + 37200 },
		{ "2024-02-29T12:30:15Z", 1709209815 },
		{ "2024-02-29 12:30:15", 1709209815 },
		{ "2000-03-01T00:00:00Z", 951868800 },
		{ "2100-03-01", 4107542400 },
	};
	static const char *const bad[] = {
		"", "12abc", "1e3", "2024-", "2024-1-01", "2024-01-1", "2024-13-01",
		"2024-00-10", "2024-01-32", "2024-01-00", "2023-02-29", "2024-02-30",
		"2024-04-31", "2024-01-01T", "2024-01-01T24:00", "2024-01-01T10:60",
		"2024-01-01T10", "2024-01-01T10:20:5", "2024-01-01T00:00:00+01:00",
		"2024-01-01Zjunk", "2024-01-01T00:00:00ZZ", "today",
	};
	struct rec_error e;
	int64_t t;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = -12345;
		CHECK_INT(rec_parse_time(good[i].s, &t, "timestamp", &e), 0);
		if (t != good[i].t)
			fprintf(stderr, "  parsing '%s'\n", good[i].s);
		CHECK_INT(t, good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = rec_parse_time(bad[i], &t, "timestamp", &e);

		if (rc != REC_EPARSE)
			fprintf(stderr, "  '%s' was accepted as %lld\n", bad[i], (long long)t);
		CHECK_INT(rc, REC_EPARSE);
	}
	rec_parse_time("2024-13-01", &t, "--before", &e);
	CHECK_STR(e.msg, "bad --before '2024-13-01'");
}

static void test_parse_duration(void)
{
	static const struct { const char *s; double v; } good[] = {
		{ "30", 30 }, { "5s", 5 }, { "10m", 600 }, { "2h", 7200 },
		{ "1.5d", 129600 }, { "1w", 604800 }, { "0.5", 0.5 },
	};
	static const char *const bad[] = {
		"", "0", "-1h", "h", "2x", "2hh", "2 h", "nan", "inf", "1e999",
	};
	struct rec_error e;
	double v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		CHECK_INT(rec_parse_duration(good[i].s, &v, "--half-life", &e), 0);
		CHECK(v == good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = rec_parse_duration(bad[i], &v, "--half-life", &e);

		if (rc != REC_EPARSE)
			fprintf(stderr, "  '%s' was accepted\n", bad[i]);
		CHECK_INT(rc, REC_EPARSE);
	}
	rec_parse_duration("2x", &v, "--half-life", &e);
	CHECK_STR(e.msg, "bad --half-life '2x'");
}

static void test_format_time(void)
{
	static const int64_t ts[] = { 0, -1, 1709209815, 951868800, 4107542400 };
	char buf[32];
	int64_t back;

	rec_format_time(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	rec_format_time(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59Z");
	rec_format_time(1709209815, buf, sizeof(buf));
	CHECK_STR(buf, "2024-02-29T12:30:15Z");
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		rec_format_time(ts[i], buf, sizeof(buf));
		CHECK_INT(rec_parse_time(buf, &back, "t", NULL), 0);
		CHECK_INT(back, ts[i]);
	}
}

static void test_error_str(void)
{
	struct rec_error e;
	char buf[128];

	rec_error_set(&e, REC_EPARSE, "bad %s '%s'", "rating", "x");
	CHECK_INT(e.code, REC_EPARSE);
	CHECK_STR(rec_error_str(&e, buf, sizeof(buf)), "bad rating 'x'");
	rec_error_at(&e, "a.csv", 0, 0);
	CHECK_STR(rec_error_str(&e, buf, sizeof(buf)), "a.csv: bad rating 'x'");
	rec_error_at(&e, "other.csv", 12, 3);
	CHECK_STR(rec_error_str(&e, buf, sizeof(buf)), "a.csv:12:3: bad rating 'x'");
	rec_error_set(&e, REC_EIO, "gone");
	rec_error_at(&e, "b.csv", 7, 0);
	CHECK_STR(rec_error_str(&e, buf, sizeof(buf)), "b.csv:7: gone");
	CHECK_INT(rec_error_set(NULL, REC_EINVAL, "ignored"), REC_EINVAL);
}

static void test_csv_field(void)
{
	char *text = NULL;
	size_t size = 0;
	FILE *fp = open_memstream(&text, &size);

	CHECK(fp != NULL);
	if (!fp)
		return;
	rec_csv_field(fp, "plain", 5);
	putc('|', fp);
	rec_csv_field(fp, "a,b", 3);
	putc('|', fp);
	rec_csv_field(fp, "say \"hi\"", 8);
	putc('|', fp);
	rec_csv_field(fp, "two\nlines", 9);
	putc('|', fp);
	rec_csv_field(fp, "", 0);
	fclose(fp);
	CHECK_STR(text, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|");
	free(text);
}

/* --- randomness --- */

static void test_rng(void)
{
	struct rec_rng a, b;
	int same = 1;

	/* splitmix64 from 1234567 (the usual published vector) seeds the state */
	rec_rng_seed(&a, 1234567);
	CHECK(a.s[0] == 6457827717110365317ULL);
	CHECK(a.s[1] == 3203168211198807973ULL);
	CHECK(a.s[2] == 9817491932198370423ULL);
	CHECK(a.s[3] == 4593380528125082431ULL);
	/* xoshiro256** from the state {1, 2, 3, 4} */
	a.s[0] = 1, a.s[1] = 2, a.s[2] = 3, a.s[3] = 4;
	CHECK(rec_rng_next(&a) == 11520);
	CHECK(rec_rng_next(&a) == 0);
	CHECK(rec_rng_next(&a) == 1509978240);
	CHECK(rec_rng_next(&a) == 1215971899390074240ULL);
	/* the default seed, worked by an independent implementation */
	rec_rng_seed(&a, REC_DEFAULT_SEED);
	CHECK(rec_rng_next(&a) == 1546998764402558742ULL);
	CHECK(rec_rng_next(&a) == 6990951692964543102ULL);
	CHECK(rec_rng_next(&a) == 12544586762248559009ULL);
	/* same seed, same stream; another seed, another stream */
	rec_rng_seed(&a, 99);
	rec_rng_seed(&b, 99);
	for (int i = 0; i < 1000; i++)
		same &= rec_rng_next(&a) == rec_rng_next(&b);
	CHECK(same);
	rec_rng_seed(&a, 99);
	rec_rng_seed(&b, 100);
	CHECK(rec_rng_next(&a) != rec_rng_next(&b));
}

static void test_rng_below(void)
{
	static const uint64_t ns[] = {
		1, 2, 3, 7, 10, 1000, 4294967297ULL, 9223372036854775808ULL,
		9223372036854775809ULL, UINT64_MAX,
	};
	struct rec_rng rng;
	unsigned count[10] = { 0 };
	int out = 0, uneven = 0;
	uint64_t top = 0;

	rec_rng_seed(&rng, 5);
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
		for (int i = 0; i < 20000; i++)
			out += rec_rng_below(&rng, ns[k]) >= ns[k];
	CHECK_INT(out, 0);
	for (int i = 0; i < 100; i++)
		CHECK_INT(rec_rng_below(&rng, 1), 0);
	/* ten values, each about a tenth of the time */
	for (int i = 0; i < 100000; i++)
		count[rec_rng_below(&rng, 10)]++;
	for (int v = 0; v < 10; v++)
		uneven += count[v] < 9500 || count[v] > 10500;
	CHECK_INT(uneven, 0);
	/* large bounds reach their top half */
	for (int i = 0; i < 64; i++) {
		uint64_t x = rec_rng_below(&rng, UINT64_MAX);

		top = x > top ? x : top;
	}
	CHECK(top > UINT64_MAX / 2);
}

static void test_rng_other(void)
{
	struct rec_rng rng;
	uint32_t v[1000];
	uint8_t seen[1000] = { 0 };
	int bad = 0;
	double sum = 0;

	rec_rng_seed(&rng, 11);
	for (int i = 0; i < 10000; i++) {
		double u = rec_rng_uniform(&rng), n = rec_rng_normal(&rng);

		bad += !(u >= 0 && u < 1) || !isfinite(n);
		sum += n;
	}
	CHECK_INT(bad, 0);
	CHECK(fabs(sum / 10000) < 0.05);
	for (uint32_t i = 0; i < 1000; i++)
		v[i] = i;
	rec_rng_shuffle_u32(&rng, v, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		bad += v[i] >= 1000 || seen[v[i]];
		if (v[i] < 1000)
			seen[v[i]] = 1;
	}
	CHECK_INT(bad, 0);
	CHECK(v[0] != 0 || v[1] != 1 || v[2] != 2);
	rec_rng_shuffle_u32(&rng, v, 0);
	rec_rng_shuffle_u32(&rng, v, 1);
}

/* --- binary files --- */

#define TEST_MAGIC "RECTEST\n"

static const uint32_t u32s[3] = { 0, 1, 0xdeadbeef };
static const uint64_t u64s[2] = { 0x0102030405060708ULL, UINT64_MAX };
static const int64_t i64s[2] = { -1, INT64_MIN };
static const float f32s[2] = { 3.5f, -0.0f };

/* Write NUMS (required), a 10-byte section with the given tag and flags,
 * and NAME (required, a dictionary of two IDs). */
static int write_test_file(const char *path, const char *tag, uint32_t flags,
			   size_t nums_short)
{
	struct rec_section sec[3] = {
		{ { 'N', 'U', 'M', 'S' }, REC_SECTION_REQUIRED, 0, 12 + 16 + 16 + 8 + 5 },
		{ { 0 }, flags, 0, 10 },
		{ { 'N', 'A', 'M', 'E' }, REC_SECTION_REQUIRED, 0, 0 },
	};
	struct rec_dict *d = rec_dict_new();
	struct rec_writer *w;
	struct rec_error e;
	uint32_t idx;
	int rc;

	memcpy(sec[1].tag, tag, 4);
	rec_dict_intern(d, "alice", 5, &idx, NULL);
	rec_dict_intern(d, "bob, jr", 7, &idx, NULL);
	sec[2].length = rec_dict_section_length(d);
	if ((rc = rec_writer_open(&w, path, TEST_MAGIC, 3, 1, sec, 3, &e)) < 0) {
		rec_dict_free(d);
		return rc;
	}
	rec_writer_u32(w, u32s, 3);
	rec_writer_u64(w, u64s, 2);
	rec_writer_i64(w, i64s, 2);
	rec_writer_f32(w, f32s, 2);
	rec_writer_bytes(w, "hello", 5 - nums_short);
	rec_writer_bytes(w, "0123456789", 10);
	rec_writer_dict(w, d);
	rec_dict_free(d);
	return rec_writer_commit(w, &e);
}

/* Does the directory hold a name that starts with prefix other than name? */
static int stray_file(const char *prefix, const char *name)
{
	DIR *dir = opendir(".");
	struct dirent *ent;
	int found = 0;

	if (!dir)
		return 1;
	while ((ent = readdir(dir)))
		if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0 &&
		    (!name || strcmp(ent->d_name, name) != 0))
			found = 1;
	closedir(dir);
	return found;
}

static void test_binfile_roundtrip(void)
{
	struct rec_reader *r;
	const struct rec_section *s;
	struct rec_dict *d = NULL;
	struct rec_error e;
	uint32_t u32[3];
	uint64_t u64[2];
	int64_t i64[2];
	float f32[2];
	char text[6] = { 0 };
	unsigned minor = 0;

	CHECK_INT(write_test_file("unit.bin", "OPTL", 0, 0), 0);
	CHECK(!stray_file("unit.bin", "unit.bin"));
	CHECK_INT(rec_file_has_magic("unit.bin", TEST_MAGIC, &e), 1);
	CHECK_INT(rec_file_has_magic("unit.bin", REC_DATASET_MAGIC, &e), 0);
	CHECK_INT(rec_reader_open(&r, "unit.bin", TEST_MAGIC, 3, &minor, &e), 0);
	if (!r)
		return;
	CHECK_INT(minor, 1);
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK(memcmp(s->tag, "NUMS", 4) == 0);
	CHECK_INT(s->length, 57);
	CHECK_INT(rec_reader_u32(r, u32, 3), 0);
	CHECK_INT(rec_reader_u64(r, u64, 2), 0);
	CHECK_INT(rec_reader_i64(r, i64, 2), 0);
	CHECK_INT(rec_reader_f32(r, f32, 2), 0);
	CHECK_INT(rec_reader_bytes(r, text, 5), 0);
	CHECK(memcmp(u32, u32s, sizeof(u32)) == 0);
	CHECK(u64[0] == u64s[0] && u64[1] == u64s[1]);
	CHECK(i64[0] == -1 && i64[1] == INT64_MIN);
	CHECK(f32[0] == 3.5f && f32[1] == 0 && signbit(f32[1]));
	CHECK_STR(text, "hello");
	/* an unknown optional section is skipped */
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK(memcmp(s->tag, "OPTL", 4) == 0 && s->flags == 0);
	CHECK_INT(rec_reader_skip(r), 0);
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK(memcmp(s->tag, "NAME", 4) == 0);
	CHECK_INT(rec_reader_dict(r, 2, &d), 0);
	CHECK(d && rec_dict_size(d) == 2);
	CHECK(d && rec_dict_find(d, "bob, jr", 7) == 1);
	rec_dict_free(d);
	CHECK_INT(rec_reader_next(r, &s), 0);
	CHECK_INT(rec_reader_close(r, &e), 0);
}

static void test_binfile_unread(void)
{
	struct rec_reader *r;
	const struct rec_section *s;
	struct rec_error e;
	char c, buf[1000];

	/* sections a caller does not read are passed over by next */
	CHECK_INT(write_test_file("unit.bin", "OPTL", 0, 0), 0);
	CHECK_INT(rec_reader_open(&r, "unit.bin", TEST_MAGIC, 3, NULL, &e), 0);
	if (!r)
		return;
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK_INT(rec_reader_bytes(r, &c, 1), 0);
	CHECK_INT(c, '0');
	CHECK_INT(rec_reader_next(r, &s), 1);
	/* reading past the end of a section is an error */
	CHECK_INT(rec_reader_bytes(r, buf, sizeof(buf)), REC_EFORMAT);
	CHECK_INT(rec_reader_close(r, &e), REC_EFORMAT);
	CHECK_STR(e.msg, "section 'NAME' is too short for its contents");
}

static void test_binfile_required(void)
{
	struct rec_reader *r;
	const struct rec_section *s;
	struct rec_error e;

	CHECK_INT(write_test_file("req.bin", "XREQ", REC_SECTION_REQUIRED, 0), 0);
	CHECK_INT(rec_reader_open(&r, "req.bin", TEST_MAGIC, 3, NULL, &e), 0);
	if (!r)
		return;
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK_INT(rec_reader_next(r, &s), 1);
	CHECK(memcmp(s->tag, "XREQ", 4) == 0);
	CHECK_INT(rec_reader_skip(r), REC_EFORMAT);
	CHECK_INT(rec_reader_close(r, &e), REC_EFORMAT);
	CHECK_STR(e.msg, "unknown required section 'XREQ'");
	CHECK_STR(e.file, "req.bin");
}

static void test_binfile_refusals(void)
{
	struct rec_reader *r;
	struct rec_error e;

	CHECK_INT(write_test_file("unit.bin", "OPTL", 0, 0), 0);
	CHECK_INT(rec_reader_open(&r, "unit.bin", "RECOTHR\n", 3, NULL, &e), REC_EFORMAT);
	CHECK(r == NULL);
	CHECK_STR(e.msg, "bad magic: not a RECOTHR file");
	CHECK_INT(rec_reader_open(&r, "unit.bin", TEST_MAGIC, 2, NULL, &e), REC_EVERSION);
	CHECK_STR(e.msg, "format version 3.1 is newer than this program reads (2.x)");
	CHECK_INT(rec_reader_open(&r, "no-such.bin", TEST_MAGIC, 3, NULL, &e), REC_EIO);
	CHECK_STR(e.file, "no-such.bin");
	CHECK(rec_file_has_magic("no-such.bin", TEST_MAGIC, &e) < 0);
	/* a writer that falls short of its section table leaves nothing */
	CHECK(write_test_file("short.bin", "OPTL", 0, 2) < 0);
	CHECK(access("short.bin", F_OK) != 0);
	CHECK(!stray_file("short.bin", NULL));
	rec_writer_abort(NULL);
}

/* A file of one dictionary section NAME holding the n IDs ids. */
static int write_dict_file(const char *path, const char *const *ids, uint32_t n)
{
	struct rec_section sec = { { 'N', 'A', 'M', 'E' }, REC_SECTION_REQUIRED, 0, 0 };
	struct rec_writer *w;
	struct rec_error e;
	int rc;

	for (uint32_t i = 0; i < n; i++)
		sec.length += 4 + strlen(ids[i]);
	if ((rc = rec_writer_open(&w, path, TEST_MAGIC, 3, 1, &sec, 1, &e)) < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = (uint32_t)strlen(ids[i]);

		rec_writer_u32(w, &len, 1);
		rec_writer_bytes(w, ids[i], len);
	}
	return rec_writer_commit(w, &e);
}

/* Read the dictionary of path as one of count IDs: its failure's message,
 * or "" if it read. */
static const char *dict_failure(const char *path, uint32_t count, struct rec_error *e)
{
	struct rec_reader *r;
	const struct rec_section *s;
	struct rec_dict *d = NULL;
	int rc;

	if (rec_reader_open(&r, path, TEST_MAGIC, 3, NULL, e) < 0)
		return e->msg;
	rec_reader_next(r, &s);
	rc = rec_reader_dict(r, count, &d);
	CHECK(rc == 0 ? d != NULL : d == NULL);
	rec_dict_free(d);
	rec_reader_error(r, e);
	rec_reader_abort(r);
	return rc == 0 ? "" : e->msg;
}

static void test_binfile_bad_dict(void)
{
	static const char *const two[] = { "a", "bc" }, *const twice[] = { "a", "bc", "a" };
	struct rec_error e;

	CHECK_INT(write_dict_file("dict.bin", two, 2), 0);
	CHECK_STR(dict_failure("dict.bin", 2, &e), "");
	CHECK_STR(dict_failure("dict.bin", 3, &e), "section 'NAME': fewer IDs than the header counts");
	CHECK_STR(dict_failure("dict.bin", 1, &e), "section 'NAME': more IDs than the header counts");
	CHECK_INT(write_dict_file("dict.bin", twice, 3), 0);
	CHECK_STR(dict_failure("dict.bin", 3, &e), "section 'NAME': an ID appears twice");
}

/* A dataset written section by section, with an extra section of the
 * given flags between TIME and the end: two users, three items. */
static int write_dataset(const char *path, uint32_t extra_flags)
{
	static const uint64_t rows[3] = { 0, 2, 3 };
	static const uint32_t cols[3] = { 0, 2, 1 };
	static const float vals[3] = { 5, 3, 4.5f };
	static const int64_t times[3] = { 10, 20, 15 };
	uint32_t meta[6] = { 2, 3, 3, 0, 3, 0 };
	struct rec_dict *users = rec_dict_new(), *items = rec_dict_new();
	struct rec_section sec[8] = {
		{ { 'M', 'E', 'T', 'A' }, REC_SECTION_REQUIRED, 0, 24 },
		{ { 'U', 'S', 'E', 'R' }, REC_SECTION_REQUIRED, 0, 0 },
		{ { 'I', 'T', 'E', 'M' }, REC_SECTION_REQUIRED, 0, 0 },
		{ { 'R', 'O', 'W', 'S' }, REC_SECTION_REQUIRED, 0, 24 },
		{ { 'C', 'O', 'L', 'S' }, REC_SECTION_REQUIRED, 0, 12 },
		{ { 'V', 'A', 'L', 'S' }, REC_SECTION_REQUIRED, 0, 12 },
		{ { 'T', 'I', 'M', 'E' }, REC_SECTION_REQUIRED, 0, 24 },
		{ { 'X', 'T', 'R', 'A' }, extra_flags, 0, 3 },
	};
	struct rec_writer *w;
	struct rec_error e;
	uint32_t idx;
	int rc;

	rec_dict_intern(users, "u1", 2, &idx, NULL);
	rec_dict_intern(users, "u2", 2, &idx, NULL);
	rec_dict_intern(items, "a", 1, &idx, NULL);
	rec_dict_intern(items, "b", 1, &idx, NULL);
	rec_dict_intern(items, "c", 1, &idx, NULL);
	sec[1].length = rec_dict_section_length(users);
	sec[2].length = rec_dict_section_length(items);
	rc = rec_writer_open(&w, path, REC_DATASET_MAGIC, REC_DATASET_MAJOR,
			     REC_DATASET_MINOR, sec, 8, &e);
	if (rc == 0) {
		rec_writer_u32(w, meta, 6);
		rec_writer_dict(w, users);
		rec_writer_dict(w, items);
		rec_writer_u64(w, rows, 3);
		rec_writer_u32(w, cols, 3);
		rec_writer_f32(w, vals, 3);
		rec_writer_i64(w, times, 3);
		rec_writer_bytes(w, "new", 3);
		rc = rec_writer_commit(w, &e);
	}
	rec_dict_free(users);
	rec_dict_free(items);
	return rc;
}

static void test_dataset_sections(void)
{
	struct rec_dataset ds;
	struct rec_error e;

	CHECK_INT(write_dataset("opt.recd", 0), 0);
	CHECK_INT(rec_dataset_read(&ds, "opt.recd", &e), 0);
	CHECK_INT(ds.nusers, 2);
	CHECK_INT(ds.nitems, 3);
	CHECK_INT(ds.nnz, 3);
	CHECK(ds.has_rating && ds.has_time);
	if (ds.nnz == 3) {
		CHECK_INT(ds.col[2], 1);
		CHECK(ds.val[2] == 4.5f);
		CHECK_INT(ds.time[1], 20);
		CHECK_STR(rec_dict_name(ds.items, ds.col[1], NULL), "c");
	}
	rec_dataset_release(&ds);
	CHECK_INT(write_dataset("req.recd", REC_SECTION_REQUIRED), 0);
	CHECK_INT(rec_dataset_read(&ds, "req.recd", &e), REC_EFORMAT);
	CHECK_STR(e.msg, "unknown required section 'XTRA'");
	CHECK_STR(e.file, "req.recd");
}

/* n events of users below nusers and items below nitems, times from t,
 * pushed both to ev and to all, each interning the IDs as they come. */
static void push_both(struct rec_events *ev, struct rec_events *all, struct rec_rng *rng,
		      uint32_t nusers, uint32_t nitems, uint32_t n, int64_t t)
{
	for (uint32_t e = 0; e < n; e++) {
		uint64_t u = rec_rng_below(rng, nusers), i = rec_rng_below(rng, nitems);
		float v = (float)(1 + rec_rng_below(rng, 5));

		rec_events_push(ev, data_id(ev->users, 'u', u), data_id(ev->items, 'i', i), v, t + e);
		rec_events_push(all, data_id(all->users, 'u', u), data_id(all->items, 'i', i), v,
				t + e);
	}
	ev->has_rating = ev->has_time = all->has_rating = all->has_time = 1;
}

/* A dataset grown in place by more events, with repeated pairs, new users
 * and new items, is the dataset of all the events at once; its arrays are
 * large enough to grow within their huge pages. */
static void test_dataset_append(void)
{
	struct rec_events first, more, all;
	struct rec_dataset ds, want;
	struct rec_error e;
	struct rec_rng rng;

	rec_rng_seed(&rng, 5);
	CHECK(rec_events_init(&first, NULL, NULL) == 0 && rec_events_init(&all, NULL, NULL) == 0);
	push_both(&first, &all, &rng, 2000, 3000, 100000, 0);
	CHECK_INT(rec_dataset_from_events(&ds, &first, REC_DEDUP_LAST, &e), 0);
	CHECK(rec_events_init(&more, ds.users, ds.items) == 0);
	push_both(&more, &all, &rng, 2300, 3200, 20000, 100000);
	CHECK_INT(rec_dataset_append(&ds, &more, REC_DEDUP_LAST, &e), 0);
	CHECK_INT(rec_dataset_from_events(&want, &all, REC_DEDUP_LAST, &e), 0);
	CHECK_INT(ds.nusers, want.nusers);
	CHECK_INT(ds.nitems, want.nitems);
	CHECK_INT(ds.nnz, want.nnz);
	if (ds.nusers == want.nusers && ds.nnz == want.nnz) {
		CHECK(memcmp(ds.rowptr, want.rowptr, (ds.nusers + 1) * sizeof(*ds.rowptr)) == 0);
		CHECK(memcmp(ds.col, want.col, ds.nnz * sizeof(*ds.col)) == 0);
		CHECK(memcmp(ds.val, want.val, ds.nnz * sizeof(*ds.val)) == 0);
		CHECK(memcmp(ds.time, want.time, ds.nnz * sizeof(*ds.time)) == 0);
	}
	rec_dataset_release(&ds);
	rec_dataset_release(&want);
}

/* The binary-file tests write their files in a directory of their own,
 * removed at the end, wherever the test is run from. */
static int remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *ent;

	if (!d)
		return -1;
	while ((ent = readdir(d)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			unlink(ent->d_name);
	closedir(d);
	return rmdir(dir);
}

/* Worked by hand.  Items 0..5 score 0.9 0.5 0.5 -inf NaN 0.1; the
 * positives are 1, 2 and 7 (7 has no score).  Negatives: 0 and 5 (3 is
 * unscored, 4 is NaN).  Positives 1 and 2 each beat item 5 only (their
 * tie with each other does not count), 7 beats nothing: 2 of 3 x 2 pairs.
 * Scores 0.5 0.5 0.2 with positive 0: a tie (1/2) and a win, 1.5 of 2. */
static void test_auc(void)
{
	const float scores[] = { 0.9f, 0.5f, 0.5f, -INFINITY, NAN, 0.1f };
	const float tied[] = { 0.5f, 0.5f, 0.2f };
	const uint32_t test[] = { 1, 2, 7 }, first = 0, all[] = { 0, 1, 2 };

	CHECK(fabs(rec_metrics_auc(scores, 6, test, 3) - 1.0 / 3) < 1e-12);
	CHECK(fabs(rec_metrics_auc(tied, 3, &first, 1) - 0.75) < 1e-12);
	CHECK(rec_metrics_auc(tied, 3, all, 3) == -1);
	CHECK(rec_metrics_auc(tied, 3, all, 0) == -1);
}

/* How many users of ds have item a, item b and both, counted by rows. */
static void count_by_rows(const struct rec_dataset *ds, uint32_t a, uint32_t b,
			  double *na, double *nb, double *both)
{
	*na = *nb = *both = 0;
	for (uint32_t u = 0; u < ds->nusers; u++) {
		int ha = 0, hb = 0;

		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++) {
			ha |= ds->col[e] == a;
			hb |= ds->col[e] == b;
		}
		*na += ha;
		*nb += hb;
		*both += ha && hb;
	}
}

/* Diversity against its definition, pair by pair, over a list of 70
 * items (longer than the 64 whose pairs the metric counts at once) of
 * ds's items, and every pair's common users. */
static void check_diversity(const struct rec_dataset *ds)
{
	struct rec_catalogue c;
	uint32_t list[70];
	uint64_t *held;
	double want = 0, na, nb, both;

	CHECK(rec_catalogue_init(&c, ds) == 0);
	held = calloc(c.user_ids, sizeof(*held));
	for (uint32_t i = 0; i < 70; i++)
		list[i] = (i * 37) % c.nitems;
	for (uint32_t a = 0; a < 70; a++)
		for (uint32_t b = a + 1; b < 70; b++) {
			count_by_rows(ds, list[a], list[b], &na, &nb, &both);
			want += na && nb ? 1 - both / sqrt(na * nb) : 1;
		}
	want /= 70 * 69 / 2;
	CHECK(fabs(rec_metrics_diversity(&c, list, 70, held) - want) < 1e-12);
	for (uint32_t u = 0; u < c.user_ids; u++)
		CHECK(held[u] == 0);
	CHECK(rec_metrics_diversity(&c, list, 1, held) == -1);
	for (uint32_t a = 0; a < c.nitems; a++)
		for (uint32_t b = 0; b < c.nitems; b++) {
			count_by_rows(ds, a, b, &na, &nb, &both);
			CHECK(rec_catalogue_common(&c, a, b) == (uint64_t)both);
		}
	CHECK(rec_catalogue_common(&c, 0, c.nitems) == 0);
	free(held);
	rec_catalogue_release(&c);
}

/* Uniform picks make every item hot (16 or more users); picks of three
 * densities make some hot and leave others to be counted list by list.
 * Two threads must count the hot pairs as one does. */
static void test_diversity(void)
{
	struct rec_dataset uniform, mixed;
	struct rec_catalogue one, two;
	int threads = omp_get_max_threads();

	make_random(&uniform, 90, 100, 3000, 11);
	make_picks(&mixed, 90, 100, 0.06, 11);
	check_diversity(&uniform);
	check_diversity(&mixed);
	omp_set_num_threads(1);
	CHECK(rec_catalogue_init(&one, &mixed) == 0);
	omp_set_num_threads(2);
	CHECK(rec_catalogue_init(&two, &mixed) == 0);
	omp_set_num_threads(threads);
	CHECK(one.nhot > 0 && one.nhot < one.nitems && one.nhot == two.nhot);
	CHECK(memcmp(one.common, two.common,
		     (size_t)one.nhot * (one.nhot - 1) / 2 * sizeof(*one.common)) == 0);
	rec_catalogue_release(&one);
	rec_catalogue_release(&two);
	rec_dataset_release(&uniform);
	rec_dataset_release(&mixed);
}

int main(void)
{
	char dir[] = "/tmp/rec-unit-coreXXXXXX";
	int status;

	CHECK(mkdtemp(dir) != NULL && chdir(dir) == 0);
	test_dict_many();
	test_dict_bytes();
	test_dict_subset();
	test_parse_long();
	test_parse_double();
	test_parse_time();
	test_parse_duration();
	test_format_time();
	test_error_str();
	test_csv_field();
	test_rng();
	test_rng_below();
	test_rng_other();
	test_binfile_roundtrip();
	test_binfile_unread();
	test_binfile_required();
	test_binfile_refusals();
	test_binfile_bad_dict();
	test_dataset_sections();
	test_dataset_append();
	test_auc();
	test_diversity();
	status = UNIT_STATUS();
	CHECK(remove_dir(dir) == 0);
	return status;
}
