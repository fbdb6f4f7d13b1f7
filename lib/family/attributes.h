/* attributes.h - what the factor families draw from item and user
 * attributes for rows without events: a ridge map from attributes to a
 * row's parameters (Gantner et al., "Learning Attribute-to-Feature
 * Mappings for Cold-Start Recommendations", ICDM 2010), and the scores of
 * a user known by his attributes alone. */
#ifndef REC_ATTRIBUTES_H
#define REC_ATTRIBUTES_H

#include <stdint.h>

#include "internal.h"

/* The weight of each attribute of row r of f: 1 over the sum of the
 * absolute values of the row's attributes; 0 for a row without any, or
 * for no f. */
float rec_attribute_row_scale(const struct rec_features *f, uint32_t r);

/* v[k] = own[k] plus the vectors (rows of k in vecs) of the attributes of
 * row r of f, each weighted by its value times s, the row's weight. */
void rec_attribute_compose(const struct rec_features *f, uint32_t r, float s,
			   const float *own, const float *vecs, uint32_t k, float *v);

/* The map w (column-major, nf + 1 rows: f's nf attributes, then the
 * intercept; width columns) by ridge regression of y (nrows x width, row
 * major) on the attributes of f's rows, row r weighted by weight[r] (0
 * leaves it out): (X^T D X + ridge I) w = X^T D y.  REC_ENOMEM or
 * REC_EINVAL (no solution), else 0. */
int rec_attribute_map_fit(const struct rec_features *f, uint32_t nrows, const float *weight,
			  const float *y, uint32_t width, float ridge, float *w);

/* out[width] = the map w applied to row r of f. */
void rec_attribute_map_apply(const struct rec_features *f, uint32_t r, const float *w,
			     uint32_t width, float *out);

/* A user without events scored from his attributes (see attributes.c);
 * 1 if he has any and the scores were written, else 0. */
int rec_attribute_user_scores(const struct rec_model *m, uint32_t user, float ridge,
			      float *scores);

#endif
