/* floattext.c - a float as "%.9g" writes it, without printf.  glibc
 * converts it exactly in multiple precision, and takes the slow path of
 * its printf for every call once a library has registered a printf
 * modifier (libquadmath, which OpenBLAS brings in, does): the shares of
 * rec-recommend --explain took a tenth of its time to print. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const uint64_t power10[19] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000),
	UINT64_C(10000000000000), UINT64_C(100000000000000),
	UINT64_C(1000000000000000), UINT64_C(10000000000000000),
	UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
};

/* The nine significant digits of a = m 2^e, 1e-9 <= a < 1e9, rounded to
 * nearest and ties to even as printf rounds them, with *x the decimal
 * exponent of the first: exact in 128 bits, m 2^e 10^(8 - x) < 2^88. */
static uint32_t nine_digits(uint32_t m, int e, int *x)
{
	for (;;) {
		unsigned __int128 v = (unsigned __int128)m * power10[8 - *x], rest = 0, half = 0;
		uint64_t n;

		if (e >= 0) {
			v <<= e;
		} else {
			rest = v & (((unsigned __int128)1 << -e) - 1);
			half = (unsigned __int128)1 << (-e - 1);
			v >>= -e;
		}
		n = (uint64_t)v;
		if (n >= 1000000000) {
			++*x;
			continue;
		}
		if (n < 100000000) {
			--*x;
			continue;
		}
		if (rest > half || (rest == half && half && n % 2))
			n++;
		if (n == 1000000000) {
			n = 100000000;
			++*x;
		}
		return (uint32_t)n;
	}
}

/* The n digits of d as a number whose first whole digits are before the
 * point, without the zeros that end its fraction, nor a point without a
 * fraction; returns how many bytes it wrote. */
static size_t put_digits(char *out, const char *d, size_t n, size_t whole)
{
	while (n > whole && d[n - 1] == '0')
		n--;
	memcpy(out, d, whole);
	if (n == whole)
		return whole;
	out[whole] = '.';
	memcpy(out + whole + 1, d + whole, n - whole);
	return n + 1;
}

size_t rec_float_text(char *buf, float v)
{
	double a = fabs((double)v);
	char d[16] = "0000", *p = buf + (v < 0);
	size_t zeros;
	uint32_t n;
	int e, x;

	if (!(a >= 1e-9 && a < 1e9))
		return (size_t)strfromf(buf, REC_FLOAT_TEXT, "%.9g", v);
	buf[0] = '-';
	a = ldexp(frexp(a, &e), 24);	/* a float's 24 bits, times 2^(e - 24) */
	/* 2^(e - 1) <= |v| < 2^e: the decimal exponent or one less */
	x = (int)floor((e - 1) * 0.30102999566398120);
	n = nine_digits((uint32_t)a, e - 24, &x);
	/* from 1e-4 on, 0.000 before the digits; an exponent below it */
	zeros = x < 0 && x >= -4 ? (size_t)-x : 0;
	for (int j = 8; j >= 0; j--, n /= 10)
		d[zeros + (size_t)j] = (char)('0' + n % 10);
	if (x >= 0) {
		p += put_digits(p, d, 9, (size_t)x + 1);
	} else if (zeros) {
		p += put_digits(p, d, 9 + zeros, 1);
	} else {
		p += put_digits(p, d, 9, 1);
		memcpy(p, "e-0", 3);
		p[3] = (char)('0' + -x);
		p += 4;
	}
	*p = '\0';
	return (size_t)(p - buf);
}
