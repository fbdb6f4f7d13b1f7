/* nn.c - dense layers, layer normalisation, causal self-attention, ReLU,
 * dropout, softmax cross-entropy and Adam, forward and backward.  The
 * matrix products are single calls of OpenBLAS; what is left are the
 * element-wise loops between them. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "nn.h"

void rec_nn_dense(int n, int in, int out, const float *x, const float *w,
		  const float *b, float *y)
{
	for (int r = 0; r < n; r++)
		memcpy(y + (size_t)r * out, b, (size_t)out * sizeof(*y));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, 1.0f, x, in,
		    w, out, 1.0f, y, out);
}

void rec_nn_dense_back(int n, int in, int out, const float *x, const float *w,
		       const float *dy, float *dx, int accumulate, float *dw, float *db)
{
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, n, 1.0f, x, in,
		    dy, out, 1.0f, dw, out);
	for (int r = 0; r < n; r++) {
		const float *row = dy + (size_t)r * out;

		#pragma omp simd
		for (int c = 0; c < out; c++)
			db[c] += row[c];
	}
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, in, out, 1.0f, dy,
			    out, w, out, accumulate ? 1.0f : 0.0f, dx, in);
}

void rec_nn_layernorm(int n, int d, const float *x, const float *g, const float *b,
		      float *xhat, float *rstd, float *y)
{
	for (int r = 0; r < n; r++) {
		const float *xr = x + (size_t)r * d;
		float *hr = xhat + (size_t)r * d, *yr = y + (size_t)r * d;
		float mean = 0, var = 0, s;

		for (int c = 0; c < d; c++)
			mean += xr[c];
		mean /= (float)d;
		for (int c = 0; c < d; c++)
			var += (xr[c] - mean) * (xr[c] - mean);
		s = 1.0f / sqrtf(var / (float)d + REC_NN_LN_EPS);
		rstd[r] = s;
		#pragma omp simd
		for (int c = 0; c < d; c++) {
			hr[c] = (xr[c] - mean) * s;
			yr[c] = hr[c] * g[c] + b[c];
		}
	}
}

/* With dh = dy * g: dx = rstd (dh - mean(dh) - xhat mean(dh xhat)). */
void rec_nn_layernorm_back(int n, int d, const float *xhat, const float *rstd,
			   const float *g, const float *dy, float *dx, float *dg,
			   float *db)
{
	for (int r = 0; r < n; r++) {
		const float *hr = xhat + (size_t)r * d, *dr = dy + (size_t)r * d;
		float *xr = dx + (size_t)r * d, sum = 0, dot = 0;

		for (int c = 0; c < d; c++) {
			float dh = dr[c] * g[c];

			dg[c] += dr[c] * hr[c];
			db[c] += dr[c];
			sum += dh;
			dot += dh * hr[c];
		}
		sum /= (float)d;
		dot /= (float)d;
		#pragma omp simd
		for (int c = 0; c < d; c++)
			xr[c] += rstd[r] * (dr[c] * g[c] - sum - hr[c] * dot);
	}
}

/* e^x for x <= 0 (0 below -87), within 2 ulp: x = k ln 2 + f with k
 * rounded to nearest by the 1.5 * 2^23 trick and |f| <= ln 2 / 2, e^f by
 * Cephes' polynomial, 2^k put into the exponent bits.  Unlike expf it
 * vectorises, and the softmax over every item spends most of its time
 * here.  The clamp at -87 compares bits, which order negative floats the
 * other way round: a float compare would keep the loop from vectorising
 * where floating point may trap. */
static inline float exp_neg(float x)
{
	const float magic = 12582912.0f;
	union { uint32_t u; float f; } in = { .f = x };
	union { int32_t i; float f; } two_k;
	float k, f, p;

	in.u = in.u > 0xc2ae0000u ? 0xc2ae0000u : in.u;
	x = in.f;
	k = (x * 1.44269504088896341f + magic) - magic;
	f = x - k * 0.693359375f + k * 2.12194440e-4f;
	p = 1.9875691500e-4f;
	p = p * f + 1.3981999507e-3f;
	p = p * f + 8.3334519073e-3f;
	p = p * f + 4.1665795894e-2f;
	p = p * f + 1.6666665459e-1f;
	p = p * f + 5.0000001201e-1f;
	p = p * f * f + f + 1.0f;
	two_k.i = ((int32_t)k + 127) << 23;
	return p * two_k.f;
}

/* Softmax of s[0..n) in place. */
static void softmax(int n, float *s)
{
	float max = s[0], sum = 0;

	#pragma omp simd reduction(max:max)
	for (int j = 1; j < n; j++)
		max = s[j] > max ? s[j] : max;
	#pragma omp simd reduction(+:sum)
	for (int j = 0; j < n; j++) {
		s[j] = exp_neg(s[j] - max);
		sum += s[j];
	}
	sum = 1.0f / sum;
	#pragma omp simd
	for (int j = 0; j < n; j++)
		s[j] *= sum;
}

void rec_nn_attention(int n, int d, int h, const float *qkv, const float *bias,
		      int bias_ld, float *probs, const float *drop, float *out,
		      float *scratch)
{
	int dh = d / h, ld = 3 * d;
	float scale = 1.0f / sqrtf((float)dh);

	for (int hh = 0; hh < h; hh++) {
		const float *q = qkv + hh * dh, *k = q + d, *v = q + 2 * d;
		float *p = probs + (size_t)hh * n * n, *a = p;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, dh, scale, q, ld,
			    k, ld, 0.0f, p, n);
		for (int i = 0; i < n; i++) {
			float *row = p + (size_t)i * n;

			for (int j = 0; bias && j <= i; j++)
				row[j] += bias[hh * bias_ld + i - j];
			softmax(i + 1, row);
			memset(p + (size_t)i * n + i + 1, 0, (size_t)(n - i - 1) * sizeof(*p));
		}
		if (drop) {
			const float *m = drop + (size_t)hh * n * n;

			a = scratch;
			#pragma omp simd
			for (size_t j = 0; j < (size_t)n * n; j++)
				a[j] = p[j] * m[j];
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, dh, n, 1.0f, a, n,
			    v, ld, 0.0f, out + hh * dh, d);
	}
}

/* Through O = A V, A = P * drop, P the causal softmax of S = Q K^T /
 * sqrt(dh) + B: dV = A^T dO, dP = (dO V^T) * drop, dB = P (dP - rowsum(P
 * dP)), summed along each diagonal, dS = dB / sqrt(dh), dQ = dS K and dK
 * = dS^T Q. */
void rec_nn_attention_back(int n, int d, int h, const float *qkv, const float *probs,
			   const float *drop, const float *dout, float *dqkv,
			   float *dbias, int bias_ld, float *scratch)
{
	int dh = d / h, ld = 3 * d;
	float scale = 1.0f / sqrtf((float)dh);
	float *da = scratch + (size_t)n * n;

	for (int hh = 0; hh < h; hh++) {
		const float *q = qkv + hh * dh, *k = q + d, *v = q + 2 * d;
		const float *p = probs + (size_t)hh * n * n, *a = p, *o = dout + hh * dh;
		const float *m = drop ? drop + (size_t)hh * n * n : NULL;

		if (m) {
			#pragma omp simd
			for (size_t j = 0; j < (size_t)n * n; j++)
				scratch[j] = p[j] * m[j];
			a = scratch;
		}
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, dh, n, 1.0f, a, n,
			    o, d, 0.0f, dqkv + 2 * d + hh * dh, ld);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, dh, 1.0f, o, d,
			    v, ld, 0.0f, da, n);
		for (int i = 0; i < n; i++) {
			const float *pr = p + (size_t)i * n;
			float *dr = da + (size_t)i * n, dot = 0;

			if (m)
				rec_nn_mul((size_t)i + 1, dr, m + (size_t)i * n);
			for (int j = 0; j <= i; j++)
				dot += pr[j] * dr[j];
			for (int j = 0; j <= i; j++) {
				dr[j] = pr[j] * (dr[j] - dot);
				if (dbias)
					dbias[hh * bias_ld + i - j] += dr[j];
				dr[j] *= scale;
			}
			memset(dr + i + 1, 0, (size_t)(n - i - 1) * sizeof(*dr));
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, dh, n, 1.0f, da, n,
			    k, ld, 0.0f, dqkv + hh * dh, ld);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, dh, n, 1.0f, da, n,
			    q, ld, 0.0f, dqkv + d + hh * dh, ld);
	}
}

void rec_nn_attention_step(int n, int d, int h, const float *q, const float *k,
			   const float *v, int ld, const float *bias, float *out,
			   float *scratch)
{
	int dh = d / h;
	float scale = 1.0f / sqrtf((float)dh);

	for (int hh = 0; hh < h; hh++) {
		if (bias)
			memcpy(scratch, bias + (size_t)hh * n, (size_t)n * sizeof(*scratch));
		cblas_sgemv(CblasRowMajor, CblasNoTrans, n, dh, scale, k + hh * dh, ld,
			    q + hh * dh, 1, bias ? 1.0f : 0.0f, scratch, 1);
		softmax(n, scratch);
		cblas_sgemv(CblasRowMajor, CblasTrans, n, dh, 1.0f, v + hh * dh, ld,
			    scratch, 1, 0.0f, out + hh * dh, 1);
	}
}

void rec_nn_relu(size_t n, float *x)
{
	#pragma omp simd
	for (size_t j = 0; j < n; j++)
		x[j] = x[j] > 0 ? x[j] : 0;
}

void rec_nn_relu_back(size_t n, const float *y, float *dy)
{
	#pragma omp simd
	for (size_t j = 0; j < n; j++)
		dy[j] = y[j] > 0 ? dy[j] : 0;
}

/* A 32-bit integer hash of full avalanche (Wellons' lowbias32). */
static inline uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* One draw of the generator keys a hash of the element's index, twice
 * over, so that the loop vectorises: masks cost more than the rest of
 * training outside BLAS when drawn one by one. */
static inline __attribute__((always_inline)) void
dropout_mask(struct rec_rng *rng, size_t n, float p, float *mask)
{
	uint64_t r = rec_rng_next(rng);
	uint32_t key = (uint32_t)r, salt = (uint32_t)(r >> 32);
	uint32_t cut = (uint32_t)((double)p * 16777216.0);
	float keep = 1.0f / (1.0f - p);

	/* 24 bits of the hash against p 2^24, as a select that vectorises. */
	#pragma omp simd
	for (uint32_t j = 0; j < (uint32_t)n; j++) {
		uint32_t h = hash32(hash32(j + key) ^ salt) >> 8;

		mask[j] = h >= cut ? keep : 0.0f;
	}
}

#ifdef REC_X86_KERNELS
__attribute__((target("arch=x86-64-v3")))
static void dropout_mask_avx2(struct rec_rng *rng, size_t n, float p, float *mask)
{
	dropout_mask(rng, n, p, mask);
}
#endif

void rec_nn_dropout_mask(struct rec_rng *rng, size_t n, float p, float *mask)
{
#ifdef REC_X86_KERNELS
	if (rec_cpu_has(REC_CPU_AVX2)) {
		dropout_mask_avx2(rng, n, p, mask);
		return;
	}
#endif
	dropout_mask(rng, n, p, mask);
}

void rec_nn_mul(size_t n, float *x, const float *mask)
{
	if (!mask)
		return;
	#pragma omp simd
	for (size_t j = 0; j < n; j++)
		x[j] *= mask[j];
}

/* The one loop of training that BLAS does not run, compiled for AVX2 too. */
static inline __attribute__((always_inline)) double
softmax_xent(int n, int c, float *logits, const uint32_t *target, float scale)
{
	double loss = 0;

	for (int r = 0; r < n; r++) {
		float *l = logits + (size_t)r * c, max = l[0], sum = 0, norm;
		float t = l[target[r]];

		#pragma omp simd reduction(max:max)
		for (int j = 1; j < c; j++)
			max = l[j] > max ? l[j] : max;
		#pragma omp simd reduction(+:sum)
		for (int j = 0; j < c; j++) {
			l[j] = exp_neg(l[j] - max);
			sum += l[j];
		}
		loss += log(sum) + max - t;
		norm = scale / sum;
		#pragma omp simd
		for (int j = 0; j < c; j++)
			l[j] *= norm;
		l[target[r]] -= scale;
	}
	return loss;
}

#ifdef REC_X86_KERNELS
__attribute__((target("arch=x86-64-v3")))
static double softmax_xent_avx2(int n, int c, float *logits, const uint32_t *target,
				float scale)
{
	return softmax_xent(n, c, logits, target, scale);
}
#endif

double rec_nn_softmax_xent(int n, int c, float *logits, const uint32_t *target,
			   float scale)
{
#ifdef REC_X86_KERNELS
	if (rec_cpu_has(REC_CPU_AVX2))
		return softmax_xent_avx2(n, c, logits, target, scale);
#endif
	return softmax_xent(n, c, logits, target, scale);
}

double rec_nn_softplus(double x)
{
	return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

void rec_nn_adam_update(const struct rec_nn_adam *a, size_t lo, size_t hi, float *x,
			const float *g, float *m1, float *m2)
{
	float c1 = 1.0f / (1.0f - powf(a->beta1, (float)a->step));
	float c2 = 1.0f / (1.0f - powf(a->beta2, (float)a->step));
	float b1 = a->beta1, b2 = a->beta2;

	#pragma omp simd
	for (size_t j = lo; j < hi; j++) {
		float gj = g[j] + a->decay * x[j];

		m1[j] = b1 * m1[j] + (1 - b1) * gj;
		m2[j] = b2 * m2[j] + (1 - b2) * gj * gj;
		x[j] -= a->lr * m1[j] * c1 / (sqrtf(m2[j] * c2) + a->eps);
	}
}

void rec_nn_row_step(float *x, float *acc, const float *g, uint32_t n, float reg, float lr)
{
	rec_nn_row_step_scaled(x, acc, g, 1, n, reg, lr);
}

void rec_nn_row_step_scaled(float *x, float *acc, const float *g, float a, uint32_t n,
			    float reg, float lr)
{
	float ss = 0, step;

	if (!acc) {
		#pragma omp simd
		for (uint32_t f = 0; f < n; f++)
			x[f] -= lr * (a * g[f] + reg * x[f]);
		return;
	}
	#pragma omp simd reduction(+:ss)
	for (uint32_t f = 0; f < n; f++)
		ss += (a * g[f] + reg * x[f]) * (a * g[f] + reg * x[f]);
	*acc += ss / (float)n;
	step = lr / (sqrtf(*acc) + (float)REC_NN_ADAM_EPS);
	#pragma omp simd
	for (uint32_t f = 0; f < n; f++)
		x[f] -= step * (a * g[f] + reg * x[f]);
}
