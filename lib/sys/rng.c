/* rng.c - the library's own seeded generator (xoshiro256**, Blackman and
 * Vigna 2018), so one seed gives the same output on every machine. */
#include <math.h>
#include <pthread.h>

#include "internal.h"

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

/* Marsaglia and Tsang's ziggurat (J. Stat. Softw. 2000), 128 layers, taking
 * the layer and the value from separate bits (Doornik 2005).  The Gibbs
 * sampler draws a normal deviate for every coordinate it visits, and with
 * rec_rng_normal these took longer than all the rest of a sweep. */
#define ZIG_LAYERS 128
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

static struct zig {
	double x[ZIG_LAYERS + 1];	/* right edges; x[0] is the base's width */
	double ratio[ZIG_LAYERS];	/* x[i + 1] / x[i]: below it, accept */
	double f[ZIG_LAYERS + 1];	/* exp(-x^2 / 2) */
	float fx[ZIG_LAYERS];		/* x as floats, for the fast path */
	float fratio[ZIG_LAYERS];	/* ratio as floats, rounded down */
} zig;

static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_init(void)
{
	struct zig *z = &zig;

	z->x[0] = ZIG_V / exp(-0.5 * ZIG_R * ZIG_R);
	z->x[1] = ZIG_R;
	for (int i = 1; i < ZIG_LAYERS - 1; i++)
		z->x[i + 1] = sqrt(-2 * log(ZIG_V / z->x[i] + exp(-0.5 * z->x[i] * z->x[i])));
	z->x[ZIG_LAYERS] = 0;
	for (int i = 0; i <= ZIG_LAYERS; i++)
		z->f[i] = exp(-0.5 * z->x[i] * z->x[i]);
	for (int i = 0; i < ZIG_LAYERS; i++) {
		z->ratio[i] = z->x[i + 1] / z->x[i];
		z->fx[i] = (float)z->x[i];
		z->fratio[i] = (float)z->ratio[i];
		if (z->fratio[i] > z->ratio[i])
			z->fratio[i] = nextafterf(z->fratio[i], 0);
	}
}

/* A standard normal deviate where the ziggurat's fast test failed for the
 * layer i, sign and value u; draws more bits as it must. */
static float zig_slow(const struct zig *z, struct rec_rng *rng, int i, double sign,
		      float u)
{
	for (;;) {
		double x = u * z->x[i];
		uint32_t b;

		if (u < z->ratio[i])
			return (float)(sign * x);
		if (i == 0) {	/* the tail beyond R (Marsaglia 1964) */
			double a, c;

			do {
				a = -log1p(-rec_rng_uniform(rng)) / ZIG_R;
				c = -log1p(-rec_rng_uniform(rng));
			} while (c + c < a * a);
			return (float)(sign * (ZIG_R + a));
		}
		if (z->f[i] + rec_rng_uniform(rng) * (z->f[i + 1] - z->f[i]) < exp(-0.5 * x * x))
			return (float)(sign * x);
		b = (uint32_t)rec_rng_next(rng);
		i = (int)(b & (ZIG_LAYERS - 1));
		sign = b & ZIG_LAYERS ? -1 : 1;
		u = (double)(b >> 8) * 0x1.0p-24;
	}
}

/* A standard normal deviate from 32 random bits: 7 pick the layer, 1 the
 * sign and 24, enough for a float, the value. */
static inline float zig_normal(const struct zig *z, struct rec_rng *rng, uint32_t b)
{
	int i = (int)(b & (ZIG_LAYERS - 1));
	float u = (float)(b >> 8) * 0x1.0p-24f;
	float sign = (float)(1 - (int)((b >> 6) & 2));	/* bit 7, without a branch */

	if (u < z->fratio[i])
		return sign * u * z->fx[i];
	return zig_slow(z, rng, i, sign, u);
}

void rec_rng_normals(struct rec_rng *rng, float *out, uint32_t n)
{
	uint32_t j = 0;

	pthread_once(&zig_once, zig_init);
	for (; j + 2 <= n; j += 2) {
		uint64_t b = rec_rng_next(rng);

		out[j] = zig_normal(&zig, rng, (uint32_t)b);
		out[j + 1] = zig_normal(&zig, rng, (uint32_t)(b >> 32));
	}
	if (j < n)
		out[j] = zig_normal(&zig, rng, (uint32_t)rec_rng_next(rng));
}

/* Marsaglia and Tsang (ACM TOMS 2000); below a shape of 1, a draw at
 * shape + 1 scaled by U^(1 / shape). */
double rec_rng_gamma(struct rec_rng *rng, double shape)
{
	double d, c;

	if (shape < 1)
		return rec_rng_gamma(rng, shape + 1) * pow(1 - rec_rng_uniform(rng), 1 / shape);
	d = shape - 1.0 / 3;
	c = 1 / sqrt(9 * d);
	for (;;) {
		double x, v, u;

		do {
			x = rec_rng_normal(rng);
			v = 1 + c * x;
		} while (v <= 0);
		v = v * v * v;
		u = 1 - rec_rng_uniform(rng);
		if (u < 1 - 0.0331 * x * x * x * x ||
		    log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}
