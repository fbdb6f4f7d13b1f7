/* rec-recommend - top-N lists and predictions from a model. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum {
	OPT_USERS = REC_OPT_PROGRAM, OPT_ITEMS, OPT_INCLUDE_SEEN, OPT_PREDICT,
	OPT_STREAM, OPT_SAVE, OPT_EMIT, OPT_FORCE, OPT_UNKNOWN, OPT_STRICT, OPT_TIME,
	OPT_EXPLAIN, OPT_DIVERSIFY, OPT_SIMILARITY, OPT_MAX_PER
};

struct options {
	struct rec_cli cli;
	const char *model;
	long n;
	const char *users;
	const char *items;
	int include_seen;
	const char *predict;
	int stream;
	const char *save;
	int emit_before;
	int force;
	const char *unknown;	/* popular or skip */
	int strict;
	int file_order;		/* --time file-order */
	long explain;		/* reasons per item; 0: no because column */
	double lambda;		/* --diversify; -1: not given */
	int similarity;		/* enum rec_similarity_kind */
	char *max_per;		/* --max-per's FEATURE */
	long max_n;		/* and its N */
};

static const char synopsis[] =
	"usage: rec-recommend -m MODEL [-qv] [-o FILE] [-n N] [--users FILE]\n"
	"                     [--unknown popular|skip] [--items FILE] [--include-seen]\n"
	"                     [--explain[=N]] [--diversify LAMBDA]\n"
	"                     [--similarity attributes|vectors|cooccurrence]\n"
	"                     [--max-per FEATURE=N] [--shard I/N] [-j N]\n"
	"                     [--pseudonymize KEYFILE]\n"
	"       rec-recommend -m MODEL --predict FILE [--force] [-o FILE] [--shard I/N]\n"
	"                     [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                     [--skip-bad]\n"
	"       rec-recommend -m MODEL --stream [-q] [-o FILE] [-n N] [--items FILE]\n"
	"                     [--include-seen] [--explain[=N]] [--save FILE]\n"
	"                     [--emit before|after]\n"
	"                     [--strict | --skip-bad] [--time column|file-order]\n"
	"                     [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                     [--pseudonymize KEYFILE]\n";

static const struct option longopts[] = {
	{ "model", required_argument, NULL, 'm' },
	{ "count", required_argument, NULL, 'n' },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "items", required_argument, NULL, OPT_ITEMS },
	{ "include-seen", no_argument, NULL, OPT_INCLUDE_SEEN },
	{ "predict", required_argument, NULL, OPT_PREDICT },
	{ "stream", no_argument, NULL, OPT_STREAM },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "unknown", required_argument, NULL, OPT_UNKNOWN },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "explain", optional_argument, NULL, OPT_EXPLAIN },
	{ "diversify", required_argument, NULL, OPT_DIVERSIFY },
	{ "similarity", required_argument, NULL, OPT_SIMILARITY },
	{ "max-per", required_argument, NULL, OPT_MAX_PER },
	{ NULL, 0, NULL, 0 }
};

static const struct rec_cli_program program = {
	.name = "rec-recommend",
	.synopsis = synopsis,
	.help =
	"Write each user's top-N items as user,item,rank,score, or predict the\n"
	"given pairs as user,item,rating,prediction.\n\n"
	"  -m, --model FILE       the model (.recm)\n"
	"  -n, --count N          items per user (default 10)\n"
	"      --users FILE       these users (one ID a line), not every user\n"
	"      --unknown WHAT     users of --users that the model does not know get\n"
	"                         the popular items (popular, the default) or no\n"
	"                         list (skip); either way they are counted\n"
	"      --items FILE       candidates: only these items (one ID a line)\n"
	"      --include-seen     also recommend items the user had in training\n"
	"      --explain[=N]      add a column because: up to N items (default 3) of\n"
	"                         the user's history with their shares of the score,\n"
	"                         as item:share separated by |, or popular\n"
	"      --diversify LAMBDA re-rank the top 5N by maximal marginal relevance:\n"
	"                         (1 - LAMBDA) relevance - LAMBDA similarity\n"
	"      --similarity WHAT  of two items: attributes, vectors or cooccurrence\n"
	"                         (default: the first that the model has)\n"
	"      --max-per F=N      at most N items of a list with any one F=... attribute\n"
	"      --predict FILE     score the (user, item) pairs of FILE (.recd or CSV)\n"
	"      --force            predict with a model that predicts no ratings, or\n"
	"                         that knows few of the pairs' users and items\n"
	"      --stream           read events from standard input; fold each into\n"
	"                         its user and answer with the user's fresh list,\n"
	"                         each list ended by an empty line\n"
	"      --emit WHEN        answer before or after learning the event\n"
	"                         (default after)\n"
	"      --save FILE        at the end of the stream, write the model with\n"
	"                         what it learned\n"
	"      --strict           end the stream at a bad line (by default it is\n"
	"                         reported with its line number and skipped)\n"
	"      --time file-order  the stream's rows in order are its times 0, 1, ...\n"
	"                         for a model with a half-life\n",
	.shortopts = "m:n:",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT | REC_CLI_SHARD | REC_CLI_PSEUDO,
};

static void bad_usage(const char *msg)
{
	rec_cli_usage_error(synopsis, msg);
}

/* Whether an events-CSV option was given. */
static int reads_csv(const struct rec_csv_options *csv)
{
	return csv->user || csv->item || csv->rating || csv->time || csv->delim ||
	       csv->no_header || csv->skip_bad;
}

/* --max-per FEATURE=N, split at the last '='. */
static void parse_max_per(const char *arg, struct options *o)
{
	const char *eq = strrchr(arg, '=');
	struct rec_error e;

	if (!eq || eq == arg)
		bad_usage("--max-per is FEATURE=N");
	if (rec_parse_long(eq + 1, 1, 1000000, &o->max_n, "--max-per", &e) < 0)
		bad_usage(e.msg);
	free(o->max_per);
	if (!(o->max_per = strndup(arg, (size_t)(eq - arg))))
		errx(1, "out of memory");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct rec_error e;
	int c;

	rec_cli_init(&o->cli, &program);
	while ((c = rec_cli_next(&o->cli, argc, argv)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 'n':
			if (rec_parse_long(optarg, 1, 1000000, &o->n, "--count", &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_USERS: o->users = optarg; break;
		case OPT_ITEMS: o->items = optarg; break;
		case OPT_INCLUDE_SEEN: o->include_seen = 1; break;
		case OPT_PREDICT: o->predict = optarg; break;
		case OPT_STREAM: o->stream = 1; break;
		case OPT_SAVE: o->save = optarg; break;
		case OPT_EMIT:
			if (strcmp(optarg, "before") && strcmp(optarg, "after"))
				rec_cli_bad_value(synopsis, "--emit", optarg, "before or after");
			o->emit_before = strcmp(optarg, "before") == 0;
			break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_UNKNOWN:
			if (strcmp(optarg, "popular") && strcmp(optarg, "skip"))
				rec_cli_bad_value(synopsis, "--unknown", optarg, "popular or skip");
			o->unknown = optarg;
			break;
		case OPT_STRICT: o->strict = 1; break;
		case OPT_TIME:
			if (rec_parse_time_source(optarg, &o->file_order, &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_DIVERSIFY:
			if (rec_parse_double(optarg, 0, 1, &o->lambda, "--diversify", &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_SIMILARITY:
			if ((o->similarity = rec_similarity_parse(optarg)) < 0)
				rec_cli_bad_value(synopsis, "--similarity", optarg,
						  "attributes, vectors or cooccurrence");
			break;
		case OPT_MAX_PER:
			parse_max_per(optarg, o);
			break;
		case OPT_EXPLAIN:
			o->explain = 3;
			if (optarg && rec_parse_long(optarg, 1, 1000, &o->explain, "--explain",
						     &e) < 0)
				bad_usage(e.msg);
			break;
		}
	}
	if (!o->model)
		bad_usage("no model: give -m MODEL");
	if (o->stream && (o->predict || o->users))
		bad_usage("--stream goes with neither --predict nor --users");
	if (o->stream && o->cli.shard.n)
		bad_usage("--shard does not go with --stream");
	if (!o->stream && o->save)
		bad_usage("--save needs --stream");
	if (!o->stream && (o->strict || o->file_order))
		bad_usage("--strict and --time go with --stream");
	if (o->strict && o->cli.csv.skip_bad)
		bad_usage("--strict and --skip-bad do not go together");
	if (!o->predict && o->force)
		bad_usage("--force goes with --predict");
	if (o->predict && o->cli.pseudo)
		bad_usage("--pseudonymize goes with --users or --stream, not --predict");
	if (!o->users && o->unknown)
		bad_usage("--unknown goes with --users");
	if (o->predict && o->explain)
		bad_usage("--explain does not go with --predict");
	if (o->predict && (o->lambda >= 0 || o->max_per))
		bad_usage("--diversify and --max-per do not go with --predict");
	if (o->similarity && o->lambda < 0)
		bad_usage("--similarity goes with --diversify");
	if (!o->stream && !o->predict && reads_csv(&o->cli.csv))
		bad_usage("the events-CSV options go with --predict or --stream");
	if (optind < argc)
		bad_usage("unexpected operand");
}

static void read_ids(const char *path, struct rec_ids *l)
{
	struct rec_error e;

	if (rec_ids_read(l, path, &e) < 0)
		rec_cli_fail(&e);
}

/* The candidate mask from --items: 1 for items to consider; NULL, every
 * item, without --items. */
static uint8_t *candidates(const struct rec_model *m, const char *path)
{
	uint8_t *allow = NULL;
	struct rec_error e;

	if (path && rec_candidates_read(&allow, path, m->data.items, m->data.nitems, &e) < 0)
		rec_cli_fail(&e);
	return allow;
}

struct job {
	const struct rec_model *m;
	const uint8_t *allow;
	uint32_t n;
	int include_seen;
	uint32_t explain;	/* reasons per item; 0: none */
	const struct rec_diversify *div;	/* or NULL */
	uint32_t pool;		/* the candidates ranked: n, or 5n to diversify */
};

/* The top-n of the candidates from scores, which it overwrites; returns
 * how many it found. */
static uint32_t pick(const struct job *j, float *scores, uint32_t *idx, float *val)
{
	uint32_t ni = j->m->data.nitems;

	rec_scores_exclude(scores, ni, NULL, 0, j->allow);
	return rec_topn(scores, ni, j->pool, idx, val);
}

/* The because field of one row: its reasons as item:share separated by
 * '|', or popular, made in *buf of *cap bytes, which it grows. */
static void print_because(FILE *fp, const struct rec_model *m, const struct rec_reason *r,
			  uint32_t n, int popular, char **buf, size_t *cap)
{
	size_t size = 0;

	for (uint32_t x = 0; !popular && x < n; x++) {
		size_t len;
		const char *item = rec_dict_name(m->data.items, r[x].item, &len);

		/* '|', the item, ':' and a float of %.9g, at most 16 bytes */
		if (size + len + 20 > *cap) {
			*cap = 2 * (size + len + 20);
			if (!(*buf = realloc(*buf, *cap)))
				errx(1, "out of memory");
		}
		if (x)
			(*buf)[size++] = '|';
		memcpy(*buf + size, item, len);
		size += len;
		(*buf)[size++] = ':';
		size += rec_float_text(*buf + size, r[x].share);
	}
	putc(',', fp);
	if (popular)
		fputs("popular", fp);
	else
		rec_csv_field(fp, *buf ? *buf : "", size);
}

/* A round of lists as they are printed, x at idx + x * n and val + x * n
 * with len[x] entries, re-ranked if the job diversifies; with explain,
 * their reasons as rec_explain_users leaves them. */
struct lists {
	uint32_t cap;		/* lists */
	uint32_t *idx, *len, *count;
	float *val;
	struct rec_reason *reasons;
	int *popular;
	char *field;		/* a because field as it is made */
	size_t field_cap;
};

/* At most this many reasons in a round. */
#define ROUND_REASONS (1u << 20)

/* Room for a round of up to users lists of j; lists_release frees it. */
static void lists_init(struct lists *l, const struct job *j, uint32_t users)
{
	size_t rows = (size_t)users * j->n + 1, top = j->explain ? j->explain : 1;

	l->cap = users;
	l->idx = malloc(rows * sizeof(*l->idx));
	l->val = malloc(rows * sizeof(*l->val));
	l->len = malloc(((size_t)users + 1) * sizeof(*l->len));
	l->count = malloc(rows * sizeof(*l->count));
	l->reasons = malloc(rows * top * sizeof(*l->reasons));
	l->popular = calloc((size_t)users + 1, sizeof(*l->popular));
	l->field = NULL;
	l->field_cap = 0;
	if (!l->idx || !l->val || !l->len || !l->count || !l->reasons || !l->popular)
		errx(1, "out of memory");
}

static void lists_release(struct lists *l)
{
	free(l->idx);
	free(l->val);
	free(l->len);
	free(l->count);
	free(l->reasons);
	free(l->popular);
	free(l->field);
}

/* List x of l: the n ranked candidates idx and val, re-ranked when j
 * diversifies. */
static void take_list(const struct job *j, struct lists *l, uint32_t x, const uint32_t *idx,
		      const float *val, uint32_t n)
{
	uint32_t *to = l->idx + (size_t)x * j->n;
	float *to_val = l->val + (size_t)x * j->n;

	if (!j->div) {
		memcpy(to, idx, n * sizeof(*to));
		memcpy(to_val, val, n * sizeof(*to_val));
		l->len[x] = n;
	} else if (rec_diversify_list(j->div, idx, val, n, j->n, to, to_val, &l->len[x]) < 0) {
		errx(1, "out of memory");
	}
}

/* The rows of list x of l; with j->explain, each with its because
 * field. */
static void print_list(FILE *fp, const struct job *j, struct lists *l, uint32_t x,
		       const char *user, size_t ulen)
{
	size_t at = (size_t)x * j->n;

	for (uint32_t r = 0; r < l->len[x]; r++) {
		size_t len;
		const char *item = rec_dict_name(j->m->data.items, l->idx[at + r], &len);

		rec_csv_field(fp, user, ulen);
		putc(',', fp);
		rec_csv_field(fp, item, len);
		fprintf(fp, ",%u,%.9g", r + 1, l->val[at + r]);
		if (j->explain)
			print_because(fp, j->m, l->reasons + (at + r) * j->explain,
				      l->count[at + r], l->popular[x], &l->field,
				      &l->field_cap);
		putc('\n', fp);
	}
}

/* Where the lists of rec_model_rank go: the users named in names at
 * places which[0..], in order, a round of lists at a time. */
struct printer {
	FILE *fp;
	const struct job *j;
	const int64_t *users;	/* model indices, -1 for unknown */
	const struct rec_dict *names;
	const uint32_t *which;
	struct lists l;
};

/* The lists of users[first..first + n), their explanations made across
 * threads, then printed in order. */
static void print_round(struct printer *p, size_t first, uint32_t n, const uint32_t *idx,
			const float *val, const uint32_t *found)
{
	const struct job *j = p->j;
	struct rec_error e;

	for (uint32_t t = 0; t < n; t++)
		take_list(j, &p->l, t, idx + (size_t)t * j->pool, val + (size_t)t * j->pool,
			  found[t]);
	if (j->explain &&
	    rec_explain_users(j->m, p->users + first, n, p->l.idx, p->l.len, j->n, j->explain,
			      p->l.reasons, p->l.count, p->l.popular, &e) < 0)
		rec_cli_fail(&e);
	for (uint32_t t = 0; t < n; t++) {
		size_t len;
		const char *name = rec_dict_name(p->names, p->which[first + t], &len);

		print_list(p->fp, j, &p->l, t, name, len);
	}
}

static void print_lists(void *ctx, size_t first, uint32_t n, const uint32_t *idx,
			const float *val, const uint32_t *found)
{
	struct printer *p = ctx;

	for (uint32_t t = 0; t < n; t += p->l.cap) {
		uint32_t round = n - t < p->l.cap ? n - t : p->l.cap;

		print_round(p, first + t, round, idx + (size_t)t * p->j->pool,
			    val + (size_t)t * p->j->pool, found + t);
	}
}

/* Rank for users[0..count) (model indices, -1 for unknown, named in names
 * at places which[0..count)) and print their lists in order. */
static void recommend_all(FILE *fp, const struct job *j, const int64_t *users,
			  size_t count, const struct rec_dict *names, const uint32_t *which)
{
	struct printer p = { fp, j, users, names, which, { 0 } };
	struct rec_rank_options ro = { .k = j->pool, .include_seen = j->include_seen,
				       .allow = j->allow, .ranked = print_lists, .ctx = &p };
	uint32_t round = ROUND_REASONS / (j->n * (j->explain ? j->explain : 1));
	struct rec_error e;

	lists_init(&p.l, j, round ? round : 1);
	fputs(j->explain ? "user,item,rank,score,because\n" : "user,item,rank,score\n", fp);
	if (rec_model_rank(j->m, users, count, &ro, &e) < 0)
		rec_cli_fail(&e);
	lists_release(&p.l);
}

/* Keep the users of shard s, in order: users[0..count) compacted to them
 * and their places in names in the new array *which; returns how many. */
static size_t keep_shard(const struct rec_shard *s, const struct rec_dict *names,
			 int64_t *users, size_t count, uint32_t **which)
{
	size_t n = 0;

	if (!(*which = malloc((count + 1) * sizeof(**which))))
		errx(1, "out of memory");
	for (size_t x = 0; x < count; x++) {
		size_t len;
		const char *id = rec_dict_name(names, (uint32_t)x, &len);

		if (rec_shard_has(s, id, len)) {
			users[n] = users[x];
			(*which)[n++] = (uint32_t)x;
		}
	}
	return n;
}

/* Count the users of *ids that m does not know, on standard error unless
 * -q; with --unknown skip, make *ids the known ones alone. */
static void known_users(struct rec_dict **ids, const struct rec_model *m,
			const struct options *o)
{
	int skip = o->unknown && strcmp(o->unknown, "skip") == 0;
	uint32_t n = rec_dict_size(*ids), unknown = 0;
	int64_t *map = rec_pseudo_dict_map(*ids, m->data.users, o->cli.pseudo);
	uint8_t *keep = malloc((size_t)n + 1);
	uint32_t *remap = malloc(((size_t)n + 1) * sizeof(*remap));
	struct rec_dict *known = NULL;

	if (!map || !keep || !remap)
		errx(1, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		keep[i] = map[i] >= 0;
		unknown += !keep[i];
	}
	if (unknown && o->cli.verbose >= 0)
		warnx("%u of %u users are unknown to the model%s", unknown, n,
		      skip ? " and skipped" : "");
	if (unknown && skip) {
		if (!(known = rec_dict_subset(*ids, keep, remap)))
			errx(1, "out of memory");
		rec_dict_free(*ids);
		*ids = known;
	}
	free(remap);
	free(keep);
	free(map);
}

/* The lists' re-ranking, when --diversify or --max-per asks for one, in
 * div with its similarity in sim: a candidate pool of 5n. */
static void diversify(struct job *j, const struct options *o, struct rec_diversify *div,
		      struct rec_similarity *sim)
{
	struct rec_error e;

	memset(div, 0, sizeof(*div));
	memset(sim, 0, sizeof(*sim));
	if (o->lambda < 0 && !o->max_per)
		return;
	div->lambda = o->lambda < 0 ? 0 : o->lambda;
	div->sim = sim;
	if (div->lambda > 0 &&
	    rec_similarity_init(sim, (enum rec_similarity_kind)o->similarity, &j->m->data,
				j->m, &e) < 0)
		rec_cli_fail(&e);
	if (div->lambda > 0 && o->cli.verbose > 0)
		fprintf(stderr, "rec-recommend: similarity: %s\n",
			rec_similarity_name(sim->kind));
	if (o->max_per && rec_diversify_cap(div, j->m->data.item_features, o->max_per,
					    (uint32_t)o->max_n, &e) < 0)
		rec_cli_fail(&e);
	j->div = div;
	j->pool = 5 * j->n;
}

/* The job of o's lists, its re-ranking in div and sim; end_job releases
 * them. */
static void start_job(struct job *j, const struct rec_model *m, const struct options *o,
		      struct rec_diversify *div, struct rec_similarity *sim)
{
	*j = (struct job){ m, candidates(m, o->items), (uint32_t)o->n, o->include_seen,
			   (uint32_t)o->explain, NULL, (uint32_t)o->n };
	diversify(j, o, div, sim);
}

static void end_job(struct job *j, struct rec_diversify *div, struct rec_similarity *sim)
{
	free((void *)j->allow);
	free(div->capped);
	rec_similarity_release(sim);
}

static void recommend(FILE *fp, const struct rec_model *m, const struct options *o)
{
	struct rec_diversify div;
	struct rec_similarity sim;
	struct job j;
	struct rec_ids l = { 0 };
	const struct rec_dict *names = m->data.users;
	uint32_t *which;
	int64_t *users;
	size_t count = m->data.nusers;

	start_job(&j, m, o, &div, &sim);
	if (o->users) {
		/* Each listed user once, in the order first listed. */
		read_ids(o->users, &l);
		known_users(&l.dict, m, o);
		names = l.dict;
		count = rec_dict_size(l.dict);
		users = rec_pseudo_dict_map(l.dict, m->data.users, o->cli.pseudo);
	} else {
		users = rec_dict_map(m->data.users, m->data.users);
	}
	if (!users)
		errx(1, "out of memory");
	count = keep_shard(&o->cli.shard, names, users, count, &which);
	recommend_all(fp, &j, users, count, names, which);
	free(which);
	free(users);
	free(l.idx);
	rec_dict_free(l.dict);
	end_job(&j, &div, &sim);
}

static void predict(FILE *fp, const struct rec_model *m, const struct options *o)
{
	struct rec_dataset pairs;
	struct rec_error e;
	int64_t *umap, *imap;
	uint8_t *mine;

	if (!m->algo->ratings && !o->force)
		errx(1, "%s: a %s model ranks items and predicts no ratings; --predict wants "
		     "one that does, such as mf (--force to write its scores anyway)",
		     o->model, m->algo->name);
	if (rec_dataset_load(&pairs, o->predict, &o->cli.csv, REC_DEDUP_LAST, NULL, &e) < 0 ||
	    (!o->force && rec_check_overlap(&pairs, m, o->predict, &e) < 0))
		rec_cli_fail(&e);
	umap = rec_dict_map(pairs.users, m->data.users);
	imap = rec_dict_map(pairs.items, m->data.items);
	mine = rec_shard_mask(pairs.users, &o->cli.shard);
	if (!umap || !imap || !mine)
		errx(1, "out of memory");
	fputs("user,item,rating,prediction\n", fp);
	for (uint32_t u = 0; u < pairs.nusers; u++)
		for (uint64_t x = pairs.rowptr[u]; mine[u] && x < pairs.rowptr[u + 1]; x++) {
			size_t len;
			const char *s = rec_dict_name(pairs.users, u, &len);

			rec_csv_field(fp, s, len);
			putc(',', fp);
			s = rec_dict_name(pairs.items, pairs.col[x], &len);
			rec_csv_field(fp, s, len);
			if (pairs.has_rating)
				fprintf(fp, ",%.9g", pairs.val[x]);
			else
				putc(',', fp);
			fprintf(fp, ",%.9g\n", rec_model_predict(m, umap[u], imap[pairs.col[x]]));
		}
	free(umap);
	free(imap);
	free(mine);
	rec_dataset_release(&pairs);
}

/* --- the stream --- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct streamer {
	struct rec_stream s;
	const struct job *j;
	const struct rec_pseudo *pseudo;	/* maps the lines' users */
	FILE *fp;
	int emit_before;
	int file_order;
	int quiet;
	uint64_t reported;	/* bad lines */
	float *scores;
	uint32_t *idx;
	float *val;
	struct lists l;		/* the answer */
	double *latency;	/* with -v: seconds per event */
	size_t nlat, caplat;
};

static int answer(struct streamer *st, const struct rec_event *e, const struct rec_user *u,
		  struct rec_error *err)
{
	const struct job *j = st->j;
	struct lists *l = &st->l;
	int rc = 0;

	rec_user_score(j->m, u, j->include_seen, st->scores);
	take_list(j, l, 0, st->idx, st->val, pick(j, st->scores, st->idx, st->val));
	if (j->explain &&
	    (rc = rec_explain(j->m, u, l->idx, l->len[0], j->explain, l->reasons, l->count,
			      err)) < 0)
		return rc;
	l->popular[0] = j->explain && rc > 0;
	print_list(st->fp, j, l, 0, e->user, e->user_len);
	putc('\n', st->fp);
	if (fflush(st->fp) == EOF || ferror(st->fp))
		return rec_error_set(err, REC_EIO, "write failed: %s", strerror(errno));
	return 0;
}

static int handle_event(struct streamer *st, const struct rec_event *e,
			struct rec_error *err)
{
	struct rec_user *u;
	int64_t item = rec_dict_find(st->j->m->data.items, e->item, e->item_len);
	char name[REC_PSEUDO_LEN + 1];
	const char *id = e->user;
	size_t len = e->user_len;
	int rc;

	/* Row numbers would be times from another clock than the model's. */
	if (st->j->m->half_life > 0 && !st->file_order &&
	    (rc = rec_check_time(e->has_time, "-", "the model's half-life", err)) < 0)
		return rc;
	if (st->pseudo) {
		rec_pseudo_map(st->pseudo, id, len, name);
		id = name;
		len = REC_PSEUDO_LEN;
	}
	if ((rc = rec_stream_user(&st->s, id, len, &u, err)) < 0)
		return rc;
	if (st->emit_before && (rc = answer(st, e, u, err)) < 0)
		return rc;
	if (item < 0)
		st->s.unknown_items++;
	else if ((rc = rec_stream_learn(&st->s, u, (uint32_t)item, e->value, e->time, err)) < 0)
		return rc;
	return st->emit_before ? 0 : answer(st, e, u, err);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The reader passes over a bad line with its error left in err, which
 * the next line or the end of the input finds: report it. */
static void report_bad_line(struct streamer *st, struct rec_error *err)
{
	char buf[1024];

	if (!err->code)
		return;
	err->column = 0;
	if (!st->quiet)
		warnx("%s; line skipped", rec_error_str(err, buf, sizeof(buf)));
	err->code = 0;
	st->reported++;
}

static int take_stream_event(void *ctx, const struct rec_event *e, struct rec_error *err)
{
	struct streamer *st = ctx;
	double start;
	int rc;

	report_bad_line(st, err);
	if (!st->latency)
		return handle_event(st, e, err);
	start = seconds();
	if ((rc = handle_event(st, e, err)) < 0)
		return rc;
	if (st->nlat == st->caplat) {
		st->caplat *= 2;
		if (!(st->latency = realloc(st->latency, st->caplat * sizeof(*st->latency))))
			return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	st->latency[st->nlat++] = seconds() - start;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* With -v: the time from a parsed event to its flushed answer. */
static void report_latency(struct streamer *st)
{
	double sum = 0;
	size_t n = st->nlat;

	if (n == 0)
		return;
	qsort(st->latency, n, sizeof(*st->latency), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += st->latency[i];
	fprintf(stderr, "rec-recommend: %zu events, %.0f events/s; latency us: "
		"p50 %.1f p99 %.1f max %.1f\n", n, n / sum, st->latency[n / 2] * 1e6,
		st->latency[(size_t)(n * 0.99)] * 1e6, st->latency[n - 1] * 1e6);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void stream(FILE *fp, struct rec_model *m, struct options *o)
{
	struct rec_diversify div;
	struct rec_similarity sim;
	struct job j;
	struct streamer st = { .j = &j, .pseudo = o->cli.pseudo, .fp = fp,
			       .emit_before = o->emit_before,
			       .file_order = o->file_order, .quiet = o->cli.verbose < 0 };
	size_t ni = m->data.nitems ? m->data.nitems : 1;
	struct rec_error e = { 0 };
	uint64_t skipped = 0;
	int rc;

	start_job(&j, m, o, &div, &sim);
	st.scores = malloc(ni * sizeof(*st.scores));
	st.idx = malloc(j.pool * sizeof(*st.idx));
	st.val = malloc(j.pool * sizeof(*st.val));
	if (!st.scores || !st.idx || !st.val || rec_stream_init(&st.s, m) < 0)
		errx(1, "out of memory");
	lists_init(&st.l, &j, 1);
	if (o->cli.verbose > 0 && !(st.latency = malloc((st.caplat = 1024) * sizeof(*st.latency))))
		errx(1, "out of memory");
	catch_signals();
	o->cli.csv.line_buffered = 1;
	o->cli.csv.stop = &stop;
	o->cli.csv.skip_bad = !o->strict;
	rc = rec_events_each("-", &o->cli.csv, take_stream_event, &st, 0, &skipped, &e);
	if (rc == 0)
		report_bad_line(&st, &e);
	/* Of bad lines in a row, the reader keeps only the last one's error. */
	if (skipped > st.reported && !st.quiet)
		warnx("%llu bad lines skipped in all", (unsigned long long)skipped);
	if (rc == 0 && o->save && ((rc = rec_stream_merge(&st.s, &e)) == 0))
		rc = rec_model_save(m, o->save, &e);
	if (o->cli.verbose >= 0 && st.s.unknown_items)
		fprintf(stderr, "rec-recommend: events of unknown items, not learned: %llu\n",
			(unsigned long long)st.s.unknown_items);
	if (rc < 0)
		rec_cli_fail(&e);
	report_latency(&st);
	free(st.latency);
	rec_stream_release(&st.s);
	free(st.scores);
	free(st.idx);
	free(st.val);
	lists_release(&st.l);
	end_job(&j, &div, &sim);
}

int main(int argc, char **argv)
{
	struct options o = { .n = 10, .lambda = -1 };
	struct rec_model *m;
	struct rec_error e;
	FILE *fp;

	parse_options(argc, argv, &o);
	if ((o.stream || o.explain ? rec_model_load(&m, o.model, &e) :
	     rec_model_load_ranking(&m, o.model, &e)) < 0)
		rec_cli_fail(&e);
	if (o.cli.pseudo && !m->data.pseudonymous)
		errx(1, "%s: its users are not pseudonymised; no --pseudonymize", o.model);
	if (!(fp = rec_cli_open_output(o.cli.output, &e)))
		rec_cli_fail(&e);
	if (o.stream)
		stream(fp, m, &o);
	else if (o.predict)
		predict(fp, m, &o);
	else
		recommend(fp, m, &o);
	rec_model_free(m);
	free(o.max_per);
	if (rec_cli_close_output(fp, o.cli.output, &e) < 0)
		rec_cli_fail(&e);
	return 0;
}
