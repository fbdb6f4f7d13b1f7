/* random.h - a small dataset of uniformly random events, the one the
 * unit tests use where no structure is wanted. */
#ifndef RANDOM_H
#define RANDOM_H

#include <stdio.h>
#include <string.h>

#include "rec.h"
#include "unit.h"

/* nevents draws of a user u<n> below nusers, an item i<m> below nitems
 * and a rating from 1 to 5; event e has time e. */
static void make_random(struct rec_dataset *ds, int nusers, int nitems, int nevents,
			uint64_t seed)
{
	struct rec_events ev;
	struct rec_error err;
	struct rec_rng rng;
	char id[16];

	rec_rng_seed(&rng, seed);
	CHECK(rec_events_init(&ev, NULL, NULL) == 0);
	for (int e = 0; e < nevents; e++) {
		uint32_t u, i;

		snprintf(id, sizeof(id), "u%d", (int)rec_rng_below(&rng, (uint64_t)nusers));
		rec_dict_intern(ev.users, id, strlen(id), &u, NULL);
		snprintf(id, sizeof(id), "i%d", (int)rec_rng_below(&rng, (uint64_t)nitems));
		rec_dict_intern(ev.items, id, strlen(id), &i, NULL);
		rec_events_push(&ev, u, i, (float)(1 + rec_rng_below(&rng, 5)), e);
	}
	ev.has_rating = ev.has_time = 1;
	CHECK(rec_dataset_from_events(ds, &ev, REC_DEDUP_LAST, &err) == 0);
}

#endif
