/* eval.c - the evaluation engine: the metrics of recommendation lists, of
 * a model ranking every item and of rating predictions, summed user by
 * user into an accumulator that merges with others and turns into rows
 * at the end.  The sums are exact, so the means depend neither on the
 * threads nor on how the users were split. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

#define NO_USER UINT32_MAX
#define NRANK (REC_M_MRR - REC_M_PRECISION + 1)

static const char *const metric_name[REC_NMETRICS] = {
	"rmse", "mae", "precision", "recall", "f1", "hr", "ndcg", "map", "mrr",
	"auc", "coverage", "novelty", "diversity", "popularity", "gini", "events"
};

const char *rec_metric_name(enum rec_metric m)
{
	return (unsigned)m < REC_NMETRICS ? metric_name[m] : "unknown";
}

int rec_metric_has_k(enum rec_metric m)
{
	return m != REC_M_RMSE && m != REC_M_MAE && m != REC_M_AUC && m != REC_M_EVENTS;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* --- rows --- */

static int push_row(struct rec_eval_rows *r, uint32_t user, enum rec_metric m,
		    uint32_t k, double value)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct rec_eval_row *p = realloc(r->row, cap * sizeof(*p));

		if (!p)
			return REC_ENOMEM;
		r->row = p;
		r->cap = cap;
	}
	r->row[r->n++] = (struct rec_eval_row){ user, m, rec_metric_has_k(m) ? k : 0, value };
	return 0;
}

void rec_eval_rows_release(struct rec_eval_rows *r)
{
	if (!r)
		return;
	free(r->row);
	memset(r, 0, sizeof(*r));
}

/* --- the accumulator --- */

static size_t cell(const struct rec_eval_acc *a, enum rec_metric m, unsigned ki)
{
	return (size_t)m * a->nk + ki;
}

/* The units of m's sum: 2^-64 for values below 2^22 (the novelty of a
 * list of at most 2^17 items, the others below 1), leaving room for 2^32
 * users; 1 for popularity, whose sums are whole counts. */
static int scale(enum rec_metric m)
{
	return m == REC_M_POPULARITY ? 0 : 64;
}

/* Add value to m's sum at k[ki] and count to what divides it.  Errors go
 * to the double sums.  Values are at least 0 and below their bound;
 * converting truncates what lies below the unit. */
static void add(struct rec_eval_acc *a, enum rec_metric m, unsigned ki, double value,
		double count)
{
	if (m == REC_M_RMSE)
		a->sq_error += value;
	else if (m == REC_M_MAE)
		a->abs_error += value;
	else
		a->sum[cell(a, m, ki)] += (__int128)ldexp(value, scale(m));
	a->count[cell(a, m, ki)] += count;
}

static double sum_of(const struct rec_eval_acc *a, enum rec_metric m, unsigned ki)
{
	if (m == REC_M_RMSE)
		return a->sq_error;
	if (m == REC_M_MAE)
		return a->abs_error;
	return ldexp((double)a->sum[cell(a, m, ki)], -scale(m));
}

void rec_eval_acc_release(struct rec_eval_acc *a)
{
	if (!a)
		return;
	free(a->k);
	free(a->sum);
	free(a->count);
	free(a->recommended);
	memset(a, 0, sizeof(*a));
}

int rec_eval_acc_init(struct rec_eval_acc *a, uint32_t metrics, const uint32_t *k,
		      unsigned nk, uint32_t nitems, struct rec_error *err)
{
	size_t cells = (size_t)REC_NMETRICS * nk;

	memset(a, 0, sizeof(*a));
	if (!nk)
		return rec_error_set(err, REC_EINVAL, "no cut-off");
	a->metrics = metrics;
	a->nk = nk;
	a->nitems = nitems;
	a->k = malloc(nk * sizeof(*a->k));
	a->sum = calloc(cells, sizeof(*a->sum));
	a->count = calloc(cells, sizeof(*a->count));
	a->recommended = calloc((size_t)nk * nitems + 1, sizeof(*a->recommended));
	if (!a->k || !a->sum || !a->count || !a->recommended) {
		rec_eval_acc_release(a);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	memcpy(a->k, k, nk * sizeof(*k));
	return 0;
}

int rec_eval_merge(struct rec_eval_acc *into, const struct rec_eval_acc *from,
		   struct rec_error *err)
{
	size_t cells = (size_t)REC_NMETRICS * into->nk;
	size_t items = (size_t)into->nk * into->nitems;

	if (into->metrics != from->metrics || into->nk != from->nk ||
	    into->nitems != from->nitems ||
	    memcmp(into->k, from->k, into->nk * sizeof(*into->k)) != 0)
		return rec_error_set(err, REC_EINVAL, "the sums to merge differ in metrics, "
				     "cut-offs or items");
	for (size_t i = 0; i < cells; i++) {
		into->sum[i] += from->sum[i];
		into->count[i] += from->count[i];
	}
	into->sq_error += from->sq_error;
	into->abs_error += from->abs_error;
	for (size_t i = 0; i < items; i++)
		into->recommended[i] += from->recommended[i];
	return 0;
}

/* A metric from its sum and what the sum is divided by: the mean, but
 * for RMSE its square root, and for events the count itself. */
static double finish(enum rec_metric m, double sum, double count)
{
	double mean = count > 0 ? sum / count : 0;

	if (m == REC_M_EVENTS)
		return count;
	return m == REC_M_RMSE ? sqrt(mean) : mean;	/* rmse = sqrt(sum (p - r)^2 / n) */
}

/* Metric m at cut-off k[ki]; scratch holds nitems counts for the sort
 * that Gini needs. */
static double value(const struct rec_eval_acc *a, enum rec_metric m, unsigned ki,
		    uint64_t *scratch)
{
	const uint64_t *count = a->recommended + (size_t)ki * a->nitems;

	if (m == REC_M_COVERAGE)
		return rec_metrics_coverage(count, a->nitems);
	if (m == REC_M_GINI) {
		memcpy(scratch, count, a->nitems * sizeof(*count));
		return rec_metrics_gini(scratch, a->nitems);
	}
	return finish(m, sum_of(a, m, ki), a->count[cell(a, m, ki)]);
}

int rec_eval_rows(const struct rec_eval_acc *a, struct rec_eval_rows *rows,
		  struct rec_error *err)
{
	uint64_t *scratch = malloc(((size_t)a->nitems + 1) * sizeof(*scratch));
	int rc = scratch ? 0 : REC_ENOMEM;

	for (int m = 0; m < REC_NMETRICS && rc == 0; m++) {
		if (!(a->metrics & REC_M_BIT(m)))
			continue;
		for (unsigned ki = 0; ki < (rec_metric_has_k(m) ? a->nk : 1) && rc == 0; ki++)
			rc = push_row(rows, REC_EVAL_ALL, m, a->k[ki], value(a, m, ki, scratch));
	}
	free(scratch);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

/* The ranking metrics in the order of enum rec_metric, from precision. */
static void rank_values(const struct rec_rank_metrics *x, double *v)
{
	v[0] = x->precision;
	v[1] = x->recall;
	v[2] = x->f1;
	v[3] = x->hr;
	v[4] = x->ndcg;
	v[5] = x->map;
	v[6] = x->mrr;
}

static void add_ranking(struct rec_eval_acc *a, unsigned ki, const double *v)
{
	for (int j = 0; j < NRANK; j++)
		add(a, REC_M_PRECISION + j, ki, v[j], 1);
}

void rec_eval_add_rank(struct rec_eval_acc *a, uint32_t rank)
{
	struct rec_rank_metrics x;
	double v[NRANK];

	for (unsigned ki = 0; ki < a->nk; ki++) {
		rec_metrics_rank_at(rank, a->k[ki], &x);
		rank_values(&x, v);
		add_ranking(a, ki, v);
	}
	add(a, REC_M_EVENTS, 0, 0, 1);
}

/* --- reading recommendations or predictions --- */

enum { C_USER, C_ITEM, C_RANK, C_RATING, C_PRED, NCOL };
enum kind { KIND_UNKNOWN, KIND_RECS, KIND_PREDS };

struct reader {
	struct rec_eval_input *in;
	const struct rec_csv_column *col;
	enum kind kind;
	long line;		/* the record number, header included */
};

void rec_eval_input_release(struct rec_eval_input *in)
{
	if (!in)
		return;
	rec_dict_free(in->users);
	rec_dict_free(in->items);
	free(in->row);
	memset(in, 0, sizeof(*in));
}

/* The header tells the kind: a prediction column makes predictions. */
static int settle_kind(struct reader *rd, struct rec_error *err)
{
	const struct rec_csv_column *col = rd->col;
	const char *msg = NULL;

	if (col[C_PRED].present && !col[C_RATING].present)
		msg = "a prediction column but no rating column in the header";
	else if (!col[C_PRED].present && !col[C_RANK].present)
		msg = "no rank or prediction column in the header";
	if (msg) {
		rec_error_set(err, REC_EPARSE, "%s", msg);
		rec_error_at(err, rd->in->name, 1, 0);
		return REC_EPARSE;
	}
	rd->kind = col[C_PRED].present ? KIND_PREDS : KIND_RECS;
	rd->in->predictions = rd->kind == KIND_PREDS;
	return 0;
}

static int parse_numbers(const struct reader *rd, char *const *field,
			 struct rec_eval_input_row *r, struct rec_error *err)
{
	if (rd->kind == KIND_RECS) {
		if (rec_parse_long(field[C_RANK], 1, LONG_MAX, &r->rank, "rank", err) < 0) {
			err->column = C_RANK + 1;
			return REC_EPARSE;
		}
		return 0;
	}
	if (rec_parse_double(field[C_RATING], -1e30, 1e30, &r->rating, "rating", err) < 0) {
		err->column = C_RATING + 1;
		return REC_EPARSE;
	}
	if (rec_parse_double(field[C_PRED], -1e30, 1e30, &r->pred, "prediction", err) < 0) {
		err->column = C_PRED + 1;
		return REC_EPARSE;
	}
	return 0;
}

static int push_input(struct rec_eval_input *in, const struct rec_eval_input_row *r)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 1024;
		struct rec_eval_input_row *p = realloc(in->row, cap * sizeof(*p));

		if (!p)
			return REC_ENOMEM;
		in->row = p;
		in->cap = cap;
	}
	in->row[in->n++] = *r;
	return 0;
}

static int take_row(void *ctx, char *const *field, const size_t *len,
		    struct rec_error *err)
{
	struct reader *rd = ctx;
	struct rec_eval_input *in = rd->in;
	struct rec_eval_input_row r = { .line = ++rd->line };
	int rc;

	if (!rd->kind && (rc = settle_kind(rd, err)) < 0)
		return rc;
	for (int c = C_USER; c <= C_ITEM; c++)
		if (!len[c]) {
			rec_error_set(err, REC_EPARSE, "empty %s ID", c == C_USER ? "user" : "item");
			err->column = c + 1;
			return REC_EPARSE;
		}
	if ((rc = parse_numbers(rd, field, &r, err)) < 0)
		return rc;
	rc = rec_dict_intern(in->users, field[C_USER], len[C_USER], &r.user, NULL);
	if (rc == 0)
		rc = rec_dict_intern(in->items, field[C_ITEM], len[C_ITEM], &r.item, NULL);
	if (rc == 0)
		rc = push_input(in, &r);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

int rec_eval_input_read(struct rec_eval_input *in, const char *path,
			struct rec_error *err)
{
	struct rec_csv_column col[NCOL] = {
		{ .what = "user", .names = "user,user_id" },
		{ .what = "item", .names = "item,item_id" },
		{ .what = "rank", .names = "rank", .optional = 1 },
		{ .what = "rating", .names = "rating", .optional = 1 },
		{ .what = "prediction", .names = "prediction", .optional = 1 },
	};
	struct rec_csv_options opt = { .delim = ',' };
	struct reader rd = { in, col, KIND_UNKNOWN, 1 };
	int rc;

	memset(in, 0, sizeof(*in));
	in->name = strcmp(path, "-") ? path : "standard input";
	in->users = rec_dict_new();
	in->items = rec_dict_new();
	if (!in->users || !in->items)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	else if ((rc = rec_csv_read(path, &opt, col, NCOL, take_row, &rd, NULL, err)) == 0 &&
		 !rd.kind)
		rc = settle_kind(&rd, err);
	if (rc < 0)
		rec_eval_input_release(in);
	return rc;
}

/* --- predictions: RMSE and MAE --- */

/* The rows' indices grouped by user, in file order within a user: user
 * u's are order[start[u]..start[u + 1]); start is zeroed. */
static int group_by_user(const struct rec_eval_input *in, size_t *order, size_t *start)
{
	uint32_t nusers = rec_dict_size(in->users);
	size_t *next = malloc(((size_t)nusers + 1) * sizeof(*next));

	if (!next)
		return REC_ENOMEM;
	for (size_t i = 0; i < in->n; i++)
		start[in->row[i].user + 1]++;
	for (uint32_t u = 0; u < nusers; u++)
		start[u + 1] += start[u];
	memcpy(next, start, ((size_t)nusers + 1) * sizeof(*next));
	for (size_t i = 0; i < in->n; i++)
		order[next[in->row[i].user]++] = i;
	free(next);
	return 0;
}

/* User u's predictions, rows order[0..n): their errors added to a one by
 * one (so the sums do not depend on how users are grouped) and, with
 * rows, the user's own. */
static int add_user_predictions(struct rec_eval_acc *a, const struct rec_eval_input *in,
				const size_t *order, size_t n, uint32_t u,
				struct rec_eval_rows *rows)
{
	double sq = 0, abs = 0;
	int rc;

	for (size_t j = 0; j < n; j++) {
		const struct rec_eval_input_row *r = &in->row[order[j]];
		double d = r->pred - r->rating;

		sq += d * d;
		abs += fabs(d);
		add(a, REC_M_RMSE, 0, d * d, 1);
		add(a, REC_M_MAE, 0, fabs(d), 1);	/* mae = sum |p - r| / n */
	}
	if (!rows)
		return 0;
	if ((rc = push_row(rows, u, REC_M_RMSE, 0, finish(REC_M_RMSE, sq, (double)n))) < 0)
		return rc;
	return push_row(rows, u, REC_M_MAE, 0, finish(REC_M_MAE, abs, (double)n));
}

int rec_eval_add_predictions(struct rec_eval_acc *a, const struct rec_eval_input *in,
			     struct rec_eval_rows *rows, struct rec_error *err)
{
	uint32_t nusers = rec_dict_size(in->users);
	size_t *order = malloc((in->n + 1) * sizeof(*order));
	size_t *start = calloc((size_t)nusers + 1, sizeof(*start));
	int rc = order && start ? group_by_user(in, order, start) : REC_ENOMEM;

	for (uint32_t u = 0; u < nusers && rc == 0; u++)
		rc = add_user_predictions(a, in, order + start[u], start[u + 1] - start[u],
					  u, rows);
	free(order);
	free(start);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

/* --- the test users, their test items and their lists --- */

void rec_eval_release(struct rec_eval *ev)
{
	if (!ev)
		return;
	free(ev->user);
	free(ev->tptr);
	free(ev->titem);
	free(ev->list);
	free(ev->len);
	free(ev->auc);
	rec_catalogue_release(ev->cat);
	free(ev->cat);
	free(ev->clist);
	memset(ev, 0, sizeof(*ev));
}

/* Each test user's items through map into the lists' indices, ascending. */
static void test_items(struct rec_eval *ev, const int64_t *map)
{
	const struct rec_dataset *t = ev->test;
	uint64_t at = 0;

	for (uint32_t u = 0; u < ev->n; u++) {
		uint32_t tu = ev->user[u], n = 0;

		ev->tptr[u] = at;
		for (uint64_t e = t->rowptr[tu]; e < t->rowptr[tu + 1]; e++, n++) {
			int64_t x = map[t->col[e]];

			ev->titem[at + n] = x < 0 ? UINT32_MAX : (uint32_t)x;
		}
		qsort(ev->titem + at, n, sizeof(*ev->titem), cmp_u32);
		at += n;
	}
	ev->tptr[ev->n] = at;
}

int rec_eval_init(struct rec_eval *ev, const struct rec_dataset *test,
		  const struct rec_dict *items, uint32_t kmax, struct rec_error *err)
{
	int64_t *map = rec_dict_map(test->items, items);

	memset(ev, 0, sizeof(*ev));
	ev->test = test;
	ev->items = items;
	ev->kmax = kmax;
	ev->user = malloc(((size_t)test->nusers + 1) * sizeof(*ev->user));
	if (!map || !ev->user)
		goto fail;
	for (uint32_t u = 0; u < test->nusers; u++)
		if (test->rowptr[u + 1] > test->rowptr[u])
			ev->user[ev->n++] = u;
	ev->tptr = calloc((size_t)ev->n + 1, sizeof(*ev->tptr));
	ev->titem = malloc((test->nnz + 1) * sizeof(*ev->titem));
	ev->list = calloc((size_t)ev->n * kmax + 1, sizeof(*ev->list));
	ev->len = calloc((size_t)ev->n + 1, sizeof(*ev->len));
	if (!ev->tptr || !ev->titem || !ev->list || !ev->len)
		goto fail;
	test_items(ev, map);
	free(map);
	return 0;
fail:
	free(map);
	rec_eval_release(ev);
	return rec_error_set(err, REC_ENOMEM, "out of memory");
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec_eval_input_row *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* The rows of test users into out, with user set to the user's place in
 * ev and ordered by user, rank and line; *n receives how many. */
static int test_rows(const struct rec_eval *ev, const struct rec_eval_input *in,
		     struct rec_eval_input_row *out, size_t *n)
{
	int64_t *umap = rec_dict_map(in->users, ev->test->users);
	uint32_t *pos = malloc(((size_t)ev->test->nusers + 1) * sizeof(*pos));

	*n = 0;
	if (!umap || !pos) {
		free(umap);
		free(pos);
		return REC_ENOMEM;
	}
	for (uint32_t u = 0; u < ev->test->nusers; u++)
		pos[u] = NO_USER;
	for (uint32_t u = 0; u < ev->n; u++)
		pos[ev->user[u]] = u;
	for (size_t i = 0; i < in->n; i++) {
		int64_t tu = umap[in->row[i].user];

		if (tu >= 0 && pos[tu] != NO_USER) {
			out[*n] = in->row[i];
			out[(*n)++].user = pos[tu];
		}
	}
	qsort(out, *n, sizeof(*out), cmp_rec);
	free(umap);
	free(pos);
	return 0;
}

static int duplicate_item(const struct rec_eval *ev, const struct rec_eval_input *in,
			  const struct rec_eval_input_row *r, struct rec_error *err)
{
	const char *item = rec_dict_name(in->items, r->item, NULL);
	const char *user = rec_dict_name(ev->test->users, ev->user[r->user], NULL);

	rec_error_set(err, REC_EPARSE, "item '%s' is listed twice for user '%s'", item, user);
	rec_error_at(err, in->name, r->line, 0);
	return REC_EPARSE;
}

int rec_eval_lists_read(struct rec_eval *ev, const struct rec_eval_input *in,
			size_t *ignored, struct rec_error *err)
{
	uint32_t nitems = rec_dict_size(in->items);
	struct rec_eval_input_row *row = malloc((in->n + 1) * sizeof(*row));
	uint32_t *mark = malloc(((size_t)nitems + 1) * sizeof(*mark));
	size_t n = 0;
	int rc = row && mark ? test_rows(ev, in, row, &n) : REC_ENOMEM;

	if (rc < 0) {
		rc = rec_error_set(err, rc, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < nitems; i++)
		mark[i] = NO_USER;
	for (size_t i = 0; i < n && rc == 0; i++) {
		uint32_t u = row[i].user;

		if (mark[row[i].item] == u)
			rc = duplicate_item(ev, in, &row[i], err);
		mark[row[i].item] = u;
		if (ev->len[u] < ev->kmax)
			ev->list[(size_t)u * ev->kmax + ev->len[u]++] = row[i].item;
	}
	*ignored = in->n - n;
out:
	free(row);
	free(mark);
	return rc;
}

/* --- ranking with a model: every item scored for each test user --- */

struct ranking {
	struct rec_eval *ev;
	uint32_t nitems;
};

static void auc_of_user(void *ctx, size_t u, const float *scores)
{
	struct ranking *r = ctx;
	struct rec_eval *ev = r->ev;
	uint32_t ntest = (uint32_t)(ev->tptr[u + 1] - ev->tptr[u]);

	ev->auc[u] = rec_metrics_auc(scores, r->nitems, ev->titem + ev->tptr[u], ntest);
}

static void keep_lists(void *ctx, size_t first, uint32_t n, const uint32_t *idx,
		       const float *val, const uint32_t *found)
{
	struct rec_eval *ev = ((struct ranking *)ctx)->ev;

	(void)val;
	for (uint32_t j = 0; j < n; j++) {
		ev->len[first + j] = found[j];
		memcpy(ev->list + (first + j) * ev->kmax, idx + (size_t)j * ev->kmax,
		       found[j] * sizeof(*idx));
	}
}

/* Each user's results land in its own slots, so they are the same
 * whatever the threads. */
int rec_eval_lists_rank(struct rec_eval *ev, const struct rec_model *m,
			struct rec_error *err)
{
	int64_t *umap = rec_dict_map(ev->test->users, m->data.users);
	int64_t *users = malloc(((size_t)ev->n + 1) * sizeof(*users));
	struct ranking r = { ev, m->data.nitems };
	struct rec_rank_options ro = { .k = ev->kmax, .scored = auc_of_user,
				       .ranked = keep_lists, .ctx = &r };
	int rc;

	ev->auc = calloc((size_t)ev->n + 1, sizeof(*ev->auc));
	if (!umap || !users || !ev->auc) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t u = 0; u < ev->n; u++)
		users[u] = umap[ev->user[u]];
	rc = rec_model_rank(m, users, ev->n, &ro, err);
out:
	free(users);
	free(umap);
	return rc;
}

/* --- the metrics of the lists --- */

/* The lists in the catalogue's indices: through the map from the lists'
 * items to the training set's, or the same indices when they share the
 * dictionary (a model and its training data). */
int rec_eval_catalogue(struct rec_eval *ev, const struct rec_dataset *train,
		       struct rec_error *err)
{
	int same = train->items == ev->items;
	int64_t *map = same ? NULL : rec_dict_map(ev->items, train->items);
	int rc = REC_ENOMEM;

	ev->cat = calloc(1, sizeof(*ev->cat));
	ev->clist = calloc((size_t)ev->n * ev->kmax + 1, sizeof(*ev->clist));
	if ((!same && !map) || !ev->cat || !ev->clist || rec_catalogue_init(ev->cat, train) < 0)
		goto out;
	for (uint32_t u = 0; u < ev->n; u++)
		for (size_t i = (size_t)u * ev->kmax; i < (size_t)u * ev->kmax + ev->len[u]; i++) {
			uint32_t x = ev->list[i];

			ev->clist[i] = same ? x : map[x] < 0 ? UINT32_MAX : (uint32_t)map[x];
		}
	rc = 0;
out:
	free(map);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

int rec_eval_acc_start(struct rec_eval_acc *a, const struct rec_eval *ev,
		       const uint32_t *k, unsigned nk, struct rec_error *err)
{
	uint32_t metrics = REC_EVAL_RANKING | (ev->auc ? REC_EVAL_SCORES : 0) |
			   (ev->cat ? REC_EVAL_BEYOND : 0);

	return rec_eval_acc_init(a, metrics, k, nk, ev->cat ? ev->cat->nitems : 0, err);
}

/* The length of user u's list at cut-off k. */
static uint32_t cut(const struct rec_eval *ev, uint32_t u, uint32_t k)
{
	return ev->len[u] < k ? ev->len[u] : k;
}

/* User u's ranking metrics at every cut-off and AUC, added to a and, with
 * rows, reported. */
static int add_user(struct rec_eval_acc *a, const struct rec_eval *ev, uint32_t u,
		    struct rec_eval_rows *rows)
{
	const uint32_t *test = ev->titem + ev->tptr[u];
	uint32_t ntest = (uint32_t)(ev->tptr[u + 1] - ev->tptr[u]);
	struct rec_rank_metrics x;
	double v[NRANK];
	int rc = 0;

	for (unsigned ki = 0; ki < a->nk && rc == 0; ki++) {
		rec_metrics_rank(ev->list + (size_t)u * ev->kmax, ev->len[u], test, ntest,
				 a->k[ki], &x);
		rank_values(&x, v);
		add_ranking(a, ki, v);
		for (int j = 0; j < NRANK && rows && rc == 0; j++)
			rc = push_row(rows, ev->user[u], REC_M_PRECISION + j, a->k[ki], v[j]);
	}
	if (rc < 0 || !ev->auc || ev->auc[u] < 0)
		return rc;
	add(a, REC_M_AUC, 0, ev->auc[u], 1);
	return rows ? push_row(rows, ev->user[u], REC_M_AUC, 0, ev->auc[u]) : 0;
}

/* The diversity at cut-off k of users [first, first + n) into div, in
 * parallel: the lists of popular items cost the most. */
static int diversities(const struct rec_eval *ev, uint32_t first, uint32_t n, uint32_t k,
		       double *div)
{
	int failed = 0;

	#pragma omp parallel
	{
		uint64_t *held = calloc((size_t)ev->cat->user_ids + 1, sizeof(*held));

		if (!held) {
			#pragma omp atomic write
			failed = 1;
		}
		#pragma omp for schedule(dynamic, 16)
		for (uint32_t j = 0; j < n; j++)
			if (held)
				div[j] = rec_metrics_diversity(ev->cat, ev->clist +
							       (size_t)(first + j) * ev->kmax,
							       cut(ev, first + j, k), held);
		free(held);
	}
	return failed ? REC_ENOMEM : 0;
}

/* Coverage, novelty, diversity, popularity and Gini at cut-off k[ki] of
 * users [first, first + n), summed in user order. */
static int add_beyond(struct rec_eval_acc *a, const struct rec_eval *ev, uint32_t first,
		      uint32_t n, unsigned ki)
{
	uint64_t *count = a->recommended + (size_t)ki * a->nitems;
	double *div = malloc(((size_t)n + 1) * sizeof(*div));

	if (!div || diversities(ev, first, n, a->k[ki], div) < 0) {
		free(div);
		return REC_ENOMEM;
	}
	for (uint32_t j = 0; j < n; j++) {
		const uint32_t *l = ev->clist + (size_t)(first + j) * ev->kmax;
		uint32_t len = cut(ev, first + j, a->k[ki]);

		for (uint32_t i = 0; i < len; i++)
			if (l[i] < a->nitems)
				count[l[i]]++;
		add(a, REC_M_NOVELTY, ki, rec_metrics_novelty_sum(ev->cat, l, len), len);
		add(a, REC_M_POPULARITY, ki, rec_metrics_popularity_sum(ev->cat, l, len), len);
		if (div[j] >= 0)
			add(a, REC_M_DIVERSITY, ki, div[j], 1);
	}
	free(div);
	return 0;
}

int rec_eval_add(struct rec_eval_acc *a, const struct rec_eval *ev, uint32_t first,
		 uint32_t n, struct rec_eval_rows *rows, struct rec_error *err)
{
	int beyond = (a->metrics & REC_EVAL_BEYOND) != 0;
	int rc = 0;

	if (first > ev->n || n > ev->n - first || (beyond && !ev->cat) ||
	    (beyond && ev->cat->nitems != a->nitems))
		return rec_error_set(err, REC_EINVAL, "the users or the sums do not fit "
				     "the evaluation");
	for (uint32_t u = first; u < first + n && rc == 0; u++)
		rc = add_user(a, ev, u, rows);
	for (unsigned ki = 0; ki < a->nk && beyond && rc == 0; ki++)
		rc = add_beyond(a, ev, first, n, ki);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}
