/* test_mf.c - mf's lazy Adam (solver=adam): two steps on a problem of two
 * users and two items with two factors, worked by hand, in which the rows
 * that a step's rating does not touch keep their values and moments; and
 * the portable and the widest kernels taking the same steps to the same
 * bits. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

#define K 2

/* Values, then first and second moments, of biases and vectors. */
struct problem {
	float ub[3][2], ib[3][2];
	float p[3][2 * K], q[3][2 * K];
};

static struct rec_mf_row user_row(struct problem *s, uint32_t u)
{
	return (struct rec_mf_row){ &s->ub[0][u], &s->ub[1][u], &s->ub[2][u],
				    s->p[0] + u * K, s->p[1] + u * K, s->p[2] + u * K };
}

static struct rec_mf_row item_row(struct problem *s, uint32_t i)
{
	return (struct rec_mf_row){ &s->ib[0][i], &s->ib[1][i], &s->ib[2][i],
				    s->q[0] + i * K, s->q[1] + i * K, s->q[2] + i * K };
}

static void step(struct problem *s, uint64_t t, uint32_t u, uint32_t i, float g)
{
	static const struct rec_mf_adam h = { K, 0.01f, 0.5f, 0.1f };
	struct rec_mf_row ur = user_row(s, u), ir = item_row(s, i);

	rec_mf_adam_step(&h, t, &ur, &ir, g);
}

static int near(float got, double want)
{
	return fabs(got - want) <= 1e-6 * (1 + fabs(want));
}

/* Do the two rows hold the same values and moments? */
static int same_row(struct rec_mf_row a, struct rec_mf_row b)
{
	size_t n = K * sizeof(float);

	return *a.bias == *b.bias && *a.bias_m1 == *b.bias_m1 && *a.bias_m2 == *b.bias_m2 &&
	       !memcmp(a.x, b.x, n) && !memcmp(a.m1, b.m1, n) && !memcmp(a.m2, b.m2, n);
}

/* lr 0.01, reg 0.5, reg_bias 0.1, beta 0.9 and 0.999.  A step at t moves
 * a coordinate of gradient d by lr mhat / (sqrt(vhat) + eps), where
 * m = 0.9 m + 0.1 d, v = 0.999 v + 0.001 d^2, mhat = m / (1 - 0.9^t) and
 * vhat = v / (1 - 0.999^t); the vectors' d = reg p - g q (and reg q - g p),
 * the biases' d = reg_bias b - g.
 *
 * Step 1, user 0 and item 1, g = 2, from p0 = (1, 2), q1 = (0.5, -1),
 * b_u0 = 0.3, b_i1 = -0.2, moments 0: d(p0) = (-0.5, 3), d(q1) = (-1.75,
 * -4.5), d(b_u0) = -1.97, d(b_i1) = -2.02.  From zero moments at t = 1,
 * mhat = d and vhat = d^2: each moves by lr against its sign, so p0 =
 * (1.01, 1.99), q1 = (0.51, -0.99), b_u0 = 0.31, b_i1 = -0.19; the moments
 * are 0.1 d and 0.001 d^2.
 *
 * Step 2, user 0 and item 0, g = -1, q0 = (1, 0), b_i0 = 0: d(p0) = (0.5
 * 1.01 + 1, 0.5 1.99) = (1.505, 0.995); m = 0.9 (-0.05, 0.3) + 0.1 d =
 * (0.1055, 0.3695), v = 0.999 (0.00025, 0.009) + 0.001 d^2 = (0.002514775,
 * 0.009981025); mhat = m / 0.19, vhat = v / 0.001999, so p0 moves by
 * 0.01 (0.4950576, 0.8703215) to (1.0050494, 1.9812968).  b_u0: d = 0.031
 * + 1 = 1.031, m = -0.1773 + 0.1031 = -0.0742, v = 0.0038770191 +
 * 0.001062961 = 0.00493998; b_u0 = 0.31 + 0.0024842 = 0.3124842.  Item 0
 * starts its moments at t = 2: d(q0) = (0.5 + 1.01, 1.99) and d(b_i0) = 1,
 * each moving by lr (0.1 / 0.19) / sqrt(0.001 / 0.001999) = 0.0074414
 * against its sign: q0 = (0.9925586, -0.0074414), b_i0 = -0.0074414. */
static void check_by_hand(void)
{
	struct problem s = { 0 }, before;

	s.p[0][0] = 1;
	s.p[0][1] = 2;
	s.p[0][2] = -3;		/* user 1 */
	s.p[0][3] = 4;
	s.q[0][0] = 1;		/* item 0 */
	s.q[0][1] = 0;
	s.q[0][2] = 0.5f;
	s.q[0][3] = -1;
	s.ub[0][0] = 0.3f;
	s.ub[0][1] = 0.7f;
	s.ib[0][1] = -0.2f;
	before = s;
	step(&s, 1, 0, 1, 2);
	CHECK(near(s.p[0][0], 1.01) && near(s.p[0][1], 1.99));
	CHECK(near(s.q[0][2], 0.51) && near(s.q[0][3], -0.99));
	CHECK(near(s.ub[0][0], 0.31) && near(s.ib[0][1], -0.19));
	CHECK(near(s.p[1][0], -0.05) && near(s.p[2][1], 0.009));
	CHECK(near(s.ib[1][1], -0.202) && near(s.ib[2][1], 0.0040804));
	CHECK(same_row(user_row(&s, 1), user_row(&before, 1)));
	CHECK(same_row(item_row(&s, 0), item_row(&before, 0)));

	before = s;
	step(&s, 2, 0, 0, -1);
	CHECK(near(s.p[0][0], 1.0050494) && near(s.p[0][1], 1.9812968));
	CHECK(near(s.p[1][0], 0.1055) && near(s.p[1][1], 0.3695));
	CHECK(near(s.p[2][0], 0.002514775) && near(s.p[2][1], 0.009981025));
	CHECK(near(s.ub[0][0], 0.3124842));
	CHECK(near(s.q[0][0], 0.9925586) && near(s.q[0][1], -0.0074414));
	CHECK(near(s.ib[0][0], -0.0074414));
	CHECK(same_row(user_row(&s, 1), user_row(&before, 1)));
	CHECK(same_row(item_row(&s, 1), item_row(&before, 1)));
}

/* 37 factors: two whole registers of sixteen and a tail of five. */
#define WIDE_K 37

static void fill(float *x, uint32_t n, struct rec_rng *rng)
{
	for (uint32_t j = 0; j < n; j++)
		x[j] = (float)rec_rng_normal(rng);
}

/* Three steps of each kernel from the same start, with moments under
 * way: the same bits. */
static void check_kernels_agree(void)
{
	static const struct rec_mf_adam h = { WIDE_K, 0.003f, 0.05f, 0.01f };
	float a[2][3][WIDE_K + 1], b[2][3][WIDE_K + 1], start[2][3][WIDE_K + 1];
	struct rec_mf_row ra[2], rb[2];
	struct rec_rng rng;

	rec_rng_seed(&rng, 3);
	for (int s = 0; s < 2; s++) {
		for (int j = 0; j < 3; j++)
			fill(a[s][j], WIDE_K + 1, &rng);
		for (int j = 1; j < 3; j++)
			for (int f = 0; f <= WIDE_K; f++)
				a[s][j][f] = fabsf(a[s][j][f]) * (j == 1 ? 0.1f : 0.01f);
		/* The bias in the last float of each. */
		ra[s] = (struct rec_mf_row){ &a[s][0][WIDE_K], &a[s][1][WIDE_K],
					     &a[s][2][WIDE_K], a[s][0], a[s][1], a[s][2] };
		rb[s] = (struct rec_mf_row){ &b[s][0][WIDE_K], &b[s][1][WIDE_K],
					     &b[s][2][WIDE_K], b[s][0], b[s][1], b[s][2] };
	}
	memcpy(b, a, sizeof(a));
	memcpy(start, a, sizeof(a));
	for (uint64_t t = 1; t <= 3; t++) {
		rec_cpu_cap(REC_CPU_PORTABLE);
		rec_mf_adam_step(&h, t, &ra[0], &ra[1], 0.7f - (float)t);
		rec_cpu_cap(REC_CPU_AVX512);
		rec_mf_adam_step(&h, t, &rb[0], &rb[1], 0.7f - (float)t);
	}
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	CHECK(memcmp(a, start, sizeof(a)) != 0);
}

int main(void)
{
	rec_cpu_cap(REC_CPU_PORTABLE);
	check_by_hand();
	rec_cpu_cap(REC_CPU_AVX512);
	check_by_hand();
	check_kernels_agree();
	return UNIT_STATUS();
}
