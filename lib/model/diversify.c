/* diversify.c - the similarity of two items, and lists re-ranked by
 * maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998) with
 * an optional cap on the items that share an attribute.  A candidate's
 * penalty is its mean similarity to the items chosen, as in the topic
 * diversification of Ziegler, McNee, Konstan and Lausen (WWW 2005), not
 * Carbonell and Goldstein's largest: the mean is what the intra-list
 * diversity measures, and on MovieLens 100K it bought more diversity for
 * the same loss of NDCG than the largest or the greedy determinantal
 * point process of Chen, Zhang and Zhou (NeurIPS 2018). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const kinds[] = {
	[REC_SIM_AUTO] = "auto", [REC_SIM_ATTRIBUTES] = "attributes",
	[REC_SIM_VECTORS] = "vectors", [REC_SIM_COOCCURRENCE] = "cooccurrence",
};

int rec_similarity_parse(const char *name)
{
	for (int k = REC_SIM_ATTRIBUTES; k <= REC_SIM_COOCCURRENCE; k++)
		if (strcmp(name, kinds[k]) == 0)
			return k;
	return -1;
}

const char *rec_similarity_name(enum rec_similarity_kind kind)
{
	return kinds[kind];
}

/* Each item's attribute vector's length; 0 past the rows. */
static int attribute_norms(struct rec_similarity *s, uint32_t nitems)
{
	const struct rec_features *f = s->f;

	if (!(s->norm = calloc((size_t)nitems + 1, sizeof(*s->norm))))
		return REC_ENOMEM;
	for (uint32_t i = 0; i < nitems && i < f->nrows; i++) {
		for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++)
			s->norm[i] += (double)f->val[e] * f->val[e];
		s->norm[i] = sqrt(s->norm[i]);
	}
	return 0;
}

static int vector_norms(struct rec_similarity *s, uint32_t nitems)
{
	if (!(s->norm = calloc((size_t)nitems + 1, sizeof(*s->norm))))
		return REC_ENOMEM;
	for (uint32_t i = 0; i < nitems; i++) {
		const float *v = s->vec + (size_t)i * s->width;

		s->norm[i] = sqrt((double)rec_dot(v, v, s->width));
	}
	return 0;
}

/* What auto takes: attributes, else the model's vectors, else the
 * training users. */
static enum rec_similarity_kind choose(const struct rec_dataset *train,
				       const struct rec_model *m)
{
	if (train->item_features)
		return REC_SIM_ATTRIBUTES;
	if (m && m->algo->item_vectors)
		return REC_SIM_VECTORS;
	return REC_SIM_COOCCURRENCE;
}

int rec_similarity_init(struct rec_similarity *s, enum rec_similarity_kind kind,
			const struct rec_dataset *train, const struct rec_model *m,
			struct rec_error *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->nitems = train->nitems;
	s->kind = kind == REC_SIM_AUTO ? choose(train, m) : kind;
	if (s->kind == REC_SIM_ATTRIBUTES && !(s->f = train->item_features))
		return rec_error_set(err, REC_EINVAL, "the similarity of attributes needs "
				     "item attributes, which the data has not");
	if (s->kind == REC_SIM_VECTORS && !(m && m->algo->item_vectors))
		return rec_error_set(err, REC_EINVAL, "the similarity of vectors needs a "
				     "model whose family learns item vectors%s%s",
				     m ? "; not " : "", m ? m->algo->name : "");
	if (s->kind == REC_SIM_ATTRIBUTES)
		rc = attribute_norms(s, train->nitems);
	else if (s->kind == REC_SIM_VECTORS) {
		s->vec = m->algo->item_vectors(m, &s->width);
		rc = vector_norms(s, train->nitems);
	} else {
		rc = rec_catalogue_init(&s->cat, train);
	}
	if (rc < 0) {
		rec_similarity_release(s);
		return rec_error_set(err, rc, "out of memory");
	}
	return 0;
}

void rec_similarity_release(struct rec_similarity *s)
{
	free(s->norm);
	rec_catalogue_release(&s->cat);
	memset(s, 0, sizeof(*s));
}

/* The sum of the products of the entries that two ascending sparse rows
 * share: idx[a0..a1) with values va (NULL: all 1), and idx[b0..b1). */
static double sparse_dot(const uint32_t *idx, const float *val, uint64_t a, uint64_t a1,
			 uint64_t b, uint64_t b1)
{
	double dot = 0;

	while (a < a1 && b < b1) {
		if (idx[a] != idx[b]) {
			int behind = idx[a] < idx[b];

			a += behind;
			b += !behind;
			continue;
		}
		dot += val ? (double)val[a] * val[b] : 1;
		a++;
		b++;
	}
	return dot;
}

double rec_similarity(const struct rec_similarity *s, uint32_t a, uint32_t b)
{
	const struct rec_catalogue *c = &s->cat;
	double dot;

	if (a >= s->nitems || b >= s->nitems)
		return 0;
	if (s->kind == REC_SIM_COOCCURRENCE) {
		uint64_t na, nb;

		na = c->ptr[a + 1] - c->ptr[a];
		nb = c->ptr[b + 1] - c->ptr[b];
		dot = (double)rec_catalogue_common(c, a, b);
		return na && nb ? dot / sqrt((double)na * (double)nb) : 0;
	}
	if (s->norm[a] == 0 || s->norm[b] == 0)
		return 0;
	if (s->kind == REC_SIM_VECTORS)
		dot = rec_dot(s->vec + (size_t)a * s->width, s->vec + (size_t)b * s->width,
			      s->width);
	else
		dot = sparse_dot(s->f->col, s->f->val, s->f->ptr[a], s->f->ptr[a + 1],
				 s->f->ptr[b], s->f->ptr[b + 1]);
	return dot / (s->norm[a] * s->norm[b]);
}

double rec_similarity_diversity(const struct rec_similarity *s, const uint32_t *list,
				uint32_t n)
{
	double sum = 0;

	if (n < 2)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n; j++)
			sum += 1 - rec_similarity(s, list[i], list[j]);
	return sum / ((double)n * (n - 1) / 2);
}

int rec_diversify_cap(struct rec_diversify *d, const struct rec_features *f,
		      const char *prefix, uint32_t max_per, struct rec_error *err)
{
	uint32_t nf = f ? rec_dict_size(f->names) : 0, hits = 0;
	size_t plen = strlen(prefix);

	if (!(d->capped = calloc((size_t)nf + 1, 1)))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	for (uint32_t k = 0; k < nf; k++) {
		size_t len;
		const char *name = rec_dict_name(f->names, k, &len);

		d->capped[k] = len > plen && memcmp(name, prefix, plen) == 0 &&
			       name[plen] == '=';
		hits += d->capped[k];
	}
	d->f = f;
	d->max_per = max_per;
	return hits ? 0 : rec_error_set(err, REC_EINVAL, "no item attribute is named "
					"'%s=...'", prefix);
}

/* Whether item i may join a list whose capped features have been used
 * used[f] times; with add, count it in. */
static int fits(const struct rec_diversify *d, uint32_t *used, uint32_t i, int add)
{
	const struct rec_features *f = d->f;

	if (!f || i >= f->nrows)
		return 1;
	for (uint64_t e = f->ptr[i]; e < f->ptr[i + 1]; e++)
		if (d->capped[f->col[e]] && used[f->col[e]] >= d->max_per)
			return 0;
	for (uint64_t e = f->ptr[i]; add && e < f->ptr[i + 1]; e++)
		used[f->col[e]] += d->capped[f->col[e]];
	return 1;
}

/* The candidate of the largest marginal relevance among those not taken
 * that fit the cap; nc when there is none.  The earlier wins a tie. */
static uint32_t best(const struct rec_diversify *d, const uint32_t *cand, uint32_t nc,
		     const double *rel, const double *mean, const uint8_t *taken,
		     uint32_t *used)
{
	uint32_t pick = nc;
	double top = -INFINITY;

	for (uint32_t c = 0; c < nc; c++) {
		double v = (1 - d->lambda) * rel[c] - d->lambda * mean[c];

		if (!taken[c] && (pick == nc || v > top) && fits(d, used, cand[c], 0)) {
			pick = c;
			top = v;
		}
	}
	return pick;
}

/* Order the n chosen items idx and val by score, the higher first, the
 * earlier chosen first among equals. */
static void by_score(uint32_t *idx, float *val, uint32_t n)
{
	for (uint32_t x = 1; x < n; x++) {
		uint32_t i = idx[x], y = x;
		float v = val[x];

		for (; y > 0 && val[y - 1] < v; y--) {
			idx[y] = idx[y - 1];
			val[y] = val[y - 1];
		}
		idx[y] = i;
		val[y] = v;
	}
}

int rec_diversify_list(const struct rec_diversify *d, const uint32_t *cand,
		       const float *score, uint32_t nc, uint32_t n, uint32_t *idx,
		       float *val, uint32_t *found)
{
	double *rel = malloc(((size_t)nc + 1) * sizeof(*rel)), lo = INFINITY, hi = -INFINITY;
	double *mean = calloc((size_t)nc + 1, sizeof(*mean));
	uint8_t *taken = calloc((size_t)nc + 1, 1);
	uint32_t *used = d->f ? calloc((size_t)rec_dict_size(d->f->names) + 1,
				       sizeof(*used)) : NULL;

	*found = 0;
	if (!rel || !mean || !taken || (d->f && !used)) {
		free(rel);
		free(mean);
		free(taken);
		free(used);
		return REC_ENOMEM;
	}
	for (uint32_t c = 0; c < nc; c++) {
		lo = score[c] < lo ? score[c] : lo;
		hi = score[c] > hi ? score[c] : hi;
	}
	for (uint32_t c = 0; c < nc; c++)
		rel[c] = hi > lo ? (score[c] - lo) / (hi - lo) : 1;
	while (*found < n) {
		uint32_t p = best(d, cand, nc, rel, mean, taken, used);

		if (p == nc)
			break;
		taken[p] = 1;
		fits(d, used, cand[p], 1);
		idx[*found] = cand[p];
		val[(*found)++] = score[p];
		for (uint32_t c = 0; c < nc && d->lambda > 0; c++) {
			double sim = taken[c] ? 0 : rec_similarity(d->sim, cand[c], cand[p]);

			mean[c] += (sim - mean[c]) / *found;
		}
	}
	/* The diversity of a list does not depend on its order, but
	 * accuracy does: the most relevant of the chosen go first. */
	by_score(idx, val, *found);
	free(rel);
	free(mean);
	free(taken);
	free(used);
	return 0;
}
