/* test_sasrec.c - the hand-written backward passes of the neural layers
 * and of the whole sasrec network against central finite differences, and
 * sasrec's fold-in by cached keys and values against a full encoding.
 *
 * The layers compute in float, so the differences are taken in float too:
 * a central difference with a step of STEP = 2e-3 on each input and
 * parameter, the loss summed in double, and each array's gradient
 * compared as a whole by the relative error |analytic - numeric| /
 * (|analytic| + |numeric|) in the Euclidean norm, which must stay below
 * TOL = 1e-3; the layers show 1e-6 to 1e-4, the network a few 1e-4.  A
 * smaller step drowns in the rounding of float losses.  The network is
 * checked at its initial weights with its dropout masks fixed by a seed;
 * there a step moves some ReLU's input across zero now and then (a few
 * percent of the weights, mostly embeddings, which reach every unit of
 * their position), and rel_error then takes the slope on the side without
 * the turn.  With item attributes, the gradient of the attributes'
 * embeddings is checked the same way, an item without events among them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn.h"
#include "unit.h"

#define STEP 2e-3f
#define TOL 1e-3
#define KINK 1e-2
#define NOISE 2e-3

static struct rec_rng rng;

static void fill(float *x, size_t n, float scale)
{
	for (size_t j = 0; j < n; j++)
		x[j] = scale * (float)rec_rng_normal(&rng);
}

/* A layer under test: loss() runs forward and returns sum(r * y) for
 * fixed random r; grad() runs backward with dy = r into the gradients. */
struct layer {
	double (*loss)(struct layer *l);
	void (*grad)(struct layer *l);
	int n, in, out, h;
	float *x, *w, *b, *y, *r, *aux, *aux2, *drop, *scratch;
	float *dx, *dw, *db;
	uint32_t *target;
};

static double sum_r(const float *y, const float *r, size_t n)
{
	double s = 0;

	for (size_t j = 0; j < n; j++)
		s += (double)y[j] * r[j];
	return s;
}

/* The relative error of ga against central differences of l's loss in
 * each element of x[0..n).  Where the two one-sided differences disagree
 * by more than KINK of their size plus NOISE (the rounding of the loss
 * over the step, ten times over), a ReLU turns within the step and the
 * central difference averages two slopes: there the one-sided difference
 * nearer to ga is taken, the slope on the side without the kink.  *kinks
 * counts those elements. */
static double rel_error(struct layer *l, float *x, const float *ga, size_t n,
			double (*loss)(void *), void *ctx, size_t *kinks)
{
	double num = 0, den = 0, mid = loss ? loss(ctx) : l->loss(l);

	*kinks = 0;
	for (size_t j = 0; j < n; j++) {
		float keep = x[j];
		double up, down, gn, right, left;

		x[j] = keep + STEP;
		up = loss ? loss(ctx) : l->loss(l);
		x[j] = keep - STEP;
		down = loss ? loss(ctx) : l->loss(l);
		x[j] = keep;
		gn = (up - down) / (2 * STEP);
		right = (up - mid) / STEP;
		left = (mid - down) / STEP;
		if (fabs(right - left) > KINK * (fabs(right) + fabs(left)) + NOISE) {
			gn = fabs(right - ga[j]) < fabs(left - ga[j]) ? right : left;
			++*kinks;
		}
		num += (ga[j] - gn) * (ga[j] - gn);
		den += (fabs(ga[j]) + fabs(gn)) * (fabs(ga[j]) + fabs(gn));
	}
	return den > 0 ? sqrt(num / den) : 0;
}

static void check_array(struct layer *l, const char *what, float *x, const float *g,
			size_t n)
{
	size_t kinks;
	double e = rel_error(l, x, g, n, NULL, NULL, &kinks);

	fprintf(stderr, "  %-28s relative error %.2e\n", what, e);
	CHECK(e < TOL);
	CHECK(kinks == 0);
}

/* --- dense --- */

static double dense_loss(struct layer *l)
{
	rec_nn_dense(l->n, l->in, l->out, l->x, l->w, l->b, l->y);
	return sum_r(l->y, l->r, (size_t)l->n * l->out);
}

static void dense_grad(struct layer *l)
{
	rec_nn_dense_back(l->n, l->in, l->out, l->x, l->w, l->r, l->dx, 0, l->dw, l->db);
}

/* --- layer normalisation: aux holds xhat, aux2 rstd --- */

static double ln_loss(struct layer *l)
{
	rec_nn_layernorm(l->n, l->in, l->x, l->w, l->b, l->aux, l->aux2, l->y);
	return sum_r(l->y, l->r, (size_t)l->n * l->in);
}

static void ln_grad(struct layer *l)
{
	ln_loss(l);
	memset(l->dx, 0, (size_t)l->n * l->in * sizeof(float));
	rec_nn_layernorm_back(l->n, l->in, l->aux, l->aux2, l->w, l->r, l->dx, l->dw, l->db);
}

/* --- attention: x is qkv, w the bias by distance (h x n), aux the
 * weights --- */

static double att_loss(struct layer *l)
{
	rec_nn_attention(l->n, l->in, l->h, l->x, l->w, l->n, l->aux, l->drop, l->y,
			 l->scratch);
	return sum_r(l->y, l->r, (size_t)l->n * l->in);
}

static void att_grad(struct layer *l)
{
	att_loss(l);
	rec_nn_attention_back(l->n, l->in, l->h, l->x, l->aux, l->drop, l->r, l->dx,
			      l->dw, l->n, l->scratch);
}

/* --- softmax cross-entropy: y is a copy of the logits x --- */

static double xent_loss(struct layer *l)
{
	memcpy(l->y, l->x, (size_t)l->n * l->in * sizeof(float));
	return rec_nn_softmax_xent(l->n, l->in, l->y, l->target, 1.0f);
}

static void xent_grad(struct layer *l)
{
	xent_loss(l);
	memcpy(l->dx, l->y, (size_t)l->n * l->in * sizeof(float));
}

/* --- ReLU after a fixed shift, away from the kink --- */

static double relu_loss(struct layer *l)
{
	size_t n = (size_t)l->n * l->in;

	memcpy(l->y, l->x, n * sizeof(float));
	rec_nn_relu(n, l->y);
	return sum_r(l->y, l->r, n);
}

static void relu_grad(struct layer *l)
{
	size_t n = (size_t)l->n * l->in;

	relu_loss(l);
	memcpy(l->dx, l->r, n * sizeof(float));
	rec_nn_relu_back(n, l->y, l->dx);
}

static float *zeros(size_t n)
{
	float *p = calloc(n + 1, sizeof(float));

	CHECK(p != NULL);
	return p;
}

static void test_layers(void)
{
	struct layer l = { 0 };
	int n = 5, in = 6, out = 4, h = 2;
	size_t big = 3 * (size_t)n * in + (size_t)h * n * n + 64;

	l.x = zeros(big); l.w = zeros(big); l.b = zeros(big); l.y = zeros(big);
	l.r = zeros(big); l.aux = zeros(big); l.aux2 = zeros(big); l.drop = zeros(big);
	l.scratch = zeros(big); l.dx = zeros(big); l.dw = zeros(big); l.db = zeros(big);
	l.target = calloc((size_t)n, sizeof(*l.target));
	CHECK(l.target != NULL);

	fprintf(stderr, "dense %dx%d -> %d\n", n, in, out);
	l.n = n; l.in = in; l.out = out;
	fill(l.x, (size_t)n * in, 1); fill(l.w, (size_t)in * out, 0.5f);
	fill(l.b, (size_t)out, 0.5f); fill(l.r, (size_t)n * out, 1);
	dense_grad(&l);
	l.loss = dense_loss;
	check_array(&l, "input", l.x, l.dx, (size_t)n * in);
	check_array(&l, "weights", l.w, l.dw, (size_t)in * out);
	check_array(&l, "bias", l.b, l.db, (size_t)out);

	fprintf(stderr, "layer normalisation %dx%d\n", n, in);
	memset(l.dw, 0, big * sizeof(float)); memset(l.db, 0, big * sizeof(float));
	fill(l.x, (size_t)n * in, 2); fill(l.w, (size_t)in, 1); fill(l.b, (size_t)in, 1);
	fill(l.r, (size_t)n * in, 1);
	ln_grad(&l);
	l.loss = ln_loss;
	check_array(&l, "input", l.x, l.dx, (size_t)n * in);
	check_array(&l, "gain", l.w, l.dw, (size_t)in);
	check_array(&l, "bias", l.b, l.db, (size_t)in);

	fprintf(stderr, "causal attention, %d positions, %d heads, dropout\n", n, h);
	l.h = h;
	memset(l.dw, 0, big * sizeof(float));
	fill(l.x, 3 * (size_t)n * in, 1); fill(l.r, (size_t)n * in, 1);
	fill(l.w, (size_t)h * n, 1);
	rec_nn_dropout_mask(&rng, (size_t)h * n * n, 0.3f, l.drop);
	att_grad(&l);
	l.loss = att_loss;
	check_array(&l, "queries, keys and values", l.x, l.dx, 3 * (size_t)n * in);
	check_array(&l, "bias by distance", l.w, l.dw, (size_t)h * n);

	fprintf(stderr, "softmax cross-entropy %dx%d\n", n, in);
	fill(l.x, (size_t)n * in, 2);
	for (int j = 0; j < n; j++)
		l.target[j] = (uint32_t)(j * 7 % in);
	xent_grad(&l);
	l.loss = xent_loss;
	check_array(&l, "logits", l.x, l.dx, (size_t)n * in);

	fprintf(stderr, "relu\n");
	fill(l.x, (size_t)n * in, 1);
	for (int j = 0; j < n * in; j++)
		l.x[j] += l.x[j] > 0 ? 0.1f : -0.1f;
	fill(l.r, (size_t)n * in, 1);
	relu_grad(&l);
	l.loss = relu_loss;
	check_array(&l, "input", l.x, l.dx, (size_t)n * in);

	free(l.x); free(l.w); free(l.b); free(l.y); free(l.r); free(l.aux); free(l.aux2);
	free(l.drop); free(l.scratch); free(l.dx); free(l.dw); free(l.db); free(l.target);
}

/* --- the whole network --- */

/* Users u0..u(nusers-1), each with len events over nitems items, times
 * in order. */
static void make_data(struct rec_dataset *ds, int nusers, int len, int nitems)
{
	struct rec_events ev;
	struct rec_error err;
	char id[16];

	CHECK(rec_events_init(&ev, NULL, NULL) == 0);
	for (int i = 0; i < nitems; i++) {
		uint32_t idx;

		snprintf(id, sizeof(id), "i%d", i);
		rec_dict_intern(ev.items, id, strlen(id), &idx, NULL);
	}
	for (int u = 0; u < nusers; u++) {
		uint32_t uidx;

		snprintf(id, sizeof(id), "u%d", u);
		rec_dict_intern(ev.users, id, strlen(id), &uidx, NULL);
		for (int t = 0; t < len; t++)
			rec_events_push(&ev, uidx, (uint32_t)((u * 3 + t * (u % 4 + 1)) % nitems),
					1, t);
	}
	CHECK(rec_dataset_from_events(ds, &ev, REC_DEDUP_LAST, &err) == 0);
}

/* Item attributes for the items of make_data: i<n> is in group n % 3,
 * and every other item has a weight; i99 has them and no events. */
static void add_attributes(struct rec_dataset *ds)
{
	char csv[] = "/tmp/rec-unit-sasrecXXXXXX";
	struct rec_csv_options opt = { 0 };
	struct rec_features_options fo = { 0 };
	struct rec_features *f;
	struct rec_error err;
	int fd = mkstemp(csv);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;

	CHECK(fp != NULL);
	fputs("item,feature,value\n", fp);
	for (uint32_t i = 0; i < ds->nitems; i++)
		fprintf(fp, "i%u,group%u,1\ni%u,weight,%s\n", i, i % 3, i, i % 2 ? "2.5" : "0");
	fputs("i99,group1,1\ni99,weight,-1\n", fp);
	fclose(fp);
	CHECK(rec_features_read(&f, csv, "item", ds->items, &fo, &opt, NULL, &err) == 0);
	CHECK(rec_dataset_set_features(ds, 0, f, &err) == 0);
	unlink(csv);
}

static struct rec_model *tiny_model(const char *loss, const char *max_len, const char *lr,
				    const char *blocks, int attributes)
{
	struct rec_model *m = rec_model_new(rec_algo_find("sasrec"));
	struct rec_train_options opt = { .seed = 7 };
	struct rec_dataset ds;
	struct rec_error err;

	CHECK(m != NULL);
	CHECK(rec_model_set(m, "factors", "8", &err) == 0);
	CHECK(rec_model_set(m, "heads", "2", &err) == 0);
	CHECK(rec_model_set(m, "blocks", blocks, &err) == 0);
	CHECK(rec_model_set(m, "max_len", max_len, &err) == 0);
	CHECK(rec_model_set(m, "dropout", "0.3", &err) == 0);
	CHECK(rec_model_set(m, "epochs", "3", &err) == 0);
	CHECK(rec_model_set(m, "batch", "2", &err) == 0);
	CHECK(rec_model_set(m, "lr", lr, &err) == 0);
	CHECK(rec_model_set(m, "loss", loss, &err) == 0);
	CHECK(rec_model_set(m, "negatives", "4", &err) == 0);
	make_data(&ds, 6, 7, 9);
	if (attributes)
		add_attributes(&ds);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

struct net {
	struct rec_model *m;
	const uint32_t *items;
	uint32_t n;
	float *grad;
};

static double net_loss(void *ctx)
{
	struct net *c = ctx;

	return rec_sasrec_sequence_loss(c->m, c->items, c->n, 99, c->grad);
}

/* The gradient of one sequence's loss, dropout included (its masks drawn
 * from a fixed seed), with respect to every weight. */
static void test_network(const char *loss, int attributes)
{
	struct rec_model *m = tiny_model(loss, "5", "1e-9", "2", attributes);
	static const uint32_t items[] = { 3, 1, 4, 1, 5, 2, 6, 8 };
	struct net c = { m, items, 8, NULL };
	size_t n;
	float *w = rec_sasrec_weights(m, &n), *g = zeros(n), *dummy = zeros(n);
	size_t kinks;
	double e;

	c.grad = dummy;
	rec_sasrec_sequence_loss(m, items, 8, 99, g);
	e = rel_error(NULL, w, g, n, net_loss, &c, &kinks);
	fprintf(stderr, "whole network, loss=%s%s, %zu weights: relative error %.2e, "
		"%zu with a kink\n", loss, attributes ? ", attributes" : "", n, e, kinks);
	CHECK(e < TOL);
	CHECK(kinks <= n / 20);
	free(g);
	free(dummy);
	rec_model_free(m);
}

/* --- fold-in --- */

static double max_rel_diff(const float *a, const float *b, uint32_t n)
{
	double worst = 0, scale = 0;

	for (uint32_t i = 0; i < n; i++)
		scale = fmax(scale, fabs(b[i]));
	for (uint32_t i = 0; i < n; i++)
		worst = fmax(worst, fabs(a[i] - b[i]) / (scale > 0 ? scale : 1));
	return worst;
}

/* A trained user's events folded in one at a time through the cache, the
 * window filling and then sliding, scored against a full encoding of the
 * window (a user whose new events are not folded).  With one block the
 * two agree throughout, for the cached keys and values depend only on the
 * items; with more, an event's keys and values in the later blocks keep
 * what it saw of the events before the window, and the two agree only
 * until the window slides. */
static void test_fold_in(const char *blocks)
{
	struct rec_model *m = tiny_model("full", "10", "0.01", blocks, 0);
	int exact = strcmp(blocks, "1") == 0;
	uint32_t ni = m->data.nitems;
	float *cached = zeros(ni), *full = zeros(ni);
	struct rec_user a, b;

	CHECK(rec_user_start(m, 0, &a) == 0);
	CHECK(rec_user_start(m, 0, &b) == 0);
	rec_user_score(m, &a, 1, cached);
	rec_model_score(m, 0, full);
	CHECK(max_rel_diff(cached, full, ni) < 1e-5);
	for (uint32_t t = 0; t < 6; t++) {
		uint32_t item = (t * 5 + 2) % ni;

		CHECK(rec_user_push(&a, item, 1, 100 + t) == 0);
		CHECK(rec_user_fold(m, &a) == 0);
		CHECK(rec_user_push(&b, item, 1, 100 + t) == 0);
		rec_user_score(m, &a, 1, cached);
		rec_user_score(m, &b, 1, full);
		fprintf(stderr, "fold-in of event %u (history %u): largest difference %.2e\n",
			t + 1, a.n, max_rel_diff(cached, full, ni));
		CHECK(max_rel_diff(cached, full, ni) < 1e-4 || (!exact && a.n > 10));
	}
	rec_user_release(&a);
	rec_user_release(&b);
	free(cached);
	free(full);
	rec_model_free(m);
}

int main(void)
{
	rec_rng_seed(&rng, 1);
	test_layers();
	test_network("full", 0);
	test_network("sampled", 0);
	test_network("full", 1);
	test_network("sampled", 1);
	test_fold_in("1");
	test_fold_in("2");
	return UNIT_STATUS();
}
