/* sgemm-floor - the time of the bare matrix products behind scoring every
 * item for every user: USERS x K factors times K x ITEMS, BLOCK users per
 * product (default all of them in one), into one reused buffer.  With
 * BLOCK 1 each product is a matrix-vector one, as a stream scores. */
#include <cblas.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long arg(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 100000000)
		errx(2, "bad %s '%s'", what, s);
	return v;
}

static float *filled(size_t n)
{
	float *p = malloc(n * sizeof(*p));

	if (!p)
		errx(1, "out of memory");
	for (size_t i = 0; i < n; i++)
		p[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
	return p;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long users, k, items, block;
	float *a, *b, *c;
	double start;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: sgemm-floor USERS K ITEMS [BLOCK]\n");
		return 2;
	}
	users = arg(argv[1], "USERS");
	k = arg(argv[2], "K");
	items = arg(argv[3], "ITEMS");
	block = argc == 5 ? arg(argv[4], "BLOCK") : users;
	if (block > users)
		block = users;
	a = filled((size_t)users * k);
	b = filled((size_t)items * k);
	c = filled((size_t)block * items);
	start = seconds();
	for (long u = 0; u < users; u += block) {
		long n = users - u < block ? users - u : block;

		if (n == 1) {
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)items, (int)k, 1.0f, b,
				    (int)k, a + (size_t)u * k, 1, 0.0f, c, 1);
			continue;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)items,
			    (int)k, 1.0f, a + (size_t)u * k, (int)k, b, (int)k, 0.0f, c,
			    (int)items);
	}
	printf("%.3f\n", seconds() - start);
	free(a);
	free(b);
	free(c);
	return 0;
}
