/* internal.h - what the library's files share and nothing outside uses. */
#ifndef REC_INTERNAL_H
#define REC_INTERNAL_H

#include "rec.h"

#define REC_DATASET_SECTIONS 7

/* The dataset's sections, for the dataset file and the model file alike:
 * fill sec[REC_DATASET_SECTIONS] with tags, flags and lengths. */
void rec_dataset_sections(const struct rec_dataset *ds, struct rec_section *sec);
int rec_dataset_write_sections(struct rec_writer *w, const struct rec_dataset *ds);
/* Read s if it is one of the dataset's sections: 1 if it was, 0 if not,
 * < 0 on error.  *seen collects which were read. */
int rec_dataset_read_section(struct rec_reader *r, const struct rec_section *s,
			     struct rec_dataset *ds, unsigned *seen);
/* After the last section: are all there, do they fit together, and do
 * they keep what the writers guarantee (rec-formats(5))?  REC_EFORMAT
 * with a message naming the section, REC_ENOMEM, or 0. */
int rec_dataset_check(const struct rec_dataset *ds, unsigned seen, struct rec_error *err);

/* The weight of an event: its value (or 1 unless use_value) times its
 * time decay. */
float rec_event_weight(const struct rec_model *m, float value, int64_t time,
		       int use_value);
/* A user's training history as a rec_user that points into m->data (no
 * state; nothing to release), for families that score from history. */
void rec_user_view(const struct rec_model *m, uint32_t user, struct rec_user *u);
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

/* The dot product of two float vectors of n entries. */
static inline float rec_dot(const float *a, const float *b, size_t n)
{
	float sum = 0;

	#pragma omp simd reduction(+:sum)
	for (size_t j = 0; j < n; j++)
		sum += a[j] * b[j];
	return sum;
}

/* Intern each ID of from into to, in from's order: map[i] gets the index
 * in to of from's ID i.  0, REC_ENOMEM, or REC_EINVAL for too many IDs. */
int rec_dict_intern_all(const struct rec_dict *from, struct rec_dict *to, uint32_t *map);

/* An array of bytes that may run to gigabytes, released by free(); the
 * second is zeroed.  NULL when out of memory. */
void *rec_alloc_large(size_t bytes);
void *rec_alloc_large_zero(size_t bytes);

/* Resize p, an array of old bytes from rec_alloc_large (or NULL), to
 * bytes, keeping what both sizes hold; NULL, with p kept, when out of
 * memory. */
void *rec_realloc_large(void *p, size_t old, size_t bytes);

/* Grow *a, an array of old + 1 floats from rec_alloc_large, to n + 1,
 * zeroing the new ones: the spare float keeps an empty array allocated.
 * REC_ENOMEM, with *a kept, or 0. */
int rec_grow_floats(float **a, size_t old, size_t n);

/* OpenBLAS on one thread while the caller's OpenMP threads call it, so
 * that the two kinds of threads do not multiply: returns the count to
 * hand back to rec_blas_restore after the parallel region. */
int rec_blas_serial(void);
void rec_blas_restore(int threads);

/* The model families. */
extern const struct rec_algo rec_algo_pop;
extern const struct rec_algo rec_algo_itemknn;
extern const struct rec_algo rec_algo_mf;
extern const struct rec_algo rec_algo_ease;
extern const struct rec_algo rec_algo_bpr;
extern const struct rec_algo rec_algo_sasrec;
extern const struct rec_algo rec_algo_neumf;
extern const struct rec_algo rec_algo_ials;

#endif
