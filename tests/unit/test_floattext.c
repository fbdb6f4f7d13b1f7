/* test_floattext.c - rec_float_text writes what strfromf writes with
 * "%.9g": for a spread of every float's bit patterns, both signs; for the
 * halves that tie at the tenth digit, k / 2^j, which must round to even;
 * and for the neighbours of each power of ten, where the exponent and the
 * notation change. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

static int same_text(float v)
{
	char ours[REC_FLOAT_TEXT], libc[REC_FLOAT_TEXT];
	size_t len = rec_float_text(ours, v);

	strfromf(libc, sizeof(libc), "%.9g", v);
	if (strcmp(ours, libc) == 0 && len == strlen(libc))
		return 1;
	fprintf(stderr, "%a: '%s', strfromf '%s'\n", (double)v, ours, libc);
	return 0;
}

static float from_bits(uint32_t w)
{
	float v;

	memcpy(&v, &w, sizeof(v));
	return v;
}

static void check_bit_patterns(void)
{
	int bad = 0;

	for (uint32_t w = 0; w < 0x7f800000u && bad < 5; w += 40009)
		bad += !same_text(from_bits(w)) + !same_text(-from_bits(w));
	CHECK(bad == 0);
}

static void check_ties(void)
{
	char text[REC_FLOAT_TEXT];
	int bad = 0;

	for (int j = 0; j < 32; j++)
		for (uint32_t k = (1u << 24) - 2000; k < 1u << 24 && bad < 5; k++)
			bad += !same_text(ldexpf((float)k, -j));
	CHECK(bad == 0);
	rec_float_text(text, 2097151.625f);
	CHECK_STR(text, "2097151.62");
	rec_float_text(text, 2097151.875f);
	CHECK_STR(text, "2097151.88");
}

static void check_powers_of_ten(void)
{
	int bad = 0;

	for (int p = -12; p <= 12; p++) {
		float v = (float)pow(10, p);
		uint32_t w;

		memcpy(&w, &v, sizeof(w));
		for (uint32_t d = w - 300; d < w + 300 && bad < 5; d++)
			bad += !same_text(from_bits(d));
	}
	CHECK(bad == 0);
	CHECK(same_text(0) && same_text(-0.0f) && same_text(INFINITY) && same_text(NAN));
}

int main(void)
{
	check_bit_patterns();
	check_ties();
	check_powers_of_ten();
	return UNIT_STATUS();
}
