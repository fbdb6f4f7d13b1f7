/* eval.c - the evaluation engine: the metrics of recommendation lists, of
 * a model ranking every item and of rating predictions, summed user by
 * user into an accumulator that merges with others and turns into rows
 * at the end.  The sums are exact, so the means depend neither on the
 * threads nor on how the users were split. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

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
	r->row[r->n++] = (struct rec_eval_row){ user, m, rec_metric_has_k(m) ? k : 0, value, NULL };
	return 0;
}

void rec_eval_rows_release(struct rec_eval_rows *r)
{
	if (!r)
		return;
	free(r->row);
	memset(r, 0, sizeof(*r));
}

/* The row's metric name led by its scope, in buf[64]. */
static const char *row_name(const struct rec_eval_row *w, char *buf)
{
	snprintf(buf, 64, "%s%s", w->scope ? w->scope : "", rec_metric_name(w->metric));
	return buf;
}

/* Rows as CSV, each led by its user's name (with users) and by lead.  A
 * metric without a cut-off has k 0, which "%.0u" prints as nothing. */
void rec_eval_rows_csv(FILE *fp, const struct rec_eval_rows *r, const struct rec_dict *users,
		       const char *lead)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct rec_eval_row *w = &r->row[i];
		char buf[64];

		if (users) {
			size_t len;
			const char *name = rec_dict_name(users, w->user, &len);

			rec_csv_field(fp, name, len);
			putc(',', fp);
		}
		/* events is a count */
		fprintf(fp, "%s%s,%.0u,%.*f\n", lead, row_name(w, buf), w->k,
			w->metric == REC_M_EVENTS ? 0 : 6, w->value);
	}
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Columns padded to their widest entry: names to the left, numbers to
 * the right; a user column with users; k as in rec_eval_rows_csv. */
void rec_eval_rows_table(FILE *fp, const struct rec_eval_rows *r, const struct rec_dict *users)
{
	int wu = 4, wm = 6, wk = 1, wv = 5;
	char v[64], buf[64];

	for (size_t i = 0; i < r->n; i++) {
		const struct rec_eval_row *w = &r->row[i];

		if (users) {
			size_t len;

			rec_dict_name(users, w->user, &len);
			wu = max_int(wu, (int)len);
		}
		wm = max_int(wm, (int)strlen(row_name(w, buf)));
		wk = max_int(wk, snprintf(v, sizeof(v), "%.0u", w->k));
		wv = max_int(wv, snprintf(v, sizeof(v), "%.6f", w->value));
	}
	if (users)
		fprintf(fp, "%-*s  ", wu, "user");
	fprintf(fp, "%-*s  %*s  %*s\n", wm, "metric", wk, "k", wv, "value");
	for (size_t i = 0; i < r->n; i++) {
		const struct rec_eval_row *w = &r->row[i];

		if (users)
			fprintf(fp, "%-*s  ", wu, rec_dict_name(users, w->user, NULL));
		fprintf(fp, "%-*s  %*.0u  %*.6f\n", wm, row_name(w, buf), wk, w->k,
			wv, w->value);
	}
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

/* a's rows, their names led by scope (or by nothing when NULL). */
static int scoped_rows(const struct rec_eval_acc *a, const char *scope,
		       struct rec_eval_rows *rows, struct rec_error *err)
{
	uint64_t *scratch = malloc(((size_t)a->nitems + 1) * sizeof(*scratch));
	int rc = scratch ? 0 : REC_ENOMEM;

	for (int m = 0; m < REC_NMETRICS && rc == 0; m++) {
		if (!(a->metrics & REC_M_BIT(m)))
			continue;
		for (unsigned ki = 0; ki < (rec_metric_has_k(m) ? a->nk : 1) && rc == 0; ki++)
			if ((rc = push_row(rows, REC_EVAL_ALL, m, a->k[ki],
					   value(a, m, ki, scratch))) == 0)
				rows->row[rows->n - 1].scope = scope;
	}
	free(scratch);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

int rec_eval_rows(const struct rec_eval_acc *a, struct rec_eval_rows *rows,
		  struct rec_error *err)
{
	return scoped_rows(a, NULL, rows, err);
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
	if (ev->sim)
		rec_similarity_release(ev->sim);
	free(ev->sim);
	rec_features_free(ev->attrs);
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
		qsort(ev->titem + at, n, sizeof(*ev->titem), rec_cmp_u32);
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
	char qi[REC_QUOTED], qu[REC_QUOTED];

	rec_error_set(err, REC_EPARSE, "item %s is listed twice for user %s", rec_quoted(item, qi),
		      rec_quoted(user, qu));
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
	struct rec_rank_options ro = { .k = ev->kmax, .allow = ev->allow, .scored = auc_of_user,
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

int rec_eval_similarity(struct rec_eval *ev, enum rec_similarity_kind kind,
			const struct rec_dataset *train, const struct rec_model *m,
			struct rec_error *err)
{
	int vectors = kind == REC_SIM_VECTORS && m;
	int rc;

	if (kind == REC_SIM_AUTO || kind == REC_SIM_COOCCURRENCE)
		return 0;
	if (!(ev->sim = calloc(1, sizeof(*ev->sim))))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	if ((rc = rec_similarity_init(ev->sim, kind, vectors ? &m->data : train, m, err)) < 0) {
		free(ev->sim);
		ev->sim = NULL;
		return rc;
	}
	/* The attributes are train's, which may go before ev. */
	if (kind == REC_SIM_ATTRIBUTES)
		ev->attrs = rec_features_ref(train->item_features);
	return 0;
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

/* User u's list against test[0..ntest): the ranking metrics at every
 * cut-off, added to a and, with rows, reported. */
static int add_list(struct rec_eval_acc *a, const struct rec_eval *ev, uint32_t u,
		    const uint32_t *test, uint32_t ntest, struct rec_eval_rows *rows)
{
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
	return rc;
}

/* User u's ranking metrics at every cut-off and AUC, added to a and, with
 * rows, reported. */
static int add_user(struct rec_eval_acc *a, const struct rec_eval *ev, uint32_t u,
		    struct rec_eval_rows *rows)
{
	uint32_t ntest = (uint32_t)(ev->tptr[u + 1] - ev->tptr[u]);
	int rc = add_list(a, ev, u, ev->titem + ev->tptr[u], ntest, rows);

	if (rc < 0 || !ev->auc || ev->auc[u] < 0)
		return rc;
	add(a, REC_M_AUC, 0, ev->auc[u], 1);
	return rows ? push_row(rows, ev->user[u], REC_M_AUC, 0, ev->auc[u]) : 0;
}

/* The diversity of user u's list at cut-off k by ev's similarity, whose
 * vectors are indexed as the lists are and attributes as the catalogue,
 * or by co-occurrence in the catalogue with held's words. */
static double diversity(const struct rec_eval *ev, uint32_t u, uint32_t k, uint64_t *held)
{
	const struct rec_similarity *s = ev->sim;
	size_t at = (size_t)u * ev->kmax;

	if (!s)
		return rec_metrics_diversity(ev->cat, ev->clist + at, cut(ev, u, k), held);
	return rec_similarity_diversity(s, (s->kind == REC_SIM_VECTORS ? ev->list :
					    ev->clist) + at, cut(ev, u, k));
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
				div[j] = diversity(ev, first + j, k, held);
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

/* --- the cold start --- */

void rec_eval_cold_release(struct rec_eval_cold *c)
{
	if (!c)
		return;
	rec_eval_acc_release(&c->users);
	rec_eval_acc_release(&c->items);
	memset(c, 0, sizeof(*c));
}

/* For each item of test, 1 when train has no event of it: a new array, or
 * NULL. */
static uint8_t *cold_items(const struct rec_dataset *test, const struct rec_dataset *train)
{
	int64_t *map = rec_dict_map(test->items, train->items);
	uint8_t *seen = calloc((size_t)train->nitems + 1, 1);
	uint8_t *cold = malloc((size_t)test->nitems + 1);

	if (map && seen && cold) {
		for (uint64_t e = 0; e < train->nnz; e++)
			seen[train->col[e]] = 1;
		for (uint32_t i = 0; i < test->nitems; i++)
			cold[i] = map[i] < 0 || !seen[map[i]];
	} else {
		free(cold);
		cold = NULL;
	}
	free(map);
	free(seen);
	return cold;
}

/* User u's list against his cold test items alone (ascending in the
 * lists' indices through lmap, in buf), if he has any. */
static int add_cold_items(struct rec_eval_cold *c, const struct rec_eval *ev, uint32_t u,
			  const uint8_t *cold, const int64_t *lmap, uint32_t *buf)
{
	const struct rec_dataset *t = ev->test;
	uint32_t tu = ev->user[u], n = 0;

	for (uint64_t e = t->rowptr[tu]; e < t->rowptr[tu + 1]; e++)
		if (cold[t->col[e]])
			buf[n++] = lmap[t->col[e]] < 0 ? UINT32_MAX : (uint32_t)lmap[t->col[e]];
	if (!n)
		return 0;
	qsort(buf, n, sizeof(*buf), rec_cmp_u32);
	c->nitems++;
	return add_list(&c->items, ev, u, buf, n, NULL);
}

/* Each test user into the scopes he belongs to. */
static int add_cold(struct rec_eval_cold *c, const struct rec_eval *ev,
		    const struct rec_dataset *train, const uint8_t *cold, const int64_t *umap,
		    const int64_t *lmap, uint32_t *buf)
{
	int rc = 0;

	for (uint32_t u = 0; u < ev->n && rc == 0; u++) {
		int64_t tu = umap[ev->user[u]];

		if (tu < 0 || train->rowptr[tu + 1] == train->rowptr[tu]) {
			c->nusers++;
			rc = add_user(&c->users, ev, u, NULL);
		}
		if (rc == 0)
			rc = add_cold_items(c, ev, u, cold, lmap, buf);
	}
	return rc;
}

int rec_eval_cold(struct rec_eval_cold *c, const struct rec_eval *ev,
		  const struct rec_dataset *train, const uint32_t *k, unsigned nk,
		  struct rec_error *err)
{
	const struct rec_dataset *t = ev->test;
	uint8_t *cold = cold_items(t, train);
	int64_t *umap = rec_dict_map(t->users, train->users);
	int64_t *lmap = rec_dict_map(t->items, ev->items);
	uint32_t *buf = malloc(((size_t)t->nitems + 1) * sizeof(*buf));
	int rc = cold && umap && lmap && buf ? 0 : REC_ENOMEM;

	memset(c, 0, sizeof(*c));
	if (rc == 0 && (rec_eval_acc_init(&c->users, REC_EVAL_RANKING |
					  (ev->auc ? REC_EVAL_SCORES : 0), k, nk, 0, err) < 0 ||
			rec_eval_acc_init(&c->items, REC_EVAL_RANKING, k, nk, 0, err) < 0))
		rc = REC_ENOMEM;
	if (rc == 0)
		rc = add_cold(c, ev, train, cold, umap, lmap, buf);
	free(cold);
	free(umap);
	free(lmap);
	free(buf);
	if (rc < 0)
		rec_eval_cold_release(c);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

int rec_eval_cold_rows(const struct rec_eval_cold *c, struct rec_eval_rows *rows,
		       struct rec_error *err)
{
	if (c->nusers && scoped_rows(&c->users, "cold_users:", rows, err) < 0)
		return err->code;
	if (c->nitems && scoped_rows(&c->items, "cold_items:", rows, err) < 0)
		return err->code;
	return 0;
}

/* --- evaluations in parts --- */

void rec_eval_shard(struct rec_eval *ev, const struct rec_shard *s)
{
	uint32_t w = 0;
	uint64_t at = 0;

	for (uint32_t u = 0; u < ev->n; u++) {
		size_t len;
		const char *id = rec_dict_name(ev->test->users, ev->user[u], &len);
		uint64_t first = ev->tptr[u], end = ev->tptr[u + 1];

		if (!rec_shard_has(s, id, len))
			continue;
		memmove(ev->titem + at, ev->titem + first, (end - first) * sizeof(*ev->titem));
		ev->user[w] = ev->user[u];
		ev->tptr[w++] = at;
		at += end - first;
	}
	ev->tptr[w] = at;
	ev->n = w;
}

void rec_eval_input_shard(struct rec_eval_input *in, const struct rec_shard *s)
{
	size_t w = 0;

	for (size_t i = 0; i < in->n; i++) {
		size_t len;
		const char *id = rec_dict_name(in->users, in->row[i].user, &len);

		if (rec_shard_has(s, id, len))
			in->row[w++] = in->row[i];
	}
	in->n = w;
}

uint64_t rec_eval_identity(const struct rec_eval *ev)
{
	uint64_t h = rec_dataset_hash(ev->test);

	return ev->cat ? h ^ rec_catalogue_hash(ev->cat) : h;
}

/* The text form of a part, in rec-formats(5): the fields of its longest
 * line are the key and the cut-offs. */
#define PART_MAGIC "rec-eval-part"
#define PART_VERSION 1
#define PART_MAX_K 64
#define PART_FIELDS (PART_MAX_K + 1)

/* A part's text on its way out, with the CRC-32 of what was written. */
struct part_out {
	FILE *fp;
	uLong crc;
};

static void __attribute__((format(printf, 2, 3))) put(struct part_out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	o->crc = crc32(o->crc, (const Bytef *)buf, (uInt)n);
	fputs(buf, o->fp);
}

/* v in decimal into buf[40], which it returns. */
static const char *i128_text(__int128 v, char *buf)
{
	unsigned __int128 x = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	char *p = buf + 39;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(x % 10));
		x /= 10;
	} while (x);
	if (v < 0)
		*--p = '-';
	return p;
}

/* The metric's rows of sums, one a cut-off or one in all. */
static unsigned cells_of(const struct rec_eval_acc *a, int m)
{
	return rec_metric_has_k(m) ? a->nk : 1;
}

/* The lines of the part, then the CRC-32 of their bytes. */
static void put_part(struct part_out *o, const struct rec_eval_part *p,
		     const struct rec_eval_acc *a)
{
	char num[40];

	put(o, "%s,%d\nshard,%u,%u\ndata,%016llx\nmodel,%016llx\nmetrics", PART_MAGIC,
	    PART_VERSION, p->shard.i, p->shard.n, (unsigned long long)p->data,
	    (unsigned long long)p->model);
	for (int m = 0; m < REC_NMETRICS; m++)
		if (a->metrics & REC_M_BIT(m))
			put(o, ",%s", rec_metric_name(m));
	put(o, "\nk");
	for (unsigned ki = 0; ki < a->nk; ki++)
		put(o, ",%u", a->k[ki]);
	put(o, "\nitems,%u\nerrors,%a,%a\n", a->nitems, a->sq_error, a->abs_error);
	for (int m = 0; m < REC_NMETRICS; m++)
		for (unsigned ki = 0; ki < cells_of(a, m) && (a->metrics & REC_M_BIT(m)); ki++)
			put(o, "sum,%s,%.0u,%s,%.0f\n", rec_metric_name(m),
			    rec_metric_has_k(m) ? a->k[ki] : 0,
			    i128_text(a->sum[cell(a, m, ki)], num), a->count[cell(a, m, ki)]);
	for (unsigned ki = 0; ki < a->nk; ki++)
		for (uint32_t i = 0; i < a->nitems; i++)
			if (a->recommended[(size_t)ki * a->nitems + i])
				put(o, "recommended,%u,%u,%llu\n", a->k[ki], i, (unsigned long long)
				    a->recommended[(size_t)ki * a->nitems + i]);
	fprintf(o->fp, "crc32,%08lx\n", o->crc);
}

void rec_eval_part_write(const struct rec_eval_part *p, const struct rec_eval_acc *a,
			 FILE *fp)
{
	struct part_out o = { fp, crc32(0, NULL, 0) };

	put_part(&o, p, a);
}

/* A part's text on its way in: the current line split at its commas, and
 * the CRC-32 of the lines before the crc32 line. */
struct part_in {
	FILE *fp;
	const char *path;
	long line;
	uLong crc;
	char *buf;
	size_t cap;
	char *field[PART_FIELDS];
	int n;
	struct rec_error *err;
};

/* Place the error already recorded at the current line; returns rc. */
static int at(struct part_in *in, int rc)
{
	rec_error_at(in->err, in->path, in->line, 0);
	return rc;
}

static int next_line(struct part_in *in)
{
	ssize_t len = getline(&in->buf, &in->cap, in->fp);
	char *s;

	in->line++;
	if (len < 0)
		return at(in, rec_error_set(in->err, REC_EPARSE, ferror(in->fp) ?
					    "read failed" : "the part ends early"));
	if (strncmp(in->buf, "crc32,", 6) != 0)
		in->crc = crc32(in->crc, (const Bytef *)in->buf, (uInt)len);
	if (in->buf[len - 1] == '\n')
		in->buf[len - 1] = '\0';
	in->n = 0;
	for (s = in->buf;;) {
		if (in->n == PART_FIELDS)
			return at(in, rec_error_set(in->err, REC_EPARSE, "too many fields"));
		in->field[in->n++] = s;
		if (!(s = strchr(s, ',')))
			return 0;
		*s++ = '\0';
	}
}

/* The next line, which must be led by key and, unless nfields is 0, have
 * nfields fields. */
static int expect(struct part_in *in, const char *key, int nfields)
{
	int rc = next_line(in);

	if (rc < 0)
		return rc;
	if (strcmp(in->field[0], key) != 0 || (nfields && in->n != nfields))
		return at(in, rec_error_set(in->err, REC_EPARSE, "want a %s line of %d fields",
					    key, nfields ? nfields : 2));
	return 0;
}

static int field_long(struct part_in *in, int f, long min, long max, long *v)
{
	return rec_parse_long(in->field[f], min, max, v, in->field[0], in->err) < 0 ?
	       at(in, REC_EPARSE) : 0;
}

static int field_u64(struct part_in *in, int f, uint64_t *v)
{
	return rec_parse_u64(in->field[f], v, in->field[0], in->err) < 0 ? at(in, REC_EPARSE) : 0;
}

/* A number of exactly digits hexadecimal digits. */
static int field_hex(struct part_in *in, int f, size_t digits, uint64_t *v)
{
	char *end, q[REC_QUOTED];

	errno = 0;
	*v = strtoull(in->field[f], &end, 16);
	if (strlen(in->field[f]) != digits || strspn(in->field[f], "0123456789abcdef") != digits ||
	    *end || errno)
		return at(in, rec_error_set(in->err, REC_EPARSE, "bad %s %s", in->field[0],
					    rec_quoted(in->field[f], q)));
	return 0;
}

/* A number as %a writes it. */
static int field_double(struct part_in *in, int f, double *v)
{
	char *end, q[REC_QUOTED];

	errno = 0;
	*v = strtod(in->field[f], &end);
	if (end == in->field[f] || *end || errno || !isfinite(*v))
		return at(in, rec_error_set(in->err, REC_EPARSE, "bad %s %s", in->field[0],
					    rec_quoted(in->field[f], q)));
	return 0;
}

static int field_i128(struct part_in *in, int f, __int128 *v)
{
	const char *s = in->field[f];
	char q[REC_QUOTED];
	unsigned __int128 x = 0, limit = ~(unsigned __int128)0 >> 1;
	int neg = *s == '-';

	for (s += neg; *s >= '0' && *s <= '9' && x <= limit / 10; s++)
		x = x * 10 + (unsigned)(*s - '0');
	if (*s || s == in->field[f] + neg || x > limit)
		return at(in, rec_error_set(in->err, REC_EPARSE, "bad sum %s",
					    rec_quoted(in->field[f], q)));
	*v = neg ? -(__int128)x : (__int128)x;
	return 0;
}

/* The version, shard and hashes of a part. */
static int read_identity(struct part_in *in, struct rec_eval_part *p)
{
	long v, n;
	int rc;

	if ((rc = next_line(in)) < 0)
		return rc;
	if (strcmp(in->field[0], PART_MAGIC) != 0 || in->n != 2)
		return at(in, rec_error_set(in->err, REC_EFORMAT, "not a part of an evaluation "
					    "(want a first line %s,%d)", PART_MAGIC, PART_VERSION));
	if ((rc = field_long(in, 1, 1, LONG_MAX, &v)) < 0)
		return rc;
	if (v > PART_VERSION)
		return at(in, rec_error_set(in->err, REC_EVERSION, "part version %ld is newer "
					    "than this program reads (%d)", v, PART_VERSION));
	if ((rc = expect(in, "shard", 3)) < 0 ||
	    (rc = field_long(in, 2, 1, REC_SHARD_LIMIT, &n)) < 0 ||
	    (rc = field_long(in, 1, 1, n, &v)) < 0)
		return rc;
	p->shard = (struct rec_shard){ (uint32_t)v, (uint32_t)n };
	if ((rc = expect(in, "data", 2)) < 0 || (rc = field_hex(in, 1, 16, &p->data)) < 0)
		return rc;
	if ((rc = expect(in, "model", 2)) < 0 || (rc = field_hex(in, 1, 16, &p->model)) < 0)
		return rc;
	return 0;
}

/* The metrics, cut-offs and catalogue size of a part, which start a. */
static int read_shape(struct part_in *in, struct rec_eval_acc *a)
{
	uint32_t metrics = 0, k[PART_MAX_K];
	char q[REC_QUOTED];
	long v, nitems;
	int rc, m, nk;

	if ((rc = expect(in, "metrics", 0)) < 0)
		return rc;
	for (int f = 1; f < in->n; f++) {
		for (m = 0; m < REC_NMETRICS && strcmp(in->field[f], metric_name[m]); m++)
			;
		if (m == REC_NMETRICS)
			return at(in, rec_error_set(in->err, REC_EPARSE, "unknown metric %s",
						    rec_quoted(in->field[f], q)));
		metrics |= REC_M_BIT(m);
	}
	if ((rc = expect(in, "k", 0)) < 0)
		return rc;
	nk = in->n - 1;
	for (int f = 1; f < in->n; f++)
		if ((rc = field_long(in, f, 1, UINT32_MAX, &v)) < 0)
			return rc;
		else
			k[f - 1] = (uint32_t)v;
	if ((rc = expect(in, "items", 2)) < 0 ||
	    (rc = field_long(in, 1, 0, UINT32_MAX - 1, &nitems)) < 0)
		return rc;
	if ((rc = rec_eval_acc_init(a, metrics, k, (unsigned)nk, (uint32_t)nitems, in->err)) < 0)
		return at(in, rc);
	return 0;
}

/* The sums, as put_part writes them. */
static int read_sums(struct part_in *in, struct rec_eval_acc *a)
{
	char k[16];
	uint64_t count;
	int rc;

	if ((rc = expect(in, "errors", 3)) < 0 || (rc = field_double(in, 1, &a->sq_error)) < 0 ||
	    (rc = field_double(in, 2, &a->abs_error)) < 0)
		return rc;
	for (int m = 0; m < REC_NMETRICS; m++)
		for (unsigned ki = 0; ki < cells_of(a, m) && (a->metrics & REC_M_BIT(m)); ki++) {
			snprintf(k, sizeof(k), "%.0u", rec_metric_has_k(m) ? a->k[ki] : 0);
			if ((rc = expect(in, "sum", 5)) < 0)
				return rc;
			if (strcmp(in->field[1], metric_name[m]) || strcmp(in->field[2], k))
				return at(in, rec_error_set(in->err, REC_EPARSE, "want the sum of "
							    "%s at k '%s'", metric_name[m], k));
			if ((rc = field_i128(in, 3, &a->sum[cell(a, m, ki)])) < 0 ||
			    (rc = field_u64(in, 4, &count)) < 0)
				return rc;
			a->count[cell(a, m, ki)] = (double)count;
		}
	return 0;
}

/* One recommended line: how often an item was recommended at a cut-off. */
static int read_recommended(struct part_in *in, struct rec_eval_acc *a)
{
	uint64_t count;
	long k, item;
	unsigned ki;
	int rc;

	if (in->n != 4)
		return at(in, rec_error_set(in->err, REC_EPARSE, "want a recommended line of "
					    "4 fields"));
	if ((rc = field_long(in, 1, 1, UINT32_MAX, &k)) < 0 ||
	    (rc = field_long(in, 2, 0, (long)a->nitems - 1, &item)) < 0 ||
	    (rc = field_u64(in, 3, &count)) < 0)
		return rc;
	for (ki = 0; ki < a->nk && a->k[ki] != (uint32_t)k; ki++)
		;
	if (ki == a->nk)
		return at(in, rec_error_set(in->err, REC_EPARSE, "k '%ld' is not a cut-off", k));
	a->recommended[(size_t)ki * a->nitems + (size_t)item] += count;
	return 0;
}

/* The recommended lines up to the crc32 line, which must end the file
 * and match. */
static int read_tail(struct part_in *in, struct rec_eval_acc *a)
{
	uint64_t crc;
	int rc;

	while ((rc = next_line(in)) == 0 && strcmp(in->field[0], "crc32") != 0)
		if (strcmp(in->field[0], "recommended") != 0)
			return at(in, rec_error_set(in->err, REC_EPARSE, "unexpected %s line",
						    in->field[0]));
		else if ((rc = read_recommended(in, a)) < 0)
			return rc;
	if (rc < 0)
		return rc;
	if (in->n != 2)
		return at(in, rec_error_set(in->err, REC_EPARSE, "want a crc32 line of 2 fields"));
	if ((rc = field_hex(in, 1, 8, &crc)) < 0)
		return rc;
	if (crc != in->crc)
		return at(in, rec_error_set(in->err, REC_ECHECKSUM, "CRC-32 mismatch: the part "
					    "says %08llx, its text gives %08lx",
					    (unsigned long long)crc, in->crc));
	if (getline(&in->buf, &in->cap, in->fp) >= 0)
		return at(in, rec_error_set(in->err, REC_EPARSE, "text after the crc32 line"));
	return 0;
}

int rec_eval_part_read(struct rec_eval_part *p, struct rec_eval_acc *a, const char *path,
		       struct rec_error *err)
{
	struct part_in in = { .path = path, .crc = crc32(0, NULL, 0), .err = err };
	int rc;

	memset(a, 0, sizeof(*a));
	if (!(in.fp = fopen(path, "r"))) {
		rec_error_set(err, REC_EIO, "%s", strerror(errno));
		rec_error_at(err, path, 0, 0);
		return REC_EIO;
	}
	if ((rc = read_identity(&in, p)) == 0 && (rc = read_shape(&in, a)) == 0 &&
	    (rc = read_sums(&in, a)) == 0)
		rc = read_tail(&in, a);
	fclose(in.fp);
	free(in.buf);
	if (rc < 0)
		rec_eval_acc_release(a);
	return rc;
}

/* The parts merged so far: the first's identity and path, and for each
 * shard the index + 1 of the path that gave it (0: none yet). */
struct merger {
	struct rec_eval_acc *a;
	struct rec_eval_part first;
	char *const *path;
	size_t *from;
};

/* What keeps the part from path[j] out of the merge, or NULL. */
static const char *mismatch(const struct merger *mg, const struct rec_eval_part *p,
			    const struct rec_eval_acc *x)
{
	const struct rec_eval_acc *a = mg->a;

	if (p->data != mg->first.data)
		return "the test sets or training sets differ";
	if (p->model != mg->first.model)
		return "the models differ";
	if (x->metrics != a->metrics || x->nk != a->nk || x->nitems != a->nitems ||
	    memcmp(x->k, a->k, a->nk * sizeof(*a->k)) != 0)
		return "the metrics, cut-offs or catalogue sizes differ";
	return NULL;
}

static int join(struct merger *mg, size_t j, const struct rec_eval_part *p,
		const struct rec_eval_acc *x, struct rec_error *err)
{
	const char *why;
	size_t *from;

	if (p->shard.n != mg->first.shard.n)
		return rec_error_set(err, REC_EINVAL, "'%s' is part %u of %u but '%s' is "
				     "part %u of %u", mg->path[j], p->shard.i, p->shard.n,
				     mg->path[0], mg->first.shard.i, mg->first.shard.n);
	if ((why = mismatch(mg, p, x)))
		return rec_error_set(err, REC_EINVAL, "'%s' and '%s' are parts of different "
				     "evaluations: %s", mg->path[0], mg->path[j], why);
	from = &mg->from[p->shard.i - 1];
	if (*from)
		return rec_error_set(err, REC_EINVAL, "part %u of %u is given twice: '%s' "
				     "and '%s'", p->shard.i, p->shard.n, mg->path[*from - 1],
				     mg->path[j]);
	*from = j + 1;
	return rec_eval_merge(mg->a, x, err);
}

int rec_eval_parts_merge(struct rec_eval_acc *a, char *const *path, size_t n,
			 struct rec_error *err)
{
	struct merger mg = { a, { { 0, 0 }, 0, 0 }, path, NULL };
	struct rec_eval_part p;
	struct rec_eval_acc x;
	int rc;

	memset(a, 0, sizeof(*a));
	if (!n)
		return rec_error_set(err, REC_EINVAL, "no parts to merge");
	if ((rc = rec_eval_part_read(&mg.first, a, path[0], err)) < 0)
		return rc;
	if (!(mg.from = calloc(mg.first.shard.n, sizeof(*mg.from)))) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	mg.from[mg.first.shard.i - 1] = 1;
	for (size_t j = 1; j < n && rc == 0; j++) {
		if ((rc = rec_eval_part_read(&p, &x, path[j], err)) < 0)
			break;
		rc = join(&mg, j, &p, &x, err);
		rec_eval_acc_release(&x);
	}
	for (uint32_t i = 0; i < mg.first.shard.n && rc == 0; i++)
		if (!mg.from[i])
			rc = rec_error_set(err, REC_EINVAL, "part %u of %u is missing", i + 1,
					   mg.first.shard.n);
out:
	free(mg.from);
	if (rc < 0)
		rec_eval_acc_release(a);
	return rc;
}
