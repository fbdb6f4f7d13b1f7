/* num.c - the one place that turns text into numbers, times and durations. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Where the plain decimal number at the start of s ends: a sign, digits
 * with at most one point (if fraction) and an exponent (if fraction), or
 * NULL if s does not start with one.  strtod and strtol also take leading
 * spaces, hex, "inf" and "nan", which are no numbers in a data file. */
static const char *decimal_end(const char *s, int fraction)
{
	int digits = 0;

	s += *s == '+' || *s == '-';
	for (; isdigit((unsigned char)*s); s++)
		digits++;
	if (fraction && *s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			digits++;
	if (!digits)
		return NULL;
	if (fraction && (*s == 'e' || *s == 'E')) {
		const char *e = s + 1;

		e += *e == '+' || *e == '-';
		if (!isdigit((unsigned char)*e))
			return NULL;
		for (s = e; isdigit((unsigned char)*s); s++)
			;
	}
	return s;
}

/* Is s a whole plain decimal number? */
static int is_decimal(const char *s, int fraction)
{
	const char *end = decimal_end(s, fraction);

	return end && !*end;
}

/* A byte as a message shows it in quotes: printable ASCII and the bytes
 * of UTF-8 text as they are, the rest as an escape. */
static void escape(unsigned char c, char out[5])
{
	static const char from[] = "\t\n\r\\'", to[] = "tnr\\'";
	const char *e = c ? strchr(from, c) : NULL;

	if (e)
		snprintf(out, 5, "\\%c", to[e - from]);
	else if (c < 0x20 || c == 0x7f)
		snprintf(out, 5, "\\x%02x", c);
	else
		memcpy(out, (char[]){ (char)c, '\0' }, 2);
}

const char *rec_quote(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 1, k;
	char esc[5];

	/* room for an escape, the cut mark and the NUL */
	if (size < 10)
		return "'...'";
	buf[0] = '\'';
	for (size_t i = 0; i < len; i++, n += k) {
		escape((unsigned char)s[i], esc);
		k = strlen(esc);
		if (n + k + 5 > size) {
			memcpy(buf + n, "'...", 5);
			return buf;
		}
		memcpy(buf + n, esc, k);
	}
	memcpy(buf + n, "'", 2);
	return buf;
}

const char *rec_quoted(const char *s, char *buf)
{
	return rec_quote(buf, REC_QUOTED, s, strlen(s));
}

int rec_parse_long(const char *s, long min, long max, long *out,
		   const char *what, struct rec_error *err)
{
	char q[REC_QUOTED];
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!is_decimal(s, 0) || end == s || *end || errno == ERANGE)
		return rec_error_set(err, REC_EPARSE, "bad %s %s", what, rec_quoted(s, q));
	if (v < min || v > max)
		return rec_error_set(err, REC_EPARSE,
				     "%s %s is out of range [%ld, %ld]",
				     what, rec_quoted(s, q), min, max);
	*out = v;
	return 0;
}

int rec_parse_u64(const char *s, uint64_t *out, const char *what,
		  struct rec_error *err)
{
	char q[REC_QUOTED];
	char *end;
	unsigned long long v;

	/* strtoull skips blanks and negates a minus sign: only digits pass. */
	if (*s < '0' || *s > '9')
		return rec_error_set(err, REC_EPARSE, "bad %s %s", what, rec_quoted(s, q));
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return rec_error_set(err, REC_EPARSE, "bad %s %s", what, rec_quoted(s, q));
	if (errno == ERANGE)
		return rec_error_set(err, REC_EPARSE,
				     "%s %s is out of range [0, %llu]",
				     what, rec_quoted(s, q), (unsigned long long)UINT64_MAX);
	*out = (uint64_t)v;
	return 0;
}

/* Plain decimals of at most 15 digits ("4", "3.5"), the bulk of any
 * ratings file, without strtod: both parts are exact in a double, so the
 * one division rounds exactly as strtod would.  0 if s is not one. */
static int parse_plain_decimal(const char *s, double *out)
{
	static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
					1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	uint64_t m = 0;
	int digits = 0, frac = -1;

	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 15)
			return 0;
		m = m * 10 + (uint64_t)(*s - '0');
		frac += frac >= 0;
	}
	if (!digits)
		return 0;
	*out = (double)m / pow10[frac > 0 ? frac : 0];
	return 1;
}

int rec_parse_double(const char *s, double min, double max, double *out,
		     const char *what, struct rec_error *err)
{
	char q[REC_QUOTED];
	char *end;
	double v;

	if (parse_plain_decimal(s, &v))
		goto check;
	errno = 0;
	v = strtod(s, &end);
	/* ERANGE: beyond a double, or a number that is not zero read as a
	 * subnormal or as zero */
	if (!is_decimal(s, 1) || end == s || *end || errno == ERANGE || !isfinite(v))
		return rec_error_set(err, REC_EPARSE, "bad %s %s", what, rec_quoted(s, q));
check:
	if (v < min || v > max)
		return rec_error_set(err, REC_EPARSE,
				     "%s %s is out of range [%g, %g]",
				     what, rec_quoted(s, q), min, max);
	*out = v;
	return 0;
}

int rec_parse_float(const char *s, double min, double max, float *out,
		    const char *what, struct rec_error *err)
{
	char q[REC_QUOTED];
	double v;

	if (rec_parse_double(s, min, max, &v, what, err) < 0)
		return REC_EPARSE;
	if (v != 0 && (float)v == 0)
		return rec_error_set(err, REC_EPARSE, "%s %s underflows to 0", what, rec_quoted(s, q));
	*out = (float)v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);

	return days[m - 1] + (m == 2 && leap);
}

static int parse_iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;

	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	s += n;
	if (*s == 'T' || *s == ' ') {
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		s += 1 + n;
		if (*s == ':') {
			if (sscanf(s + 1, "%2d%n", &sec, &n) != 1 || n != 2)
				return -1;
			s += 1 + n;
		}
	}
	if (*s == 'Z')
		s++;
	if (*s || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec;
	return 0;
}

/* Unsigned decimal integers of at most 18 digits, the timestamps of most
 * logs, without strtoll.  0 if s is not one. */
static int parse_plain_integer(const char *s, int64_t *out)
{
	int64_t v = 0;
	int digits = 0;

	for (; *s; s++) {
		if (*s < '0' || *s > '9' || ++digits > 18)
			return 0;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return digits > 0;
}

/* Seconds or ISO 8601 in *out: 0, or -1 if s is neither. */
static int parse_any_time(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (parse_plain_integer(s, out))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (is_decimal(s, 0) && end != s && !*end && errno != ERANGE) {
		*out = v;
		return 0;
	}
	return parse_iso8601(s, out);
}

int rec_parse_time(const char *s, int64_t *out, const char *what,
		   struct rec_error *err)
{
	char q[REC_QUOTED];
	int64_t t;

	if (parse_any_time(s, &t) < 0)
		return rec_error_set(err, REC_EPARSE, "bad %s %s", what, rec_quoted(s, q));
	if (t < REC_TIME_MIN || t > REC_TIME_MAX)
		return rec_error_set(err, REC_EPARSE,
				     "%s %s is out of range (years 0001 to 9999)", what, rec_quoted(s, q));
	*out = t;
	return 0;
}

int rec_parse_duration(const char *s, double *out, const char *what,
		       struct rec_error *err)
{
	char q[REC_QUOTED];
	static const struct { char unit; double seconds; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 },
	};
	const char *plain = decimal_end(s, 1);
	char *end;
	double v, scale = 1;

	errno = 0;
	v = strtod(s, &end);
	if (!plain || end != plain || errno == ERANGE || !isfinite(v) || v <= 0)
		goto bad;
	if (*end) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (units[i].unit == *end)
				break;
		if (i == sizeof(units) / sizeof(units[0]) || end[1])
			goto bad;
		scale = units[i].seconds;
	}
	*out = v * scale;
	return 0;
bad:
	return rec_error_set(err, REC_EPARSE, "bad %s %s", what, rec_quoted(s, q));
}

void rec_format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

int rec_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

int rec_parse_cutoffs(const char *s, uint32_t max, uint32_t *k, unsigned cap,
		      unsigned *n, struct rec_error *err)
{
	char text[32];
	unsigned got = 0;
	long v;
	int rc;

	for (;;) {
		size_t len = strcspn(s, ",");

		if (len >= sizeof(text) || got == cap)
			return rec_error_set(err, REC_EINVAL, "bad -k (want a list of at most "
					     "%u cut-offs, such as 5,10,20)", cap);
		memcpy(text, s, len);
		text[len] = '\0';
		if ((rc = rec_parse_long(text, 1, max, &v, "-k", err)) < 0)
			return rc;
		k[got++] = (uint32_t)v;
		if (!s[len])
			break;
		s += len + 1;
	}
	qsort(k, got, sizeof(*k), rec_cmp_u32);
	*n = 0;
	for (unsigned i = 0; i < got; i++)
		if (i == 0 || k[i] != k[i - 1])
			k[(*n)++] = k[i];
	return 0;
}
