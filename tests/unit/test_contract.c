/* test_contract.c - what every model family in rec_algos promises, on one
 * thread: a saved model loads with the same learned arrays and scores and
 * predicts as the one saved; the same seed trains the same model file,
 * byte for byte; a block of users scores as the users one by one, and
 * predictions order items as the scores do; a streamed user's state survives the merge, a save and a load; and an
 * update without events changes nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

#define NUSERS 40
#define NITEMS 30

/* A model of algo trained with seed on 600 random events of NUSERS users
 * and NITEMS items, with three epochs where it has them. */
static struct rec_model *trained(const struct rec_algo *algo, uint64_t seed)
{
	struct rec_train_options opt = { .seed = seed };
	struct rec_model *m = rec_model_new(algo);
	struct rec_dataset ds;
	struct rec_error err;

	if (!isnan(rec_model_get(m, "epochs")))
		CHECK(rec_model_set(m, "epochs", "3", &err) == 0);
	make_random(&ds, NUSERS, NITEMS, 600, 9);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	return m;
}

/* The learned arrays of two models, byte for byte. */
static int same_params(struct rec_model *a, struct rec_model *b)
{
	struct rec_param pa[REC_MAX_PARAMS], pb[REC_MAX_PARAMS];
	unsigned n = a->algo->params ? a->algo->params(a, pa) : 0;

	if (n != (b->algo->params ? b->algo->params(b, pb) : 0))
		return 0;
	for (unsigned i = 0; i < n; i++) {
		const void *x = pa[i].f32 ? (const void *)pa[i].f32 : (const void *)pa[i].u32;
		const void *y = pb[i].f32 ? (const void *)pb[i].f32 : (const void *)pb[i].u32;

		if (pa[i].n != pb[i].n || memcmp(x, y, pa[i].n * 4) != 0)
			return 0;
	}
	return 1;
}

/* m saved to path and loaded back (NULL if that failed). */
static struct rec_model *reloaded(struct rec_model *m, const char *path)
{
	struct rec_model *back = NULL;
	struct rec_error err;

	CHECK(rec_model_save(m, path, &err) == 0);
	CHECK(rec_model_load(&back, path, &err) == 0);
	return back;
}

static void check_round_trip(struct rec_model *m, const char *path)
{
	struct rec_model *back = reloaded(m, path);
	float a[NITEMS], b[NITEMS];

	if (!back)
		return;
	CHECK_STR(back->algo->name, m->algo->name);
	CHECK(same_params(m, back));
	for (int64_t u = -1; u < m->data.nusers; u++) {
		rec_model_score(m, u, a);
		rec_model_score(back, u, b);
		CHECK(memcmp(a, b, sizeof(a)) == 0);
	}
	for (int64_t u = -1; u < 5; u++)
		for (int64_t i = -1; i < 5; i++)
			CHECK(rec_model_predict(m, u, i) == rec_model_predict(back, u, i));
	rec_model_free(back);
}

/* The bytes of the file at path in *n, or NULL. */
static char *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
	    fread(buf, 1, (size_t)len, fp) == (size_t)len)
		*n = (size_t)len;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* Trained again with the same seed, the model file has the same bytes. */
static void check_determinism(struct rec_model *m, const char *path)
{
	struct rec_model *again = trained(m->algo, 7);
	struct rec_error err;
	size_t na = 0, nb = 0;
	char *a, *b;

	CHECK(same_params(m, again));
	CHECK(rec_model_save(m, path, &err) == 0);
	a = slurp(path, &na);
	CHECK(rec_model_save(again, path, &err) == 0);
	b = slurp(path, &nb);
	CHECK(a && b && na == nb && na > 0 && memcmp(a, b, na) == 0);
	free(a);
	free(b);
	rec_model_free(again);
}

/* Every user and an unknown one, in reverse order, scored as a block and
 * one by one: the same within rounding, since the two may go through
 * different BLAS kernels. */
static void check_block(const struct rec_model *m)
{
	int64_t users[NUSERS + 1];
	float *block = malloc(sizeof(float) * (NUSERS + 1) * NITEMS), one[NITEMS];
	int far = 0;

	CHECK_INT(m->data.nusers, NUSERS);
	CHECK_INT(m->data.nitems, NITEMS);
	for (int j = 0; j < NUSERS; j++)
		users[j] = NUSERS - 1 - j;
	users[NUSERS] = -1;
	rec_model_score_block(m, users, NUSERS + 1, block);
	for (int j = 0; j <= NUSERS; j++) {
		rec_model_score(m, users[j], one);
		for (int i = 0; i < NITEMS; i++) {
			float x = one[i], y = block[j * NITEMS + i];

			far += x != y && !(fabsf(x - y) <= 1e-5f * (1 + fabsf(x)));
		}
	}
	if (far)
		fprintf(stderr, "%s: %d block scores differ\n", m->algo->name, far);
	CHECK_INT(far, 0);
	free(block);
}

/* A trained user's predictions never order two items against his scores
 * (beyond rounding): they are the scores, or for ratings the scores
 * shifted by the user's terms and clipped to the ratings' range. */
static void check_predict(const struct rec_model *m)
{
	float score[NITEMS], pred[NITEMS];
	int against = 0;

	for (int64_t u = 0; u < NUSERS; u++) {
		rec_model_score(m, u, score);
		for (int i = 0; i < NITEMS; i++)
			pred[i] = rec_model_predict(m, u, i);
		for (int i = 0; i < NITEMS; i++)
			for (int j = 0; j < NITEMS; j++)
				against += score[i] > score[j] + 1e-4f * (1 + fabsf(score[j])) &&
					   pred[i] < pred[j] - 1e-4f * (1 + fabsf(pred[j]));
	}
	if (against)
		fprintf(stderr, "%s: %d pairs predicted against the scores\n", m->algo->name,
			against);
	CHECK_INT(against, 0);
}

/* A new user streams five events, which the stream merges into the model;
 * saved and loaded, the model starts him with the state he streamed to
 * (where the family keeps a state it can take back) and scores him as
 * the stream did. */
static void check_stream_saved(struct rec_model *m, const char *path)
{
	uint32_t size = rec_user_state_size(m);
	float *state = calloc(size + 1, sizeof(*state)), want[NITEMS], got[NITEMS];
	struct rec_model *back;
	struct rec_stream s;
	struct rec_user *u, again;
	struct rec_error err;
	int64_t user;

	CHECK(rec_stream_init(&s, m) == 0);
	CHECK(rec_stream_user(&s, "streamed", 8, &u, &err) == 0);
	for (uint32_t j = 0; j < 5; j++)
		CHECK(rec_stream_learn(&s, u, 7 * j % NITEMS, 4, 1000 + j, &err) == 0);
	if (size)
		memcpy(state, u->state, size * sizeof(*state));
	rec_user_score(m, u, 1, want);
	CHECK(rec_stream_merge(&s, &err) == 0);
	rec_stream_release(&s);
	back = reloaded(m, path);
	user = back ? rec_dict_find(back->data.users, "streamed", 8) : -1;
	CHECK(user >= 0);
	if (user >= 0) {
		CHECK(rec_user_start(back, (uint32_t)user, &again) == 0);
		CHECK_INT(again.n, 5);
		if (back->algo->user_rows || back->algo->set_user_state)
			CHECK(memcmp(again.state, state, size * sizeof(*state)) == 0);
		rec_user_release(&again);
		rec_model_score(back, user, got);
		for (int i = 0; i < NITEMS; i++)
			CHECK(fabsf(got[i] - want[i]) <= 1e-4f * (1 + fabsf(want[i])));
	}
	rec_model_free(back);
	free(state);
}

/* rec-train --init with no new events: every learned array keeps its
 * bytes, whatever the passes. */
static void check_empty_update(struct rec_model *m)
{
	struct rec_model *before = trained(m->algo, 7);
	struct rec_train_options opt = { .seed = 7, .passes = 3 };
	struct rec_events ev;
	struct rec_error err;

	CHECK(rec_events_init(&ev, m->data.users, m->data.items) == 0);
	CHECK(rec_model_update(before, &ev, &opt, &err) == 0);
	CHECK_INT(before->data.nusers, NUSERS);
	CHECK(same_params(m, before));
	rec_model_free(before);
}

int main(void)
{
	char path[] = "/tmp/rec-unit-contractXXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	rec_threads(1);
	for (int a = 0; rec_algos[a]; a++) {
		struct rec_model *m = trained(rec_algos[a], 7);
		int before = unit_failures;

		check_round_trip(m, path);
		check_determinism(m, path);
		check_block(m);
		check_predict(m);
		check_empty_update(m);
		check_stream_saved(m, path);
		if (unit_failures != before)
			fprintf(stderr, "the %s family breaks the contract\n", m->algo->name);
		rec_model_free(m);
	}
	unlink(path);
	return UNIT_STATUS();
}
