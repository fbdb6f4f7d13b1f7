/* nn.h - the layers of the neural model families, each a forward pass and
 * a hand-written backward pass over row-major matrices whose rows are
 * positions of a sequence, and Adam.  Shapes read rows x columns.
 *
 * Backward passes add into the gradients of parameters (so that one
 * buffer collects a whole batch) and, unless said otherwise, write the
 * gradient of their input. */
#ifndef REC_NN_H
#define REC_NN_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define REC_NN_LN_EPS 1e-5f

/* y[n x out] = x[n x in] w[in x out] + b[out]. */
void rec_nn_dense(int n, int in, int out, const float *x, const float *w,
		  const float *b, float *y);
/* dw += x^T dy, db += the column sums of dy, and dx = dy w^T, or
 * dx += dy w^T with accumulate; dx may be NULL. */
void rec_nn_dense_back(int n, int in, int out, const float *x, const float *w,
		       const float *dy, float *dx, int accumulate, float *dw, float *db);

/* Layer normalisation of each row: y = xhat * g + b with xhat = (x -
 * mean) / sqrt(var + eps); keeps xhat[n x d] and rstd[n] for backward. */
void rec_nn_layernorm(int n, int d, const float *x, const float *g, const float *b,
		      float *xhat, float *rstd, float *y);
/* dx += the gradient of the input; dg and db accumulate. */
void rec_nn_layernorm_back(int n, int d, const float *xhat, const float *rstd,
			   const float *g, const float *dy, float *dx, float *dg,
			   float *db);

/* Causal self-attention of n positions with h heads.  Each row of qkv[n x
 * 3d] holds a position's query, key and value side by side, head after
 * head within each.  Position i attends to positions 0..i, the logit of
 * j raised by bias[hh x bias_ld + i - j] in head hh (bias NULL: none);
 * probs[h x n x n] keeps the weights (zero above the diagonal), drop[h x n
 * x n] scales them for dropout (NULL: none); out is n x d; scratch holds
 * n x n. */
void rec_nn_attention(int n, int d, int h, const float *qkv, const float *bias,
		      int bias_ld, float *probs, const float *drop, float *out,
		      float *scratch);
/* dqkv[n x 3d] from dout[n x d], and dbias (laid out as bias; NULL: none)
 * accumulates; scratch holds 2 n x n. */
void rec_nn_attention_back(int n, int d, int h, const float *qkv, const float *probs,
			   const float *drop, const float *dout, float *dqkv,
			   float *dbias, int bias_ld, float *scratch);
/* One position attending to n: q[d] against the keys and values in rows
 * 0..n-1 of k and v (ld floats apart), the logit of row j raised by
 * bias[hh x n + j] in head hh (NULL: none); out is d; scratch holds n. */
void rec_nn_attention_step(int n, int d, int h, const float *q, const float *k,
			   const float *v, int ld, const float *bias, float *out,
			   float *scratch);

/* x = max(x, 0); backward: dy = 0 where the output y is 0. */
void rec_nn_relu(size_t n, float *x);
void rec_nn_relu_back(size_t n, const float *y, float *dy);

/* Dropout masks: mask[i] = 0 with probability p (to within 2^-24), else
 * 1 / (1 - p); n below 2^32. */
void rec_nn_dropout_mask(struct rec_rng *rng, size_t n, float p, float *mask);
/* x *= mask, element by element; nothing when mask is NULL. */
void rec_nn_mul(size_t n, float *x, const float *mask);

/* Softmax cross-entropy of each row of logits[n x c] against target[row]:
 * returns the summed loss and turns logits into its gradient times
 * scale. */
double rec_nn_softmax_xent(int n, int c, float *logits, const uint32_t *target,
			   float scale);

/* ln(1 + e^x), without overflow for large |x|: the loss of a logit x
 * against the label 0, and softplus(-x) against 1. */
double rec_nn_softplus(double x);

/* Adam (Kingma and Ba, ICLR 2015) with an L2 penalty decay * x added to
 * the gradient; step counts from 1. */
struct rec_nn_adam {
	float lr, beta1, beta2, eps, decay;
	uint64_t step;
};

/* Adam's usual constants: the decay rates of the two moments and the
 * epsilon of the denominator; and an Adam with them, before its first
 * step. */
#define REC_NN_ADAM_B1 0.9
#define REC_NN_ADAM_B2 0.999
#define REC_NN_ADAM_EPS 1e-8
#define REC_NN_ADAM(lr, decay) ((struct rec_nn_adam){ (float)(lr), REC_NN_ADAM_B1, \
	REC_NN_ADAM_B2, REC_NN_ADAM_EPS, (float)(decay), 0 })

/* One step on x[lo..hi) with gradient g and moments m1, m2. */
void rec_nn_adam_update(const struct rec_nn_adam *a, size_t lo, size_t hi, float *x,
			const float *g, float *m1, float *m2);

/* One step of a row x[0..n) down the gradient g plus the L2 term reg x:
 * AdaGrad (Duchi, Hazan and Singer, JMLR 2011) with one accumulator *acc
 * for the whole row, whose one square root lets the loop vectorise, or
 * plain SGD when acc is NULL. */
void rec_nn_row_step(float *x, float *acc, const float *g, uint32_t n, float reg, float lr);
/* The same along the gradient a g, without writing it out. */
void rec_nn_row_step_scaled(float *x, float *acc, const float *g, float a, uint32_t n,
			    float reg, float lr);

/* --- sasrec's hooks for its unit test --- */

/* The learned floats of a sasrec model, in one array of *n. */
float *rec_sasrec_weights(struct rec_model *m, size_t *n);
/* The training loss of one sequence items[0..n) (n >= 2; its last
 * max_len + 1 events are used) with dropout drawn from seed, and its
 * gradient added into grad (as many floats as the weights). */
double rec_sasrec_sequence_loss(const struct rec_model *m, const uint32_t *items,
				uint32_t n, uint64_t seed, float *grad);

/* --- neumf's hook for its unit test --- */

/* The mean binary cross-entropy of the pairs (user[j], item[j]) against
 * label[j], j < n, at the model's weights, its gradient added into arrays
 * laid out as the model's three learned arrays (users' embeddings, items'
 * embeddings, the network).  NaN if memory runs out. */
double rec_neumf_loss(const struct rec_model *m, uint32_t n, const uint32_t *user,
		      const uint32_t *item, const float *label, float *grad_user,
		      float *grad_item, float *grad_net);

/* --- hybrid's hook for its unit test --- */

/* One training step, AdaGrad's first, on the event (user, item) against
 * the item negative, warp's rank weight being weight (loss=warp). */
int rec_hybrid_step(struct rec_model *m, uint32_t user, uint32_t item, uint32_t negative,
		    float weight);

#endif
