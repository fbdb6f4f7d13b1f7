/* neumf.c - neural collaborative filtering (He, Liao, Zhang, Nie, Hu and
 * Chua, WWW 2017).  NeuMF fuses two towers over a user u and an item i:
 * generalised matrix factorisation multiplies the user's and the item's
 * GMF embeddings element by element, and a multi-layer perceptron takes
 * the concatenation of their separate MLP embeddings (half the first
 * layer each, as in the authors' code) through dense ReLU layers.  One
 * linear layer over both towers gives the logit
 *   z(u,i) = h_g . (p_u * q_i) + h_m . mlp([p'_u, q'_i]) + h_0.
 *
 * Training minimises the binary cross-entropy of each event as a positive
 * and of negatives items the user has not seen, all weighted by the
 * event's time decay, plus an L2 penalty on the embeddings of every row,
 * with Adam (Kingma and Ba, ICLR 2015) on mini-batches of events.  A
 * negative is drawn uniformly, or with candidates = n > 1 is the best
 * scored of n such draws (dynamic negative sampling, Zhang, Chen, Wang
 * and Yu, SIGIR 2013), which on MovieLens did for neumf what it does for
 * bpr.  Only the embedding rows that a batch touches take a step (lazy
 * Adam), so a step costs the batch, not the catalogue; the network's
 * weights take one every batch.  With several threads a batch is cut into
 * one slice per thread, each running its rows forward and backward with
 * one BLAS thread into its own gradient; the slices' gradients are summed
 * in thread order.
 *
 * The first dense layer is linear in the concatenation, so it splits into
 * a user part and an item part: scoring every item for a block of users
 * computes the items' part once.  Fold-in steps a streamed user's
 * embeddings alone, items and weights fixed, over his history. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "nn.h"
#include "pairs.h"

#define NONE UINT32_MAX

enum {
	HP_FACTORS, HP_LAYERS, HP_EPOCHS, HP_LR, HP_REG, HP_INIT, HP_NEGATIVES,
	HP_BATCH, HP_PATIENCE, HP_CANDIDATES, NHP
};

/* The MLP towers on offer: the first size is the concatenation of the two
 * embeddings, each next layer half the one before. */
#define MAX_LAYERS 4
#define MAX_SIZE 1024
static const char *const towers[] = {
	"16,8", "16,8,4", "32,16", "32,16,8", "32,16,8,4", "64,32", "64,32,16",
	"64,32,16,8", "128,64", "128,64,32", "128,64,32,16", "256,128",
	"256,128,64", "256,128,64,32", "512,256", "512,256,128", "512,256,128,64",
	"1024,512", "1024,512,256", "1024,512,256,128", NULL
};
#define TOWER_16_8 0

static const struct rec_hparam neumf_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 64, 1, MAX_SIZE, 1, NULL },
	[HP_LAYERS] = { "layers", TOWER_16_8, 0, 19, 1, towers },
	[HP_EPOCHS] = { "epochs", 12, 1, 100000, 1, NULL },
	[HP_LR] = { "lr", 0.001, 1e-9, 10, 0, NULL },
	[HP_REG] = { "reg", 0.005, 0, 1000, 0, NULL },
	[HP_INIT] = { "init", 0.01, 0, 10, 0, NULL },
	[HP_NEGATIVES] = { "negatives", 4, 1, 1000, 1, NULL },
	[HP_BATCH] = { "batch", 512, 1, 65536, 1, NULL },
	[HP_PATIENCE] = { "patience", 5, 1, 100000, 1, NULL },
	[HP_CANDIDATES] = { "candidates", 5, 1, 1000, 1, NULL },
};

/* Draws of an unseen item before giving up on a user who has seen nearly
 * everything. */
#define MAX_DRAWS 64

/* Fold-in: Adam steps on the user's embeddings over his newest
 * FOLD_EVENTS events and their negatives. */
#define FOLD_EVENTS 256
#define FOLD_STEPS 30
#define FOLD_LR 0.01f

/* Scoring runs through the items a chunk at a time. */
#define CHUNK 2048

/* The learned arrays; the same layout serves gradients and Adam's
 * moments.  A row of user or item holds the GMF
 * embedding (f floats) then the MLP one (e floats). */
struct weights {
	float *user;		/* nusers x dim */
	float *item;		/* nitems x dim */
	float *net;		/* the dense layers, then the output layer */
};

struct neumf {
	uint32_t f, e, dim;	/* GMF factors, MLP embedding, f + e */
	uint32_t nsizes;	/* the tower's sizes; size[0] = 2 e */
	uint32_t size[MAX_LAYERS];
	size_t w[MAX_LAYERS], b[MAX_LAYERS];	/* layer l >= 1 in net */
	size_t h, nnet;		/* output weights (f + last), its bias, total */
	struct weights p;
};

static uint32_t last_size(const struct neumf *s)
{
	return s->size[s->nsizes - 1];
}

static void weights_free(struct weights *w)
{
	free(w->user);
	free(w->item);
	free(w->net);
	memset(w, 0, sizeof(*w));
}

static int weights_alloc(struct weights *w, const struct neumf *s, uint32_t nu,
			 uint32_t ni)
{
	w->user = rec_alloc_large_zero(((size_t)nu * s->dim + 1) * sizeof(float));
	w->item = rec_alloc_large_zero(((size_t)ni * s->dim + 1) * sizeof(float));
	w->net = calloc(s->nnet, sizeof(float));
	return w->user && w->item && w->net ? 0 : REC_ENOMEM;
}

/* The sizes of the tower and where each layer sits in net. */
static void layout(struct neumf *s, const struct rec_model *m)
{
	const char *t = towers[(int)m->hp[HP_LAYERS]];
	size_t at = 0;

	s->f = (uint32_t)m->hp[HP_FACTORS];
	for (s->nsizes = 0; *t; s->nsizes++) {
		char *end;

		s->size[s->nsizes] = (uint32_t)strtoul(t, &end, 10);
		t = *end ? end + 1 : end;
	}
	s->e = s->size[0] / 2;
	s->dim = s->f + s->e;
	for (uint32_t l = 1; l < s->nsizes; l++) {
		s->w[l] = at;
		at += (size_t)s->size[l - 1] * s->size[l];
		s->b[l] = at;
		at += s->size[l];
	}
	s->h = at;
	s->nnet = at + s->f + last_size(s) + 1;
}

static int neumf_init(struct rec_model *m)
{
	struct neumf *s = calloc(1, sizeof(*s));

	if (!s)
		return REC_ENOMEM;
	m->state = s;
	layout(s, m);
	return weights_alloc(&s->p, s, m->data.nusers, m->data.nitems);
}

static void neumf_release(struct rec_model *m)
{
	struct neumf *s = m->state;

	if (!s)
		return;
	weights_free(&s->p);
	free(s);
	m->state = NULL;
}

static unsigned neumf_params(struct rec_model *m, struct rec_param *p)
{
	struct neumf *s = m->state;
	const struct rec_dataset *d = &m->data;

	p[0] = (struct rec_param){ { 'U', 'E', 'M', 'B' }, s->p.user, NULL, (uint64_t)d->nusers * s->dim };
	p[1] = (struct rec_param){ { 'I', 'E', 'M', 'B' }, s->p.item, NULL, (uint64_t)d->nitems * s->dim };
	p[2] = (struct rec_param){ { 'N', 'E', 'T', 'W' }, s->p.net, NULL, s->nnet };
	return 3;
}

/* --- the network over rows of (user, item) pairs --- */

/* What a forward and backward pass over up to rows rows keeps. */
struct pass {
	uint32_t rows;
	float *x[MAX_LAYERS];	/* each layer's output; x[0] the concatenation */
	float *dx[MAX_LAYERS];
	float *gmf;		/* rows x f */
	float *z;		/* the logits, then their gradients */
	float *du, *di;		/* rows x dim: the embeddings' gradients */
	float *grad;		/* the network's gradient, or NULL */
};

static void pass_free(struct pass *p)
{
	for (int l = 0; l < MAX_LAYERS; l++) {
		free(p->x[l]);
		free(p->dx[l]);
	}
	free(p->gmf);
	free(p->z);
	free(p->du);
	free(p->di);
	free(p->grad);
	memset(p, 0, sizeof(*p));
}

static int pass_init(struct pass *p, const struct neumf *s, uint32_t rows, int grad)
{
	int ok = 1;

	memset(p, 0, sizeof(*p));
	p->rows = rows;
	for (uint32_t l = 0; l < s->nsizes; l++) {
		p->x[l] = malloc(((size_t)rows * s->size[l] + 1) * sizeof(float));
		p->dx[l] = malloc(((size_t)rows * s->size[l] + 1) * sizeof(float));
		ok = ok && p->x[l] && p->dx[l];
	}
	p->gmf = malloc(((size_t)rows * s->f + 1) * sizeof(float));
	p->z = malloc(((size_t)rows + 1) * sizeof(float));
	p->du = malloc(((size_t)rows * s->dim + 1) * sizeof(float));
	p->di = malloc(((size_t)rows * s->dim + 1) * sizeof(float));
	if (grad)
		ok = ok && (p->grad = malloc(s->nnet * sizeof(float)));
	return ok && p->gmf && p->z && p->du && p->di ? 0 : REC_ENOMEM;
}

/* The logits of n rows into p->z: row j pairs row user[j] of utab with
 * row item[j] of itab. */
static void forward(const struct neumf *s, const float *net, struct pass *p, uint32_t n,
		    const uint32_t *user, const uint32_t *item, const float *utab,
		    const float *itab)
{
	uint32_t f = s->f, e = s->e, last = last_size(s), top = s->nsizes - 1;

	for (uint32_t j = 0; j < n; j++) {
		const float *pu = utab + (size_t)user[j] * s->dim;
		const float *qi = itab + (size_t)item[j] * s->dim;
		float *g = p->gmf + (size_t)j * f, *x = p->x[0] + (size_t)j * 2 * e;

		#pragma omp simd
		for (uint32_t k = 0; k < f; k++)
			g[k] = pu[k] * qi[k];
		memcpy(x, pu + f, e * sizeof(*x));
		memcpy(x + e, qi + f, e * sizeof(*x));
	}
	for (uint32_t l = 1; l < s->nsizes; l++) {
		rec_nn_dense((int)n, (int)s->size[l - 1], (int)s->size[l], p->x[l - 1],
			     net + s->w[l], net + s->b[l], p->x[l]);
		rec_nn_relu((size_t)n * s->size[l], p->x[l]);
	}
	for (uint32_t j = 0; j < n; j++)
		p->z[j] = net[s->h + f + last];
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)f, 1, p->gmf, (int)f,
		    net + s->h, 1, 1, p->z, 1);
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)last, 1, p->x[top],
		    (int)last, net + s->h + f, 1, 1, p->z, 1);
}

/* From the logits' gradients in p->z, the embeddings' gradients of each
 * row into p->du and p->di, and with p->grad the network's added there. */
static void backward(const struct neumf *s, const float *net, struct pass *p, uint32_t n,
		     const uint32_t *user, const uint32_t *item, const float *utab,
		     const float *itab)
{
	uint32_t f = s->f, e = s->e, last = last_size(s), top = s->nsizes - 1;
	const float *hg = net + s->h, *hm = net + s->h + f;
	float *grad = p->grad;

	if (grad) {
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)n, (int)f, 1, p->gmf, (int)f,
			    p->z, 1, 1, grad + s->h, 1);
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)n, (int)last, 1, p->x[top],
			    (int)last, p->z, 1, 1, grad + s->h + f, 1);
		for (uint32_t j = 0; j < n; j++)
			grad[s->h + f + last] += p->z[j];
	}
	for (uint32_t j = 0; j < n; j++) {
		float *dx = p->dx[top] + (size_t)j * last;

		#pragma omp simd
		for (uint32_t k = 0; k < last; k++)
			dx[k] = p->z[j] * hm[k];
	}
	for (uint32_t l = top; l >= 1; l--) {
		int rows = (int)n, in = (int)s->size[l - 1], out = (int)s->size[l];

		rec_nn_relu_back((size_t)n * s->size[l], p->x[l], p->dx[l]);
		if (grad)
			rec_nn_dense_back(rows, in, out, p->x[l - 1], net + s->w[l], p->dx[l],
					  p->dx[l - 1], 0, grad + s->w[l], grad + s->b[l]);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, in, out, 1,
				    p->dx[l], out, net + s->w[l], out, 0, p->dx[l - 1], in);
	}
	for (uint32_t j = 0; j < n; j++) {
		const float *pu = utab + (size_t)user[j] * s->dim;
		const float *qi = itab + (size_t)item[j] * s->dim;
		const float *dx = p->dx[0] + (size_t)j * 2 * e;
		float *du = p->du + (size_t)j * s->dim, *di = p->di + (size_t)j * s->dim;
		float dz = p->z[j];

		#pragma omp simd
		for (uint32_t k = 0; k < f; k++) {
			du[k] = dz * hg[k] * qi[k];
			di[k] = dz * hg[k] * pu[k];
		}
		memcpy(du + f, dx, e * sizeof(*du));
		memcpy(di + f, dx + e, e * sizeof(*di));
	}
}

/* Turn the logits in p->z into the gradients of the loss, sum over j of
 * weight[j] (or 1) times the binary cross-entropy of row j, times scale;
 * returns that loss unscaled. */
static double bce(struct pass *p, uint32_t n, const float *label, const float *weight,
		  float scale)
{
	double loss = 0;

	for (uint32_t j = 0; j < n; j++) {
		float z = p->z[j], w = weight ? weight[j] : 1;

		loss += w * (rec_nn_softplus(z) - label[j] * z);
		p->z[j] = w * scale * (1 / (1 + expf(-z)) - label[j]);
	}
	return loss;
}

/* --- scoring --- */

/* What scoring a chunk of items for a user needs: the items' part of the
 * first layer (shared by the users of a block) and the layers' outputs. */
struct scorer {
	float *x[MAX_LAYERS];
	float *v;		/* the user's part of the first layer, with its bias */
	float *hgpu;		/* h_g * the user's GMF embedding */
};

static void scorer_free(struct scorer *w)
{
	for (int l = 0; l < MAX_LAYERS; l++)
		free(w->x[l]);
	free(w->v);
	free(w->hgpu);
}

static int scorer_init(struct scorer *w, const struct neumf *s)
{
	int ok = 1;

	memset(w, 0, sizeof(*w));
	for (uint32_t l = 1; l < s->nsizes; l++)
		ok = ok && (w->x[l] = malloc((size_t)CHUNK * s->size[l] * sizeof(float)));
	w->v = malloc(s->size[1] * sizeof(float));
	w->hgpu = malloc((s->f + 1) * sizeof(float));
	return ok && w->v && w->hgpu ? 0 : REC_ENOMEM;
}

/* a1[n x size[1]]: the MLP embeddings of items lo..lo+n times the item
 * half of the first layer's weights. */
static void item_part(const struct neumf *s, uint32_t lo, uint32_t n, float *a1)
{
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)s->size[1],
		    (int)s->e, 1, s->p.item + (size_t)lo * s->dim + s->f, (int)s->dim,
		    s->p.net + s->w[1] + (size_t)s->e * s->size[1], (int)s->size[1], 0, a1,
		    (int)s->size[1]);
}

/* The logits of user embedding pu with items lo..lo+n into out, from the
 * items' part a1 of the first layer. */
static void score_chunk(const struct neumf *s, const float *pu, const float *a1,
			uint32_t lo, uint32_t n, struct scorer *w, float *out)
{
	const float *net = s->p.net;
	uint32_t f = s->f, s1 = s->size[1], last = last_size(s), top = s->nsizes - 1;

	memcpy(w->v, net + s->b[1], s1 * sizeof(*w->v));
	cblas_sgemv(CblasRowMajor, CblasTrans, (int)s->e, (int)s1, 1, net + s->w[1],
		    (int)s1, pu + f, 1, 1, w->v, 1);
	for (uint32_t j = 0; j < n; j++) {
		const float *a = a1 + (size_t)j * s1;
		float *x = w->x[1] + (size_t)j * s1;

		#pragma omp simd
		for (uint32_t k = 0; k < s1; k++)
			x[k] = a[k] + w->v[k] > 0 ? a[k] + w->v[k] : 0;
	}
	for (uint32_t l = 2; l < s->nsizes; l++) {
		rec_nn_dense((int)n, (int)s->size[l - 1], (int)s->size[l], w->x[l - 1],
			     net + s->w[l], net + s->b[l], w->x[l]);
		rec_nn_relu((size_t)n * s->size[l], w->x[l]);
	}
	for (uint32_t k = 0; k < f; k++)
		w->hgpu[k] = net[s->h + k] * pu[k];
	for (uint32_t j = 0; j < n; j++)
		out[j] = net[s->h + f + last];
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)f, 1,
		    s->p.item + (size_t)lo * s->dim, (int)s->dim, w->hgpu, 1, 1, out, 1);
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)last, 1, w->x[top],
		    (int)last, net + s->h + f, 1, 1, out, 1);
}

/* Every item's logit for user embedding pu, on the calling thread; the
 * popularity if memory runs out. */
static void score_vector(const struct rec_model *m, const float *pu, float *scores)
{
	const struct neumf *s = m->state;
	uint32_t ni = m->data.nitems;
	float *a1 = malloc((size_t)CHUNK * s->size[1] * sizeof(*a1));
	struct scorer w = { 0 };

	if (!a1 || scorer_init(&w, s) < 0) {
		memcpy(scores, m->popularity, ni * sizeof(*scores));
	} else {
		for (uint32_t lo = 0; lo < ni; lo += CHUNK) {
			uint32_t n = ni - lo < CHUNK ? ni - lo : CHUNK;

			item_part(s, lo, n, a1);
			score_chunk(s, pu, a1, lo, n, &w, scores + lo);
		}
	}
	scorer_free(&w);
	free(a1);
}

static void neumf_score(const struct rec_model *m, uint32_t user, float *scores)
{
	const struct neumf *s = m->state;

	score_vector(m, s->p.user + (size_t)user * s->dim, scores);
}

/* A chunk of items at a time: its first-layer part once, then the users
 * across threads, one BLAS thread each. */
static void neumf_score_block(const struct rec_model *m, const uint32_t *users,
			      uint32_t n, float *scores)
{
	const struct neumf *s = m->state;
	size_t ni = m->data.nitems;
	float *a1 = malloc((size_t)CHUNK * s->size[1] * sizeof(*a1));

	if (!a1) {
		for (uint32_t j = 0; j < n; j++)
			neumf_score(m, users[j], scores + j * ni);
		return;
	}
	for (uint32_t lo = 0; lo < ni; lo += CHUNK) {
		uint32_t len = ni - lo < CHUNK ? (uint32_t)(ni - lo) : CHUNK;

		int blas;

		item_part(s, lo, len, a1);
		blas = rec_blas_serial();
		#pragma omp parallel
		{
			struct scorer w;
			int ok = scorer_init(&w, s) == 0;

			#pragma omp for schedule(dynamic, 4)
			for (uint32_t j = 0; j < n; j++) {
				float *out = scores + j * ni + lo;

				if (ok)
					score_chunk(s, s->p.user + (size_t)users[j] * s->dim, a1,
						    lo, len, &w, out);
				else
					memcpy(out, m->popularity + lo, len * sizeof(*out));
			}
			scorer_free(&w);
		}
		rec_blas_restore(blas);
	}
	free(a1);
}

/* The logit of one pair. */
static float logit(const struct neumf *s, const float *pu, const float *qi)
{
	const float *net = s->p.net;
	float x[2][MAX_SIZE], z;
	uint32_t f = s->f, top = s->nsizes - 1;

	memcpy(x[0], pu + f, s->e * sizeof(float));
	memcpy(x[0] + s->e, qi + f, s->e * sizeof(float));
	for (uint32_t l = 1; l < s->nsizes; l++) {
		float *in = x[(l - 1) % 2], *out = x[l % 2];

		for (uint32_t k = 0; k < s->size[l]; k++) {
			float a = net[s->b[l] + k];

			for (uint32_t r = 0; r < s->size[l - 1]; r++)
				a += in[r] * net[s->w[l] + (size_t)r * s->size[l] + k];
			out[k] = a > 0 ? a : 0;
		}
	}
	z = net[s->h + f + last_size(s)] + rec_dot(x[top % 2], net + s->h + f, last_size(s));
	for (uint32_t k = 0; k < f; k++)
		z += net[s->h + k] * pu[k] * qi[k];
	return z;
}

/* A user without training events, or unknown, gets the popularity; an
 * unknown item 0. */
static float neumf_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct neumf *s = m->state;
	const struct rec_dataset *d = &m->data;

	if (item < 0)
		return 0;
	if (user < 0 || d->rowptr[user] == d->rowptr[user + 1])
		return m->popularity[item];
	return logit(s, s->p.user + (size_t)user * s->dim, s->p.item + (size_t)item * s->dim);
}

/* --- negative sampling --- */

/* An item drawn uniformly among those not in seen[0..n), or NONE after
 * MAX_DRAWS draws. */
static uint32_t draw_negative(uint32_t nitems, const uint32_t *seen, uint32_t n,
			      struct rec_rng *rng)
{
	for (int draw = 0; draw < MAX_DRAWS; draw++) {
		uint32_t j = (uint32_t)rec_rng_below(rng, nitems);

		if (!rec_sorted_has(seen, n, j))
			return j;
	}
	return NONE;
}

/* --- training --- */

/* The rows of a batch: each event's positive then its negatives.  A
 * negative that could not be drawn repeats the positive at weight 0. */
struct batch {
	uint32_t *user, *item;
	float *label, *weight;
};

struct trainer {
	struct rec_model *m;
	struct neumf *s;
	struct rec_pairs pairs;
	uint32_t per;		/* rows per event: 1 + negatives */
	uint32_t events;	/* events per batch */
	struct batch b;
	uint32_t candidates;	/* draws per negative */
	uint32_t *cand_user, *cand_item;	/* each negative's draws in row order */
	float *cand_score;
	int threads;
	struct pass *pass;	/* one per slice of a batch, a slice per thread */
	struct weights grad, m1, m2;
	uint32_t *touched_user, *touched_item;
	uint8_t *umark, *imark;	/* zeroed flags of users and items, per step */
	uint32_t nuser, nitem;
	int train_net;
	float reg;
	struct rec_nn_adam adam;
};

static void trainer_release(void *ctx)
{
	struct trainer *t = ctx;

	rec_pairs_release(&t->pairs);
	free(t->b.user);
	free(t->b.item);
	free(t->b.label);
	free(t->b.weight);
	free(t->cand_user);
	free(t->cand_item);
	free(t->cand_score);
	for (int i = 0; t->pass && i < t->threads; i++)
		pass_free(&t->pass[i]);
	free(t->pass);
	weights_free(&t->grad);
	weights_free(&t->m1);
	weights_free(&t->m2);
	free(t->touched_user);
	free(t->touched_item);
	free(t->umark);
	free(t->imark);
}

/* Set up training over the events of the users with visit[u] (all when
 * visit is NULL); train_net 0 keeps the network's weights fixed. */
static int trainer_init(struct trainer *t, struct rec_model *m, const uint8_t *visit,
			int train_net)
{
	const struct rec_dataset *d = &m->data;
	size_t rows, cands, slice;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->s = m->state;
	t->train_net = train_net;
	t->per = 1 + (uint32_t)m->hp[HP_NEGATIVES];
	t->events = (uint32_t)m->hp[HP_BATCH];
	t->threads = omp_get_max_threads();
	t->adam = REC_NN_ADAM(m->hp[HP_LR], 0);
	t->reg = (float)m->hp[HP_REG];
	t->candidates = (uint32_t)m->hp[HP_CANDIDATES];
	rows = (size_t)t->events * t->per;
	cands = t->candidates > 1 ? (size_t)t->events * (t->per - 1) * t->candidates : 0;
	slice = (rows > cands ? rows : cands) / (size_t)t->threads + 1;
	if (slice > INT32_MAX / MAX_SIZE)
		return REC_ENOMEM;
	if (rec_pairs_init(&t->pairs, d, visit) < 0 ||
	    !(t->b.user = malloc(rows * sizeof(*t->b.user))) ||
	    !(t->b.item = malloc(rows * sizeof(*t->b.item))) ||
	    !(t->b.label = malloc(rows * sizeof(*t->b.label))) ||
	    !(t->b.weight = malloc(rows * sizeof(*t->b.weight))) ||
	    !(t->cand_user = malloc((cands + 1) * sizeof(*t->cand_user))) ||
	    !(t->cand_item = malloc((cands + 1) * sizeof(*t->cand_item))) ||
	    !(t->cand_score = malloc((cands + 1) * sizeof(*t->cand_score))) ||
	    !(t->pass = calloc((size_t)t->threads, sizeof(*t->pass))) ||
	    !(t->touched_user = malloc(rows * sizeof(*t->touched_user))) ||
	    !(t->touched_item = malloc(rows * sizeof(*t->touched_item))) ||
	    !(t->umark = calloc((size_t)d->nusers + 1, 1)) ||
	    !(t->imark = calloc((size_t)d->nitems + 1, 1)))
		return REC_ENOMEM;
	for (int i = 0; i < t->threads; i++)
		if (pass_init(&t->pass[i], t->s, (uint32_t)slice, train_net) < 0)
			return REC_ENOMEM;
	if (weights_alloc(&t->grad, t->s, d->nusers, d->nitems) < 0 ||
	    weights_alloc(&t->m1, t->s, d->nusers, d->nitems) < 0 ||
	    weights_alloc(&t->m2, t->s, d->nusers, d->nitems) < 0)
		return REC_ENOMEM;
	return 0;
}

/* The rows of the events order[0..n) into t->b; returns how many.  With
 * candidates > 1 a negative row holds its positive until choose_negatives
 * picks among its draws, which *ncand counts. */
static uint32_t build_batch(struct trainer *t, const uint32_t *order, uint32_t n,
			    struct rec_rng *rng, uint32_t *ncand)
{
	const struct rec_dataset *d = &t->m->data;
	uint32_t rows = 0;

	*ncand = 0;
	for (uint32_t a = 0; a < n; a++) {
		uint32_t e = order[a], u = t->pairs.user[e];
		uint64_t lo = d->rowptr[u];
		uint32_t len = (uint32_t)(d->rowptr[u + 1] - lo), j = NONE;
		float w = (float)rec_model_decay(t->m, d->time[e]);

		for (uint32_t r = 0; r < t->per; r++, rows++) {
			if (r && t->candidates == 1)
				j = draw_negative(d->nitems, t->pairs.seen + lo, len, rng);
			for (uint32_t c = 0; r && t->candidates > 1 && c < t->candidates; c++) {
				t->cand_user[*ncand] = u;
				t->cand_item[(*ncand)++] = draw_negative(d->nitems, t->pairs.seen + lo,
									 len, rng);
			}
			t->b.user[rows] = u;
			t->b.item[rows] = j == NONE ? d->col[e] : j;
			t->b.label[rows] = r == 0;
			t->b.weight[rows] = r == 0 || j != NONE || t->candidates > 1 ? w : 0;
		}
	}
	return rows;
}

/* Each negative row takes the best scored of its draws (dynamic negative
 * sampling, Zhang, Chen, Wang and Yu, SIGIR 2013): the draws go forward
 * a slice per thread, as a batch does.  A row without an unseen draw
 * keeps its positive at weight 0. */
static void choose_negatives(struct trainer *t, uint32_t rows, uint32_t ncand)
{
	const struct neumf *s = t->s;
	uint32_t at = 0;

	for (uint32_t j = 0; j < ncand; j++) {
		t->cand_score[j] = t->cand_item[j] == NONE ? -INFINITY : 0;
		t->cand_item[j] = t->cand_item[j] == NONE ? 0 : t->cand_item[j];
	}
	#pragma omp parallel for schedule(static, 1)
	for (int i = 0; i < t->threads; i++) {
		uint32_t lo = (uint32_t)((uint64_t)ncand * i / t->threads);
		uint32_t hi = (uint32_t)((uint64_t)ncand * (i + 1) / t->threads);
		struct pass *p = &t->pass[i];

		forward(s, s->p.net, p, hi - lo, t->cand_user + lo, t->cand_item + lo,
			s->p.user, s->p.item);
		for (uint32_t j = lo; j < hi; j++)
			t->cand_score[j] = t->cand_score[j] == 0 ? p->z[j - lo] : -INFINITY;
	}
	for (uint32_t j = 0; j < rows; j++) {
		uint32_t best = NONE;

		if (t->b.label[j] > 0)
			continue;
		for (uint32_t c = 0; c < t->candidates; c++, at++)
			if (t->cand_score[at] > -INFINITY &&
			    (best == NONE || t->cand_score[at] > t->cand_score[best]))
				best = at;
		if (best == NONE)
			t->b.weight[j] = 0;
		else
			t->b.item[j] = t->cand_item[best];
	}
}

/* Add one row's embedding gradient into a table's, noting a row seen for
 * the first time in this batch (its gradient is zero, its mark clear). */
static void gather(float *grad, uint32_t row, const float *g, uint32_t dim,
		   uint32_t *touched, uint32_t *count, uint8_t *mark)
{
	float *to = grad + (size_t)row * dim;

	if (!mark[row]) {
		mark[row] = 1;
		touched[(*count)++] = row;
	}
	#pragma omp simd
	for (uint32_t k = 0; k < dim; k++)
		to[k] += g[k];
}

/* Adam on the touched rows of a table, then clear their gradients. */
static void step_rows(const struct trainer *t, float *x, float *g, float *m1, float *m2,
		      const uint32_t *touched, uint32_t count, uint8_t *mark)
{
	size_t dim = t->s->dim;

	for (uint32_t a = 0; a < count; a++) {
		size_t r = touched[a];

		rec_nn_adam_update(&t->adam, r * dim, (r + 1) * dim, x, g, m1, m2);
		memset(g + r * dim, 0, dim * sizeof(*g));
		mark[r] = 0;
	}
}

/* Collect the slices' gradients in row order and take the step. */
static void apply_step(struct trainer *t, uint32_t rows, uint8_t *umark, uint8_t *imark)
{
	struct neumf *s = t->s;
	uint32_t dim = s->dim;

	t->nuser = t->nitem = 0;
	for (int i = 0; i < t->threads; i++) {
		const struct pass *p = &t->pass[i];
		uint32_t lo = (uint32_t)((uint64_t)rows * i / t->threads);
		uint32_t hi = (uint32_t)((uint64_t)rows * (i + 1) / t->threads);

		for (uint32_t j = lo; j < hi; j++) {
			gather(t->grad.user, t->b.user[j], p->du + (size_t)(j - lo) * dim, dim,
			       t->touched_user, &t->nuser, umark);
			gather(t->grad.item, t->b.item[j], p->di + (size_t)(j - lo) * dim, dim,
			       t->touched_item, &t->nitem, imark);
		}
		if (t->train_net && i > 0)
			for (size_t k = 0; k < s->nnet; k++)
				t->pass[0].grad[k] += p->grad[k];
	}
	t->adam.step++;
	if (t->train_net)
		rec_nn_adam_update(&t->adam, 0, s->nnet, s->p.net, t->pass[0].grad, t->m1.net,
				   t->m2.net);
	step_rows(t, s->p.user, t->grad.user, t->m1.user, t->m2.user, t->touched_user,
		  t->nuser, umark);
	step_rows(t, s->p.item, t->grad.item, t->m1.item, t->m2.item, t->touched_item,
		  t->nitem, imark);
}

/* The L2 penalty's gradient, c times each row's embeddings: a row stands
 * for one event or negative, so an embedding is held back in proportion
 * to how often the data pull it, as an SGD step per event would. */
static void penalise(const struct neumf *s, struct pass *p, uint32_t n,
		     const uint32_t *user, const uint32_t *item, float c)
{
	if (c == 0)
		return;
	for (uint32_t j = 0; j < n; j++) {
		const float *pu = s->p.user + (size_t)user[j] * s->dim;
		const float *qi = s->p.item + (size_t)item[j] * s->dim;
		float *du = p->du + (size_t)j * s->dim, *di = p->di + (size_t)j * s->dim;

		#pragma omp simd
		for (uint32_t k = 0; k < s->dim; k++) {
			du[k] += c * pu[k];
			di[k] += c * qi[k];
		}
	}
}

/* Forward and backward over the batch's rows lo..lo+n; returns their
 * weighted loss. */
static double run_slice(struct trainer *t, struct pass *p, uint32_t lo, uint32_t n,
			float scale)
{
	const struct neumf *s = t->s;
	const uint32_t *user = t->b.user + lo, *item = t->b.item + lo;
	double loss;

	forward(s, s->p.net, p, n, user, item, s->p.user, s->p.item);
	loss = bce(p, n, t->b.label + lo, t->b.weight + lo, scale);
	if (p->grad)
		memset(p->grad, 0, s->nnet * sizeof(*p->grad));
	backward(s, s->p.net, p, n, user, item, s->p.user, s->p.item);
	penalise(s, p, n, user, item, t->reg * scale);
	return loss;
}

/* One step on the events order[0..n); returns the rows' summed loss. */
static double run_batch(struct trainer *t, const uint32_t *order, uint32_t n,
			struct rec_rng *rng, uint8_t *umark, uint8_t *imark)
{
	uint32_t ncand, rows = build_batch(t, order, n, rng, &ncand);
	float scale = 1.0f / (float)rows;
	double loss = 0;

	if (t->candidates > 1)
		choose_negatives(t, rows, ncand);

	#pragma omp parallel for schedule(static, 1) reduction(+:loss)
	for (int i = 0; i < t->threads; i++) {
		uint32_t lo = (uint32_t)((uint64_t)rows * i / t->threads);
		uint32_t hi = (uint32_t)((uint64_t)rows * (i + 1) / t->threads);

		loss += run_slice(t, &t->pass[i], lo, hi - lo, scale);
	}
	apply_step(t, rows, umark, imark);
	return loss;
}

/* One pass over the events in a fresh order; *mean gets the mean loss of
 * the rows. */
static int run_epoch(void *ctx, uint32_t ep, struct rec_rng *rng, double *mean,
		     struct rec_error *err)
{
	struct trainer *t = ctx;
	uint64_t rows = 0;
	double loss = 0;
	int blas;

	(void)ep;
	(void)err;
	rec_rng_shuffle_u32(rng, t->pairs.order, t->pairs.n);
	blas = rec_blas_serial();
	for (uint64_t a = 0; a < t->pairs.n; a += t->events) {
		uint32_t n = t->pairs.n - a < t->events ? (uint32_t)(t->pairs.n - a) : t->events;

		loss += run_batch(t, t->pairs.order + a, n, rng, t->umark, t->imark);
		rows += (uint64_t)n * t->per;
	}
	rec_blas_restore(blas);
	*mean = rows ? loss / (double)rows : 0;
	return 0;
}

/* Embeddings N(0, init^2); dense layers He's N(0, 2 / fan-in) for the
 * ReLUs, the output layer N(0, 1 / fan-in); biases 0. */
static void init_weights(struct rec_model *m, uint64_t seed)
{
	struct neumf *s = m->state;
	const struct rec_dataset *d = &m->data;
	struct rec_rng rng;

	rec_rng_seed(&rng, seed);
	rec_pairs_normal(s->p.user, (size_t)d->nusers * s->dim, m->hp[HP_INIT], &rng);
	rec_pairs_normal(s->p.item, (size_t)d->nitems * s->dim, m->hp[HP_INIT], &rng);
	memset(s->p.net, 0, s->nnet * sizeof(float));
	for (uint32_t l = 1; l < s->nsizes; l++)
		rec_pairs_normal(s->p.net + s->w[l], (size_t)s->size[l - 1] * s->size[l],
				 sqrt(2.0 / s->size[l - 1]), &rng);
	rec_pairs_normal(s->p.net + s->h, s->f + last_size(s),
			 sqrt(1.0 / (s->f + last_size(s))), &rng);
}

static int neumf_fold_in(const struct rec_model *m, struct rec_user *u);

/* Fold each user from old_users on into his embeddings: it gives a new
 * user the start that a few passes of Adam, a step of about lr each, would
 * not. */
static int fold_new_users(struct rec_model *m, uint32_t old_users)
{
	struct neumf *s = m->state;

	for (uint32_t u = old_users; u < m->data.nusers; u++) {
		struct rec_user view;

		rec_user_view(m, u, &view);
		view.state = s->p.user + (size_t)u * s->dim;
		if (neumf_fold_in(m, &view) < 0)
			return REC_ENOMEM;
	}
	return 0;
}

/* Training (since NULL), early stopping on opt->validation; an update's
 * over the touched users' events, the new users folded in first, with the
 * network fixed: a step of the shared weights would move every user's
 * scores, and the new events speak for a few users only. */
static int setup(void *ctx, struct rec_model *m, const struct rec_pairs_since *since,
		 struct rec_epochs *e)
{
	struct trainer *t = ctx;

	memset(t, 0, sizeof(*t));
	*e = (struct rec_epochs){ (uint32_t)m->hp[HP_EPOCHS], (uint32_t)m->hp[HP_PATIENCE], 0,
				  "loss", run_epoch, NULL, t };
	if (since && fold_new_users(m, since->users) < 0)
		return REC_ENOMEM;
	return trainer_init(t, m, since ? since->touched : NULL, !since);
}

static const struct rec_pairs_family neumf_family = {
	"neumf", setup, trainer_release, init_weights
};

static int neumf_train(struct rec_model *m, const struct rec_train_options *opt,
		       struct rec_error *err)
{
	struct trainer t;

	return rec_pairs_train(m, &neumf_family, &t, NULL, opt, err);
}

/* --- incremental training --- */

/* Grow the tables for the new users and items, which start at zero, then
 * train over the events of the touched users alone. */
static int neumf_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
			const uint8_t *touched, const struct rec_train_options *opt,
			struct rec_error *err)
{
	struct neumf *s = m->state;
	const struct rec_dataset *d = &m->data;
	struct rec_pairs_since since = { old_users, old_items, touched };
	struct trainer t;

	if (rec_grow_floats(&s->p.user, (size_t)old_users * s->dim,
			    (size_t)d->nusers * s->dim) < 0 ||
	    rec_grow_floats(&s->p.item, (size_t)old_items * s->dim,
			    (size_t)d->nitems * s->dim) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	return rec_pairs_train(m, &neumf_family, &t, &since, opt, err);
}

/* --- fold-in --- */

/* A user's state is his row of the users' embeddings. */
static float *neumf_user_rows(const struct rec_model *m, uint32_t *width)
{
	const struct neumf *s = m->state;

	*width = s->dim;
	return s->p.user;
}

/* The rows of a fold: each known event of the newest FOLD_EVENTS, then its
 * negatives; seen holds the history's known items in ascending order.
 * Returns how many rows. */
static uint32_t fold_rows(const struct rec_model *m, const struct rec_user *u,
			  const uint32_t *seen, uint32_t nseen, struct rec_rng *rng,
			  struct batch *b)
{
	uint32_t ni = m->data.nitems, per = 1 + (uint32_t)m->hp[HP_NEGATIVES], rows = 0;
	uint32_t first = u->n > FOLD_EVENTS ? u->n - FOLD_EVENTS : 0;

	for (uint32_t e = first; e < u->n; e++) {
		float w = (float)rec_model_decay(m, u->times[e]);

		if (u->items[e] >= ni)
			continue;
		for (uint32_t r = 0; r < per; r++, rows++) {
			uint32_t j = r ? draw_negative(ni, seen, nseen, rng) : NONE;

			b->user[rows] = 0;
			b->item[rows] = j == NONE ? u->items[e] : j;
			b->label[rows] = r == 0;
			b->weight[rows] = r == 0 || j != NONE ? w : 0;
		}
	}
	return rows;
}

/* FOLD_STEPS Adam steps on the state, each on the gradient of the mean
 * loss of the history against fresh negatives, drawn from a seed of the
 * history so that the same history folds the same way.  Fresh draws let
 * a short history push down the unseen items as a whole rather than the
 * few drawn once. */
static void fold_steps(const struct rec_model *m, struct rec_user *u, struct pass *p,
		       const uint32_t *seen, uint32_t nseen, struct batch *b, float *g)
{
	const struct neumf *s = m->state;
	uint32_t dim = s->dim, rows;
	float *m1 = g + dim, *m2 = g + 2 * dim;
	struct rec_nn_adam adam = REC_NN_ADAM(FOLD_LR, m->hp[HP_REG]);
	struct rec_rng rng;

	rec_rng_seed(&rng, rec_user_seed(u));
	memset(m1, 0, 2 * dim * sizeof(*m1));
	for (adam.step = 1; adam.step <= FOLD_STEPS; adam.step++) {
		if (!(rows = fold_rows(m, u, seen, nseen, &rng, b)))
			return;
		forward(s, s->p.net, p, rows, b->user, b->item, u->state, s->p.item);
		bce(p, rows, b->label, b->weight, 1.0f / (float)rows);
		backward(s, s->p.net, p, rows, b->user, b->item, u->state, s->p.item);
		memset(g, 0, dim * sizeof(*g));
		for (uint32_t j = 0; j < rows; j++)
			for (uint32_t k = 0; k < dim; k++)
				g[k] += p->du[(size_t)j * dim + k];
		rec_nn_adam_update(&adam, 0, dim, u->state, g, m1, m2);
	}
}

static int neumf_fold_in(const struct rec_model *m, struct rec_user *u)
{
	const struct neumf *s = m->state;
	uint32_t per = 1 + (uint32_t)m->hp[HP_NEGATIVES], nseen;
	size_t cap = (size_t)(u->n < FOLD_EVENTS ? u->n : FOLD_EVENTS) * per + 1;
	uint32_t *seen = rec_pairs_history(m, u, &nseen);
	struct batch b = { calloc(cap, sizeof(uint32_t)), malloc(cap * sizeof(uint32_t)),
			   malloc(cap * sizeof(float)), malloc(cap * sizeof(float)) };
	float *g = malloc(3 * s->dim * sizeof(*g));
	struct pass p = { 0 };
	int rc = REC_ENOMEM;

	if (!seen || !b.user || !b.item || !b.label || !b.weight || !g ||
	    cap > INT32_MAX / MAX_SIZE || pass_init(&p, s, (uint32_t)cap, 0) < 0)
		goto out;
	fold_steps(m, u, &p, seen, nseen, &b, g);
	rc = 0;
out:
	pass_free(&p);
	free(seen);
	free(b.user);
	free(b.item);
	free(b.label);
	free(b.weight);
	free(g);
	return rc;
}

static void neumf_score_user(const struct rec_model *m, const struct rec_user *u,
			     float *scores)
{
	score_vector(m, u->state, scores);
}

/* --- the unit test's view of the network --- */

double rec_neumf_loss(const struct rec_model *m, uint32_t n, const uint32_t *user,
		      const uint32_t *item, const float *label, float *grad_user,
		      float *grad_item, float *grad_net)
{
	const struct neumf *s = m->state;
	struct pass p;
	double loss = NAN;

	if (pass_init(&p, s, n, 1) == 0) {
		forward(s, s->p.net, &p, n, user, item, s->p.user, s->p.item);
		loss = bce(&p, n, label, NULL, 1.0f / (float)n) / n;
		memset(p.grad, 0, s->nnet * sizeof(*p.grad));
		backward(s, s->p.net, &p, n, user, item, s->p.user, s->p.item);
		for (size_t k = 0; k < s->nnet; k++)
			grad_net[k] += p.grad[k];
		for (uint32_t j = 0; j < n; j++)
			for (uint32_t k = 0; k < s->dim; k++) {
				grad_user[(size_t)user[j] * s->dim + k] += p.du[(size_t)j * s->dim + k];
				grad_item[(size_t)item[j] * s->dim + k] += p.di[(size_t)j * s->dim + k];
			}
	}
	pass_free(&p);
	return loss;
}

const struct rec_algo rec_algo_neumf = {
	.name = "neumf",
	.summary = "neural collaborative filtering: GMF and MLP towers fused (implicit feedback)",
	.hparams = neumf_hparams,
	.nhparams = NHP,
	.init = neumf_init,
	.train = neumf_train,
	.params = neumf_params,
	.score = neumf_score,
	.score_block = neumf_score_block,
	.predict = neumf_predict,
	.ratings = 0,
	.release = neumf_release,
	.user_rows = neumf_user_rows,
	.fold_in = neumf_fold_in,
	.score_user = neumf_score_user,
	.update = neumf_update,
};
