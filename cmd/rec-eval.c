/* rec-eval - measure recommendations, predictions or a model against a
 * test set and print the metrics as CSV. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_K 64
#define K_LIMIT 100000

enum {
	OPT_TEST = REC_OPT_PROGRAM, OPT_TRAIN, OPT_PER_USER, OPT_FORMAT,
	OPT_PREQUENTIAL, OPT_NO_UPDATE, OPT_WINDOW, OPT_PARTIAL, OPT_MERGE, OPT_FORCE,
	OPT_TIME, OPT_ITEMS, OPT_COLD, OPT_SIMILARITY, OPT_TIME_FORMAT
};

struct options {
	struct rec_csv_options csv;
	const char *test;
	const char *train;
	const char *model;
	const char *items;	/* -m ranks only these */
	const char *output;
	const char *input;
	uint32_t k[MAX_K];	/* ascending, distinct */
	unsigned nk;
	int per_user;
	int cold;		/* also the cold users and items */
	int similarity;		/* of the diversity: enum rec_similarity_kind */
	int table;
	int verbose;
	int prequential;
	int no_update;
	double window;		/* seconds; 0: one group */
	struct rec_shard shard;
	int partial;
	char *const *parts;	/* --merge's operands */
	size_t nparts;
	int force;
	int file_order;		/* --time file-order */
	int iso;		/* --time-format iso */
	struct rec_pseudo key;
	const struct rec_pseudo *pseudo;	/* --pseudonymize: &key, else NULL */
};

static const char synopsis[] =
	"usage: rec-eval [-qv] [-k LIST] [--test FILE] [--train FILE]\n"
	"                [-m MODEL [--items FILE]] [--cold] [--similarity KIND]\n"
	"                [--per-user] [--format csv|table] [--shard I/N [--partial]]\n"
	"                [--force] [--pseudonymize KEYFILE] [-o FILE] [-j N]\n"
	"                [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                [--skip-bad] [FILE]\n"
	"       rec-eval --prequential -m MODEL [-q] [-k LIST] [--no-update]\n"
	"                [--window DURATION [--time-format seconds|iso] | --per-user]\n"
	"                [--time column|file-order] [--pseudonymize KEYFILE]\n"
	"                [-o FILE] [-u COL] [-i COL]\n"
	"                [-r COL] [-t COL] [-d C] [--no-header] [--skip-bad] [FILE]\n"
	"       rec-eval --merge [-q] [--format csv|table] [-o FILE] PART ...\n";

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
	{ "time-format", required_argument, NULL, OPT_TIME_FORMAT },
	{ "partial", no_argument, NULL, OPT_PARTIAL },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "items", required_argument, NULL, OPT_ITEMS },
	{ "cold", no_argument, NULL, OPT_COLD },
	{ "similarity", required_argument, NULL, OPT_SIMILARITY },
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
	"      --items FILE       with -m: rank only these items (one ID a line)\n"
	"      --cold             also the metrics of the users and of the items\n"
	"                         without training events\n"
	"      --similarity KIND  diversity by attributes, vectors or cooccurrence\n"
	"      --force            go on with a model that knows few test IDs\n"
	"      --per-user         print user,metric,k,value rows instead of means\n"
	"      --format F         csv (default) or table\n"
	"      --prequential      replay the events of FILE in time order: rank each\n"
	"                         event's item with the model as it stands, then\n"
	"                         fold the event in; prints hr, ndcg and mrr\n"
	"      --no-update        with --prequential: never fold events in\n"
	"      --window D         with --prequential: also per window of length D\n"
	"                         (like 1d), each row led by the window's start;\n"
	"                         --per-user: by the user's events before\n"
	"      --time-format F    with --window: the start in seconds since the\n"
	"                         epoch (seconds, the default) or as ISO 8601 UTC\n"
	"                         (iso), like 2025-01-01T00:00:00Z\n"
	"      --partial          write the sums behind the metrics (of the shard's\n"
	"                         users with --shard), a part for --merge\n"
	"      --merge            print the metrics of the parts 1 to N of one\n"
	"                         evaluation, exactly those of the whole\n"
	"      --time file-order  with --window: rows in order are times 0, 1, ...\n"
	"The events-CSV options apply to --test and --train:\n",
	.shortopts = "k:m:",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT | REC_CLI_SHARD | REC_CLI_PSEUDO,
};

static void bad_usage(const char *msg)
{
	rec_cli_usage_error(synopsis, msg);
}

/* Is arg the second of the two values that option takes, or the first?
 * Anything else is a usage error. */
static int second_of(const char *arg, const char *option, const char *first,
		     const char *second)
{
	char want[64];

	if (strcmp(arg, first) != 0 && strcmp(arg, second) != 0) {
		snprintf(want, sizeof(want), "%s or %s", first, second);
		rec_cli_bad_value(synopsis, option, arg, want);
	}
	return strcmp(arg, second) == 0;
}

static void check_prequential(const struct options *o)
{
	if (!o->model)
		bad_usage("--prequential needs -m MODEL");
	if (o->test || o->train || o->table)
		bad_usage("--prequential takes neither --test, --train nor --format");
	if (o->per_user && o->window > 0)
		bad_usage("--window and --per-user do not go together");
	if (o->iso && !(o->window > 0))
		bad_usage("--time-format goes with --window");
	if (o->iso && o->file_order)
		bad_usage("--time-format iso wants times, not --time file-order's rows");
	if (o->shard.n || o->partial)
		bad_usage("--prequential takes neither --shard nor --partial");
}

/* --merge takes parts alone; a part holds sums, not rows. */
static void check_parts(const struct options *o)
{
	if (o->parts && (o->test || o->train || o->model || o->per_user || o->shard.n ||
			 o->partial || o->prequential || o->pseudo || o->nk != 1 ||
			 o->k[0] != 10))
		bad_usage("--merge takes the parts alone, with --format and -o");
	if (o->parts && !o->nparts)
		bad_usage("--merge needs the parts to merge");
	if (o->partial && (o->per_user || o->table))
		bad_usage("--partial goes with neither --per-user nor --format");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct rec_cli cli;
	struct rec_error e;
	int c;

	rec_cli_init(&cli, &program);
	while ((c = rec_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case 'k':
			if (rec_parse_cutoffs(optarg, K_LIMIT, o->k, MAX_K, &o->nk, &e) < 0)
				bad_usage(e.msg);
			break;
		case 'm': o->model = optarg; break;
		case OPT_TEST: o->test = optarg; break;
		case OPT_ITEMS: o->items = optarg; break;
		case OPT_COLD: o->cold = 1; break;
		case OPT_SIMILARITY:
			if ((o->similarity = rec_similarity_parse(optarg)) < 0)
				rec_cli_bad_value(synopsis, "--similarity", optarg,
						  "attributes, vectors or cooccurrence");
			break;
		case OPT_TRAIN: o->train = optarg; break;
		case OPT_PER_USER: o->per_user = 1; break;
		case OPT_FORMAT: o->table = second_of(optarg, "--format", "csv", "table"); break;
		case OPT_PREQUENTIAL: o->prequential = 1; break;
		case OPT_PARTIAL: o->partial = 1; break;
		case OPT_MERGE: o->parts = argv; break;
		case OPT_NO_UPDATE: o->no_update = 1; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_TIME:
			if (rec_parse_time_source(optarg, &o->file_order, &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_WINDOW:
			if (rec_parse_duration(optarg, &o->window, "--window", &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_TIME_FORMAT: o->iso = second_of(optarg, "--time-format", "seconds", "iso"); break;
		}
	}
	o->csv = cli.csv;
	o->output = cli.output;
	o->verbose = cli.verbose;
	o->key = cli.key;
	o->pseudo = cli.pseudo ? &o->key : NULL;
	o->shard = cli.shard.n || !o->partial ? cli.shard : (struct rec_shard){ 1, 1 };
	if (o->parts) {
		o->parts = argv + optind;
		o->nparts = (size_t)(argc - optind);
	} else if (argc - optind > 1) {
		bad_usage("one input file at most");
	}
	check_parts(o);
	o->input = optind < argc ? argv[optind] : "-";
	if (o->prequential)
		check_prequential(o);
	else if (o->no_update || o->window > 0 || o->iso)
		bad_usage("--no-update, --window and --time-format go with --prequential");
	if (o->model && !o->prequential && optind < argc)
		bad_usage("-m reads no FILE: the model ranks every item");
	if (o->model && !o->prequential && !o->test)
		bad_usage("-m needs --test FILE");
	if (o->items && (!o->model || o->prequential))
		bad_usage("--items goes with -m, without --prequential");
	if (o->cold && (o->prequential || o->per_user || o->partial || (!o->train && !o->model)))
		bad_usage("--cold needs --train or -m, and no --per-user or --partial");
	if (o->similarity && (o->prequential || o->per_user || o->partial || (!o->train && !o->model)))
		bad_usage("--similarity needs --train or -m; no --per-user, --partial, --prequential");
}

/* --- printing --- */

/* The means of acc and of the cold scopes (none when NULL) or, with
 * --per-user, the users' rows already in rows (named from users), or with
 * --partial acc as the part of the evaluation of data with the model of
 * that checksum, to the output. */
static void report(const struct options *o, const struct rec_eval_acc *acc,
		   const struct rec_eval_cold *cold, struct rec_eval_rows *rows,
		   const struct rec_dict *users, uint64_t data, uint64_t model)
{
	struct rec_eval_part part = { o->shard, data, model };
	struct rec_error e;
	FILE *fp;

	if (!o->per_user && !o->partial && (rec_eval_rows(acc, rows, &e) < 0 ||
					    (cold && rec_eval_cold_rows(cold, rows, &e) < 0)))
		rec_cli_fail(&e);
	if (!o->per_user)
		users = NULL;
	if (!(fp = rec_cli_open_output(o->output, &e)))
		rec_cli_fail(&e);
	if (o->partial) {
		rec_eval_part_write(&part, acc, fp);
	} else if (o->table) {
		rec_eval_rows_table(fp, rows, users);
	} else {
		fputs(users ? "user,metric,k,value\n" : "metric,k,value\n", fp);
		rec_eval_rows_csv(fp, rows, users, "");
	}
	if (rec_cli_close_output(fp, o->output, &e) < 0)
		rec_cli_fail(&e);
	rec_eval_rows_release(rows);
}

/* --- the three ways in --- */

static void eval_predictions(const struct options *o, const struct rec_eval_input *in)
{
	struct rec_eval_rows rows = { 0 };
	struct rec_eval_acc acc;
	struct rec_error e;

	if (rec_eval_acc_init(&acc, REC_EVAL_ERRORS, o->k, o->nk, 0, &e) < 0 ||
	    rec_eval_add_predictions(&acc, in, o->per_user ? &rows : NULL, &e) < 0)
		rec_cli_fail(&e);
	if (o->verbose > 0)
		fprintf(stderr, "rec-eval: %zu predictions of %u users\n", in->n,
			rec_dict_size(in->users));
	report(o, &acc, NULL, &rows, in->users, 0, 0);
	rec_eval_acc_release(&acc);
}

static void load_dataset(struct rec_dataset *ds, const char *path,
			 const struct options *o)
{
	struct rec_error e;

	if (rec_dataset_load(ds, path, &o->csv, REC_DEDUP_LAST, NULL, &e) < 0 ||
	    rec_dataset_pseudonymize(ds, o->pseudo, &e) < 0)
		rec_cli_fail(&e);
}

/* With --pseudonymize, the raw IDs of users become their pseudonyms, the
 * indices staying. */
static void pseudonymize(struct rec_dict **users, const struct options *o)
{
	struct rec_dict *named;
	struct rec_error e;

	if (!o->pseudo)
		return;
	if (!(named = rec_pseudo_dict(*users, o->pseudo, &e)))
		rec_cli_fail(&e);
	rec_dict_free(*users);
	*users = named;
}

/* The beyond-accuracy metrics and the cold scopes against --train or,
 * without, the model's training data; none with --per-user. */
static void add_catalogue(const struct options *o, const struct rec_model *m,
			  struct rec_eval *ev, struct rec_eval_cold *cold)
{
	struct rec_dataset train;
	struct rec_error e;

	if (o->per_user || (!o->train && !m))
		return;
	if (o->train)
		load_dataset(&train, o->train, o);
	if (rec_eval_catalogue(ev, o->train ? &train : &m->data, &e) < 0 ||
	    rec_eval_similarity(ev, o->similarity, o->train ? &train : &m->data, m, &e) < 0 ||
	    (o->cold && rec_eval_cold(cold, ev, o->train ? &train : &m->data, o->k,
					  o->nk, &e) < 0))
		rec_cli_fail(&e);
	if (o->train)
		rec_dataset_release(&train);
}

/* Rank with the recommendations or the model, then measure against
 * --test and, if there is one, the training set. */
static void eval_lists(const struct options *o, const struct rec_eval_input *in,
		       const struct rec_model *m)
{
	struct rec_eval_rows rows = { 0 };
	struct rec_eval_cold cold = { 0 };
	struct rec_dataset test;
	struct rec_eval_acc acc;
	struct rec_error e;
	struct rec_eval ev;
	size_t ignored = 0;
	uint8_t *allow = NULL;

	load_dataset(&test, o->test, o);
	if ((m && !o->force && rec_check_overlap(&test, m, o->test, &e) < 0) ||
	    rec_eval_init(&ev, &test, m ? m->data.items : in->items, o->k[o->nk - 1], &e) < 0)
		rec_cli_fail(&e);
	rec_eval_shard(&ev, &o->shard);
	if (o->items && rec_candidates_read(&allow, o->items, m->data.items, m->data.nitems,
					    &e) < 0)
		rec_cli_fail(&e);
	ev.allow = allow;
	if ((m ? rec_eval_lists_rank(&ev, m, &e) : rec_eval_lists_read(&ev, in, &ignored, &e)) < 0)
		rec_cli_fail(&e);
	add_catalogue(o, m, &ev, &cold);
	if (rec_eval_acc_start(&acc, &ev, o->k, o->nk, &e) < 0 ||
	    rec_eval_add(&acc, &ev, 0, ev.n, o->per_user ? &rows : NULL, &e) < 0)
		rec_cli_fail(&e);
	if (o->verbose > 0)
		fprintf(stderr, "rec-eval: %u test users evaluated; %zu rows of other users "
			"ignored\n", ev.n, ignored);
	report(o, &acc, &cold, &rows, test.users, o->partial ? rec_eval_identity(&ev) : 0,
	       m ? m->checksum : 0);
	rec_eval_acc_release(&acc);
	rec_eval_cold_release(&cold);
	rec_eval_release(&ev);
	rec_dataset_release(&test);
	free(allow);
}

/* --- prequential evaluation --- */

/* The sums of all events, then of each group, led by the group's key. */
static void print_replay(const struct options *o, const struct rec_replay_eval *p)
{
	const char *by = o->per_user ? "before" : "window";
	int grouped = o->per_user || o->window > 0;
	struct rec_eval_rows rows = { 0 };
	struct rec_error e;
	FILE *fp;
	char time[32], key[sizeof(time) + 1];

	if (!(fp = rec_cli_open_output(o->output, &e)))
		rec_cli_fail(&e);
	fprintf(fp, "%s%smetric,k,value\n", grouped ? by : "", grouped ? "," : "");
	for (size_t g = 0; g <= p->n; g++) {
		if (g && o->iso) {
			rec_format_time(p->group[g - 1].key, time, sizeof(time));
			snprintf(key, sizeof(key), "%s,", time);
		} else if (g)
			snprintf(key, sizeof(key), "%lld,", (long long)p->group[g - 1].key);
		else
			snprintf(key, sizeof(key), "%s", grouped ? "," : "");
		rows.n = 0;
		if (rec_eval_rows(g ? &p->group[g - 1].acc : &p->all, &rows, &e) < 0)
			rec_cli_fail(&e);
		rec_eval_rows_csv(fp, &rows, NULL, key);
	}
	if (rec_cli_close_output(fp, o->output, &e) < 0)
		rec_cli_fail(&e);
	if (o->verbose >= 0 && (p->unknown || p->repeated))
		fprintf(stderr, "rec-eval: not ranked: %llu events of unknown items, "
			"%llu of items the user had\n", (unsigned long long)p->unknown,
			(unsigned long long)p->repeated);
	rec_eval_rows_release(&rows);
}

static void prequential(const struct options *o, struct rec_model *m)
{
	struct rec_replay_eval_options ro = {
		.update = !o->no_update, .k = o->k, .nk = o->nk, .window = o->window,
		.by = o->per_user ? REC_REPLAY_BEFORE :
		      o->window > 0 ? REC_REPLAY_WINDOW : REC_REPLAY_ALL
	};
	struct rec_replay_eval p;
	struct rec_events ev;
	struct rec_error e;

	if (rec_replay_load(&ev, o->input, &o->csv, &e) < 0)
		rec_cli_fail(&e);
	pseudonymize(&ev.users, o);
	if (
	    (o->window > 0 && !o->file_order &&
	     rec_check_time(ev.has_time, o->input, "--window", &e) < 0) ||
	    rec_replay_eval(&p, m, &ev, &ro, &e) < 0)
		rec_cli_fail(&e);
	print_replay(o, &p);
	rec_events_release(&ev);
	rec_replay_eval_release(&p);
}

/* The metrics of the parts of one evaluation. */
static void merge(const struct options *o)
{
	struct rec_eval_rows rows = { 0 };
	struct rec_eval_acc acc;
	struct rec_error e;

	if (rec_eval_parts_merge(&acc, o->parts, o->nparts, &e) < 0)
		rec_cli_fail(&e);
	report(o, &acc, NULL, &rows, NULL, 0, 0);
	rec_eval_acc_release(&acc);
}

int main(int argc, char **argv)
{
	struct options o = { .nk = 1, .k = { 10 } };
	struct rec_eval_input in = { 0 };
	struct rec_model *m = NULL;
	struct rec_error e;

	parse_options(argc, argv, &o);
	if (o.parts) {
		merge(&o);
	} else if (o.model) {
		if ((o.prequential ? rec_model_load(&m, o.model, &e) :
		     rec_model_load_ranking(&m, o.model, &e)) < 0)
			rec_cli_fail(&e);
		if (o.pseudo && !m->data.pseudonymous)
			errx(1, "%s: its users are not pseudonymised; no --pseudonymize", o.model);
		if (o.prequential)
			prequential(&o, m);
		else
			eval_lists(&o, NULL, m);
	} else {
		if (rec_eval_input_read(&in, o.input, &e) < 0)
			rec_cli_fail(&e);
		pseudonymize(&in.users, &o);
		rec_eval_input_shard(&in, &o.shard);
		if (in.predictions)
			eval_predictions(&o, &in);
		else if (!o.test)
			bad_usage("recommendations need --test FILE");
		else
			eval_lists(&o, &in, NULL);
	}
	rec_eval_input_release(&in);
	rec_model_free(m);
	return 0;
}
