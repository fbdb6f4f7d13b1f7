/* recm.c - fuzz target: the model reader of every family, and a loaded
 * model's scoring, ranking, prediction and fold-in; then the reader that
 * loads only to rank, and ranking.
 *
 * The input is a .recm file as rec_model_save makes it, uncompressed and
 * without its trailing CRC-32, which the target appends.  The seeds hold
 * a small model of each family, so one target covers them all. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rec.h"

#define RANK_K 3

static void ranked(void *ctx, size_t first, uint32_t n, const uint32_t *idx,
		   const float *val, const uint32_t *found)
{
	(void)ctx;
	(void)first;
	(void)n;
	(void)idx;
	(void)val;
	(void)found;
}

/* The first, middle and last trained users and an unknown one. */
static void score_and_rank(const struct rec_model *m, float *scores)
{
	uint32_t nu = m->data.nusers;
	int64_t users[] = { -1, 0, nu / 2, (int64_t)nu - 1 };
	size_t count = nu ? 4 : 1;
	struct rec_rank_options opt = { .k = RANK_K, .ranked = ranked };
	struct rec_error err;

	for (size_t j = 0; j < count; j++)
		rec_model_score(m, users[j], scores);
	rec_model_rank(m, users, count, &opt, &err);
	rec_model_predict(m, 0, 0);
	rec_model_predict(m, -1, (int64_t)m->data.nitems - 1);
	rec_model_predict(m, (int64_t)nu - 1, -1);
}

/* Fold two events at the model's present into a trained user and a new
 * one, score them, and make the stream part of the model. */
static void stream(struct rec_model *m, float *scores)
{
	static const char *const fresh = "fuzz-new-user";
	uint32_t ni = m->data.nitems;
	struct rec_stream s;
	struct rec_user *u;
	struct rec_error err;
	const char *id;
	size_t len;

	if (!ni || rec_stream_init(&s, m) < 0)
		return;
	for (int who = 0; who < 2; who++) {
		if (who == 0 && m->data.nusers)
			id = rec_dict_name(m->data.users, 0, &len);
		else
			id = fresh, len = strlen(fresh);
		if (rec_stream_user(&s, id, len, &u, &err) < 0 ||
		    rec_stream_learn(&s, u, ni - 1, 4, m->now, &err) < 0 ||
		    rec_stream_learn(&s, u, 0, 1, m->now, &err) < 0)
			break;
		rec_user_score(m, u, 0, scores);
	}
	rec_stream_merge(&s, &err);
	rec_stream_release(&s);
}

/* One thread: the fuzzer runs one input at a time. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	omp_set_num_threads(1);
	openblas_set_num_threads(1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_file f;
	struct rec_model *m;
	struct rec_error err;
	float *scores;

	if (fuzz_file_framed(&f, data, size) < 0)
		return 0;
	if (rec_model_load(&m, f.path, &err) == 0) {
		if ((scores = malloc(((size_t)m->data.nitems + 1) * sizeof(*scores)))) {
			score_and_rank(m, scores);
			stream(m, scores);
			free(scores);
		}
		rec_model_free(m);
	}
	/* Loaded only to rank, a model keeps no training values or times. */
	if (rec_model_load_ranking(&m, f.path, &err) == 0) {
		if ((scores = malloc(((size_t)m->data.nitems + 1) * sizeof(*scores))))
			score_and_rank(m, scores);
		free(scores);
		rec_model_free(m);
	}
	fuzz_file_close(&f);
	return 0;
}
