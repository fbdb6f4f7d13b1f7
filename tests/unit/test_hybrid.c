/* test_hybrid.c - the hybrid family on a model small enough to work by
 * hand: the composed vectors and biases of users and items, with and
 * without events, their scores and predictions, and one bpr step of
 * AdaGrad on every row it touches.  What every family promises is in
 * test_contract.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "nn.h"
#include "unit.h"

#define NEAR(a, b) (fabs((double)(a) - (double)(b)) < 1e-5)

/* Attributes of n rows from (row, feature, value) triples in row order. */
static struct rec_features *features(uint32_t nrows, const char *const *names,
				     const uint32_t (*t)[2], const float *val, uint64_t nnz)
{
	struct rec_features *f = calloc(1, sizeof(*f));

	f->refs = 1;
	f->names = rec_dict_new();
	for (int k = 0; names[k]; k++)
		rec_dict_intern(f->names, names[k], strlen(names[k]), &(uint32_t){ 0 }, NULL);
	f->nrows = nrows;
	f->nnz = nnz;
	f->ptr = calloc(nrows + 1, sizeof(*f->ptr));
	f->col = malloc(nnz * sizeof(*f->col));
	f->val = malloc(nnz * sizeof(*f->val));
	for (uint64_t e = 0; e < nnz; e++) {
		f->ptr[t[e][0] + 1]++;
		f->col[e] = t[e][1];
		f->val[e] = val[e];
	}
	for (uint32_t r = 0; r < nrows; r++)
		f->ptr[r + 1] += f->ptr[r];
	return f;
}

/* Users u0 (who saw i0), u1 (i1) and u2 (no event); items i0, i1 and i2
 * (no event).  Item attributes: i0 a=1 b=1, i1 a=2, i2 b=1; user
 * attributes: u0 x=1, u2 x=1.  A model of 2 factors trained one epoch,
 * then given these rows:
 *   P u0 (1,0) u1 (0,1) u2 (0,0)    Q i0 (0,1) i1 (1,1) i2 (0,0)
 *   x (1,2)   a (1,0) b (0,2)      b i0 0.5 i1 0 i2 0, a 0.2, b 0.4 */
static struct rec_model *small_model(void)
{
	static const char *const inames[] = { "a", "b", NULL }, *const unames[] = { "x", NULL };
	static const uint32_t it[][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 2, 1 } };
	static const uint32_t ut[][2] = { { 0, 0 }, { 2, 0 } };
	static const float ival[] = { 1, 1, 2, 1 }, uval[] = { 1, 1 };
	static const float p[] = { 1, 0, 0, 1, 0, 0 }, q[] = { 0, 1, 1, 1, 0, 0 },
			   b[] = { 0.5f, 0, 0 }, pf[] = { 1, 2 }, qf[] = { 1, 0, 0, 2 },
			   bf[] = { 0.2f, 0.4f };
	const float *set[] = { p, q, b, pf, qf, bf };
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find("hybrid"));
	struct rec_param par[REC_MAX_PARAMS];
	struct rec_events ev;
	struct rec_dataset ds;
	struct rec_error err;
	uint32_t x;

	CHECK(m != NULL);
	CHECK(rec_events_init(&ev, NULL, NULL) == 0);
	rec_dict_intern(ev.users, "u0", 2, &x, NULL);
	rec_dict_intern(ev.items, "i0", 2, &x, NULL);
	rec_events_push(&ev, 0, 0, 1, 1);
	rec_dict_intern(ev.users, "u1", 2, &x, NULL);
	rec_dict_intern(ev.items, "i1", 2, &x, NULL);
	rec_events_push(&ev, 1, 1, 1, 2);
	CHECK(rec_dataset_from_events(&ds, &ev, REC_DEDUP_LAST, &err) == 0);
	rec_dict_intern(ds.users, "u2", 2, &x, NULL);
	rec_dict_intern(ds.items, "i2", 2, &x, NULL);
	CHECK(rec_dataset_set_features(&ds, 0, features(3, inames, it, ival, 4), &err) == 0);
	CHECK(rec_dataset_set_features(&ds, 1, features(3, unames, ut, uval, 2), &err) == 0);
	CHECK(rec_model_set(m, "factors", "2", &err) == 0);
	CHECK(rec_model_set(m, "epochs", "1", &err) == 0);
	CHECK(rec_model_set(m, "reg", "0", &err) == 0);
	CHECK(rec_model_set(m, "reg_bias", "0", &err) == 0);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	CHECK(m->algo->params(m, par) == 6);
	/* Training leaves the own row of u2, who has no event, at 0, and
	 * gives i2, who has none either, the row that the attribute map
	 * composes from the warm items. */
	CHECK(par[0].f32[4] == 0 && par[0].f32[5] == 0);
	CHECK(par[1].f32[4] != 0 || par[1].f32[5] != 0);
	for (int a = 0; a < 6; a++)
		memcpy(par[a].f32, set[a], par[a].n * sizeof(float));
	return m;
}

/* Composed: u0 (1,0)+(1,2) = (2,2); u1 (0,1).  i0 (0,1) + a/2 + b/2 =
 * (0.5,2), bias 0.5 + 0.2/2 + 0.4/2 = 0.8; i1 (1,1) + a (2/2) = (2,1),
 * bias 0.2; i2 b = (0,2), bias 0.4.  (u2, known by attributes alone, is
 * scored from the users' events instead.) */
static void test_scores(void)
{
	struct rec_model *m = small_model();
	static const float want[2][3] = {
		{ 0.8f + 1 + 4, 0.2f + 4 + 2, 0.4f + 4 },
		{ 0.8f + 2, 0.2f + 1, 0.4f + 2 },
	};
	float s[3];

	for (int u = 0; u < 2; u++) {
		rec_model_score(m, u, s);
		for (int i = 0; i < 3; i++) {
			CHECK(NEAR(s[i], want[u][i]));
			CHECK(NEAR(rec_model_predict(m, u, i), want[u][i]));
		}
	}
	/* An unknown user: the popularity, and the composed bias. */
	rec_model_score(m, -1, s);
	CHECK(s[0] == 1 && s[1] == 1 && s[2] == 0);
	CHECK(NEAR(rec_model_predict(m, -1, 0), 0.8f));
	CHECK(rec_model_predict(m, 0, -1) == 0);
	rec_model_free(m);
}

/* One bpr step on (u0, i0) against i1, lr 0.1, no L2: x = 5.8 - 6.2 =
 * -0.4, slope d = -1 / (1 + e^-0.4) = -0.5986877.  The gradient of pu is
 * d (qi - qj) = d (-1.5, 1), of qi d pu = d (2,2), of qj -d (2,2).
 * AdaGrad's first step on a row of gradient g moves it by -lr g /
 * sqrt(mean g^2): u0's own row and x (weight 1) by -0.117670 and
 * +0.078446; i0's rows by +0.1 each (a and b have weight 1/2, which the
 * step does not see), i1's by -0.1.  Attribute a is stepped twice: the
 * second time its sum holds d^2 + 4 d^2, so it moves by 2 |d| lr /
 * sqrt(5 d^2) = 0.2 / sqrt 5 down; its bias, 1.25 d^2 then, by 0.1 /
 * sqrt 1.25. */
static void test_step(void)
{
	struct rec_model *m = small_model();
	struct rec_param p[REC_MAX_PARAMS];
	float down = 0.2f / sqrtf(5), bias_down = 0.1f / sqrtf(1.25f);

	CHECK(rec_hybrid_step(m, 0, 0, 1, 1) == 0);
	m->algo->params(m, p);
	CHECK(NEAR(p[0].f32[0], 0.8823303) && NEAR(p[0].f32[1], 0.0784465));
	CHECK(p[0].f32[2] == 0 && p[0].f32[3] == 1);
	CHECK(NEAR(p[3].f32[0], 0.8823303) && NEAR(p[3].f32[1], 2.0784465));
	CHECK(NEAR(p[1].f32[0], 0.1) && NEAR(p[1].f32[1], 1.1));
	CHECK(NEAR(p[1].f32[2], 0.9) && NEAR(p[1].f32[3], 0.9));
	CHECK(NEAR(p[2].f32[0], 0.6) && NEAR(p[2].f32[1], -0.1) && p[2].f32[2] == 0);
	CHECK(NEAR(p[4].f32[0], 1.1 - down) && NEAR(p[4].f32[1], 0.1 - down));
	CHECK(NEAR(p[4].f32[2], 0.1) && NEAR(p[4].f32[3], 2.1));
	CHECK(NEAR(p[5].f32[0], 0.3 - bias_down) && NEAR(p[5].f32[1], 0.5));
	rec_model_free(m);
}

int main(void)
{
	test_scores();
	test_step();
	return UNIT_STATUS();
}
