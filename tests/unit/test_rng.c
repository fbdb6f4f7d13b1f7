/* test_rng.c - the Gibbs sampler's deviates: the moments of many draws
 * from a fixed seed against the distributions' (standard normal: mean 0,
 * variance 1, fourth moment 3 and the mass beyond the ziggurat's base;
 * Gamma(a, 1): mean and variance a), and the same seed giving the same
 * draws whichever way they are asked for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

#define DRAWS 1000000

/* The ziggurat's base reaches R = 3.442619855899; a standard normal lies
 * beyond +-R with probability erfc(R / sqrt 2) = 5.7629e-4. */
#define TAIL_R 3.442619855899

static void check_normals(void)
{
	float *x = malloc(DRAWS * sizeof(*x));
	struct rec_rng rng;
	double s1 = 0, s2 = 0, s4 = 0, tail = 0, se = 1 / sqrt(DRAWS);

	if (!x) {
		CHECK(!"out of memory");
		return;
	}
	rec_rng_seed(&rng, 11);
	rec_rng_normals(&rng, x, DRAWS);
	for (size_t j = 0; j < DRAWS; j++) {
		double v = x[j];

		s1 += v;
		s2 += v * v;
		s4 += v * v * v * v;
		tail += fabs(v) > TAIL_R;
	}
	/* Five standard errors each: the mean's is 1/sqrt(n), the
	 * variance's sqrt(2/n), the fourth moment's sqrt(96/n) and the
	 * tail's count sqrt(n p). */
	CHECK(fabs(s1 / DRAWS) < 5 * se);
	CHECK(fabs(s2 / DRAWS - 1) < 5 * sqrt(2.0) * se);
	CHECK(fabs(s4 / DRAWS - 3) < 5 * sqrt(96.0) * se);
	CHECK(fabs(tail - DRAWS * erfc(TAIL_R / sqrt(2.0))) < 5 * sqrt(DRAWS * 5.7629e-4));
	free(x);
}

/* Gamma(a, 1) has mean a and variance a; below a shape of 1 the draw
 * takes its other path. */
static void check_gamma(double a)
{
	struct rec_rng rng;
	double s1 = 0, s2 = 0, mean, var, n = DRAWS / 4;
	int positive = 0;

	rec_rng_seed(&rng, 12);
	for (int j = 0; j < n; j++) {
		double v = rec_rng_gamma(&rng, a);

		positive += v > 0;
		s1 += v;
		s2 += v * v;
	}
	CHECK_INT(positive, n);
	mean = s1 / n;
	var = s2 / n - mean * mean;
	/* The mean's standard error is sqrt(a / n), the variance's
	 * sqrt((2 a^2 + 6 a) / n) (its fourth cumulant is 6 a). */
	CHECK(fabs(mean - a) < 5 * sqrt(a / n));
	CHECK(fabs(var - a) < 5 * sqrt((2 * a * a + 6 * a) / n));
}

/* The same seed, the same deviates; asked for at once or in pieces of
 * an even length (each draw of the generator gives two), and another seed
 * gives others. */
static void check_determinism(void)
{
	float a[101], b[101], c[101];
	double ga[50], gb[50];
	struct rec_rng r1, r2;

	rec_rng_seed(&r1, 5);
	rec_rng_seed(&r2, 5);
	rec_rng_normals(&r1, a, 101);
	rec_rng_normals(&r2, b, 40);
	rec_rng_normals(&r2, b + 40, 61);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	rec_rng_seed(&r2, 6);
	rec_rng_normals(&r2, c, 101);
	CHECK(memcmp(a, c, sizeof(a)) != 0);

	rec_rng_seed(&r1, 5);
	rec_rng_seed(&r2, 5);
	for (int j = 0; j < 50; j++) {
		ga[j] = rec_rng_gamma(&r1, j % 2 ? 0.3 : 7.5);
		gb[j] = rec_rng_gamma(&r2, j % 2 ? 0.3 : 7.5);
	}
	CHECK(memcmp(ga, gb, sizeof(ga)) == 0);
}

int main(void)
{
	check_normals();
	check_gamma(0.5);
	check_gamma(1);
	check_gamma(4.5);
	check_gamma(60);
	check_determinism();
	return UNIT_STATUS();
}
