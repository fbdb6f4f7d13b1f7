/* metrics.c - evaluation metrics as pure functions over item indices:
 * the ranking metrics of one user's list, AUC from one user's scores,
 * and the beyond-accuracy metrics of lists against the training set.
 * Nothing here reads or writes files; sums are in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* DCG of a list whose first n positions are all hits: sum 1/log2(i+1). */
static double ideal_dcg(uint32_t n)
{
	double s = 0;

	for (uint32_t i = 1; i <= n; i++)
		s += 1 / log2(i + 1.0);
	return s;
}

/* The hits of a list up to the cut-off, as the metrics use them. */
struct hits {
	uint32_t n;
	uint32_t first;
	double dcg;
	double ap;
};

/* A hit at position i (from 1), after the hits above it. */
static void add_hit(struct hits *h, uint32_t i)
{
	h->n++;
	if (!h->first)
		h->first = i;
	h->dcg += 1 / log2(i + 1.0);	/* binary gain, discount log2(rank+1) */
	h->ap += (double)h->n / i;	/* precision@i at each hit i */
}

static void rank_metrics(const struct hits *h, uint32_t ntest, uint32_t k,
			 struct rec_rank_metrics *out)
{
	uint32_t ideal = ntest < k ? ntest : k;
	double p = (double)h->n / k;			/* precision@k = hits/k */
	double r = (double)h->n / ntest;		/* recall@k = hits/|test| */

	out->precision = p;
	out->recall = r;
	out->f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;	/* f1 = 2PR/(P+R) */
	out->hr = h->n > 0;				/* hr@k = [hits > 0] */
	out->ndcg = h->dcg / ideal_dcg(ideal);		/* ndcg = DCG/IDCG(min(k,|test|)) */
	out->map = h->ap / ideal;			/* map = sum P@i / min(k,|test|) */
	out->mrr = h->first ? 1.0 / h->first : 0;	/* mrr = 1/rank of first hit */
}

void rec_metrics_rank(const uint32_t *list, uint32_t n, const uint32_t *test,
		      uint32_t ntest, uint32_t k, struct rec_rank_metrics *out)
{
	uint32_t cut = n < k ? n : k;
	struct hits h = { 0 };

	memset(out, 0, sizeof(*out));
	if (!ntest || !k)
		return;
	for (uint32_t i = 1; i <= cut; i++)
		if (rec_sorted_has(test, ntest, list[i - 1]))
			add_hit(&h, i);
	rank_metrics(&h, ntest, k, out);
}

void rec_metrics_rank_at(uint32_t rank, uint32_t k, struct rec_rank_metrics *out)
{
	struct hits h = { 0 };

	memset(out, 0, sizeof(*out));
	if (!k)
		return;
	if (rank >= 1 && rank <= k)
		add_hit(&h, rank);
	rank_metrics(&h, 1, k, out);
}

/* Over the scored items of x[0..n) (above -INFINITY, not NaN): how many
 * there are, and how many are below s and equal to it.  One predictable,
 * vectorised pass: cheaper than a search per item. */
static void count_around(const float *x, uint32_t n, float s, uint32_t *scored,
			 uint32_t *below, uint32_t *equal)
{
	uint32_t c = 0, b = 0, e = 0;

	#pragma omp simd reduction(+:c, b, e)
	for (uint32_t j = 0; j < n; j++) {
		c += x[j] > -INFINITY;
		b += (x[j] > -INFINITY) & (x[j] < s);
		e += x[j] == s;
	}
	*scored = c;
	*below = b;
	*equal = e;
}

static float positive_score(const float *scores, uint32_t n, uint32_t item)
{
	return item < n && scores[item] > -INFINITY ? scores[item] : -INFINITY;
}

/* Each scored positive counts the items below and equal to it in one pass
 * over all scores, then takes off the other positives: O(n |test| +
 * |test|^2).  A positive without a score is below everything. */
double rec_metrics_auc(const float *scores, uint32_t n, const uint32_t *test,
		       uint32_t ntest)
{
	uint32_t scored = 0, below, equal, pos_scored = 0;
	double right = 0;

	for (uint32_t i = 0; i < ntest; i++) {
		float s = positive_score(scores, n, test[i]);

		if (s == -INFINITY)
			continue;
		pos_scored++;
		count_around(scores, n, s, &scored, &below, &equal);
		for (uint32_t t = 0; t < ntest; t++) {
			float o = positive_score(scores, n, test[t]);

			below -= o > -INFINITY && o < s;
			equal -= o == s;
		}
		/* auc = (#pairs pos > neg + #ties / 2) / (#pos * #neg) */
		right += below + 0.5 * equal;
	}
	if (!pos_scored)
		count_around(scores, n, -INFINITY, &scored, &below, &equal);
	if (!ntest || scored == pos_scored)
		return -1;
	return right / ((double)ntest * (double)(scored - pos_scored));
}

void rec_catalogue_release(struct rec_catalogue *c)
{
	if (!c)
		return;
	free(c->ptr);
	free(c->user);
	free(c->hot);
	free(c->common);
	memset(c, 0, sizeof(*c));
}

/* |U_i|, the number of training users of item i (0 outside the catalogue). */
static uint64_t item_users(const struct rec_catalogue *c, uint32_t i)
{
	return i < c->nitems ? c->ptr[i + 1] - c->ptr[i] : 0;
}

/* Pairs of items with fewer users cost little to intersect; the table of
 * hot pairs grows with the square of their number (4096: 32 MiB). */
#define HOT_MAX 4096
#define HOT_MIN_USERS 16

/* Where the pair of hot ranks a < b is counted in common[]: row a holds
 * b = a + 1 .. nhot - 1. */
static size_t pair_at(uint32_t nhot, uint32_t a, uint32_t b)
{
	return (size_t)a * (2 * (size_t)nhot - a - 1) / 2 + (b - a - 1);
}

static int more_users(const void *a, const void *b, void *cat)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint64_t nx = item_users(cat, x), ny = item_users(cat, y);

	return nx != ny ? (nx < ny) - (nx > ny) : (x > y) - (x < y);
}

/* Rank the items with at least HOT_MIN_USERS users by their number, most
 * first (ties by index), and keep the first HOT_MAX as the hot ones. */
static int rank_hot(struct rec_catalogue *c)
{
	uint32_t *order = malloc(((size_t)c->nitems + 1) * sizeof(*order)), n = 0;

	c->hot = malloc(((size_t)c->nitems + 1) * sizeof(*c->hot));
	if (!order || !c->hot) {
		free(order);
		return REC_ENOMEM;
	}
	for (uint32_t i = 0; i < c->nitems; i++) {
		c->hot[i] = UINT32_MAX;
		if (item_users(c, i) >= HOT_MIN_USERS)
			order[n++] = i;
	}
	qsort_r(order, n, sizeof(*order), more_users, c);
	c->nhot = n < HOT_MAX ? n : HOT_MAX;
	for (uint32_t r = 0; r < c->nhot; r++)
		c->hot[order[r]] = r;
	free(order);
	return 0;
}

/* Each user's hot ranks, ascending, as the rows of *ptr and *ranks: the
 * hot items' users appended rank by rank, which leaves them sorted. */
static int hot_ranks_of_users(const struct rec_catalogue *c, const uint32_t *item_of,
			      uint64_t **ptr, uint32_t **ranks)
{
	uint64_t *p = calloc((size_t)c->user_ids + 1, sizeof(*p));
	uint32_t *r;

	if (!p)
		return REC_ENOMEM;
	for (uint32_t a = 0; a < c->nhot; a++)
		for (uint64_t e = c->ptr[item_of[a]]; e < c->ptr[item_of[a] + 1]; e++)
			p[c->user[e] + 1]++;
	for (uint32_t u = 0; u < c->user_ids; u++)
		p[u + 1] += p[u];
	if (!(r = malloc((p[c->user_ids] + 1) * sizeof(*r)))) {
		free(p);
		return REC_ENOMEM;
	}
	for (uint32_t a = 0; a < c->nhot; a++)
		for (uint64_t e = c->ptr[item_of[a]]; e < c->ptr[item_of[a] + 1]; e++)
			r[p[c->user[e]]++] = a;
	/* Each p[u] has moved to the end of user u: shift back by one. */
	memmove(p + 1, p, (size_t)c->user_ids * sizeof(*p));
	p[0] = 0;
	*ptr = p;
	*ranks = r;
	return 0;
}

/* The first of the n ascending ranks r above a. */
static const uint32_t *first_above(const uint32_t *r, uint64_t n, uint32_t a)
{
	while (n > 0) {
		uint64_t half = n / 2;

		if (r[half] <= a) {
			r += half + 1;
			n -= half + 1;
		} else {
			n = half;
		}
	}
	return r;
}

/* Count the users that each pair of hot items shares, a row of the table
 * at a time: for row a, the ranks above a of every user of a's item.
 * The row stays in the cache while the users' ranks stream past; user by
 * user, each user's pairs were scattered over as many rows, and the
 * misses took ten times as long.  No two threads write one row, so the
 * counts are the same on any number of threads. */
static int count_hot_pairs(struct rec_catalogue *c)
{
	uint32_t *item_of = malloc(((size_t)c->nhot + 1) * sizeof(*item_of)), *ranks = NULL;
	uint64_t *ptr = NULL;

	c->common = calloc((size_t)c->nhot * c->nhot / 2 + 1, sizeof(*c->common));
	if (!item_of || !c->common) {
		free(item_of);
		return REC_ENOMEM;
	}
	for (uint32_t i = 0; i < c->nitems; i++)
		if (c->hot[i] != UINT32_MAX)
			item_of[c->hot[i]] = i;
	if (hot_ranks_of_users(c, item_of, &ptr, &ranks) < 0) {
		free(item_of);
		return REC_ENOMEM;
	}
	#pragma omp parallel for schedule(dynamic, 1)
	for (uint32_t a = 0; a < c->nhot; a++) {
		uint32_t *row = c->common + pair_at(c->nhot, a, a + 1), item = item_of[a];

		for (uint64_t e = c->ptr[item]; e < c->ptr[item + 1]; e++) {
			uint32_t u = c->user[e];
			const uint32_t *end = ranks + ptr[u + 1];

			for (const uint32_t *r = first_above(ranks + ptr[u], ptr[u + 1] - ptr[u], a);
			     r < end; r++)
				row[*r - a - 1]++;
		}
	}
	free(item_of);
	free(ptr);
	free(ranks);
	return 0;
}

/* Transpose the training rows into each item's users, in ascending user
 * order because the rows are visited in that order. */
int rec_catalogue_init(struct rec_catalogue *c, const struct rec_dataset *train)
{
	memset(c, 0, sizeof(*c));
	c->nitems = train->nitems;
	c->user_ids = train->nusers;
	c->ptr = calloc((size_t)train->nitems + 1, sizeof(*c->ptr));
	c->user = malloc((train->nnz ? train->nnz : 1) * sizeof(*c->user));
	if (!c->ptr || !c->user) {
		rec_catalogue_release(c);
		return REC_ENOMEM;
	}
	for (uint64_t e = 0; e < train->nnz; e++)
		c->ptr[train->col[e] + 1]++;
	for (uint32_t i = 0; i < train->nitems; i++)
		c->ptr[i + 1] += c->ptr[i];
	for (uint32_t u = 0; u < train->nusers; u++) {
		c->nusers += train->rowptr[u + 1] > train->rowptr[u];
		for (uint64_t e = train->rowptr[u]; e < train->rowptr[u + 1]; e++)
			c->user[c->ptr[train->col[e]]++] = u;
	}
	/* Each ptr[i] has moved to the end of item i: shift back by one. */
	memmove(c->ptr + 1, c->ptr, (size_t)train->nitems * sizeof(*c->ptr));
	c->ptr[0] = 0;
	if (rank_hot(c) < 0 || count_hot_pairs(c) < 0) {
		rec_catalogue_release(c);
		return REC_ENOMEM;
	}
	return 0;
}

static int is_hot(const struct rec_catalogue *c, uint32_t i)
{
	return i < c->nitems && c->hot[i] != UINT32_MAX;
}

/* The users of the smaller of items a and b found, one by one, among the
 * larger's by binary search. */
static uint64_t intersect(const struct rec_catalogue *c, uint32_t a, uint32_t b)
{
	uint64_t n = 0;

	if (item_users(c, a) > item_users(c, b))
		return intersect(c, b, a);
	for (uint64_t e = c->ptr[a]; e < c->ptr[a + 1]; e++)
		n += rec_sorted_has(c->user + c->ptr[b], (uint32_t)item_users(c, b), c->user[e]);
	return n;
}

uint64_t rec_catalogue_common(const struct rec_catalogue *c, uint32_t a, uint32_t b)
{
	uint32_t ra, rb;

	if (a >= c->nitems || b >= c->nitems)
		return 0;
	if (a == b)
		return item_users(c, a);
	ra = c->hot[a];
	rb = c->hot[b];
	if (ra == UINT32_MAX || rb == UINT32_MAX)
		return intersect(c, a, b);
	return c->common[ra < rb ? pair_at(c->nhot, ra, rb) : pair_at(c->nhot, rb, ra)];
}

double rec_metrics_novelty_sum(const struct rec_catalogue *c, const uint32_t *list,
			       uint32_t n)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t have = item_users(c, list[i]);
		/* p(i) = |U_i| / |U|, or 1 / (|U| + 1) when no training user has i */
		double p = have ? (double)have / c->nusers : 1.0 / (c->nusers + 1.0);

		s -= log2(p);			/* novelty = mean of -log2 p(i) */
	}
	return s;
}

double rec_metrics_popularity_sum(const struct rec_catalogue *c,
				  const uint32_t *list, uint32_t n)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += (double)item_users(c, list[i]);	/* popularity = mean |U_i| */
	return s;
}

/* 1 - cosine of items a and b that share common users; cos(a, b) =
 * |U_a intersect U_b| / sqrt(|U_a| |U_b|), 0 when either set is empty. */
static double dissimilarity(const struct rec_catalogue *c, uint32_t a, uint32_t b,
			    uint64_t common)
{
	uint64_t na = item_users(c, a), nb = item_users(c, b);

	return na && nb ? 1 - (double)common / sqrt((double)na * (double)nb) : 1;
}

/* Set or clear bit `bit` of held[] for every user of item i, unless i is
 * hot: the pairs with a hot item are counted apart. */
static void mark_users(const struct rec_catalogue *c, uint32_t i, uint64_t *held,
		       uint64_t bit)
{
	if (i >= c->nitems || is_hot(c, i))
		return;
	for (uint64_t e = c->ptr[i]; e < c->ptr[i + 1]; e++)
		held[c->user[e]] = bit ? held[c->user[e]] | bit : 0;
}

/* Pairs of list[i] with the later items of list[first..first+64), whose
 * users hold their bits unless they are hot: one pass over list[i]'s
 * users counts every pair's common users at once, and the pairs with a
 * hot item take theirs from the catalogue. */
static double pairs_with_block(const struct rec_catalogue *c, const uint32_t *list,
			       uint32_t n, uint32_t i, uint32_t first,
			       const uint64_t *held)
{
	uint32_t common[64] = { 0 }, end = n - first < 64 ? n : first + 64;
	uint64_t later = i < first ? ~0ULL : i + 1 - first >= 64 ? 0 : ~0ULL << (i + 1 - first);
	double s = 0;

	if (list[i] < c->nitems && !is_hot(c, list[i]))
		for (uint64_t e = c->ptr[list[i]]; e < c->ptr[list[i] + 1]; e++)
			for (uint64_t m = held[c->user[e]] & later; m; m &= m - 1)
				common[__builtin_ctzll(m)]++;
	for (uint32_t j = i < first ? first : i + 1; j < end; j++) {
		uint64_t both = is_hot(c, list[i]) || is_hot(c, list[j]) ?
			rec_catalogue_common(c, list[i], list[j]) : common[j - first];

		s += dissimilarity(c, list[i], list[j], both);
	}
	return s;
}

double rec_metrics_diversity(const struct rec_catalogue *c, const uint32_t *list,
			     uint32_t n, uint64_t *held)
{
	double s = 0;

	if (n < 2)
		return -1;
	for (uint32_t first = 0; first < n; first += 64) {
		uint32_t end = n - first < 64 ? n : first + 64;

		for (uint32_t j = first; j < end; j++)
			mark_users(c, list[j], held, 1ULL << (j - first));
		for (uint32_t i = 0; i < end; i++)
			s += pairs_with_block(c, list, n, i, first, held);
		for (uint32_t j = first; j < end; j++)
			mark_users(c, list[j], held, 0);
	}
	/* diversity = sum over pairs i < j of (1 - cos) / (n (n - 1) / 2) */
	return s / ((double)n * (n - 1) / 2);
}

double rec_metrics_coverage(const uint64_t *count, uint32_t nitems)
{
	uint32_t seen = 0;

	for (uint32_t i = 0; i < nitems; i++)
		seen += count[i] > 0;
	return nitems ? (double)seen / nitems : 0;	/* coverage = |recommended| / |items| */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

double rec_metrics_gini(uint64_t *count, uint32_t nitems)
{
	double total = 0, s = 0;

	qsort(count, nitems, sizeof(*count), cmp_u64);
	for (uint32_t i = 1; i <= nitems; i++) {
		total += (double)count[i - 1];
		s += (2.0 * i - nitems - 1) * (double)count[i - 1];
	}
	/* gini = sum (2i - n - 1) x_(i) / (n sum x), x ascending, i from 1 */
	return total > 0 ? s / (nitems * total) : 0;
}
