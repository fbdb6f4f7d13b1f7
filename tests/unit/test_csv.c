/* test_csv.c - unit tests of the events CSV readers and of the numbers
 * in them: every input is read split by hand and through libcsv alone
 * (opt.libcsv), and the two must agree on the result, the error and the
 * events.  The input file is written in a directory of its own. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "unit.h"

#define IN "in.csv"

struct outcome {
	int rc;
	char msg[600];		/* the error as a program prints it */
	struct rec_events ev;
};

static void read_one(const struct rec_csv_options *opt, int libcsv, struct outcome *o)
{
	struct rec_csv_options o2 = *opt;
	struct rec_error e = { 0 };

	o2.libcsv = libcsv;
	o->msg[0] = '\0';
	if (rec_events_init(&o->ev, NULL, NULL) < 0) {
		o->rc = REC_ENOMEM;
		return;
	}
	o->rc = rec_events_read(&o->ev, IN, &o2, &e);
	if (o->rc < 0)
		rec_error_str(&e, o->msg, sizeof(o->msg));
}

/* Do a and b hold the same events, with the same IDs in the same order? */
static int same_events(const struct rec_events *a, const struct rec_events *b)
{
	if (a->n != b->n || a->skipped != b->skipped || a->has_rating != b->has_rating ||
	    a->has_time != b->has_time || rec_dict_size(a->users) != rec_dict_size(b->users) ||
	    rec_dict_size(a->items) != rec_dict_size(b->items))
		return 0;
	for (size_t e = 0; e < a->n; e++) {
		size_t la, lb, ia, ib;
		const char *ua = rec_dict_name(a->users, a->user[e], &la);
		const char *ub = rec_dict_name(b->users, b->user[e], &lb);
		const char *xa = rec_dict_name(a->items, a->item[e], &ia);
		const char *xb = rec_dict_name(b->items, b->item[e], &ib);

		if (la != lb || memcmp(ua, ub, la) || ia != ib || memcmp(xa, xb, ia) ||
		    a->rating[e] != b->rating[e] || a->time[e] != b->time[e])
			return 0;
	}
	return 1;
}

/* Write text (len bytes) to the input file and read it both ways; the
 * split read is left in *o, to be released by the caller.  After an
 * error the events read are not compared: libcsv's reader has appended
 * the rows before it, the parts none. */
static void read_both(const char *text, size_t len, const struct rec_csv_options *opt,
		      struct outcome *o)
{
	FILE *fp = fopen(IN, "wb");
	struct outcome lib;

	CHECK(fp && fwrite(text, 1, len, fp) == len && fclose(fp) == 0);
	read_one(opt, 0, o);
	read_one(opt, 1, &lib);
	CHECK_INT(o->rc, lib.rc);
	CHECK_STR(o->msg, lib.msg);
	CHECK(o->rc < 0 || same_events(&o->ev, &lib.ev));
	rec_events_release(&lib.ev);
}

/* Each case: an input, its options, and what both readers make of it. */
static void test_cases(void)
{
	static const struct {
		const char *text;
		size_t len;		/* 0: strlen(text) */
		int no_header, skip_bad;
		int rc;
		const char *msg;
		size_t n, skipped;
	} cases[] = {
		{ "user,item,rating\na,x,1\n", 0, 0, 0, 0, "", 1, 0 },
		{ "\xef\xbb\xbfuser,item\na,x\nb,y\n", 0, 0, 0, 0, "", 2, 0 },
		{ "\xef\xbb\xbf\"user\",item\na,x\n", 0, 0, 0, 0, "", 1, 0 },
		{ "\xef\xbb\xbf" "a,x\nb,y\n", 0, 1, 0, 0, "", 2, 0 },
		{ "\xef\xbb" "user,item\na,x\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:1: no user column in the header '\xef\xbb" "user,item' (looked for user,user_id,userid)", 0, 0 },
		{ "user,item\na,x\0y\nb,y\n", 20, 0, 0, REC_EPARSE,
		  "in.csv:2:2: NUL byte in the field", 0, 0 },
		{ "user,item\na,x\0y\nb,y\n", 20, 0, 1, 0, "", 1, 1 },
		{ "user\0,item\na,x\n", 15, 0, 1, REC_EPARSE,
		  "in.csv:1:1: NUL byte in the header", 0, 0 },
		{ "user,item,rating\nu1,i1,3,5\nu2,i1,4\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:4: the row has 4 fields, the header 3", 0, 0 },
		{ "user,item,rating\nu1,i1,3,5\nu2,i1,4\n", 0, 0, 1, 0, "", 1, 1 },
		{ "u1,i1,3\nu1,i2,3,5\n", 0, 1, 0, REC_EPARSE,
		  "in.csv:2:4: the row has 4 fields, the first row 3", 0, 0 },
		{ "user,item,\nu1,i1,\n", 0, 0, 0, 0, "", 1, 0 },
		{ "rating,user,item,score\n1,a,x,2\n", 0, 0, 1, REC_EPARSE,
		  "in.csv:1:4: two rating columns in the header: 'rating' and 'score'", 0, 0 },
		{ "USER,item,user\na,x,b\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:1:3: two user columns in the header: 'USER' and 'user'", 0, 0 },
		{ "user,item,rating\na,x,0x10\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: bad rating '0x10'", 0, 0 },
		{ "user,item,rating\na,x,-inf\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: bad rating '-inf'", 0, 0 },
		{ "user,item,rating\na,x,NaN\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: bad rating 'NaN'", 0, 0 },
		{ "user,item,rating\na,x,\" 4\"\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: bad rating ' 4'", 0, 0 },
		{ "user,item,rating\na,x,-1e-46\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: rating '-1e-46' underflows to 0", 0, 0 },
		{ "user,item,rating\na,x,-1e-46\nb,y,1e-45\n", 0, 0, 1, 0, "", 1, 1 },
		{ "user,item,timestamp\na,x,253402300800\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: timestamp '253402300800' is out of range (years 0001 to 9999)", 0, 0 },
		{ "user,item,timestamp\na,x,-62135596801\nb,y,-62135596800\n", 0, 0, 1, 0, "", 1, 1 },
		{ "user,item,timestamp\na,x,0x10\n", 0, 0, 0, REC_EPARSE,
		  "in.csv:2:3: bad timestamp '0x10'", 0, 0 },
	};
	struct rec_csv_options opt = { 0 };
	struct outcome o;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);

		opt.no_header = cases[i].no_header;
		opt.skip_bad = cases[i].skip_bad;
		read_both(cases[i].text, len, &opt, &o);
		if (o.rc != cases[i].rc || strcmp(o.msg, cases[i].msg))
			fprintf(stderr, "  case %zu: %d '%s'\n", i, o.rc, o.msg);
		CHECK_INT(o.rc, cases[i].rc);
		CHECK_STR(o.msg, cases[i].msg);
		if (o.rc == 0) {
			CHECK_INT(o.ev.n, cases[i].n);
			CHECK_INT(o.ev.skipped, cases[i].skipped);
		}
		rec_events_release(&o.ev);
	}
}

/* A file large enough to be read in several parts, with a bad row in
 * the last part and an extra field in the first: the same error, the
 * same count of skipped rows and the same events both ways. */
static void test_parts(void)
{
	enum { ROWS = 30000 };
	size_t cap = (size_t)ROWS * 40, len = 0;
	char *text = malloc(cap);
	struct rec_csv_options opt = { 0 };
	struct outcome o;

	CHECK(text != NULL);
	if (!text)
		return;
	len += (size_t)snprintf(text, cap, "\xef\xbb\xbfuser,item,rating,timestamp\n");
	for (int r = 1; r <= ROWS; r++)
		len += (size_t)snprintf(text + len, cap - len, r == 100 ? "u%d,i%d,%d,%d,1\n" :
					r == 29000 ? "u%d,i%d,%d,0x%d\n" : "u%d,i%d,%d,%d\n",
					r * 7919 % 500, r * 13 % 3001, r % 5 + 1,
					1700000000 + r);
	read_both(text, len, &opt, &o);
	CHECK_INT(o.rc, REC_EPARSE);
	CHECK_STR(o.msg, "in.csv:101:5: the row has 5 fields, the header 4");
	rec_events_release(&o.ev);
	opt.skip_bad = 1;
	read_both(text, len, &opt, &o);
	CHECK_INT(o.rc, 0);
	CHECK_INT(o.ev.n, ROWS - 2);
	CHECK_INT(o.ev.skipped, 2);
	rec_events_release(&o.ev);
	free(text);
}

/* --- the numbers of a data file --- */

static void test_plain_numbers(void)
{
	static const char *const bad_double[] = {
		"0x10", "0X1p3", "inf", "-Infinity", "nan", "NAN(1)", " 1", "1 ", "+",
		"1e", "1e+", ".", "-.e1", "1e-400", "1e400", "1..2",
	};
	static const char *const good_double[] = { "1.", ".5", "-2.5e-3", "+1E5", "0", "-0" };
	static const char *const bad_long[] = { " 5", "\t5", "0x5", "5e0", "+-5" };
	struct rec_error e;
	double d;
	float f = 7;
	long l;

	for (size_t i = 0; i < sizeof(bad_double) / sizeof(bad_double[0]); i++) {
		if (rec_parse_double(bad_double[i], -1e30, 1e30, &d, "--lr", &e) != REC_EPARSE)
			fprintf(stderr, "  '%s' was accepted\n", bad_double[i]);
		CHECK_INT(rec_parse_double(bad_double[i], -1e30, 1e30, &d, "--lr", &e), REC_EPARSE);
	}
	rec_parse_double("0x10", -1e30, 1e30, &d, "--lr", &e);
	CHECK_STR(e.msg, "bad --lr '0x10'");
	for (size_t i = 0; i < sizeof(good_double) / sizeof(good_double[0]); i++)
		CHECK_INT(rec_parse_double(good_double[i], -1e30, 1e30, &d, "x", &e), 0);
	for (size_t i = 0; i < sizeof(bad_long) / sizeof(bad_long[0]); i++)
		CHECK_INT(rec_parse_long(bad_long[i], -100, 100, &l, "n", &e), REC_EPARSE);

	CHECK_INT(rec_parse_float("1e-50", -1e30, 1e30, &f, "rating", &e), REC_EPARSE);
	CHECK_STR(e.msg, "rating '1e-50' underflows to 0");
	CHECK(f == 7);
	CHECK_INT(rec_parse_float("1e-45", -1e30, 1e30, &f, "rating", &e), 0);
	CHECK(f > 0);
	CHECK_INT(rec_parse_float("0.0", -1e30, 1e30, &f, "rating", &e), 0);
	CHECK(f == 0);
	CHECK_INT(rec_parse_float("6", 0, 5, &f, "rating", &e), REC_EPARSE);
	CHECK_STR(e.msg, "rating '6' is out of range [0, 5]");
}

static void test_time_range(void)
{
	static const struct { const char *s; int64_t t; } good[] = {
		{ "-62135596800", REC_TIME_MIN }, { "253402300799", REC_TIME_MAX },
		{ "0001-01-01", REC_TIME_MIN }, { "9999-12-31T23:59:59Z", REC_TIME_MAX },
		{ "+5", 5 },
	};
	static const char *const out[] = {
		"-62135596801", "253402300800", "9223372036854775807", "-9223372036854775808",
		"0000-12-31T23:59:59Z", "9999-12-31T23:59:60Z",
	};
	static const char *const bad[] = {
		" 5", "0x10", "99999999999999999999", "+999-01-01", " 999-01-01",
	};
	struct rec_error e;
	int64_t t;
	double d;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 0;
		CHECK_INT(rec_parse_time(good[i].s, &t, "timestamp", &e), 0);
		CHECK_INT(t, good[i].t);
	}
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		char want[128];

		CHECK_INT(rec_parse_time(out[i], &t, "--now", &e), REC_EPARSE);
		snprintf(want, sizeof(want), "--now '%s' is out of range (years 0001 to 9999)", out[i]);
		CHECK_STR(e.msg, want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rec_parse_time(bad[i], &t, "timestamp", &e) != REC_EPARSE)
			fprintf(stderr, "  '%s' was accepted\n", bad[i]);
		CHECK_INT(rec_parse_time(bad[i], &t, "timestamp", &e), REC_EPARSE);
	}
	CHECK_INT(rec_parse_duration("0x10h", &d, "--half-life", &e), REC_EPARSE);
	CHECK_INT(rec_parse_duration(" 1h", &d, "--half-life", &e), REC_EPARSE);
	CHECK_INT(rec_parse_duration("1.5e1m", &d, "--half-life", &e), 0);
	CHECK(d == 900);
}

/* Quoting for messages: escapes, UTF-8 as it is, and the cut. */
static void test_quote(void)
{
	char buf[REC_QUOTED], small[12];
	char long_id[100];

	CHECK(strcmp(rec_quote(buf, sizeof(buf), "a\tb\r\n\\'\001\177", 9),
		     "'a\\tb\\r\\n\\\\\\'\\x01\\x7f'") == 0);
	CHECK(strcmp(rec_quote(buf, sizeof(buf), "caf\xc3\xa9\0x", 7), "'caf\xc3\xa9\\x00x'") == 0);
	memset(long_id, 'x', sizeof(long_id));
	rec_quote(buf, sizeof(buf), long_id, sizeof(long_id));
	CHECK(strlen(buf) == 85 && strcmp(buf + 81, "'...") == 0);
	rec_quote(buf, sizeof(buf), long_id, 80);
	CHECK(strlen(buf) == 82 && buf[81] == '\'');
	CHECK(strcmp(rec_quote(small, sizeof(small), "\t\t\t\t", 4), "'\\t\\t\\t'...") == 0);
	CHECK(strcmp(rec_quote(small, 5, "x", 1), "'...'") == 0);
}

int main(void)
{
	char dir[] = "/tmp/rec-unit-csvXXXXXX";
	int status;

	CHECK(mkdtemp(dir) != NULL && chdir(dir) == 0);
	test_cases();
	test_parts();
	test_plain_numbers();
	test_time_range();
	test_quote();
	status = UNIT_STATUS();
	CHECK(unlink(IN) == 0 && chdir("/") == 0 && rmdir(dir) == 0);
	return status;
}
