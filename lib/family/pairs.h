/* pairs.h - what the families that learn from an event and a sampled
 * unseen item share (bpr, hybrid, neumf): the events an epoch visits with
 * each one's user and each user's items in order for the sampling to
 * avoid, the run of training and of incremental training around a
 * family's trainer, and the SGD passes that fold a streamed user in. */
#ifndef REC_PAIRS_H
#define REC_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* The events of a training run. */
struct rec_pairs {
	uint32_t *user;		/* per entry */
	uint32_t *seen;		/* each row's items in ascending order */
	uint32_t *order;	/* the entries an epoch visits */
	uint64_t n;		/* how many */
};

/* Fill p for the entries of d's users with visit[u] (all users when visit
 * is NULL), in entry order.  p is zeroed first, so that rec_pairs_release
 * may follow a failure. */
int rec_pairs_init(struct rec_pairs *p, const struct rec_dataset *d, const uint8_t *visit);
void rec_pairs_release(struct rec_pairs *p);

/* The known items of u's history in ascending order, in a new array of
 * *n that the caller frees; NULL when out of memory. */
uint32_t *rec_pairs_history(const struct rec_model *m, const struct rec_user *u,
			    uint32_t *n);

/* x[0..n) = normal deviates of sd, in order. */
void rec_pairs_normal(float *x, size_t n, double sd, struct rec_rng *rng);

/* One step on entry e with a thread's scratch and stream; step counts the
 * epoch's entries from the first given to rec_pairs_epoch.  Returns the
 * entry's loss. */
typedef double (*rec_pairs_fit)(const void *ctx, uint64_t e, float *scratch,
				struct rec_rng *rng, uint64_t step);

/* One pass over p's entries in a fresh order, shared out among the
 * threads in chunks as they come free, so that a thread slowed by other
 * work on the machine does not hold the epoch back; each thread has width
 * floats of scratch and draws from its own stream, and the a-th entry
 * visited fits at step first + a + 1.  Returns the mean of the losses. */
double rec_pairs_epoch(struct rec_pairs *p, struct rec_rng *rng, rec_pairs_fit fit,
		       const void *ctx, float *scratch, size_t width, uint64_t first);

/* Incremental training: the users and items that training saw, and the
 * users with new events. */
struct rec_pairs_since {
	uint32_t users, items;
	const uint8_t *touched;
};

/* A family's trainer as the runs below see it. */
struct rec_pairs_family {
	const char *name;
	/* Set up the trainer t for training (since NULL) or for incremental
	 * training, and fill e's patience, loss, run and ctx.  0, or a REC_E*
	 * code after which release still applies. */
	int (*setup)(void *t, struct rec_model *m, const struct rec_pairs_since *since,
		     struct rec_epochs *e);
	void (*release)(void *t);
	/* The learned arrays' start for training. */
	void (*start)(struct rec_model *m, uint64_t seed);
};

/* Train m from its start (since NULL) for e's epochs, or for opt->passes
 * without validation over the events of since->touched, with the trainer
 * t of family f.  0, or a REC_E* code with err filled. */
int rec_pairs_train(struct rec_model *m, const struct rec_pairs_family *f, void *t,
		    const struct rec_pairs_since *since, const struct rec_train_options *opt,
		    struct rec_error *err);

/* The learning rate of a fold-in's SGD steps. */
#define REC_PAIRS_FOLD_LR 0.1f

/* Fold u in by passes of SGD over his history: step(ctx, item, weight,
 * rng) for each known event in turn, at least a few hundred times so that
 * a short history moves a new user's zero vector. */
int rec_pairs_fold(const struct rec_model *m, const struct rec_user *u,
		   void (*step)(void *ctx, uint32_t item, float weight, struct rec_rng *rng),
		   void *ctx);

#endif
