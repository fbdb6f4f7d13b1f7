/* sasrec.c - self-attentive sequential recommendation (Kang and McAuley,
 * ICDM 2018): each user's last max_len events, oldest first, go through
 * item embeddings (scaled by sqrt(hidden)), then blocks of pre-norm causal
 * self-attention and a point-wise feed-forward pair with ReLU, each with
 * dropout and a residual connection, then a last layer normalisation.
 * Order enters as relative positions: each block's attention logit of an
 * earlier event is raised by a learned bias for its distance, one per
 * head (Shaw et al., NAACL 2018, reduced to a scalar as in T5, Raffel et
 * al., JMLR 2020).  The hidden state at a position scores every item by
 * its dot product with the item's embedding, which the input shares.
 *
 * Training predicts each event of a window from the ones before it, by
 * softmax cross-entropy over all items at every position (the "SASRec+"
 * recipe of Klenitskiy and Vasilev, RecSys 2023), or with loss=sampled by
 * the generalised binary cross-entropy of gSASRec (Petrov and Macdonald,
 * RecSys 2023) against negatives drawn uniformly, one set per sequence.
 * Adam steps on mini-batches of users.  A batch's users are dealt to
 * CHUNKS gradients, each summed by one thread from whole sequences,
 * forward and backward, in the batch's order, so that BLAS runs one thread
 * inside the parallel region; the chunks are then summed in their order,
 * so that the model does not depend on the number of threads.
 *
 * With relative positions an event's keys and values in the first block
 * depend on its item alone, and in a later block on the events before it:
 * appending to a window changes none of them.  Fold-in keeps each block's
 * keys and values in a ring of max_len slots and computes only the new
 * event against them (O(max_len x hidden + hidden^2) an event), the newest
 * taking the oldest's slot once the window is full, as sliding-window
 * attention with a rolling cache does (Beltagy et al., Longformer, 2020).
 * The later blocks' cached keys and values then keep what each event saw
 * of the events before the window, where encoding the window anew would
 * not.
 *
 * With item attributes (the dataset's item features), an item's embedding,
 * at the input and at the output alike, is its own row plus the rows of
 * its attributes, each weighted by its value over the sum of the absolute
 * values of the item's attributes (the LightFM composition, Kula 2015, as
 * in hybrid.c), all learned together.  Items without events are left out
 * of the softmax and of the negatives, which would push down the
 * attributes they share with no positive, and keep an own row of zeros:
 * their attributes alone place them, so that a new item known only by its
 * attributes is scored and can be folded in. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "attributes.h"
#include "internal.h"
#include "nn.h"

enum {
	HP_FACTORS, HP_EPOCHS, HP_LR, HP_BLOCKS, HP_HEADS, HP_MAX_LEN, HP_DROPOUT,
	HP_BATCH, HP_LOSS, HP_NEGATIVES, HP_PATIENCE, HP_REG, HP_INIT, HP_WINDOWS, NHP
};

enum { LOSS_FULL, LOSS_SAMPLED };
enum { WINDOWS_LAST, WINDOWS_ALL };

/* Hidden states of this size fit on the stack. */
#define MAX_FACTORS 1024
static const char *const losses[] = { "full", "sampled", NULL };
static const char *const windows[] = { "last", "all", NULL };

static const struct rec_hparam sasrec_hparams[NHP] = {
	[HP_FACTORS] = { "factors", 64, 1, MAX_FACTORS, 1, NULL },
	[HP_EPOCHS] = { "epochs", 200, 1, 100000, 1, NULL },
	[HP_LR] = { "lr", 0.001, 1e-9, 10, 0, NULL },
	[HP_BLOCKS] = { "blocks", 2, 1, 16, 1, NULL },
	[HP_HEADS] = { "heads", 1, 1, 64, 1, NULL },
	[HP_MAX_LEN] = { "max_len", 200, 1, 4096, 1, NULL },
	[HP_DROPOUT] = { "dropout", 0.2, 0, 0.9, 0, NULL },
	[HP_BATCH] = { "batch", 128, 1, 65536, 1, NULL },
	[HP_LOSS] = { "loss", LOSS_FULL, 0, 1, 1, losses },
	[HP_NEGATIVES] = { "negatives", 256, 1, 100000, 1, NULL },
	[HP_PATIENCE] = { "patience", 20, 1, 100000, 1, NULL },
	[HP_REG] = { "reg", 0, 0, 1000, 0, NULL },
	[HP_INIT] = { "init", 1, 0, 10, 0, NULL },
	[HP_WINDOWS] = { "windows", WINDOWS_LAST, 0, 1, 1, windows },
};

/* The heads split the factors evenly, and an item's embedding row is
 * addressed with an int. */
static int sasrec_check_hparams(const struct rec_model *m, struct rec_error *err)
{
	unsigned d = (unsigned)m->hp[HP_FACTORS], heads = (unsigned)m->hp[HP_HEADS];

	if (d % heads)
		return rec_error_set(err, REC_EINVAL, "sasrec: heads (%u) must divide "
				     "factors (%u)", heads, d);
	if (m->data.nitems > INT32_MAX / MAX_FACTORS)
		return rec_error_set(err, REC_EINVAL, "sasrec: too many items");
	return 0;
}

/* Adam's second decay rate as in the reference recipe, and gSASRec's
 * calibration t: with n negatives of m items, the positive's term is
 * weighted by beta = alpha (t (1 - 1/alpha) + 1/alpha), alpha = n / (m - 1). */
#define ADAM_B2 0.98f
#define GBCE_T 0.75

/* Training's output layer scores at most LOGIT_FLOATS at once per
 * thread. */
#define LOGIT_FLOATS (1u << 20)

/* A batch's gradient comes in this many parts, user j of the batch in
 * part j % CHUNKS: as many threads can share a batch. */
#define CHUNKS 8

/* The learned floats, one array: item embeddings (nitems x d) first, then
 * each block's relative positions (heads x max_len: the bias of the
 * attention logits by distance, 0 the position itself), the blocks, the
 * last normalisation's gain and bias, and the embeddings of the nif item
 * attributes (nif x d).  The same layout serves gradients and Adam's
 * moments.  emb holds the items' embeddings as the network sees them:
 * the own rows of w without attributes, composed with them (nitems x d)
 * otherwise.  With attributes, items lists the items with events (nwarm of
 * them) and then the others, once training or growth has sorted them. */
struct sasrec {
	uint32_t d, len, nblocks, heads, nitems, nif;
	size_t rel_at, blocks_at, final_at, attr_at, total;
	float *w, *emb;
	uint32_t *items, nwarm;
};

/* One block's parameters within such an array; wqkv is d x 3d. */
struct block {
	float *ln1_g, *ln1_b, *wqkv, *bqkv, *wo, *bo;
	float *ln2_g, *ln2_b, *w1, *b1, *w2, *b2;
};

static size_t block_floats(size_t d)
{
	return 6 * d * d + 10 * d;
}

static struct block block_at(const struct sasrec *s, float *base, uint32_t b)
{
	size_t d = s->d;
	float *p = base + s->blocks_at + b * block_floats(d);
	struct block k;

	k.ln1_g = p;
	k.ln1_b = p + d;
	k.wqkv = p + 2 * d;
	k.bqkv = k.wqkv + 3 * d * d;
	k.wo = k.bqkv + 3 * d;
	k.bo = k.wo + d * d;
	k.ln2_g = k.bo + d;
	k.ln2_b = k.ln2_g + d;
	k.w1 = k.ln2_b + d;
	k.b1 = k.w1 + d * d;
	k.w2 = k.b1 + d;
	k.b2 = k.w2 + d * d;
	return k;
}

/* Block b's relative positions within such an array. */
static float *rel_at(const struct sasrec *s, float *base, uint32_t b)
{
	return base + s->rel_at + (size_t)b * s->heads * s->len;
}

/* --- the user's rows, in time order --- */

struct timed {
	int64_t time;
	uint64_t at;
	uint32_t item;
	float val;
};

static int by_time(const void *a, const void *b)
{
	const struct timed *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Rows of a dataset are in time order already; a row that is not is put
 * in order here, ties kept in row order, so that every window can be read
 * straight from the end of a row. */
static int order_rows(struct rec_dataset *d)
{
	for (uint32_t u = 0; u < d->nusers; u++) {
		uint64_t a = d->rowptr[u], n = d->rowptr[u + 1] - a, j;
		struct timed *t;

		for (j = 1; j < n && d->time[a + j - 1] <= d->time[a + j]; j++)
			;
		if (j >= n)
			continue;
		if (!(t = malloc(n * sizeof(*t))))
			return REC_ENOMEM;
		for (j = 0; j < n; j++)
			t[j] = (struct timed){ d->time[a + j], j, d->col[a + j], d->val[a + j] };
		qsort(t, n, sizeof(*t), by_time);
		for (j = 0; j < n; j++) {
			d->time[a + j] = t[j].time;
			d->col[a + j] = t[j].item;
			d->val[a + j] = t[j].val;
		}
		free(t);
	}
	return 0;
}

/* The last at most max events of user u: *n of them, oldest first. */
static const uint32_t *window(const struct rec_model *m, uint32_t u, uint32_t max,
			      uint32_t *n)
{
	const struct rec_dataset *d = &m->data;
	uint64_t len = d->rowptr[u + 1] - d->rowptr[u];

	*n = (uint32_t)(len < max ? len : max);
	return d->col + d->rowptr[u + 1] - *n;
}

/* --- the model's arrays --- */

/* The offsets of the learned array for nitems items. */
static void lay_out(struct sasrec *s, uint32_t nitems)
{
	s->nitems = nitems;
	s->rel_at = (size_t)nitems * s->d;
	s->blocks_at = s->rel_at + (size_t)s->nblocks * s->heads * s->len;
	s->final_at = s->blocks_at + s->nblocks * block_floats(s->d);
	s->attr_at = s->final_at + 2 * (size_t)s->d;
	s->total = s->attr_at + (size_t)s->nif * s->d;
}

/* Each item's embedding as the network sees it, from the learned
 * floats. */
static void compose_items(const struct rec_model *m)
{
	struct sasrec *s = m->state;
	const struct rec_features *f = m->data.item_features;

	s->emb = s->nif ? s->emb : s->w;
	for (uint32_t i = 0; s->nif && i < s->nitems; i++)
		rec_attribute_compose(f, i, rec_attribute_row_scale(f, i), s->w + (size_t)i * s->d,
				      s->w + s->attr_at, s->d, s->emb + (size_t)i * s->d);
}

/* The gradient of the attributes' rows from that of the items' own rows
 * in grad, which is that of their composed embeddings. */
static void attribute_gradient(const struct rec_model *m, float *grad)
{
	const struct sasrec *s = m->state;
	const struct rec_features *f = m->data.item_features;

	for (uint32_t i = 0; s->nif && i < s->nitems && i < f->nrows; i++) {
		const float *g = grad + (size_t)i * s->d;
		float scale = rec_attribute_row_scale(f, i);

		for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++) {
			float a = scale * f->val[e], *ga = grad + s->attr_at + (size_t)f->col[e] * s->d;

			#pragma omp simd
			for (uint32_t c = 0; c < s->d; c++)
				ga[c] += a * g[c];
		}
	}
}

/* With attributes: sort the items into those with events and the others,
 * whose own rows become zeros, and compose the embeddings. */
static int settle_items(const struct rec_model *m)
{
	struct sasrec *s = m->state;
	const struct rec_dataset *d = &m->data;
	uint32_t *items, cold;
	uint8_t *seen;

	if (!s->nif) {
		compose_items(m);
		return 0;
	}
	seen = calloc((size_t)s->nitems + 1, 1);
	items = realloc(s->items, ((size_t)s->nitems + 1) * sizeof(*items));
	if (!seen || !items) {
		free(seen);
		return REC_ENOMEM;
	}
	s->items = items;
	for (uint64_t e = 0; e < d->rowptr[d->nusers]; e++)
		seen[d->col[e]] = 1;
	s->nwarm = 0;
	cold = s->nitems;
	for (uint32_t i = 0; i < s->nitems; i++)
		items[seen[i] ? s->nwarm++ : --cold] = i;
	for (uint32_t j = s->nwarm; j < s->nitems; j++)
		memset(s->w + (size_t)items[j] * s->d, 0, s->d * sizeof(*s->w));
	free(seen);
	compose_items(m);
	return 0;
}

static int sasrec_init(struct rec_model *m)
{
	struct sasrec *s = calloc(1, sizeof(*s));

	if (!s)
		return REC_ENOMEM;
	m->state = s;
	s->d = (uint32_t)m->hp[HP_FACTORS];
	s->len = (uint32_t)m->hp[HP_MAX_LEN];
	s->nblocks = (uint32_t)m->hp[HP_BLOCKS];
	s->heads = (uint32_t)m->hp[HP_HEADS];
	s->nif = m->data.item_features ? rec_dict_size(m->data.item_features->names) : 0;
	lay_out(s, m->data.nitems);
	if (!(s->w = rec_alloc_large_zero(s->total * sizeof(*s->w))))
		return REC_ENOMEM;
	s->emb = s->nif ? rec_alloc_large_zero(((size_t)s->nitems * s->d + 1) * sizeof(*s->emb))
			: s->w;
	if (!s->emb)
		return REC_ENOMEM;
	return order_rows(&m->data);
}

static void sasrec_release(struct rec_model *m)
{
	struct sasrec *s = m->state;

	if (!s)
		return;
	if (s->emb != s->w)
		free(s->emb);
	free(s->w);
	free(s->items);
	free(s);
	m->state = NULL;
}

static unsigned sasrec_params(struct rec_model *m, struct rec_param *p)
{
	struct sasrec *s = m->state;

	p[0] = (struct rec_param){ { 'I', 'E', 'M', 'B' }, s->w, NULL, s->rel_at };
	p[1] = (struct rec_param){ { 'R', 'P', 'O', 'S' }, s->w + s->rel_at, NULL,
				   s->blocks_at - s->rel_at };
	p[2] = (struct rec_param){ { 'B', 'L', 'K', 'S' }, s->w + s->blocks_at, NULL,
				   s->attr_at - s->blocks_at };
	p[3] = (struct rec_param){ { 'I', 'A', 'E', 'M' }, s->w + s->attr_at, NULL,
				   s->total - s->attr_at };
	return s->nif ? 4 : 3;
}

/* A loaded model's embeddings composed, which must be finite as the
 * arrays they come from are. */
static int sasrec_check(const struct rec_model *m, struct rec_error *err)
{
	const struct sasrec *s = m->state;
	char q[REC_QUOTED];

	compose_items(m);
	for (size_t j = 0; s->nif && j < (size_t)s->nitems * s->d; j++)
		if (!isfinite(s->emb[j]))
			return rec_error_set(err, REC_EFORMAT, "section 'IAEM': the embedding of "
					     "item %s is not finite",
					     rec_quoted(rec_dict_name(m->data.items,
								      (uint32_t)(j / s->d), NULL),
							q));
	return 0;
}

float *rec_sasrec_weights(struct rec_model *m, size_t *n)
{
	struct sasrec *s = m->state;

	*n = s->total;
	return s->w;
}

/* The embedding floats [lo, hi) drawn from N(0, init^2 / d). */
static void draw_embeddings(const struct rec_model *m, struct rec_rng *rng, size_t lo,
			    size_t hi)
{
	struct sasrec *s = m->state;
	double sd = m->hp[HP_INIT] / sqrt((double)s->d);

	for (size_t j = lo; j < hi; j++)
		s->w[j] = (float)(sd * rec_rng_normal(rng));
}

/* Embeddings N(0, init^2 / d), the attributes' drawn last; relative
 * positions 0; dense layers U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as PyTorch
 * draws them; gains 1, biases of the normalisations 0. */
static void init_weights(const struct rec_model *m, uint64_t seed)
{
	struct sasrec *s = m->state;
	float bound = 1.0f / sqrtf((float)s->d);
	struct rec_rng rng;

	rec_rng_seed(&rng, seed);
	draw_embeddings(m, &rng, 0, s->rel_at);
	for (size_t j = s->blocks_at; j < s->final_at; j++)
		s->w[j] = bound * (float)(2 * rec_rng_uniform(&rng) - 1);
	for (uint32_t b = 0; b < s->nblocks; b++) {
		struct block k = block_at(s, s->w, b);

		for (uint32_t c = 0; c < s->d; c++) {
			k.ln1_g[c] = k.ln2_g[c] = 1;
			k.ln1_b[c] = k.ln2_b[c] = 0;
		}
	}
	for (uint32_t c = 0; c < s->d; c++) {
		s->w[s->final_at + c] = 1;
		s->w[s->final_at + s->d + c] = 0;
	}
	draw_embeddings(m, &rng, s->attr_at, s->total);
}

/* --- the activations of one window --- */

/* What a block keeps from forward for backward; the masks only when
 * training. */
struct acts {
	float *a, *xhat1, *rstd1, *qkv, *probs, *pdrop, *att, *odrop;
	float *xhat2, *rstd2, *c, *r, *fdrop, *fd, *gdrop;
};

/* One thread's memory for a window of up to s->len positions. */
struct work {
	float *mem;
	struct acts *blk;
	float *x0drop, *x, *xhatf, *rstdf, *hf;
	float *dx, *t1, *t2, *dqkv, *scratch;
	float *logits, *negw, *negs, *dneg;	/* training only */
	uint32_t *neg;
	uint32_t chunk;		/* rows of logits */
	uint32_t negatives;
	int training;
};

/* Lay the work out on mem, or with mem NULL only count its floats. */
static size_t carve(const struct sasrec *s, struct work *w, float *mem)
{
	size_t used = 0, l = s->len, ld = l * s->d, hll = (size_t)s->heads * l * l;
	size_t tr = w->training ? 1 : 0;

#define TAKE(n) (used += (n), mem ? mem + used - (n) : NULL)
	for (uint32_t b = 0; b < s->nblocks; b++) {
		struct acts *A = &w->blk[b];

		A->a = TAKE(ld);
		A->xhat1 = TAKE(ld);
		A->rstd1 = TAKE(l);
		A->qkv = TAKE(3 * ld);
		A->probs = TAKE(hll);
		A->pdrop = TAKE(tr * hll);
		A->att = TAKE(ld);
		A->odrop = TAKE(tr * ld);
		A->xhat2 = TAKE(ld);
		A->rstd2 = TAKE(l);
		A->c = TAKE(ld);
		A->r = TAKE(ld);
		A->fdrop = TAKE(tr * ld);
		A->fd = TAKE(ld);
		A->gdrop = TAKE(tr * ld);
	}
	w->x0drop = TAKE(tr * ld);
	w->x = TAKE(ld);
	w->xhatf = TAKE(ld);
	w->rstdf = TAKE(l);
	w->hf = TAKE(ld);
	w->dx = TAKE(tr * ld);
	w->t1 = TAKE(ld);
	w->t2 = TAKE(tr * ld);
	w->dqkv = TAKE(tr * 3 * ld);
	w->scratch = TAKE((1 + tr) * l * l);
	w->logits = TAKE(tr * w->chunk * (size_t)s->nitems);
	w->negw = TAKE(tr * w->negatives * (size_t)s->d);
	w->negs = TAKE(tr * w->negatives * l);
	w->dneg = TAKE(tr * w->negatives * (size_t)s->d);
#undef TAKE
	return used;
}

static void work_free(struct work *w)
{
	if (!w)
		return;
	free(w->mem);
	free(w->blk);
	free(w->neg);
	memset(w, 0, sizeof(*w));
}

/* Work for inference, or for training under the model's loss. */
static int work_init(const struct rec_model *m, struct work *w, int training)
{
	const struct sasrec *s = m->state;
	uint32_t ni = s->nitems ? s->nitems : 1;

	memset(w, 0, sizeof(*w));
	w->training = training;
	if (training && m->hp[HP_LOSS] == LOSS_SAMPLED)
		w->negatives = (uint32_t)m->hp[HP_NEGATIVES];
	else if (training)
		w->chunk = LOGIT_FLOATS / ni < s->len ? LOGIT_FLOATS / ni : s->len;
	if (training && !w->chunk && !w->negatives)
		w->chunk = 1;
	if (!(w->blk = calloc(s->nblocks, sizeof(*w->blk))) ||
	    !(w->mem = malloc((carve(s, w, NULL) + 1) * sizeof(*w->mem))) ||
	    (w->negatives && !(w->neg = malloc(w->negatives * sizeof(*w->neg))))) {
		work_free(w);
		return REC_ENOMEM;
	}
	carve(s, w, w->mem);
	return 0;
}

/* --- forward --- */

/* y through dropout (a fresh mask when rng is given), added into x. */
static void residual(struct rec_rng *rng, float p, size_t n, float *mask,
		     const float *y, float *x)
{
	if (rng) {
		rec_nn_dropout_mask(rng, n, p, mask);
		#pragma omp simd
		for (size_t j = 0; j < n; j++)
			x[j] += y[j] * mask[j];
		return;
	}
	#pragma omp simd
	for (size_t j = 0; j < n; j++)
		x[j] += y[j];
}

static void block_forward(const struct sasrec *s, struct work *w, uint32_t b, int n,
			  struct rec_rng *rng, float p)
{
	struct block k = block_at(s, s->w, b);
	struct acts *A = &w->blk[b];
	int d = (int)s->d, h = (int)s->heads;
	size_t nd = (size_t)n * d;

	rec_nn_layernorm(n, d, w->x, k.ln1_g, k.ln1_b, A->xhat1, A->rstd1, A->a);
	rec_nn_dense(n, d, 3 * d, A->a, k.wqkv, k.bqkv, A->qkv);
	if (rng)
		rec_nn_dropout_mask(rng, (size_t)h * n * n, p, A->pdrop);
	rec_nn_attention(n, d, h, A->qkv, rel_at(s, s->w, b), (int)s->len, A->probs,
			 rng ? A->pdrop : NULL, A->att, w->scratch);
	rec_nn_dense(n, d, d, A->att, k.wo, k.bo, w->t1);
	residual(rng, p, nd, A->odrop, w->t1, w->x);
	rec_nn_layernorm(n, d, w->x, k.ln2_g, k.ln2_b, A->xhat2, A->rstd2, A->c);
	rec_nn_dense(n, d, d, A->c, k.w1, k.b1, A->r);
	rec_nn_relu(nd, A->r);
	memcpy(A->fd, A->r, nd * sizeof(*A->fd));
	if (rng) {
		rec_nn_dropout_mask(rng, nd, p, A->fdrop);
		rec_nn_mul(nd, A->fd, A->fdrop);
	}
	rec_nn_dense(n, d, d, A->fd, k.w2, k.b2, w->t1);
	residual(rng, p, nd, A->gdrop, w->t1, w->x);
}

/* The network over the window items[0..n), into w->hf (n x d); with rng,
 * with dropout p drawn from it, as in training. */
static void encode(const struct sasrec *s, struct work *w, const uint32_t *items,
		   int n, struct rec_rng *rng, float p)
{
	size_t d = s->d;
	float scale = sqrtf((float)d);

	if (p <= 0)
		rng = NULL;
	for (int t = 0; t < n; t++) {
		const float *e = s->emb + (size_t)items[t] * d;
		float *x = w->x + t * d;

		#pragma omp simd
		for (size_t c = 0; c < d; c++)
			x[c] = e[c] * scale;
	}
	if (rng) {
		rec_nn_dropout_mask(rng, n * d, p, w->x0drop);
		rec_nn_mul(n * d, w->x, w->x0drop);
	}
	for (uint32_t b = 0; b < s->nblocks; b++)
		block_forward(s, w, b, n, rng, p);
	rec_nn_layernorm(n, (int)d, w->x, s->w + s->final_at, s->w + s->final_at + d,
			 w->xhatf, w->rstdf, w->hf);
}

/* --- backward --- */

static void block_backward(const struct sasrec *s, struct work *w, uint32_t b, int n,
			   int dropout, float *grad)
{
	struct block k = block_at(s, s->w, b), g = block_at(s, grad, b);
	struct acts *A = &w->blk[b];
	int d = (int)s->d, h = (int)s->heads;
	size_t nd = (size_t)n * d;

	memcpy(w->t1, w->dx, nd * sizeof(*w->t1));
	rec_nn_mul(nd, w->t1, dropout ? A->gdrop : NULL);
	rec_nn_dense_back(n, d, d, A->fd, k.w2, w->t1, w->t2, 0, g.w2, g.b2);
	rec_nn_mul(nd, w->t2, dropout ? A->fdrop : NULL);
	rec_nn_relu_back(nd, A->r, w->t2);
	rec_nn_dense_back(n, d, d, A->c, k.w1, w->t2, w->t1, 0, g.w1, g.b1);
	rec_nn_layernorm_back(n, d, A->xhat2, A->rstd2, k.ln2_g, w->t1, w->dx, g.ln2_g,
			      g.ln2_b);
	memcpy(w->t1, w->dx, nd * sizeof(*w->t1));
	rec_nn_mul(nd, w->t1, dropout ? A->odrop : NULL);
	rec_nn_dense_back(n, d, d, A->att, k.wo, w->t1, w->t2, 0, g.wo, g.bo);
	rec_nn_attention_back(n, d, h, A->qkv, A->probs, dropout ? A->pdrop : NULL, w->t2,
			      w->dqkv, rel_at(s, grad, b), (int)s->len, w->scratch);
	rec_nn_dense_back(n, d, 3 * d, A->a, k.wqkv, w->dqkv, w->t1, 0, g.wqkv, g.bqkv);
	rec_nn_layernorm_back(n, d, A->xhat1, A->rstd1, k.ln1_g, w->t1, w->dx, g.ln1_g,
			      g.ln1_b);
}

/* From the gradient of the hidden states in w->t2 back to the
 * embeddings. */
static void backward(const struct sasrec *s, struct work *w, const uint32_t *items,
		     int n, int dropout, float *grad)
{
	size_t d = s->d;
	float scale = sqrtf((float)d);

	memset(w->dx, 0, n * d * sizeof(*w->dx));
	rec_nn_layernorm_back(n, (int)d, w->xhatf, w->rstdf, s->w + s->final_at, w->t2,
			      w->dx, grad + s->final_at, grad + s->final_at + d);
	for (uint32_t b = s->nblocks; b-- > 0;)
		block_backward(s, w, b, n, dropout, grad);
	rec_nn_mul(n * d, w->dx, dropout ? w->x0drop : NULL);
	for (int t = 0; t < n; t++) {
		float *de = grad + (size_t)items[t] * d;
		const float *dx = w->dx + t * d;

		#pragma omp simd
		for (size_t c = 0; c < d; c++)
			de[c] += scale * dx[c];
	}
}

/* --- losses: each leaves the gradient of the hidden states in w->t2 --- */

/* The logits of the c rows of the items without events at value v, when
 * they are kept out of the softmax. */
static void mask_cold(const struct sasrec *s, float *logits, int c, float v)
{
	for (int r = 0; s->items && r < c; r++)
		for (uint32_t j = s->nwarm; j < s->nitems; j++)
			logits[(size_t)r * s->nitems + s->items[j]] = v;
}

/* Every item scored at every position, a chunk of rows at a time. */
static double full_loss(const struct sasrec *s, struct work *w, const uint32_t *target,
			int n, float scale, float *grad)
{
	int d = (int)s->d, ni = (int)s->nitems;
	double loss = 0;

	for (int r = 0; r < n; r += (int)w->chunk) {
		int c = n - r < (int)w->chunk ? n - r : (int)w->chunk;
		const float *h = w->hf + (size_t)r * d;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c, ni, d, 1.0f, h, d,
			    s->emb, d, 0.0f, w->logits, ni);
		mask_cold(s, w->logits, c, -INFINITY);
		loss += rec_nn_softmax_xent(c, ni, w->logits, target + r, scale);
		mask_cold(s, w->logits, c, 0);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, c, d, ni, 1.0f,
			    w->logits, ni, s->emb, d, 0.0f, w->t2 + (size_t)r * d, d);
		cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ni, d, c, 1.0f,
			    w->logits, ni, h, d, 1.0f, grad, d);
	}
	return loss;
}

static float sigmoid(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* gSASRec's loss: -beta log sigmoid(s+) - sum log(1 - sigmoid(s-)) at every
 * position, the negatives drawn once for the sequence. */
static double sampled_loss(const struct sasrec *s, struct work *w, const uint32_t *target,
			   int n, float scale, struct rec_rng *rng, float *grad)
{
	int d = (int)s->d, nn = (int)w->negatives;
	double alpha = s->nitems > 1 ? (double)nn / (s->nitems - 1) : 1, beta, loss = 0;

	if (alpha > 1)
		alpha = 1;
	beta = alpha * (GBCE_T * (1 - 1 / alpha) + 1 / alpha);
	for (int j = 0; j < nn; j++) {
		w->neg[j] = s->items ? s->items[rec_rng_below(rng, s->nwarm)] :
			    (uint32_t)rec_rng_below(rng, s->nitems);
		memcpy(w->negw + (size_t)j * d, s->emb + (size_t)w->neg[j] * d,
		       (size_t)d * sizeof(float));
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, nn, d, 1.0f, w->hf, d,
		    w->negw, d, 0.0f, w->negs, nn);
	for (int t = 0; t < n; t++) {
		const float *h = w->hf + (size_t)t * d, *e = s->emb + (size_t)target[t] * d;
		float pos = rec_dot(h, e, (size_t)d), gp = -(float)beta * sigmoid(-pos) * scale;
		float *de = grad + (size_t)target[t] * d, *dh = w->t2 + (size_t)t * d;
		float *row = w->negs + (size_t)t * nn;

		loss += beta * rec_nn_softplus(-pos);
		for (int c = 0; c < d; c++) {
			dh[c] = gp * e[c];
			de[c] += gp * h[c];
		}
		for (int j = 0; j < nn; j++) {
			loss += rec_nn_softplus(row[j]);
			row[j] = sigmoid(row[j]) * scale;
		}
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, nn, 1.0f, w->negs, nn,
		    w->negw, d, 1.0f, w->t2, d);
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nn, d, n, 1.0f, w->negs, nn,
		    w->hf, d, 0.0f, w->dneg, d);
	for (int j = 0; j < nn; j++)
		cblas_saxpy(d, 1.0f, w->dneg + (size_t)j * d, 1, grad + (size_t)w->neg[j] * d, 1);
	return loss;
}

/* The loss of one user's events items[0..len) (len >= 2), each predicted
 * from the ones before it within the last max_len + 1, with its gradient
 * times scale added into grad. */
static double sequence_step(const struct rec_model *m, struct work *w,
			    const uint32_t *items, uint32_t len, float scale,
			    struct rec_rng *rng, float *grad)
{
	const struct sasrec *s = m->state;
	float p = (float)m->hp[HP_DROPOUT];
	int n = (int)(len - 1 < s->len ? len - 1 : s->len);
	const uint32_t *in = items + len - 1 - n;
	double loss;

	encode(s, w, in, n, rng, p);
	if (w->negatives)
		loss = sampled_loss(s, w, in + 1, n, scale, rng, grad);
	else
		loss = full_loss(s, w, in + 1, n, scale, grad);
	backward(s, w, in, n, p > 0, grad);
	return loss;
}

double rec_sasrec_sequence_loss(const struct rec_model *m, const uint32_t *items,
				uint32_t n, uint64_t seed, float *grad)
{
	const struct sasrec *s = m->state;
	float *own = calloc(s->total, sizeof(*own));
	struct work w;
	struct rec_rng rng;
	double loss = NAN;

	compose_items(m);
	if (own && work_init(m, &w, 1) == 0) {
		rec_rng_seed(&rng, seed);
		loss = sequence_step(m, &w, items, n, 1.0f, &rng, own);
		attribute_gradient(m, own);
		for (size_t j = 0; j < s->total; j++)
			grad[j] += own[j];
		work_free(&w);
	}
	free(own);
	return loss;
}

/* --- scoring --- */

/* The last position's hidden state h[d] for the window items[0..n), n >
 * 0, encoded on w. */
static void last_hidden(const struct sasrec *s, struct work *w, const uint32_t *items,
			uint32_t n, float *h)
{
	encode(s, w, items, (int)n, NULL, 0);
	memcpy(h, w->hf + (size_t)(n - 1) * s->d, s->d * sizeof(*h));
}

static void score_hidden(const struct sasrec *s, const float *h, float *scores)
{
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)s->nitems, (int)s->d, 1.0f, s->emb,
		    (int)s->d, h, 1, 0.0f, scores, 1);
}

/* Scores from the last max_len of items[0..n); the popularity without
 * events or memory. */
static void score_items(const struct rec_model *m, const uint32_t *items, uint32_t n,
			float *scores)
{
	const struct sasrec *s = m->state;
	float h[MAX_FACTORS];
	struct work w;

	if (n > s->len) {
		items += n - s->len;
		n = s->len;
	}
	if (n == 0 || work_init(m, &w, 0) < 0) {
		memcpy(scores, m->popularity, s->nitems * sizeof(*scores));
		return;
	}
	last_hidden(s, &w, items, n, h);
	work_free(&w);
	score_hidden(s, h, scores);
}

static void sasrec_score(const struct rec_model *m, uint32_t user, float *scores)
{
	const struct sasrec *s = m->state;
	uint32_t n;
	const uint32_t *items = window(m, user, s->len, &n);

	score_items(m, items, n, scores);
}

/* The users' last hidden states into h[n x d], a thread per user with one
 * BLAS thread each; a user without events or memory gets zeros.  Returns
 * how many were encoded. */
static uint32_t hidden_states(const struct rec_model *m, const uint32_t *users,
			      uint32_t n, float *h)
{
	const struct sasrec *s = m->state;
	uint32_t done = 0;
	int blas = rec_blas_serial();

	#pragma omp parallel reduction(+:done)
	{
		struct work w;
		int ok = work_init(m, &w, 0) == 0;

		#pragma omp for schedule(dynamic, 1)
		for (uint32_t j = 0; j < n; j++) {
			uint32_t len;
			const uint32_t *items = window(m, users[j], s->len, &len);

			memset(h + (size_t)j * s->d, 0, s->d * sizeof(*h));
			if (ok && len) {
				last_hidden(s, &w, items, len, h + (size_t)j * s->d);
				done++;
			}
		}
		if (ok)
			work_free(&w);
	}
	rec_blas_restore(blas);
	return done;
}

/* One matrix product for the block's output layer. */
static void sasrec_score_block(const struct rec_model *m, const uint32_t *users,
			       uint32_t n, float *scores)
{
	const struct sasrec *s = m->state;
	size_t ni = s->nitems;
	float *h = malloc(((size_t)n * s->d + 1) * sizeof(*h));

	if (!h) {
		for (uint32_t j = 0; j < n; j++)
			sasrec_score(m, users[j], scores + j * ni);
		return;
	}
	hidden_states(m, users, n, h);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)ni, (int)s->d,
		    1.0f, h, (int)s->d, s->emb, (int)s->d, 0.0f, scores, (int)ni);
	for (uint32_t j = 0; j < n; j++) {
		uint32_t len;

		window(m, users[j], s->len, &len);
		if (!len)
			memcpy(scores + j * ni, m->popularity, ni * sizeof(*scores));
	}
	free(h);
}

/* The dot product for a known pair; an unknown user gets the item's
 * popularity, an unknown item 0. */
static float sasrec_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	const struct sasrec *s = m->state;
	uint32_t n;
	const uint32_t *items;
	float h[MAX_FACTORS], v;
	struct work w;

	if (item < 0)
		return 0;
	if (user < 0)
		return m->popularity[item];
	items = window(m, (uint32_t)user, s->len, &n);
	if (n == 0 || work_init(m, &w, 0) < 0)
		return m->popularity[item];
	last_hidden(s, &w, items, n, h);
	work_free(&w);
	v = rec_dot(h, s->emb + (size_t)item * s->d, s->d);
	return isfinite(v) ? v : 0;
}

/* --- fold-in ---
 *
 * A user's state: the positions filled (at most max_len), the slot of
 * the next event, the hidden state of the last one (d), then each block's
 * keys and values of every slot (max_len x d each), a ring: once the
 * window is full, a new event takes the oldest one's slot. */

#define STATE_COUNT 0
#define STATE_NEXT 1
#define STATE_HIDDEN 2

static size_t cache_at(const struct sasrec *s, uint32_t b)
{
	return STATE_HIDDEN + s->d + (size_t)b * 2 * s->len * s->d;
}

static uint32_t sasrec_state_size(const struct rec_model *m)
{
	const struct sasrec *s = m->state;

	return (uint32_t)cache_at(s, s->nblocks);
}

/* The state of the window items[0..n) from a full encoding on w. */
static void state_from_window(const struct sasrec *s, struct work *w,
			      const uint32_t *items, uint32_t n, float *state)
{
	size_t d = s->d;

	memset(state, 0, cache_at(s, s->nblocks) * sizeof(*state));
	if (n == 0)
		return;
	last_hidden(s, w, items, n, state + STATE_HIDDEN);
	for (uint32_t b = 0; b < s->nblocks; b++) {
		float *k = state + cache_at(s, b), *v = k + s->len * d;

		for (uint32_t t = 0; t < n; t++) {
			memcpy(k + t * d, w->blk[b].qkv + t * 3 * d + d, d * sizeof(*k));
			memcpy(v + t * d, w->blk[b].qkv + t * 3 * d + 2 * d, d * sizeof(*v));
		}
	}
	state[STATE_COUNT] = (float)n;
	state[STATE_NEXT] = (float)(n % s->len);
}

static int encode_state(const struct rec_model *m, const uint32_t *items, uint32_t n,
			float *state)
{
	const struct sasrec *s = m->state;
	struct work w;

	if (n > s->len) {
		items += n - s->len;
		n = s->len;
	}
	if (work_init(m, &w, 0) < 0)
		return REC_ENOMEM;
	state_from_window(s, &w, items, n, state);
	work_free(&w);
	return 0;
}

static void sasrec_user_state(const struct rec_model *m, uint32_t user, float *state)
{
	const struct sasrec *s = m->state;
	uint32_t n;
	const uint32_t *items = window(m, user, s->len, &n);

	if (encode_state(m, items, n, state) < 0)
		memset(state, 0, cache_at(s, s->nblocks) * sizeof(*state));
}

/* Scratch of one step: x, a, xhat, qkv (3d), att, t (d each), probs
 * (max_len), the relative positions of the slots (heads x max_len) and
 * rstd (1). */
static size_t step_floats(const struct sasrec *s)
{
	return 8 * (size_t)s->d + (1 + (size_t)s->heads) * s->len + 1;
}

/* Block b's relative positions of the n filled slots, seen from the event
 * in slot next, into bias[heads x n]. */
static void slot_bias(const struct sasrec *s, uint32_t b, uint32_t n, uint32_t next,
		      float *bias)
{
	const float *rel = rel_at(s, s->w, b);

	for (uint32_t h = 0; h < s->heads; h++)
		for (uint32_t j = 0; j < n; j++)
			bias[h * n + j] = rel[h * s->len + (next + s->len - j) % s->len];
}

/* Append item to the cached window: in the next slot, which is the oldest
 * event's once the window is full. */
static void step(const struct sasrec *s, float *state, uint32_t item, float *buf)
{
	int d = (int)s->d;
	float *x = buf, *a = x + d, *xhat = a + d, *qkv = xhat + d, *att = qkv + 3 * d;
	float *t = att + d, *probs = t + d, *bias = probs + s->len;
	float *rstd = bias + (size_t)s->heads * s->len;
	const float *e = s->emb + (size_t)item * d;
	float scale = sqrtf((float)d);
	uint32_t slot = (uint32_t)state[STATE_NEXT], n = (uint32_t)state[STATE_COUNT];

	if (n < s->len)
		n++;
	for (int c = 0; c < d; c++)
		x[c] = e[c] * scale;
	for (uint32_t b = 0; b < s->nblocks; b++) {
		struct block k = block_at(s, s->w, b);
		float *kc = state + cache_at(s, b), *vc = kc + (size_t)s->len * d;

		rec_nn_layernorm(1, d, x, k.ln1_g, k.ln1_b, xhat, rstd, a);
		rec_nn_dense(1, d, 3 * d, a, k.wqkv, k.bqkv, qkv);
		memcpy(kc + (size_t)slot * d, qkv + d, (size_t)d * sizeof(*kc));
		memcpy(vc + (size_t)slot * d, qkv + 2 * d, (size_t)d * sizeof(*vc));
		slot_bias(s, b, n, slot, bias);
		rec_nn_attention_step((int)n, d, (int)s->heads, qkv, kc, vc, d, bias, att,
				      probs);
		rec_nn_dense(1, d, d, att, k.wo, k.bo, t);
		residual(NULL, 0, (size_t)d, NULL, t, x);
		rec_nn_layernorm(1, d, x, k.ln2_g, k.ln2_b, xhat, rstd, a);
		rec_nn_dense(1, d, d, a, k.w1, k.b1, t);
		rec_nn_relu((size_t)d, t);
		rec_nn_dense(1, d, d, t, k.w2, k.b2, att);
		residual(NULL, 0, (size_t)d, NULL, att, x);
	}
	rec_nn_layernorm(1, d, x, s->w + s->final_at, s->w + s->final_at + d, xhat, rstd,
			 state + STATE_HIDDEN);
	state[STATE_COUNT] = (float)n;
	state[STATE_NEXT] = (float)((slot + 1) % s->len);
}

/* New events join the cached window one at a time, each computing only
 * its own position against the cached keys and values; a state that does
 * not match the events folded is encoded anew. */
static int sasrec_fold_in(const struct rec_model *m, struct rec_user *u)
{
	const struct sasrec *s = m->state;
	uint32_t filled = u->folded < s->len ? u->folded : s->len;
	float *buf;

	if ((uint32_t)u->state[STATE_COUNT] != filled)
		return encode_state(m, u->items, u->n, u->state);
	if (!(buf = malloc(step_floats(s) * sizeof(*buf))))
		return REC_ENOMEM;
	for (uint32_t j = u->folded; j < u->n; j++)
		step(s, u->state, u->items[j], buf);
	free(buf);
	return 0;
}

static void sasrec_score_user(const struct rec_model *m, const struct rec_user *u,
			      float *scores)
{
	const struct sasrec *s = m->state;

	if (u->state && u->state[STATE_COUNT] > 0 && u->folded == u->n)
		score_hidden(s, u->state + STATE_HIDDEN, scores);
	else
		score_items(m, u->items, u->n, scores);
}

/* --- training --- */

/* A window of training: the last at most max_len + 1 of the user's
 * events before his end-th. */
struct unit {
	uint32_t user, end;
};

struct trainer {
	struct rec_model *m;
	struct sasrec *s;
	struct unit *unit;	/* the windows, of two events or more each */
	uint32_t *order;	/* their indices, shuffled each epoch */
	uint32_t nunits;
	int threads;
	struct work *work;	/* one per thread */
	float *grad;		/* CHUNKS arrays, the parts of the batch's gradient */
	float *m1, *m2;
	struct rec_nn_adam adam;
	uint64_t seed;		/* each epoch's batches draw from seed + (epoch << 32) */
};

static void trainer_release(struct trainer *t)
{
	for (int i = 0; t->work && i < t->threads; i++)
		work_free(&t->work[i]);
	free(t->work);
	free(t->unit);
	free(t->order);
	free(t->grad);
	free(t->m1);
	free(t->m2);
}

/* The windows of the users (only the touched ones unless touched is NULL)
 * into unit, unless it is NULL; returns how many.  Each user's last window
 * ends with his newest event; with windows=all, the ones before it end
 * where the next one's first prediction starts, until the first event. */
static uint32_t list_units(const struct rec_model *m, const uint8_t *touched,
			   struct unit *unit)
{
	const struct rec_dataset *d = &m->data;
	uint32_t len = (uint32_t)m->hp[HP_MAX_LEN], n = 0;
	int all = m->hp[HP_WINDOWS] == WINDOWS_ALL;

	for (uint32_t u = 0; u < d->nusers; u++) {
		uint32_t end = (uint32_t)(d->rowptr[u + 1] - d->rowptr[u]);

		for (; end >= 2 && (!touched || touched[u]);
		     end = all && end > len ? end - len : 0) {
			if (unit)
				unit[n] = (struct unit){ u, end };
			n++;
		}
	}
	return n;
}

/* A trainer over the windows of list_units. */
static int trainer_init(struct trainer *t, struct rec_model *m, const uint8_t *touched,
			uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->m = m;
	t->s = m->state;
	t->threads = omp_get_max_threads();
	t->seed = seed;
	t->adam = REC_NN_ADAM(m->hp[HP_LR], m->hp[HP_REG]);
	t->adam.beta2 = ADAM_B2;
	t->nunits = list_units(m, touched, NULL);
	if (!(t->unit = malloc(((size_t)t->nunits + 1) * sizeof(*t->unit))) ||
	    !(t->order = malloc(((size_t)t->nunits + 1) * sizeof(*t->order))) ||
	    !(t->work = calloc((size_t)t->threads, sizeof(*t->work))) ||
	    !(t->grad = calloc(CHUNKS * t->s->total, sizeof(*t->grad))) ||
	    !(t->m1 = calloc(t->s->total, sizeof(*t->m1))) ||
	    !(t->m2 = calloc(t->s->total, sizeof(*t->m2))))
		return REC_ENOMEM;
	for (int i = 0; i < t->threads; i++)
		if (work_init(m, &t->work[i], 1) < 0)
			return REC_ENOMEM;
	list_units(m, touched, t->unit);
	for (uint32_t j = 0; j < t->nunits; j++)
		t->order[j] = j;
	return 0;
}

/* Sum the parts of the batch's gradient, in order, into the first, add
 * the attributes' part, take Adam's step, leave every part zero and
 * compose the new embeddings. */
static void apply_gradient(struct trainer *t)
{
	size_t total = t->s->total, chunk = 4096;

	t->adam.step++;
	#pragma omp parallel for schedule(static)
	for (size_t lo = 0; lo < total; lo += chunk) {
		size_t hi = lo + chunk < total ? lo + chunk : total;

		for (int i = 1; i < CHUNKS; i++) {
			float *g = t->grad + (size_t)i * total;

			#pragma omp simd
			for (size_t j = lo; j < hi; j++)
				t->grad[j] += g[j];
			memset(g + lo, 0, (hi - lo) * sizeof(*g));
		}
	}
	attribute_gradient(t->m, t->grad);
	#pragma omp parallel for schedule(static)
	for (size_t lo = 0; lo < total; lo += chunk) {
		size_t hi = lo + chunk < total ? lo + chunk : total;

		rec_nn_adam_update(&t->adam, lo, hi, t->s->w, t->grad, t->m1, t->m2);
		memset(t->grad + lo, 0, (hi - lo) * sizeof(*t->grad));
	}
	compose_items(t->m);
}

/* The events of window u: *n of them, oldest first. */
static const uint32_t *unit_items(const struct trainer *t, const struct unit *u,
				  uint32_t *n)
{
	const struct rec_dataset *d = &t->m->data;

	*n = u->end < t->s->len + 1 ? u->end : t->s->len + 1;
	return d->col + d->rowptr[u->user] + u->end - *n;
}

/* Longer windows first: dealt in turn to the chunks, they give each a like
 * share of the batch's work. */
static int by_length(const void *a, const void *b, void *ctx)
{
	const struct trainer *t = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b, lx, ly;

	unit_items(t, &t->unit[x], &lx);
	unit_items(t, &t->unit[y], &ly);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The seed of window u's draws in a batch of seed: a user's last window's
 * is his alone. */
static uint64_t unit_seed(const struct trainer *t, const struct unit *u, uint64_t seed)
{
	const struct rec_dataset *d = &t->m->data;
	uint64_t before = d->rowptr[u->user + 1] - d->rowptr[u->user] - u->end;

	return seed ^ (0x9e3779b97f4a7c15ULL * (u->user + 1)) ^
	       (0xbf58476d1ce4e5b9ULL * before);
}

/* One batch of the windows order[0..n): returns its mean loss. */
static double run_batch(struct trainer *t, uint32_t *order, uint32_t n, uint64_t seed)
{
	uint64_t positions = 0;
	double loss = 0, part[CHUNKS] = { 0 };
	float scale;

	for (uint32_t j = 0; j < n; j++) {
		uint32_t len;

		unit_items(t, &t->unit[order[j]], &len);
		positions += len - 1;
	}
	scale = 1.0f / (float)positions;
	qsort_r(order, n, sizeof(*order), by_length, t);
	#pragma omp parallel for schedule(dynamic, 1)
	for (uint32_t c = 0; c < CHUNKS; c++) {
		struct work *w = &t->work[omp_get_thread_num()];
		float *grad = t->grad + c * t->s->total;

		for (uint32_t j = c; j < n; j += CHUNKS) {
			const struct unit *u = &t->unit[order[j]];
			uint32_t len;
			const uint32_t *items = unit_items(t, u, &len);
			struct rec_rng rng;

			rec_rng_seed(&rng, unit_seed(t, u, seed));
			part[c] += sequence_step(t->m, w, items, len, scale, &rng, grad);
		}
	}
	for (uint32_t c = 0; c < CHUNKS; c++)
		loss += part[c];
	apply_gradient(t);
	return loss / (double)positions;
}

/* One pass over the windows in a random order; *mean gets the mean loss
 * of the batches. */
static int run_epoch(void *ctx, uint32_t ep, struct rec_rng *rng, double *mean,
		     struct rec_error *err)
{
	struct trainer *t = ctx;
	uint32_t batch = (uint32_t)t->m->hp[HP_BATCH], batches = 0;
	uint64_t seed = t->seed + ((uint64_t)ep << 32);
	double loss = 0;
	int blas;

	(void)err;
	rec_rng_shuffle_u32(rng, t->order, t->nunits);
	blas = rec_blas_serial();
	for (uint32_t b = 0; b < t->nunits; b += batch, batches++)
		loss += run_batch(t, t->order + b, t->nunits - b < batch ? t->nunits - b : batch,
				  seed + b);
	rec_blas_restore(blas);
	*mean = batches ? loss / batches : 0;
	return 0;
}

/* Train the touched users (all with NULL) for up to epochs epochs. */
static int train_users(struct rec_model *m, const uint8_t *touched, uint32_t epochs,
		       const struct rec_train_options *opt, struct rec_error *err)
{
	struct trainer t;
	struct rec_epochs e = { epochs, (uint32_t)m->hp[HP_PATIENCE], 0, "loss", run_epoch,
				NULL, &t };
	int rc;

	if (trainer_init(&t, m, touched, opt->seed) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	else
		rc = rec_train_epochs(m, &e, opt, err);
	trainer_release(&t);
	compose_items(m);	/* the kept epoch's */
	return rc < 0 ? rc : 0;
}

/* The ridge of the map that places items without events, as a share of
 * the items' weights in the fit: on MovieLens 100K about 100, hybrid's
 * and ials's default map_reg, and small enough for a small catalogue. */
#define MAP_RIDGE_SHARE 0.025

/* The items without events but with attributes get the embeddings that a
 * ridge map from attributes to the embeddings of the items with events
 * gives them (Gantner et al., ICDM 2010, as hybrid.c does), each item
 * weighted in the fit by the log of its popularity, the ridge a share of
 * their sum; their own rows take the difference.  On MovieLens 100K's
 * cold items this ranked them far better than their attributes'
 * embeddings alone.  REC_ENOMEM, REC_EINVAL or 0. */
static int place_cold(struct rec_model *m)
{
	struct sasrec *s = m->state;
	const struct rec_features *f = m->data.item_features;
	float *weight, *w, *v;
	double sum = 0;
	int rc = REC_ENOMEM;

	if (!s->nif)
		return 0;
	weight = calloc((size_t)s->nitems + 1, sizeof(*weight));
	w = malloc(((size_t)s->nif + 1) * s->d * sizeof(*w));
	v = malloc(s->d * sizeof(*v));
	if (weight && w && v) {
		for (uint32_t j = 0; j < s->nwarm; j++)
			sum += weight[s->items[j]] = logf(1 + m->popularity[s->items[j]]);
		/* never 0, which would leave a catalogue without events no solution */
		rc = rec_attribute_map_fit(f, s->nitems, weight, s->emb, s->d,
					   (float)(MAP_RIDGE_SHARE * sum) + 1e-6f, w);
	}
	for (uint32_t j = s->nwarm; rc == 0 && j < s->nitems; j++) {
		uint32_t i = s->items[j];

		if (rec_attribute_row_scale(f, i) == 0)
			continue;
		rec_attribute_map_apply(f, i, w, s->d, v);
		for (uint32_t c = 0; c < s->d; c++)
			s->w[(size_t)i * s->d + c] += v[c] - s->emb[(size_t)i * s->d + c];
	}
	free(weight);
	free(w);
	free(v);
	compose_items(m);
	return rc;
}

/* place_cold with its error told. */
static int placed(struct rec_model *m, struct rec_error *err)
{
	int rc = place_cold(m);

	if (rc == REC_EINVAL)
		return rec_error_set(err, rc, "sasrec: the map from attributes has no solution");
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

static int sasrec_train(struct rec_model *m, const struct rec_train_options *opt,
			struct rec_error *err)
{
	int rc;

	init_weights(m, opt->seed);
	if (settle_items(m) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	rc = train_users(m, NULL, (uint32_t)m->hp[HP_EPOCHS], opt, err);
	return rc < 0 ? rc : placed(m, err);
}

/* --- incremental training --- */

/* Room for the items from old_items on, their embeddings drawn as
 * training's are. */
static int grow_items(struct rec_model *m, uint32_t old_items, uint64_t seed)
{
	struct sasrec *s = m->state, old = *s;
	struct rec_rng rng;
	float *w, *emb = NULL;

	lay_out(s, m->data.nitems);
	if (s->nif && (emb = realloc(s->emb, ((size_t)s->nitems * s->d + 1) * sizeof(*emb))))
		old.emb = emb;
	if ((s->nif && !emb) || !(w = malloc(s->total * sizeof(*w)))) {
		*s = old;
		return REC_ENOMEM;
	}
	memcpy(w, old.w, old.rel_at * sizeof(*w));
	memcpy(w + s->rel_at, old.w + old.rel_at, (old.total - old.rel_at) * sizeof(*w));
	free(old.w);
	s->w = w;
	s->emb = s->nif ? emb : w;
	rec_rng_seed(&rng, seed);
	draw_embeddings(m, &rng, (size_t)old_items * s->d, s->rel_at);
	return 0;
}

/* The saved weights, grown for the new items, trained opt->passes epochs
 * more on the windows of the users the new events touch: the other
 * users' windows have not changed, and what the weights learned of them
 * stays.  The items without events are then placed anew. */
static int sasrec_update(struct rec_model *m, uint32_t old_users, uint32_t old_items,
			 const uint8_t *touched, const struct rec_train_options *opt,
			 struct rec_error *err)
{
	int rc;

	(void)old_users;
	if (grow_items(m, old_items, opt->seed) < 0 || order_rows(&m->data) < 0 ||
	    settle_items(m) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	rc = opt->passes ? train_users(m, touched, opt->passes, opt, err) : 0;
	return rc < 0 ? rc : placed(m, err);
}

const struct rec_algo rec_algo_sasrec = {
	.name = "sasrec",
	.summary = "self-attentive sequential recommendation (SASRec)",
	.hparams = sasrec_hparams,
	.nhparams = NHP,
	.init = sasrec_init,
	.train = sasrec_train,
	.params = sasrec_params,
	.score = sasrec_score,
	.score_block = sasrec_score_block,
	.predict = sasrec_predict,
	.ratings = 0,
	.release = sasrec_release,
	.state_size = sasrec_state_size,
	.user_state = sasrec_user_state,
	.fold_in = sasrec_fold_in,
	.score_user = sasrec_score_user,
	.check_hparams = sasrec_check_hparams,
	.check = sasrec_check,
	.update = sasrec_update,
};
