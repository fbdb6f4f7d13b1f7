/* rng.c - the library's own seeded generator (xoshiro256**, Blackman and
 * Vigna 2018), so one seed gives the same output on every machine. */
#include <math.h>

#include "rec.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void rec_rng_seed(struct rec_rng *rng, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&seed);
}

uint64_t rec_rng_next(struct rec_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Lemire's multiply-and-reject method: unbiased and nearly division-free. */
uint64_t rec_rng_below(struct rec_rng *rng, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rec_rng_next(rng) * n;
	uint64_t low = (uint64_t)m;

	if (low < n) {
		uint64_t threshold = -n % n;

		while (low < threshold) {
			m = (unsigned __int128)rec_rng_next(rng) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double rec_rng_uniform(struct rec_rng *rng)
{
	return (double)(rec_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Box-Muller; one of the pair is thrown away to keep the state simple. */
double rec_rng_normal(struct rec_rng *rng)
{
	double u = rec_rng_uniform(rng), v = rec_rng_uniform(rng);

	return sqrt(-2.0 * log1p(-u)) * cos(2.0 * M_PI * v);
}

void rec_rng_shuffle_u32(struct rec_rng *rng, uint32_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rec_rng_below(rng, i);
		uint32_t t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}
