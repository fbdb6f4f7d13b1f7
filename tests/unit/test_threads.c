/* test_threads.c - one user's work runs on one thread: rec_threads_one
 * leaves OpenMP and OpenBLAS one thread each and rec_threads_back hands
 * the counts back, and a stream's fold-in and scoring run inside such a
 * pair, whatever -j set. */
#include <cblas.h>
#include <omp.h>
#include <stdlib.h>

#include "internal.h"
#include "data.h"
#include "unit.h"

/* The thread counts that the family's fold-in and scoring last saw. */
static int fold_omp, fold_blas, score_omp, score_blas;
static const struct rec_algo *real;

static int spy_fold_in(const struct rec_model *m, struct rec_user *u)
{
	fold_omp = omp_get_max_threads();
	fold_blas = openblas_get_num_threads();
	return real->fold_in(m, u);
}

static void spy_score_user(const struct rec_model *m, const struct rec_user *u,
			   float *scores)
{
	score_omp = omp_get_max_threads();
	score_blas = openblas_get_num_threads();
	real->score_user(m, u, scores);
}

static void test_counts(void)
{
	struct rec_thread_counts saved;

	rec_threads(3);
	rec_threads_one(&saved);
	CHECK_INT(omp_get_max_threads(), 1);
	CHECK_INT(openblas_get_num_threads(), 1);
	rec_threads_back(&saved);
	CHECK_INT(omp_get_max_threads(), 3);
	CHECK_INT(openblas_get_num_threads(), 3);
}

/* An ials model trained on two threads, its family spied on, learns and
 * scores a streamed user's event on one thread, and leaves two after. */
static void test_stream(void)
{
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find("ials"));
	struct rec_algo spy;
	struct rec_dataset ds;
	struct rec_stream s;
	struct rec_user *u;
	struct rec_error err;
	float *scores;

	rec_threads(2);
	make_random(&ds, 30, 20, 300, 3);
	CHECK(rec_model_train(m, &ds, &opt, &err) == 0);
	real = m->algo;
	spy = *real;
	spy.fold_in = spy_fold_in;
	spy.score_user = spy_score_user;
	m->algo = &spy;
	scores = malloc(m->data.nitems * sizeof(*scores));
	CHECK(scores != NULL);
	CHECK(rec_stream_init(&s, m) == 0);
	CHECK(rec_stream_user(&s, "newcomer", 8, &u, &err) == 0);
	CHECK(rec_stream_learn(&s, u, 4, 1, 100, &err) == 0);
	if (scores)
		rec_user_score(m, u, 0, scores);
	CHECK_INT(fold_omp, 1);
	CHECK_INT(fold_blas, 1);
	CHECK_INT(score_omp, 1);
	CHECK_INT(score_blas, 1);
	CHECK_INT(omp_get_max_threads(), 2);
	CHECK_INT(openblas_get_num_threads(), 2);
	rec_stream_release(&s);
	m->algo = real;
	rec_model_free(m);
	free(scores);
}

int main(void)
{
	test_counts();
	test_stream();
	return UNIT_STATUS();
}
