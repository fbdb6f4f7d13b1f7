/* groups.h - the planted structure that the unit tests of the factor
 * models learn: two disjoint groups of users and items. */
#ifndef GROUPS_H
#define GROUPS_H

#include <stdio.h>
#include <string.h>

#include "rec.h"
#include "unit.h"

/* Users u<n> of group n % 2 pick items i<m> of group m % 2, each with
 * probability 0.4 (at least two); item index m is "i<m>".  With rated,
 * each pick has a rating from 1 to 5, else 1. */
static void make_groups(struct rec_dataset *ds, uint32_t nusers, uint32_t nitems,
			uint64_t seed, int rated)
{
	struct rec_events ev;
	struct rec_error err;
	struct rec_rng rng;
	char id[16];

	rec_rng_seed(&rng, seed);
	CHECK(rec_events_init(&ev, NULL, NULL) == 0);
	for (uint32_t i = 0; i < nitems; i++) {
		snprintf(id, sizeof(id), "i%u", i);
		rec_dict_intern(ev.items, id, strlen(id), &(uint32_t){ 0 }, NULL);
	}
	for (uint32_t u = 0; u < nusers; u++) {
		uint32_t uidx;
		int picked = 0;

		snprintf(id, sizeof(id), "u%u", u);
		rec_dict_intern(ev.users, id, strlen(id), &uidx, NULL);
		for (uint32_t i = u % 2; i < nitems; i += 2)
			if (rec_rng_uniform(&rng) < 0.4 || picked < 2) {
				float v = rated ? (float)(1 + rec_rng_below(&rng, 5)) : 1;

				rec_events_push(&ev, uidx, i, v, 100 * (int64_t)u + i);
				picked++;
			}
	}
	ev.has_rating = rated;
	CHECK(rec_dataset_from_events(ds, &ev, REC_DEDUP_LAST, &err) == 0);
}

#endif
