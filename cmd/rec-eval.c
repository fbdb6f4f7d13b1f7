/* rec-eval - measure recommendations, predictions or a model against a
 * test set and print the metrics as CSV. */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_K 64
#define K_LIMIT 100000
#define NO_USER UINT32_MAX

enum {
	OPT_TEST = REC_OPT_PROGRAM, OPT_TRAIN, OPT_PER_USER, OPT_FORMAT,
	OPT_PREQUENTIAL, OPT_NO_UPDATE, OPT_WINDOW
};

enum metric {
	M_RMSE, M_MAE, M_PRECISION, M_RECALL, M_F1, M_HR, M_NDCG, M_MAP, M_MRR,
	M_AUC, M_COVERAGE, M_NOVELTY, M_DIVERSITY, M_POPULARITY, M_GINI, NMETRICS
};

static const char *const metric_name[NMETRICS] = {
	"rmse", "mae", "precision", "recall", "f1", "hr", "ndcg", "map", "mrr",
	"auc", "coverage", "novelty", "diversity", "popularity", "gini"
};

/* Metrics measured without a cut-off print an empty k. */
static int has_k(enum metric m)
{
	return m != M_RMSE && m != M_MAE && m != M_AUC;
}

struct options {
	struct rec_csv_options csv;
	const char *test;
	const char *train;
	const char *model;
	const char *output;
	const char *input;
	uint32_t k[MAX_K];	/* ascending, distinct */
	unsigned nk;
	int per_user;
	int table;
	int verbose;
	int prequential;
	int no_update;
	double window;		/* seconds; 0: one group */
};

/* A row of the output: a metric at k[ki] (or none), of one user or of all. */
struct out_row {
	uint32_t user;		/* NO_USER: the average */
	uint8_t metric;
	uint8_t ki;
	double value;
};

/* What goes out: the averages, or with --per-user the users' rows. */
struct report {
	const struct options *o;
	double agg[NMETRICS][MAX_K];
	int have[NMETRICS];
	const struct rec_dict *users;
	struct out_row *row;
	size_t n;
	size_t cap;
};

static const char synopsis[] =
	"usage: rec-eval [-qv] [-k LIST] [--test FILE] [--train FILE] [-m MODEL]\n"
	"                [--per-user] [--format csv|table] [-o FILE] [-j N]\n"
	"                [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                [--skip-bad] [FILE]\n"
	"       rec-eval --prequential -m MODEL [-q] [-k LIST] [--no-update]\n"
	"                [--window DURATION | --per-user] [-o FILE] [-u COL] [-i COL]\n"
	"                [-r COL] [-t COL] [-d C] [--no-header] [--skip-bad] [FILE]\n";

static const struct option longopts[] = {
	{ "cutoffs", required_argument, NULL, 'k' },
	{ "model", required_argument, NULL, 'm' },
	{ "test", required_argument, NULL, OPT_TEST },
	{ "train", required_argument, NULL, OPT_TRAIN },
	{ "per-user", no_argument, NULL, OPT_PER_USER },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "prequential", no_argument, NULL, OPT_PREQUENTIAL },
	{ "no-update", no_argument, NULL, OPT_NO_UPDATE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ NULL, 0, NULL, 0 }
};

static const struct rec_cli_program program = {
	.name = "rec-eval",
	.synopsis = synopsis,
	.help =
	"Measure recommendations (user,item,rank,score CSV), predictions\n"
	"(user,item,rating,prediction CSV) or, with -m, a model ranking every item,\n"
	"against a test set, and print the metrics as metric,k,value CSV.\n\n"
	"  -k, --cutoffs LIST     cut-offs of the ranking metrics, such as 5,10,20\n"
	"                         (default 10)\n"
	"      --test FILE        the test set (.recd or events CSV); needed but\n"
	"                         for predictions\n"
	"      --train FILE       the training set: adds coverage, novelty,\n"
	"                         diversity, popularity and gini\n"
	"  -m, --model MODEL      rank every item for each test user with MODEL\n"
	"                         (no FILE is read); adds auc\n"
	"      --per-user         print user,metric,k,value rows instead of means\n"
	"      --format F         csv (default) or table\n"
	"      --prequential      replay the events of FILE in time order: rank each\n"
	"                         event's item with the model as it stands, then\n"
	"                         fold the event in; prints hr, ndcg and mrr\n"
	"      --no-update        with --prequential: never fold events in\n"
	"      --window D         with --prequential: also per window of length D\n"
	"                         (like 1d), each row led by the window's start;\n"
	"                         --per-user: by the user's events before\n"
	"The events-CSV options apply to --test and --train:\n",
	.shortopts = "k:m:",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT,
};

static void bad_usage(const char *msg)
{
	rec_cli_usage_error(synopsis, msg);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		errx(1, "out of memory");
	return p;
}

static long parse_long(const char *arg, long min, long max, const char *what)
{
	struct rec_error e;
	long v;

	if (rec_parse_long(arg, min, max, &v, what, &e) < 0)
		bad_usage(e.msg);
	return v;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* "5,10,20": the cut-offs, sorted, without repeats. */
static void parse_cutoffs(const char *arg, struct options *o)
{
	char text[32];
	const char *p = arg;
	unsigned n = 0;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (len >= sizeof(text) || n == MAX_K)
			bad_usage("bad -k (want a list of at most 64 cut-offs, such as 5,10,20)");
		memcpy(text, p, len);
		text[len] = '\0';
		o->k[n++] = (uint32_t)parse_long(text, 1, K_LIMIT, "-k");
		if (!p[len])
			break;
		p += len + 1;
	}
	qsort(o->k, n, sizeof(*o->k), cmp_u32);
	o->nk = 0;
	for (unsigned i = 0; i < n; i++)
		if (i == 0 || o->k[i] != o->k[i - 1])
			o->k[o->nk++] = o->k[i];
}

static void parse_format(const char *arg, struct options *o)
{
	char msg[128];

	if (strcmp(arg, "csv") != 0 && strcmp(arg, "table") != 0) {
		snprintf(msg, sizeof(msg), "bad --format '%.64s' (want csv or table)", arg);
		bad_usage(msg);
	}
	o->table = strcmp(arg, "table") == 0;
}

static void check_prequential(const struct options *o)
{
	if (!o->model)
		bad_usage("--prequential needs -m MODEL");
	if (o->test || o->train || o->table)
		bad_usage("--prequential takes neither --test, --train nor --format");
	if (o->per_user && o->window > 0)
		bad_usage("--window and --per-user do not go together");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct rec_cli cli;
	struct rec_error e;
	int c;

	rec_cli_init(&cli, &program);
	while ((c = rec_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case 'k': parse_cutoffs(optarg, o); break;
		case 'm': o->model = optarg; break;
		case OPT_TEST: o->test = optarg; break;
		case OPT_TRAIN: o->train = optarg; break;
		case OPT_PER_USER: o->per_user = 1; break;
		case OPT_FORMAT: parse_format(optarg, o); break;
		case OPT_PREQUENTIAL: o->prequential = 1; break;
		case OPT_NO_UPDATE: o->no_update = 1; break;
		case OPT_WINDOW:
			if (rec_parse_duration(optarg, &o->window, "--window", &e) < 0)
				bad_usage(e.msg);
			break;
		}
	}
	o->csv = cli.csv;
	o->output = cli.output;
	o->verbose = cli.verbose;
	if (argc - optind > 1)
		bad_usage("one input file at most");
	o->input = optind < argc ? argv[optind] : "-";
	if (o->prequential)
		check_prequential(o);
	else if (o->no_update || o->window > 0)
		bad_usage("--no-update and --window go with --prequential");
	if (o->model && !o->prequential && optind < argc)
		bad_usage("-m reads no FILE: the model ranks every item");
	if (o->model && !o->prequential && !o->test)
		bad_usage("-m needs --test FILE");
}

/* --- the report --- */

static void add_row(struct report *r, uint32_t user, enum metric m, unsigned ki,
		    double value)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct out_row *p = realloc(r->row, cap * sizeof(*p));

		if (!p)
			errx(1, "out of memory");
		r->row = p;
		r->cap = cap;
	}
	r->row[r->n++] = (struct out_row){ user, (uint8_t)m, (uint8_t)ki, value };
}

static void set_agg(struct report *r, enum metric m, unsigned ki, double value)
{
	r->agg[m][ki] = value;
	r->have[m] = 1;
}

/* The averages as rows, metric by metric, each at every cut-off. */
static void agg_rows(struct report *r)
{
	for (int m = 0; m < NMETRICS; m++) {
		if (!r->have[m])
			continue;
		for (unsigned ki = 0; ki < (has_k(m) ? r->o->nk : 1); ki++)
			add_row(r, NO_USER, m, ki, r->agg[m][ki]);
	}
}

static const char *user_name(const struct report *r, const struct out_row *w,
			     size_t *len)
{
	return rec_dict_name(r->users, w->user, len);
}

static void k_text(const struct report *r, const struct out_row *w, char *buf,
		   size_t size)
{
	if (has_k(w->metric))
		snprintf(buf, size, "%u", r->o->k[w->ki]);
	else
		buf[0] = '\0';
}

static void print_csv(const struct report *r, FILE *fp)
{
	char k[16];

	fputs(r->o->per_user ? "user,metric,k,value\n" : "metric,k,value\n", fp);
	for (size_t i = 0; i < r->n; i++) {
		const struct out_row *w = &r->row[i];

		if (r->o->per_user) {
			size_t len;
			const char *name = user_name(r, w, &len);

			rec_csv_field(fp, name, len);
			putc(',', fp);
		}
		k_text(r, w, k, sizeof(k));
		fprintf(fp, "%s,%s,%.6f\n", metric_name[w->metric], k, w->value);
	}
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Columns padded to their widest entry: names to the left, numbers to
 * the right. */
static void print_table(const struct report *r, FILE *fp)
{
	int wu = 4, wm = 6, wk = 1, wv = 5;
	char k[16], v[64];

	for (size_t i = 0; i < r->n; i++) {
		const struct out_row *w = &r->row[i];

		if (r->o->per_user) {
			size_t len;

			user_name(r, w, &len);
			wu = max_int(wu, (int)len);
		}
		k_text(r, w, k, sizeof(k));
		wm = max_int(wm, (int)strlen(metric_name[w->metric]));
		wk = max_int(wk, (int)strlen(k));
		wv = max_int(wv, snprintf(v, sizeof(v), "%.6f", w->value));
	}
	if (r->o->per_user)
		fprintf(fp, "%-*s  ", wu, "user");
	fprintf(fp, "%-*s  %*s  %*s\n", wm, "metric", wk, "k", wv, "value");
	for (size_t i = 0; i < r->n; i++) {
		const struct out_row *w = &r->row[i];

		if (r->o->per_user)
			fprintf(fp, "%-*s  ", wu, user_name(r, w, NULL));
		k_text(r, w, k, sizeof(k));
		fprintf(fp, "%-*s  %*s  %*.6f\n", wm, metric_name[w->metric], wk, k, wv,
			w->value);
	}
}

static void write_report(struct report *r)
{
	struct rec_error e;
	FILE *fp;

	if (!r->o->per_user)
		agg_rows(r);
	if (!(fp = rec_cli_open_output(r->o->output, &e)))
		rec_cli_fail(&e);
	if (r->o->table)
		print_table(r, fp);
	else
		print_csv(r, fp);
	if (rec_cli_close_output(fp, r->o->output, &e) < 0)
		rec_cli_fail(&e);
}

/* --- reading recommendations or predictions --- */

enum { C_USER, C_ITEM, C_RANK, C_RATING, C_PRED, NCOL };
enum kind { KIND_UNKNOWN, KIND_RECS, KIND_PREDS };

/* One data row: a recommendation (rank) or a prediction (rating, pred). */
struct in_row {
	uint32_t user;
	uint32_t item;
	long rank;
	long line;
	double rating;
	double pred;
};

struct input {
	const char *name;	/* the file, for messages */
	enum kind kind;
	const struct rec_csv_column *col;
	struct rec_dict *users;
	struct rec_dict *items;
	long line;		/* the record number, header included */
	struct in_row *row;
	size_t n;
	size_t cap;
};

static void input_release(struct input *in)
{
	rec_dict_free(in->users);
	rec_dict_free(in->items);
	free(in->row);
}

/* The header tells the kind: a prediction column makes predictions. */
static int settle_kind(struct input *in, struct rec_error *err)
{
	const struct rec_csv_column *col = in->col;
	const char *msg = NULL;

	if (col[C_PRED].present && !col[C_RATING].present)
		msg = "a prediction column but no rating column in the header";
	else if (!col[C_PRED].present && !col[C_RANK].present)
		msg = "no rank or prediction column in the header";
	if (msg) {
		rec_error_set(err, REC_EPARSE, "%s", msg);
		rec_error_at(err, in->name, 1, 0);
		return REC_EPARSE;
	}
	in->kind = col[C_PRED].present ? KIND_PREDS : KIND_RECS;
	return 0;
}

static int parse_numbers(struct input *in, char *const *field, struct in_row *r,
			 struct rec_error *err)
{
	if (in->kind == KIND_RECS) {
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

static int push_row(struct input *in, const struct in_row *r)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 1024;
		struct in_row *p = realloc(in->row, cap * sizeof(*p));

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
	struct input *in = ctx;
	struct in_row r = { .line = ++in->line };
	int rc;

	if (!in->kind && (rc = settle_kind(in, err)) < 0)
		return rc;
	for (int c = C_USER; c <= C_ITEM; c++)
		if (!len[c]) {
			rec_error_set(err, REC_EPARSE, "empty %s ID", c == C_USER ? "user" : "item");
			err->column = c + 1;
			return REC_EPARSE;
		}
	if ((rc = parse_numbers(in, field, &r, err)) < 0)
		return rc;
	rc = rec_dict_intern(in->users, field[C_USER], len[C_USER], &r.user, NULL);
	if (rc == 0)
		rc = rec_dict_intern(in->items, field[C_ITEM], len[C_ITEM], &r.item, NULL);
	if (rc == 0)
		rc = push_row(in, &r);
	return rc < 0 ? rec_error_set(err, rc, "out of memory") : 0;
}

static void read_input(struct input *in, const char *path)
{
	struct rec_csv_column col[NCOL] = {
		{ .what = "user", .names = "user,user_id" },
		{ .what = "item", .names = "item,item_id" },
		{ .what = "rank", .names = "rank", .optional = 1 },
		{ .what = "rating", .names = "rating", .optional = 1 },
		{ .what = "prediction", .names = "prediction", .optional = 1 },
	};
	struct rec_csv_options opt = { .delim = ',' };
	struct rec_error e;

	memset(in, 0, sizeof(*in));
	in->name = strcmp(path, "-") ? path : "standard input";
	in->col = col;
	in->line = 1;
	in->users = rec_dict_new();
	in->items = rec_dict_new();
	if (!in->users || !in->items)
		errx(1, "out of memory");
	if (rec_csv_read(path, &opt, col, NCOL, take_row, in, NULL, &e) < 0 ||
	    (!in->kind && settle_kind(in, &e) < 0))
		rec_cli_fail(&e);
	in->col = NULL;
}

/* --- predictions: RMSE and MAE --- */

/* The rows' ratings and predictions in two arrays, grouped by user in
 * the order of the users' first rows; start[u] is where user u begins. */
static void group_predictions(const struct input *in, double *rating, double *pred,
			      size_t *start)
{
	uint32_t nusers = rec_dict_size(in->users);
	size_t *next = xcalloc(nusers + 1, sizeof(*next));

	for (size_t i = 0; i < in->n; i++)
		start[in->row[i].user + 1]++;
	for (uint32_t u = 0; u < nusers; u++)
		start[u + 1] += start[u];
	memcpy(next, start, (nusers + 1) * sizeof(*next));
	for (size_t i = 0; i < in->n; i++) {
		size_t at = next[in->row[i].user]++;

		rating[at] = in->row[i].rating;
		pred[at] = in->row[i].pred;
	}
	free(next);
}

static void eval_predictions(const struct input *in, struct report *r)
{
	uint32_t nusers = rec_dict_size(in->users);
	double *rating = xcalloc(in->n, sizeof(*rating));
	double *pred = xcalloc(in->n, sizeof(*pred));
	size_t *start = xcalloc(nusers + 1, sizeof(*start));

	group_predictions(in, rating, pred, start);
	set_agg(r, M_RMSE, 0, rec_metrics_rmse(rating, pred, in->n));
	set_agg(r, M_MAE, 0, rec_metrics_mae(rating, pred, in->n));
	r->users = in->users;
	for (uint32_t u = 0; u < nusers && r->o->per_user; u++) {
		size_t n = start[u + 1] - start[u];

		add_row(r, u, M_RMSE, 0, rec_metrics_rmse(rating + start[u], pred + start[u], n));
		add_row(r, u, M_MAE, 0, rec_metrics_mae(rating + start[u], pred + start[u], n));
	}
	if (r->o->verbose > 0)
		fprintf(stderr, "rec-eval: %zu predictions of %u users\n", in->n, nusers);
	free(rating);
	free(pred);
	free(start);
}

/* --- ranking: the evaluated users, their test items and their lists --- */

/* Items live in "list space": the recommendations' item dictionary, or
 * the model's.  Test items the list space does not know are UINT32_MAX. */
struct eval {
	const struct rec_dataset *test;
	uint32_t n;		/* users with at least one test item */
	uint32_t *user;		/* their index in the test set */
	uint64_t *tptr;		/* test items of user u: titem[tptr[u]..tptr[u+1]) */
	uint32_t *titem;	/* ascending within a user */
	uint32_t kmax;
	uint32_t nitems;	/* with -m: the model's items, all scored */
	uint32_t *list;		/* user u's list: list[u * kmax..][0..len[u]) */
	uint32_t *len;
	double *auc;		/* per user with -m, < 0 without a pair; or NULL */
};

static void eval_release(struct eval *ev)
{
	free(ev->user);
	free(ev->tptr);
	free(ev->titem);
	free(ev->list);
	free(ev->len);
	free(ev->auc);
}

static void eval_test_items(struct eval *ev, const int64_t *map)
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

static void eval_init(struct eval *ev, const struct rec_dataset *test,
		      const struct rec_dict *items, uint32_t kmax)
{
	int64_t *map = rec_dict_map(test->items, items);

	if (!map)
		errx(1, "out of memory");
	memset(ev, 0, sizeof(*ev));
	ev->test = test;
	ev->kmax = kmax;
	ev->user = xcalloc(test->nusers, sizeof(*ev->user));
	for (uint32_t u = 0; u < test->nusers; u++)
		if (test->rowptr[u + 1] > test->rowptr[u])
			ev->user[ev->n++] = u;
	ev->tptr = xcalloc((size_t)ev->n + 1, sizeof(*ev->tptr));
	ev->titem = xcalloc(test->nnz, sizeof(*ev->titem));
	ev->list = xcalloc((size_t)ev->n * kmax, sizeof(*ev->list));
	ev->len = xcalloc(ev->n, sizeof(*ev->len));
	eval_test_items(ev, map);
	free(map);
}

static int cmp_rec(const void *a, const void *b)
{
	const struct in_row *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* The rows of evaluated users, with user set to the evaluated index and
 * ordered by user, rank and line; returns how many. */
static size_t evaluated_rows(const struct eval *ev, const struct input *in,
			     struct in_row *out)
{
	int64_t *umap = rec_dict_map(in->users, ev->test->users);
	uint32_t *pos = xcalloc(ev->test->nusers, sizeof(*pos));
	size_t n = 0;

	if (!umap)
		errx(1, "out of memory");
	for (uint32_t u = 0; u < ev->test->nusers; u++)
		pos[u] = NO_USER;
	for (uint32_t u = 0; u < ev->n; u++)
		pos[ev->user[u]] = u;
	for (size_t i = 0; i < in->n; i++) {
		int64_t tu = umap[in->row[i].user];

		if (tu >= 0 && pos[tu] != NO_USER) {
			out[n] = in->row[i];
			out[n++].user = pos[tu];
		}
	}
	qsort(out, n, sizeof(*out), cmp_rec);
	free(umap);
	free(pos);
	return n;
}

static int duplicate_item(const struct eval *ev, const struct input *in,
			  const struct in_row *r, struct rec_error *err)
{
	const char *item = rec_dict_name(in->items, r->item, NULL);
	const char *user = rec_dict_name(ev->test->users, ev->user[r->user], NULL);

	rec_error_set(err, REC_EPARSE, "item '%s' is listed twice for user '%s'", item, user);
	rec_error_at(err, in->name, r->line, 0);
	return REC_EPARSE;
}

/* Each evaluated user's list from the recommendations: ordered by rank,
 * ties in file order, cut at the largest k.  An item twice in a user's
 * list is an error.  *ignored receives the rows of other users. */
static int lists_from_input(struct eval *ev, const struct input *in, size_t *ignored,
			    struct rec_error *err)
{
	struct in_row *row = xcalloc(in->n, sizeof(*row));
	uint32_t *mark = xcalloc(rec_dict_size(in->items), sizeof(*mark));
	size_t n = evaluated_rows(ev, in, row);
	int rc = 0;

	for (uint32_t i = 0; i < rec_dict_size(in->items); i++)
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
	free(row);
	free(mark);
	return rc;
}

/* --- ranking with a model: every item scored for each test user --- */

static void auc_of_user(void *ctx, size_t u, const float *scores)
{
	struct eval *ev = ctx;
	uint32_t ntest = (uint32_t)(ev->tptr[u + 1] - ev->tptr[u]);

	ev->auc[u] = rec_metrics_auc(scores, ev->nitems, ev->titem + ev->tptr[u], ntest);
}

static void keep_lists(void *ctx, size_t first, uint32_t n, const uint32_t *idx,
		       const float *val, const uint32_t *found)
{
	struct eval *ev = ctx;

	(void)val;
	for (uint32_t j = 0; j < n; j++) {
		ev->len[first + j] = found[j];
		memcpy(ev->list + (first + j) * ev->kmax, idx + (size_t)j * ev->kmax,
		       found[j] * sizeof(*idx));
	}
}

/* Each user's list and AUC, seen items excluded; each user's results
 * land in its own slots, so they are the same whatever the threads. */
static void lists_from_model(struct eval *ev, const struct rec_model *m)
{
	int64_t *umap = rec_dict_map(ev->test->users, m->data.users);
	int64_t *users = xcalloc(ev->n, sizeof(*users));
	struct rec_rank_options ro = { .k = ev->kmax, .scored = auc_of_user,
				       .ranked = keep_lists, .ctx = ev };
	struct rec_error e;

	if (!umap)
		errx(1, "out of memory");
	for (uint32_t u = 0; u < ev->n; u++)
		users[u] = umap[ev->user[u]];
	ev->nitems = m->data.nitems;
	ev->auc = xcalloc(ev->n, sizeof(*ev->auc));
	if (rec_model_rank(m, users, ev->n, &ro, &e) < 0)
		rec_cli_fail(&e);
	free(users);
	free(umap);
}

/* --- the metrics of the lists --- */

static void add_rank(double *sum, const struct rec_rank_metrics *x)
{
	sum[M_PRECISION] += x->precision;
	sum[M_RECALL] += x->recall;
	sum[M_F1] += x->f1;
	sum[M_HR] += x->hr;
	sum[M_NDCG] += x->ndcg;
	sum[M_MAP] += x->map;
	sum[M_MRR] += x->mrr;
}

static double mean(double sum, double n)
{
	return n > 0 ? sum / n : 0;
}

/* One user's ranking metrics at every k, added to sum[k][metric] and,
 * with --per-user, reported. */
static void rank_user(const struct eval *ev, uint32_t u, double (*sum)[NMETRICS],
		      struct report *r)
{
	const uint32_t *test = ev->titem + ev->tptr[u];
	uint32_t ntest = (uint32_t)(ev->tptr[u + 1] - ev->tptr[u]);
	struct rec_rank_metrics x;
	double one[NMETRICS];

	for (unsigned ki = 0; ki < r->o->nk; ki++) {
		rec_metrics_rank(ev->list + (size_t)u * ev->kmax, ev->len[u], test, ntest,
				 r->o->k[ki], &x);
		add_rank(sum[ki], &x);
		if (!r->o->per_user)
			continue;
		memset(one, 0, sizeof(one));
		add_rank(one, &x);
		for (int m = M_PRECISION; m <= M_MRR; m++)
			add_row(r, ev->user[u], m, ki, one[m]);
	}
	if (ev->auc && ev->auc[u] >= 0 && r->o->per_user)
		add_row(r, ev->user[u], M_AUC, 0, ev->auc[u]);
}

/* Every evaluated user counts in the mean, summed in user order. */
static void rank_metrics(const struct eval *ev, struct report *r)
{
	double (*sum)[NMETRICS] = xcalloc(MAX_K, sizeof(*sum));
	double auc = 0, nauc = 0;

	r->users = ev->test->users;
	for (uint32_t u = 0; u < ev->n; u++) {
		rank_user(ev, u, sum, r);
		if (ev->auc && ev->auc[u] >= 0) {
			auc += ev->auc[u];
			nauc++;
		}
	}
	for (unsigned ki = 0; ki < r->o->nk; ki++)
		for (int m = M_PRECISION; m <= M_MRR; m++)
			set_agg(r, m, ki, mean(sum[ki][m], ev->n));
	if (ev->auc)
		set_agg(r, M_AUC, 0, mean(auc, nauc));
	free(sum);
}

/* The lists in catalogue indices: map from list space, or the same. */
static uint32_t *catalogue_lists(const struct eval *ev, const int64_t *map)
{
	size_t n = (size_t)ev->n * ev->kmax;
	uint32_t *out = xcalloc(n, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		uint32_t x = ev->list[i];

		out[i] = !map ? x : map[x] < 0 ? UINT32_MAX : (uint32_t)map[x];
	}
	return out;
}

/* Each user's diversity at cut-off k into div[u], in parallel: the lists
 * of popular items cost the most. */
static void diversities(const struct eval *ev, const struct rec_catalogue *cat,
			const uint32_t *lists, uint32_t k, double *div)
{
	#pragma omp parallel
	{
		uint64_t *held = xcalloc((size_t)cat->user_ids + 1, sizeof(*held));

		#pragma omp for schedule(dynamic, 16)
		for (uint32_t u = 0; u < ev->n; u++) {
			uint32_t n = ev->len[u] < k ? ev->len[u] : k;

			div[u] = rec_metrics_diversity(cat, lists + (size_t)u * ev->kmax, n, held);
		}
		free(held);
	}
}

static void beyond_at(const struct eval *ev, const struct rec_catalogue *cat,
		      const uint32_t *lists, unsigned ki, struct report *r)
{
	uint32_t k = r->o->k[ki];
	uint64_t *count = xcalloc(cat->nitems, sizeof(*count));
	double *div = xcalloc(ev->n, sizeof(*div));
	double nov = 0, pop = 0, nrec = 0, dsum = 0, ndiv = 0;

	diversities(ev, cat, lists, k, div);
	for (uint32_t u = 0; u < ev->n; u++) {
		const uint32_t *l = lists + (size_t)u * ev->kmax;
		uint32_t n = ev->len[u] < k ? ev->len[u] : k;

		for (uint32_t i = 0; i < n; i++)
			if (l[i] < cat->nitems)
				count[l[i]]++;
		nov += rec_metrics_novelty_sum(cat, l, n);
		pop += rec_metrics_popularity_sum(cat, l, n);
		nrec += n;
		if (div[u] >= 0) {
			dsum += div[u];
			ndiv++;
		}
	}
	set_agg(r, M_COVERAGE, ki, rec_metrics_coverage(count, cat->nitems));
	set_agg(r, M_NOVELTY, ki, mean(nov, nrec));
	set_agg(r, M_DIVERSITY, ki, mean(dsum, ndiv));
	set_agg(r, M_POPULARITY, ki, mean(pop, nrec));
	set_agg(r, M_GINI, ki, rec_metrics_gini(count, cat->nitems));
	free(count);
	free(div);
}

/* Coverage, novelty, diversity, popularity and Gini at every k against
 * the training set train, whose items map from list space through map
 * (NULL: the same indices). */
static void beyond_metrics(const struct eval *ev, const struct rec_dataset *train,
			   const int64_t *map, struct report *r)
{
	struct rec_catalogue cat;
	uint32_t *lists;

	if (rec_catalogue_init(&cat, train) < 0)
		errx(1, "out of memory");
	lists = catalogue_lists(ev, map);
	for (unsigned ki = 0; ki < r->o->nk; ki++)
		beyond_at(ev, &cat, lists, ki, r);
	free(lists);
	rec_catalogue_release(&cat);
}

/* --- the three ways in --- */

static void load_dataset(struct rec_dataset *ds, const char *path,
			 const struct options *o)
{
	struct rec_error e;

	if (rec_dataset_load(ds, path, &o->csv, REC_DEDUP_LAST, NULL, &e) < 0)
		rec_cli_fail(&e);
}

/* Rank with the recommendations or the model whose items are items, then
 * measure against --test and, if there is one, the training set. */
static void eval_lists(const struct options *o, const struct input *in,
		       const struct rec_model *m, struct report *r)
{
	const struct rec_dict *items = m ? m->data.items : in->items;
	struct rec_dataset test, train;
	struct rec_error e;
	struct eval ev;
	int64_t *map = NULL;
	size_t ignored = 0;

	load_dataset(&test, o->test, o);
	eval_init(&ev, &test, items, o->k[o->nk - 1]);
	if (m)
		lists_from_model(&ev, m);
	else if (lists_from_input(&ev, in, &ignored, &e) < 0)
		rec_cli_fail(&e);
	rank_metrics(&ev, r);
	if (o->train && !o->per_user) {
		load_dataset(&train, o->train, o);
		if (!(map = rec_dict_map(items, train.items)))
			errx(1, "out of memory");
		beyond_metrics(&ev, &train, map, r);
		rec_dataset_release(&train);
	} else if (m && !o->per_user) {
		beyond_metrics(&ev, &m->data, NULL, r);
	}
	if (o->verbose > 0)
		fprintf(stderr, "rec-eval: %u test users evaluated; %zu rows of other users "
			"ignored\n", ev.n, ignored);
	write_report(r);
	free(map);
	eval_release(&ev);
	rec_dataset_release(&test);
}

/* --- prequential evaluation --- */

/* The sums of one group of replayed events: all, a window or the users
 * with so many events before. */
struct group {
	int64_t key;
	uint64_t ranked;
	double hr[MAX_K], ndcg[MAX_K], mrr[MAX_K];
};

struct replay {
	const struct options *o;
	struct group all;
	struct group *group;
	size_t n, cap;
	uint64_t unknown, repeated;
};

/* Users by the events they had before: 0, 1-9, 10-99, ..., keyed by the
 * lower bound. */
static int64_t decade(uint32_t before)
{
	int64_t low = 1;

	if (before == 0)
		return 0;
	while (low * 10 <= before)
		low *= 10;
	return low;
}

static int64_t group_key(const struct options *o, const struct rec_replay_event *r)
{
	if (o->per_user)
		return decade(r->before);
	return (int64_t)(floor((double)r->time / o->window) * o->window);
}

/* Windows arrive in order and decades are few, so the search runs from
 * the newest group back. */
static struct group *find_group(struct replay *p, int64_t key)
{
	for (size_t g = p->n; g-- > 0;)
		if (p->group[g].key == key)
			return &p->group[g];
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		if (!(p->group = realloc(p->group, p->cap * sizeof(*p->group))))
			errx(1, "out of memory");
	}
	memset(&p->group[p->n], 0, sizeof(*p->group));
	p->group[p->n].key = key;
	return &p->group[p->n++];
}

static void count_rank(struct group *g, const struct options *o, uint32_t rank)
{
	g->ranked++;
	for (unsigned ki = 0; ki < o->nk; ki++) {
		if (rank > o->k[ki])
			continue;
		g->hr[ki] += 1;
		g->ndcg[ki] += 1 / log2(rank + 1.0);
		g->mrr[ki] += 1.0 / rank;
	}
}

static void take_replayed(void *ctx, const struct rec_replay_event *r)
{
	struct replay *p = ctx;

	if (r->rank == 0) {
		p->unknown += r->unknown_item;
		p->repeated += !r->unknown_item;
		return;
	}
	count_rank(&p->all, p->o, r->rank);
	if (p->o->per_user || p->o->window > 0)
		count_rank(find_group(p, group_key(p->o, r)), p->o, r->rank);
}

static void print_group(FILE *fp, const struct options *o, const struct group *g,
			const char *key)
{
	static const char *const name[] = { "hr", "ndcg", "mrr" };
	const double *sum[] = { g->hr, g->ndcg, g->mrr };

	for (int m = 0; m < 3; m++)
		for (unsigned ki = 0; ki < o->nk; ki++)
			fprintf(fp, "%s%s,%u,%.6f\n", key, name[m], o->k[ki],
				g->ranked ? sum[m][ki] / (double)g->ranked : 0);
	fprintf(fp, "%sevents,,%llu\n", key, (unsigned long long)g->ranked);
}

static int by_key(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

static void print_replay(struct replay *p)
{
	const struct options *o = p->o;
	const char *by = o->per_user ? "before" : "window";
	int grouped = o->per_user || o->window > 0;
	struct rec_error e;
	FILE *fp;
	char key[32];

	if (!(fp = rec_cli_open_output(o->output, &e)))
		rec_cli_fail(&e);
	fprintf(fp, "%s%smetric,k,value\n", grouped ? by : "", grouped ? "," : "");
	print_group(fp, o, &p->all, grouped ? "," : "");
	if (p->n)
		qsort(p->group, p->n, sizeof(*p->group), by_key);
	for (size_t g = 0; g < p->n; g++) {
		snprintf(key, sizeof(key), "%lld,", (long long)p->group[g].key);
		print_group(fp, o, &p->group[g], key);
	}
	if (rec_cli_close_output(fp, o->output, &e) < 0)
		rec_cli_fail(&e);
	if (o->verbose >= 0 && (p->unknown || p->repeated))
		fprintf(stderr, "rec-eval: not ranked: %llu events of unknown items, "
			"%llu of items the user had\n", (unsigned long long)p->unknown,
			(unsigned long long)p->repeated);
}

/* The events to replay, from a dataset or, in file order, from CSV. */
static void read_events(struct rec_events *ev, const struct options *o)
{
	struct rec_dataset ds;
	struct rec_error e;
	int rc = rec_file_has_magic(o->input, REC_DATASET_MAGIC, &e);

	if (rc < 0)
		rec_cli_fail(&e);
	if (rec_events_init(ev, NULL, NULL) < 0)
		errx(1, "out of memory");
	if (rc == 0) {
		if (rec_events_read(ev, o->input, &o->csv, &e) < 0)
			rec_cli_fail(&e);
		return;
	}
	if (rec_dataset_load(&ds, o->input, &o->csv, REC_DEDUP_LAST, NULL, &e) < 0)
		rec_cli_fail(&e);
	if (rec_events_add_dataset(ev, &ds) < 0)
		errx(1, "out of memory");
	rec_dataset_release(&ds);
}

static void prequential(const struct options *o, struct rec_model *m)
{
	struct replay p = { .o = o };
	struct rec_replay_options ro = { !o->no_update, take_replayed, &p };
	struct rec_events ev;
	struct rec_error e;

	read_events(&ev, o);
	if (rec_replay(m, &ev, &ro, &e) < 0)
		rec_cli_fail(&e);
	print_replay(&p);
	rec_events_release(&ev);
	free(p.group);
}

int main(int argc, char **argv)
{
	struct options o = { .nk = 1, .k = { 10 } };
	struct report *r = xcalloc(1, sizeof(*r));
	struct rec_model *m = NULL;
	struct input in = { 0 };
	struct rec_error e;

	parse_options(argc, argv, &o);
	r->o = &o;
	if (o.model) {
		if (rec_model_load(&m, o.model, &e) < 0)
			rec_cli_fail(&e);
		if (o.prequential)
			prequential(&o, m);
		else
			eval_lists(&o, NULL, m, r);
	} else {
		read_input(&in, o.input);
		if (in.kind == KIND_PREDS) {
			eval_predictions(&in, r);
			write_report(r);
		} else if (!o.test) {
			bad_usage("recommendations need --test FILE");
		} else {
			eval_lists(&o, &in, NULL, r);
		}
	}
	input_release(&in);
	rec_model_free(m);
	free(r->row);
	free(r);
	return 0;
}
