/* internal.h - what the library's files share and nothing outside uses. */
#ifndef REC_INTERNAL_H
#define REC_INTERNAL_H

#include "rec.h"

#define REC_DATASET_SECTIONS 9

/* The dataset's sections, for the dataset file and the model file alike:
 * fill sec[REC_DATASET_SECTIONS] with tags, flags and lengths; returns
 * how many it filled. */
unsigned rec_dataset_sections(const struct rec_dataset *ds, struct rec_section *sec);
int rec_dataset_write_sections(struct rec_writer *w, const struct rec_dataset *ds);
/* Read s if it is one of the dataset's sections: 1 if it was, 0 if not,
 * < 0 on error.  *seen collects which were read; with REC_DATASET_UNREAD
 * set in it, the values and times are checked and left out (NULL); with
 * REC_DATASET_NO_ENTRIES, every entry's section is left out, unchecked,
 * its bytes passing the checksum alone. */
#define REC_DATASET_UNREAD (1u << 31)
#define REC_DATASET_NO_ENTRIES (1u << 30)
int rec_dataset_read_section(struct rec_reader *r, const struct rec_section *s,
			     struct rec_dataset *ds, unsigned *seen);
/* After the last section: are all there, do they fit together, and do
 * they keep what the writers guarantee (rec-formats(5))?  REC_EFORMAT
 * with a message naming the section, REC_ENOMEM, or 0. */
int rec_dataset_check(const struct rec_dataset *ds, unsigned seen, struct rec_error *err);

/* The optional attribute sections of a dataset (features.c), which the
 * dataset's own functions hand on: fill sec with those ds has and return
 * how many; write them; read s if it is one (1 if it was, 0 if not, < 0 on
 * error, recorded in r); check them against ds once all are read
 * (REC_EFORMAT with a message naming the section, or 0); and print their
 * counts for --stats. */
unsigned rec_features_sections(const struct rec_dataset *ds, struct rec_section *sec);
int rec_features_write_sections(struct rec_writer *w, const struct rec_dataset *ds);
int rec_features_read_section(struct rec_reader *r, const struct rec_section *s,
			      struct rec_dataset *ds);
int rec_features_check(const struct rec_dataset *ds, struct rec_error *err);
void rec_features_write_stats(const struct rec_dataset *ds, FILE *fp);

/* The weight of an event: its value (or 1 unless use_value) times its
 * time decay. */
float rec_event_weight(const struct rec_model *m, float value, int64_t time,
		       int use_value);
/* A user's training history as a rec_user that points into m->data (no
 * state; nothing to release), for families that score from history. */
void rec_user_view(const struct rec_model *m, uint32_t user, struct rec_user *u);
/* The weights of u's events for a fold-in, each the decay of an event of
 * its age measured from the history's newest event, as training measures
 * it from the model's reference time.  A stream runs past that time, and
 * weights above 1 would make the steps grow with the stream's age; only
 * their ratios matter to the user's vector.  A new array of u->n floats
 * that the caller frees, or NULL out of memory. */
float *rec_user_weights(const struct rec_model *m, const struct rec_user *u);
/* A seed from the user's history, so that the same history folds the
 * same way in families whose fold-in draws at random. */
uint64_t rec_user_seed(const struct rec_user *u);

/* Validation in training (validation.c): the mean NDCG@REC_VALID_K of the
 * validation users with training events, every item ranked by the
 * family's own scores and the user's training items excluded. */
#define REC_VALID_K 10
struct rec_validation {
	uint32_t n;		/* users */
	int64_t *user;		/* their model indices, each with training events */
	uint64_t *ptr;		/* n + 1: user j's items are item[ptr[j]..ptr[j+1]) */
	uint32_t *item;		/* ascending; UINT32_MAX for items the model lacks */
	float *scores;		/* block x nitems */
	uint32_t block;
	double *ndcg;		/* block */
};

int rec_validation_init(struct rec_validation *v, const struct rec_model *m,
			const struct rec_dataset *vd);
double rec_validation_ndcg(const struct rec_model *m, struct rec_validation *v);
void rec_validation_release(struct rec_validation *v);
/* The NDCG@REC_VALID_K of trained model m on validation set vd into
 * *metric: 0, REC_ENOMEM, or REC_EINVAL when m knows none of vd's users. */
int rec_validation_metric(const struct rec_model *m, const struct rec_dataset *vd,
			  struct rec_train_metric *metric, struct rec_error *err);

/* What a family that trains in epochs tells rec_train_epochs. */
struct rec_epochs {
	uint32_t epochs;
	uint32_t patience;	/* epochs in a row without a better metric, to stop */
	uint32_t burnin;	/* epochs before patience starts to run out */
	const char *loss;	/* the loss's name in the progress lines */
	/* Run epoch ep (from 1), drawing from rng, with its loss (NaN when
	 * not computed) in *loss: 0, or a REC_E* code with err filled. */
	int (*run)(void *ctx, uint32_t ep, struct rec_rng *rng, double *loss,
		   struct rec_error *err);
	/* Optional: the validation RMSE of the model as it stands, lower
	 * being better, in place of NDCG@REC_VALID_K. */
	double (*rmse)(void *ctx);
	void *ctx;
};

/* Train m in epochs with rng seeded from opt->seed, each reported with
 * opt->progress.  With opt->validation, stop once patience epochs in a
 * row do not better the metric, and give the model back the learned
 * arrays (its params) of the best epoch; a validation set of which the
 * model knows no user is an error.  Returns the epoch kept (0 without
 * validation), or a REC_E* code with err filled. */
int rec_train_epochs(struct rec_model *m, const struct rec_epochs *e,
		     const struct rec_train_options *opt, struct rec_error *err);

/* The dot product of two float vectors of n entries. */
static inline float rec_dot(const float *a, const float *b, size_t n)
{
	float sum = 0;

	#pragma omp simd reduction(+:sum)
	for (size_t j = 0; j < n; j++)
		sum += a[j] * b[j];
	return sum;
}

/* qsort's order of uint32_t, ascending. */
int rec_cmp_u32(const void *a, const void *b);

/* Is x among sorted[0..n), which is in ascending order?  A binary search
 * without branches on the data, which a random x would mispredict half
 * the time. */
static inline int rec_sorted_has(const uint32_t *sorted, uint32_t n, uint32_t x)
{
	if (!n)
		return 0;
	while (n > 1) {
		uint32_t half = n / 2;

		sorted = sorted[half] <= x ? sorted + half : sorted;
		n -= half;
	}
	return *sorted == x;
}

/* The Gibbs sampler's deviates (rng.c): out[0..n) standard normal by a
 * ziggurat, two from each draw of the generator; and a Gamma(shape, 1)
 * deviate, shape > 0. */
void rec_rng_normals(struct rec_rng *rng, float *out, uint32_t n);
double rec_rng_gamma(struct rec_rng *rng, double shape);

/* Intern each ID of from into to, in from's order: map[i] gets the index
 * in to of from's ID i.  0, REC_ENOMEM, or REC_EINVAL for too many IDs. */
int rec_dict_intern_all(const struct rec_dict *from, struct rec_dict *to, uint32_t *map);

/* An array of bytes that may run to gigabytes, released by free(); the
 * second is zeroed.  NULL when out of memory. */
void *rec_alloc_large(size_t bytes);
void *rec_alloc_large_zero(size_t bytes);

/* Until rec_alloc_unlimit, the arrays this thread takes with
 * rec_alloc_large add up to at most bytes: one past that gets NULL, so
 * that sizes a file claims cannot take more memory than its bytes back.
 * rec_alloc_unlimit says whether an array was refused. */
void rec_alloc_limit(size_t bytes);
int rec_alloc_unlimit(void);

/* Resize p, an array of old bytes from rec_alloc_large (or NULL), to
 * bytes, keeping what both sizes hold; NULL, with p kept, when out of
 * memory. */
void *rec_realloc_large(void *p, size_t old, size_t bytes);

/* Grow *a, an array of old + 1 floats from rec_alloc_large, to n + 1,
 * zeroing the new ones: the spare float keeps an empty array allocated.
 * REC_ENOMEM, with *a kept, or 0. */
int rec_grow_floats(float **a, size_t old, size_t n);

/* Which SIMD kernels run (cpu.c).  REC_X86_KERNELS says whether the
 * compiler builds the x86 ones at all; rec_cpu_has whether this processor
 * runs those of a level, each level including the ones below it. */
#if defined(__x86_64__) && defined(__GNUC__)
#define REC_X86_KERNELS 1
#endif
enum rec_cpu_level {
	REC_CPU_PORTABLE,
	REC_CPU_AVX2,		/* x86-64-v3 */
	REC_CPU_AVX512,		/* x86-64-v3 and AVX-512F */
};
int rec_cpu_has(enum rec_cpu_level want);
/* Answer as if the processor had at most the level most: for tests of the
 * portable kernels; call it before any threads start. */
void rec_cpu_cap(enum rec_cpu_level most);

/* OpenBLAS on one thread while the caller's OpenMP threads call it, so
 * that the two kinds of threads do not multiply (threads.c): returns the
 * count to hand back to rec_blas_restore after the parallel region. */
int rec_blas_serial(void);
void rec_blas_restore(int threads);
/* The work of one user, a fold-in or a scoring, on the calling thread
 * alone, OpenMP and OpenBLAS alike (threads.c): rec_threads_one saves the
 * counts in *saved for rec_threads_back to hand back. */
struct rec_thread_counts {
	int omp, blas;
};
void rec_threads_one(struct rec_thread_counts *saved);
void rec_threads_back(const struct rec_thread_counts *saved);

/* --- mf's hook for its unit test --- */

/* A row of mf under solver=adam: its bias and its k factors, each with
 * Adam's two moments. */
struct rec_mf_row {
	float *bias, *bias_m1, *bias_m2;
	float *x, *m1, *m2;
};

struct rec_mf_adam {
	uint32_t k;
	float lr, reg, reg_bias;
};

/* mf's lazy Adam step number step (from 1) for one rating of weighted
 * error g: moves the user's row u and the item's row i down the gradient
 * of half the squared error plus the L2 penalties, and nothing else. */
void rec_mf_adam_step(const struct rec_mf_adam *h, uint64_t step, const struct rec_mf_row *u,
		      const struct rec_mf_row *i, float g);

/* The model families. */
extern const struct rec_algo rec_algo_pop;
extern const struct rec_algo rec_algo_itemknn;
extern const struct rec_algo rec_algo_mf;
extern const struct rec_algo rec_algo_ease;
extern const struct rec_algo rec_algo_bpr;
extern const struct rec_algo rec_algo_sasrec;
extern const struct rec_algo rec_algo_neumf;
extern const struct rec_algo rec_algo_ials;
extern const struct rec_algo rec_algo_content;
extern const struct rec_algo rec_algo_hybrid;

/* forget.c: keep[u] 0 for the users of ids that ds has (REC_EINVAL if
 * it has user attributes); dropping them; and for a model, the same with
 * its per-user state moved down and *touched the users to re-solve. */
int rec_forget_mask(const struct rec_dataset *ds, const struct rec_dict *ids,
		    const struct rec_pseudo *p, uint8_t **keep, uint32_t *gone,
		    struct rec_error *err);
int rec_forget_apply(struct rec_dataset *ds, const uint8_t *keep, struct rec_error *err);
int rec_forget_partial(struct rec_model *m, const uint8_t *keep, uint8_t **touched,
		       struct rec_error *err);

/* Training ials in shards (ials.c, for trainpart.c).  The entries of one
 * side's rows in the model's indices: row r's are idx[ptr[r] ..
 * ptr[r + 1]), rows of the other side, with values val and times time. */
struct rec_side_entries {
	const uint64_t *ptr;
	const uint32_t *idx;
	const float *val;
	const int64_t *time;
};

/* Solve the rows r of one side (the items' if items, else the users')
 * with mark[r] set from their entries e, against the other side as m holds
 * it, in place: a half sweep of training over those rows.  REC_ENOMEM or
 * REC_EINVAL with err filled, or 0. */
int rec_ials_solve_rows(struct rec_model *m, int items, const struct rec_side_entries *e,
			const uint8_t *mark, struct rec_error *err);
/* One side's vectors, k floats a row, which the caller may replace. */
float *rec_ials_rows(struct rec_model *m, int items, uint32_t *k);
/* Bring up to date what the model derives from its vectors, after the
 * caller replaced some. */
void rec_ials_rows_changed(struct rec_model *m);

#endif
