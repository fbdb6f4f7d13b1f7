/* data.h - the small datasets that the C unit tests learn from: two
 * planted groups of users and items, picks at random with a density, or
 * uniformly random events.  Each test uses some of them, so they are
 * static inline: the others cost nothing. */
#ifndef DATA_H
#define DATA_H

#include <stdio.h>
#include <string.h>

#include "rec.h"
#include "unit.h"

/* The index of the ID <prefix><n> in d, added if it is new. */
static inline uint32_t data_id(struct rec_dict *d, char prefix, uint64_t n)
{
	char id[24];
	uint32_t index = 0;
	int len = snprintf(id, sizeof(id), "%c%llu", prefix, (unsigned long long)n);

	rec_dict_intern(d, id, (size_t)len, &index, NULL);
	return index;
}

/* Empty events and a stream seeded with seed; items i0 to i<nitems - 1>
 * interned in order, so that item index m is "i<m>". */
static inline void data_start(struct rec_events *ev, struct rec_rng *rng, uint64_t seed,
			      uint32_t nitems)
{
	rec_rng_seed(rng, seed);
	CHECK(rec_events_init(ev, NULL, NULL) == 0);
	for (uint32_t i = 0; i < nitems; i++)
		data_id(ev->items, 'i', i);
}

/* The dataset of ev, which it consumes. */
static inline void data_finish(struct rec_dataset *ds, struct rec_events *ev)
{
	struct rec_error err;

	CHECK(rec_dataset_from_events(ds, ev, REC_DEDUP_LAST, &err) == 0);
}

/* Users u<n> of group n % 2 pick items i<m> of group m % 2, each with
 * probability 0.4 (at least two).  With rated, each pick has a rating
 * from 1 to 5, else 1. */
static inline void make_groups(struct rec_dataset *ds, uint32_t nusers, uint32_t nitems,
			       uint64_t seed, int rated)
{
	struct rec_events ev;
	struct rec_rng rng;

	data_start(&ev, &rng, seed, nitems);
	for (uint32_t u = 0; u < nusers; u++) {
		uint32_t uidx = data_id(ev.users, 'u', u);
		int picked = 0;

		for (uint32_t i = u % 2; i < nitems; i += 2)
			if (rec_rng_uniform(&rng) < 0.4 || picked < 2) {
				float v = rated ? (float)(1 + rec_rng_below(&rng, 5)) : 1;

				rec_events_push(&ev, uidx, i, v, 100 * (int64_t)u + i);
				picked++;
			}
	}
	ev.has_rating = rated;
	data_finish(ds, &ev);
}

/* Each user u<n> picks each item i<m> with probability density times
 * 1, 2 or 3 (by m % 3), at time n. */
static inline void make_picks(struct rec_dataset *ds, uint32_t nusers, uint32_t nitems,
			      double density, uint64_t seed)
{
	struct rec_events ev;
	struct rec_rng rng;

	data_start(&ev, &rng, seed, nitems);
	for (uint32_t u = 0; u < nusers; u++) {
		uint32_t uidx = data_id(ev.users, 'u', u);

		for (uint32_t i = 0; i < nitems; i++)
			if (rec_rng_uniform(&rng) < density * (1 + (i % 3)))
				rec_events_push(&ev, uidx, i, 1, u);
	}
	data_finish(ds, &ev);
}

/* nevents draws of a user u<n> below nusers, an item i<m> below nitems
 * and a rating from 1 to 5; event e has time e.  IDs are interned as
 * they are first drawn. */
static inline void make_random(struct rec_dataset *ds, uint32_t nusers, uint32_t nitems,
			       uint32_t nevents, uint64_t seed)
{
	struct rec_events ev;
	struct rec_rng rng;

	data_start(&ev, &rng, seed, 0);
	for (uint32_t e = 0; e < nevents; e++) {
		uint32_t u = data_id(ev.users, 'u', rec_rng_below(&rng, nusers));
		uint32_t i = data_id(ev.items, 'i', rec_rng_below(&rng, nitems));

		rec_events_push(&ev, u, i, (float)(1 + rec_rng_below(&rng, 5)), e);
	}
	ev.has_rating = ev.has_time = 1;
	data_finish(ds, &ev);
}

#endif
