/* rec-train - train a model on a dataset and write it (.recm). */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_LR = REC_OPT_PROGRAM, OPT_REG, OPT_HALF_LIFE, OPT_NOW, OPT_VALIDATION,
	OPT_DEDUP, OPT_INIT, OPT_FORCE, OPT_TIME, OPT_ITEM_FEATURES, OPT_USER_FEATURES,
	OPT_MULTI, OPT_NUMERIC, OPT_FORGET, OPT_SOLVE, OPT_MERGE, OPT_SEARCH,
	OPT_SEARCH_BUDGET, OPT_SEARCH_TABLE, OPT_NO_REFIT
};

/* -p settings are applied after -a is known, whatever the order. */
#define MAX_SETTINGS 64

/* A parameter to set: -p NAME=VALUE, or an option that names one (-k is
 * factors); name is not NUL-terminated for -p. */
struct setting {
	const char *name;
	size_t len;
	const char *value;
};

struct options {
	struct rec_cli cli;
	enum rec_dedup dedup;
	const char *algo;
	struct setting setting[MAX_SETTINGS];
	int nsettings;
	const char *half_life;
	const char *now;
	const char *validation;
	const char *init;
	long passes;
	int force;
	int file_order;		/* --time file-order */
	struct rec_train_options train;
	const char *item_features;
	const char *user_features;
	struct rec_features_options features;
	const char *forget;
	int solve;		/* --solve: 1 users, 2 items */
	const char *merge;
	/* --search: the -p settings with a list of values, taken out of
	 * setting[] */
	int search;
	struct rec_search_param param[MAX_SETTINGS];
	unsigned nparams;
	long budget;
	const char *table;
	int no_refit;
};

static const char synopsis[] =
	"usage: rec-train -a ALGO [-qv] [-o FILE] [-k N] [-e N] [--lr X] [--reg X]\n"
	"                 [-p NAME=VALUE] [--half-life DURATION] [--now TIME]\n"
	"                 [--validation FILE] [--progress | --no-progress] [-j N]\n"
	"                 [--seed N] [--dedup RULE] [--force] [--time column|file-order]\n"
	"                 [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                 [--skip-bad] [--pseudonymize KEYFILE] [FILE]\n"
	"       rec-train --init MODEL [-a ALGO] [-qv] [-o FILE] [-e N] [--force]\n"
	"                 [--forget USERS] [--pseudonymize KEYFILE]\n"
	"                 [--half-life DURATION] [--now TIME] [--time column|file-order]\n"
	"                 [--progress | --no-progress]\n"
	"       rec-train --search -a ALGO --validation FILE [-p NAME=V1,V2,...]\n"
	"                 [--search-budget N] [--search-table FILE] [--no-refit]\n"
	"                 [-o FILE]\n"
	"                 [training options] [FILE]\n"
	"                 [-j N] [--seed N] [--dedup RULE] [-u COL] [-i COL] [-r COL]\n"
	"                 [-t COL] [-d C] [--no-header] [--skip-bad] [FILE]\n"
	"       rec-train --init MODEL --item-features FILE | --user-features FILE\n"
	"                 [--multi COL] [--numeric COL,...] [-qv] [-o FILE] [FILE]\n"
	"       rec-train --init MODEL --solve users|items --shard I/N [-qv] [-o PART]\n"
	"                 [-j N] [--dedup RULE] [-u COL] [-i COL] [-r COL] [-t COL]\n"
	"                 [-d C] [--no-header] [--skip-bad] [FILE]\n"
	"       rec-train --merge MODEL [-qv] [-o FILE] PART...\n";

static void list_algorithms(void)
{
	printf("\nAlgorithms and their parameters (-p NAME=VALUE, defaults shown):\n");
	for (int a = 0; rec_algos[a]; a++) {
		const struct rec_algo *algo = rec_algos[a];

		printf("  %-9s %s\n", algo->name, algo->summary);
		for (unsigned i = 0; i < algo->nhparams; i++) {
			const struct rec_hparam *h = &algo->hparams[i];

			if (h->choices)
				printf("            %s=%s\n", h->name, h->choices[(int)h->def]);
			else
				printf("            %s=%g\n", h->name, h->def);
		}
	}
}

static const struct option longopts[] = {
	{ "algorithm", required_argument, NULL, 'a' },
	{ "factors", required_argument, NULL, 'k' },
	{ "epochs", required_argument, NULL, 'e' },
	{ "lr", required_argument, NULL, OPT_LR },
	{ "reg", required_argument, NULL, OPT_REG },
	{ "param", required_argument, NULL, 'p' },
	{ "half-life", required_argument, NULL, OPT_HALF_LIFE },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "validation", required_argument, NULL, OPT_VALIDATION },
	{ "dedup", required_argument, NULL, OPT_DEDUP },
	{ "init", required_argument, NULL, OPT_INIT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "item-features", required_argument, NULL, OPT_ITEM_FEATURES },
	{ "user-features", required_argument, NULL, OPT_USER_FEATURES },
	{ "multi", required_argument, NULL, OPT_MULTI },
	{ "numeric", required_argument, NULL, OPT_NUMERIC },
	{ "forget", required_argument, NULL, OPT_FORGET },
	{ "solve", required_argument, NULL, OPT_SOLVE },
	{ "merge", required_argument, NULL, OPT_MERGE },
	{ "search", no_argument, NULL, OPT_SEARCH },
	{ "search-budget", required_argument, NULL, OPT_SEARCH_BUDGET },
	{ "search-table", required_argument, NULL, OPT_SEARCH_TABLE },
	{ "no-refit", no_argument, NULL, OPT_NO_REFIT },
	{ NULL, 0, NULL, 0 }
};

static const struct rec_cli_program program = {
	.name = "rec-train",
	.synopsis = synopsis,
	.help =
	"Train a model on a dataset (.recd, or events CSV) and write it.\n\n"
	"  -a, --algorithm ALGO   one of the algorithms below\n"
	"  -k, --factors N        same as -p factors=N\n"
	"  -e, --epochs N         same as -p epochs=N\n"
	"      --lr X             same as -p lr=X\n"
	"      --reg X            same as -p reg=X\n"
	"  -p, --param NAME=VALUE set a parameter of the algorithm\n"
	"      --half-life D      weight events by 2^(-age/D), D like 30d or 12h\n"
	"      --now TIME         age is measured from TIME (default: newest event)\n"
	"      --time file-order  without a time column, rows in order are times\n"
	"                         0, 1, ... for the half-life\n"
	"      --validation FILE  report a validation metric each epoch and stop\n"
	"                         early when it stops improving; last: each\n"
	"                         user's newest event, folded in afterwards\n"
	"      --init MODEL       continue MODEL on the events of FILE: new users\n"
	"                         and items join it, the users and items the events\n"
	"                         touch are trained -e passes (default 1), the rest\n"
	"                         kept; the model's own parameters apply\n"
	"      --item-features FILE  with --init: add the items of FILE that the\n"
	"                         model lacks, scored by their attributes, without\n"
	"                         training (hybrid, content); events are then optional\n"
	"      --user-features FILE  the same for users\n"
	"      --multi COL        attribute files as in rec-pivot: split COL's cells\n"
	"      --numeric COL,...  these columns are numbers\n"
	"      --forget USERS     with --init: remove the users listed in USERS (one\n"
	"                         ID a line), their events and their influence,\n"
	"                         before learning the events of FILE\n"
	"      --solve users|items  with --init and --shard: one half sweep of ials\n"
	"                         over the shard's users (items) of FILE against\n"
	"                         MODEL's items (users), written as a part file\n"
	"      --merge MODEL      write MODEL with the rows of the PART files, one\n"
	"                         for each shard of one half sweep\n"
	"      --dedup RULE       for CSV input, as in rec-pivot (default last)\n"
	"      --force            train a rating model on equal ratings, or continue\n"
	"                         a model on events whose users and items it\n"
	"                         mostly does not know\n"
	"      --search           train on every combination of the values listed\n"
	"                         in -k, -e, --lr, --reg and -p (NAME=V1,V2,...),\n"
	"                         one after another, print each one's validation\n"
	"                         metric as CSV and write the best model\n"
	"      --search-budget N  try only N combinations, drawn with the seed\n"
	"      --search-table FILE  write the table to FILE (default standard\n"
	"                         output, the model then needing -o FILE)\n"
	"      --no-refit         write the best model as the search trained it;\n"
	"                         by default its values are trained again on FILE\n"
	"                         and the validation set together, for the\n"
	"                         epochs that early stopping kept\n",
	.more_help = list_algorithms,
	.shortopts = "a:k:e:p:",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT | REC_CLI_SEED | REC_CLI_PROGRESS | REC_CLI_PSEUDO |
		 REC_CLI_SHARD,
};

static void bad_usage(const char *msg)
{
	rec_cli_usage_error(synopsis, msg);
}

static void add_setting(struct options *o, const char *name, size_t len, const char *value)
{
	if (o->nsettings == MAX_SETTINGS)
		bad_usage("too many parameters");
	o->setting[o->nsettings++] = (struct setting){ name, len, value };
}

/* -p NAME=VALUE. */
static void add_param(struct options *o, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		bad_usage("bad -p (want NAME=VALUE)");
	add_setting(o, arg, (size_t)(eq - arg), eq + 1);
}

/* --init keeps the model's family and parameters; -e counts its passes. */
static void check_init_options(struct options *o)
{
	if (o->validation)
		bad_usage("--init takes no --validation");
	for (int i = 0; i < o->nsettings; i++)
		if (o->setting[i].len != 6 || strncmp(o->setting[i].name, "epochs", 6) != 0)
			bad_usage("--init keeps the model's parameters; only -e may be given");
	o->nsettings = 0;
}

/* --solve's argument: 1 for users, 2 for items. */
static int parse_side(const char *arg)
{
	if (strcmp(arg, "users") == 0)
		return 1;
	if (strcmp(arg, "items") == 0)
		return 2;
	rec_cli_bad_value(synopsis, "--solve", arg, "users or items");
	return 0;
}

/* A half sweep in a shard solves once with the model's own parameters
 * and time decay; a merge only joins parts. */
static void check_shard_options(const struct options *o, int nargs)
{
	if (o->merge) {
		if (o->init || o->solve || o->cli.shard.n || o->algo || o->nsettings ||
		    o->validation || o->half_life || o->now)
			bad_usage("--merge takes only MODEL, -o and the parts");
		if (nargs < 1)
			bad_usage("--merge wants the parts to merge");
		return;
	}
	if (!o->solve || !o->cli.shard.n || !o->init)
		bad_usage("--solve and --shard go together, with --init");
	if (o->nsettings || o->validation || o->half_life || o->now || o->item_features ||
	    o->user_features)
		bad_usage("--solve keeps the model's parameters and decay");
}

/* Do the settings a and b name the same parameter? */
static int same_name(const struct setting *a, const struct setting *b)
{
	return a->len == b->len && strncmp(a->name, b->name, a->len) == 0;
}

/* The list of values of s, NAME=V1,V2,..., into p: copies that
 * free_lists frees. */
static void split_list(const struct setting *s, struct rec_search_param *p)
{
	size_t len = strlen(s->value);
	char *name = strndup(s->name, s->len), *text = strdup(s->value), msg[128];
	const char **values = calloc(len + 1, sizeof(*values));
	uint32_t n = 0;
	char q[REC_QUOTED];

	if (!name || !text || !values)
		errx(1, "out of memory");
	values[n++] = text;
	for (char *at = text; (at = strchr(at, ',')); ) {
		*at++ = '\0';
		values[n++] = at;
	}
	*p = (struct rec_search_param){ name, values, n };
	for (uint32_t v = 0; v < n; v++)
		if (!*values[v]) {
			snprintf(msg, sizeof(msg), "an empty value in the list of %s",
				 rec_quoted(name, q));
			bad_usage(msg);
		}
}

static void free_lists(struct options *o)
{
	for (unsigned p = 0; p < o->nparams; p++) {
		free((char *)o->param[p].name);
		free((char *)o->param[p].values[0]);
		free((void *)o->param[p].values);
	}
}

/* Is the value of s a list: has it a comma, and is it not one value
 * that algo (if known) takes whole, like neumf's layers=32,16? */
static int is_list(const struct setting *s, const struct rec_algo *algo)
{
	struct rec_model *m;
	struct rec_error e;
	char name[64];
	int whole;

	if (!strchr(s->value, ','))
		return 0;
	if (!algo || s->len >= sizeof(name) || !(m = rec_model_new(algo)))
		return 1;
	memcpy(name, s->name, s->len);
	name[s->len] = '\0';
	whole = rec_model_set(m, name, s->value, &e) == 0;
	rec_model_free(m);
	return !whole;
}

/* Move the settings with a list of values out of setting[] into param[];
 * a parameter listed may not be set twice. */
static void take_lists(struct options *o)
{
	const struct rec_algo *algo = o->algo ? rec_algo_find(o->algo) : NULL;
	char list[MAX_SETTINGS], msg[128], q[REC_QUOTED];
	int kept = 0;

	for (int i = 0; i < o->nsettings; i++)
		list[i] = (char)is_list(&o->setting[i], algo);
	for (int i = 0; i < o->nsettings; i++)
		for (int j = 0; j < o->nsettings; j++)
			if (list[i] && j != i && same_name(&o->setting[i], &o->setting[j])) {
				snprintf(msg, sizeof(msg), "%s has a list of values and is set twice",
					 rec_quote(q, sizeof(q), o->setting[i].name, o->setting[i].len));
				bad_usage(msg);
			}
	for (int i = 0; i < o->nsettings; i++) {
		if (list[i])
			split_list(&o->setting[i], &o->param[o->nparams++]);
		else
			o->setting[kept++] = o->setting[i];
	}
	o->nsettings = kept;
}

/* --search needs a list and a validation set, and trains new models;
 * without it, a value with a comma is one value, and -e, which was left
 * unread for a list, is read now. */
static void check_search_options(struct options *o)
{
	int table_out = !o->table || strcmp(o->table, "-") == 0;
	struct rec_error e;

	if (!o->search) {
		for (int i = 0; i < o->nsettings; i++)
			if (o->setting[i].len == 6 && strncmp(o->setting[i].name, "epochs", 6) == 0 &&
			    strchr(o->setting[i].value, ',') &&
			    rec_parse_long(o->setting[i].value, 0, 100000, &o->passes, "--epochs",
					   &e) < 0)
				bad_usage(e.msg);
		if (o->budget || o->table || o->no_refit)
			bad_usage("--search-budget, --search-table and --no-refit need --search");
		return;
	}
	if (o->init)
		bad_usage("--search trains new models; it takes no --init");
	if (!o->nparams)
		bad_usage("--search needs a list of values, as in -p reg=0.01,0.1");
	if (!o->validation || strcmp(o->validation, "last") == 0)
		bad_usage("--search needs --validation FILE");
	if (table_out && (!o->cli.output || strcmp(o->cli.output, "-") == 0))
		bad_usage("--search prints its table on standard output; give the model -o FILE");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct rec_error e;
	int c;

	rec_cli_init(&o->cli, &program);
	while ((c = rec_cli_next(&o->cli, argc, argv)) != -1) {
		switch (c) {
		case 'a': o->algo = optarg; break;
		case 'k': add_setting(o, "factors", 7, optarg); break;
		case 'e':
			if (!strchr(optarg, ',') &&
			    rec_parse_long(optarg, 0, 100000, &o->passes, "--epochs", &e) < 0)
				bad_usage(e.msg);
			add_setting(o, "epochs", 6, optarg);
			break;
		case OPT_LR: add_setting(o, "lr", 2, optarg); break;
		case OPT_REG: add_setting(o, "reg", 3, optarg); break;
		case 'p': add_param(o, optarg); break;
		case OPT_HALF_LIFE: o->half_life = optarg; break;
		case OPT_NOW: o->now = optarg; break;
		case OPT_VALIDATION: o->validation = optarg; break;
		case OPT_INIT: o->init = optarg; break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_TIME:
			if (rec_parse_time_source(optarg, &o->file_order, &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_ITEM_FEATURES: o->item_features = optarg; break;
		case OPT_USER_FEATURES: o->user_features = optarg; break;
		case OPT_MULTI: o->features.multi = optarg; break;
		case OPT_NUMERIC: o->features.numeric = optarg; break;
		case OPT_FORGET: o->forget = optarg; break;
		case OPT_SOLVE: o->solve = parse_side(optarg); break;
		case OPT_MERGE: o->merge = optarg; break;
		case OPT_SEARCH: o->search = 1; break;
		case OPT_SEARCH_BUDGET:
			if (rec_parse_long(optarg, 1, 10000, &o->budget, "--search-budget", &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_SEARCH_TABLE: o->table = optarg; break;
		case OPT_NO_REFIT: o->no_refit = 1; break;
		case OPT_DEDUP:
			if (rec_parse_dedup(optarg, &o->dedup, &e) < 0)
				bad_usage(e.msg);
			break;
		}
	}
	if (o->search)
		take_lists(o);
	check_search_options(o);
	if (o->solve || o->cli.shard.n || o->merge)
		check_shard_options(o, argc - optind);
	if (!o->init && (o->item_features || o->user_features))
		bad_usage("--item-features and --user-features go with --init");
	if (!o->init && o->forget)
		bad_usage("--forget goes with --init");
	if (o->cli.pseudo && o->user_features)
		bad_usage("--user-features would add raw user IDs: no --pseudonymize");
	if (o->init)
		check_init_options(o);
	else if (!o->algo && !o->merge)
		bad_usage("no algorithm: give -a ALGO");
	if (argc - optind > 1 && !o->merge)
		bad_usage("one input file at most");
	o->train.seed = o->cli.seed;
	o->train.progress = o->cli.progress;
}

/* The decay options, for a new model and a resumed one alike. */
static void set_decay(struct rec_model *m, const struct options *o)
{
	struct rec_error e;

	if (o->half_life && rec_parse_duration(o->half_life, &m->half_life, "--half-life", &e) < 0)
		bad_usage(e.msg);
	if (o->now && rec_parse_time(o->now, &m->now, "--now", &e) < 0)
		bad_usage(e.msg);
}

/* The model that --init continues and the new events of path (none when
 * path is NULL), read side by side, for the two files have nothing in
 * common; the model's decay is measured anew from the newest event unless
 * --now says otherwise. */
static struct rec_model *resume(const struct options *o, const char *path,
				struct rec_dataset *data)
{
	struct rec_model *m = NULL;
	struct rec_error me, de;
	int mrc = 0, drc = 0;

	#pragma omp parallel sections num_threads(2)
	{
		#pragma omp section
		mrc = o->solve ? rec_model_load_shardable(&m, o->init, &me) :
				 rec_model_load(&m, o->init, &me);
		#pragma omp section
		if (path)
			drc = rec_dataset_load(data, path, &o->cli.csv, o->dedup, NULL, &de);
		else
			memset(data, 0, sizeof(*data));
	}
	if (mrc < 0) {
		if (drc == 0)
			rec_dataset_release(data);
		rec_cli_fail(&me);
	}
	if (drc < 0) {
		rec_model_free(m);
		rec_cli_fail(&de);
	}
	if (o->algo && strcmp(o->algo, m->algo->name) != 0) {
		snprintf(me.msg, sizeof(me.msg), "%.64s is a %s model, not %.32s", o->init,
			 m->algo->name, o->algo);
		bad_usage(me.msg);
	}
	if (o->solve)
		return m;
	if (path && !o->force && rec_check_overlap(data, m, path, &de) < 0)
		rec_cli_fail(&de);
	m->now = 0;
	set_decay(m, o);
	return m;
}

/* Build the untrained model from -a, -p and the decay options. */
static struct rec_model *configure(const struct options *o)
{
	const struct rec_algo *algo = rec_algo_find(o->algo);
	struct rec_model *m;
	struct rec_error e;
	char text[128], q[REC_QUOTED];

	if (!algo) {
		snprintf(text, sizeof(text), "unknown algorithm %s", rec_quoted(o->algo, q));
		bad_usage(text);
	}
	if (!(m = rec_model_new(algo)))
		errx(1, "out of memory");
	for (int i = 0; i < o->nsettings; i++) {
		const struct setting *s = &o->setting[i];
		char name[64];

		if (s->len >= sizeof(name)) {
			rec_error_set(&e, REC_EINVAL, "%s has no parameter %s", algo->name,
				      rec_quote(q, sizeof(q), s->name, s->len));
			bad_usage(e.msg);
		}
		memcpy(name, s->name, s->len);
		name[s->len] = '\0';
		if (rec_model_set(m, name, s->value, &e) < 0)
			bad_usage(e.msg);
	}
	set_decay(m, o);
	return m;
}

/* Refuse what would train on nonsense: times that are row numbers for a
 * half-life, and, unless --force, equal ratings for a rating model. */
static void check_data(const struct rec_model *m, const struct rec_dataset *data,
		       const char *input, const struct options *o)
{
	struct rec_error e;

	if (m->half_life > 0 && !o->file_order &&
	    rec_check_time(data->has_time, input,
			   o->half_life ? "--half-life" : "the model's half-life", &e) < 0)
		rec_cli_fail(&e);
	if (!o->init && !o->force && rec_check_ratings(m->algo, data, input, &e) < 0)
		rec_cli_fail(&e);
}

/* Add the users or items of the attribute file path that m lacks. */
static void add_features(struct rec_model *m, const char *path, int users,
			 const struct options *o)
{
	struct rec_features *f;
	struct rec_error e;
	uint64_t skipped = 0, dropped = 0;

	if (rec_features_read(&f, path, users ? "user" : "item",
			      users ? m->data.users : m->data.items, &o->features, &o->cli.csv,
			      &skipped, &e) < 0)
		rec_cli_fail(&e);
	if (rec_model_add_features(m, users, f, &dropped, &e) < 0)
		errx(1, "%s: %s", o->init, e.msg);
	if (o->cli.csv.skip_bad && skipped && o->cli.verbose >= 0)
		warnx("%s: skipped %llu bad rows", path, (unsigned long long)skipped);
	if (dropped && o->cli.verbose > 0)
		warnx("%s: %llu attributes that the model does not know left out", path,
		      (unsigned long long)dropped);
}

/* With a key, the users of data become pseudonyms, which m's must be
 * already; without one, raw IDs must not join m's pseudonyms. */
static void pseudonymize(struct rec_model *m, struct rec_dataset *data,
			 const struct options *o)
{
	struct rec_error e;

	if (o->init && o->cli.pseudo && !m->data.pseudonymous)
		errx(1, "%s: its users are not pseudonymised; no --pseudonymize", o->init);
	if (o->init && !o->cli.pseudo && m->data.pseudonymous && data->users &&
	    !data->pseudonymous)
		errx(1, "%s: its users are pseudonymised; give --pseudonymize KEYFILE", o->init);
	if (data->users && rec_dataset_pseudonymize(data, o->cli.pseudo, &e) < 0)
		rec_cli_fail(&e);
}

/* --forget: the users of its file leave m, and their influence with them. */
static void forget(struct rec_model *m, struct options *o)
{
	struct rec_ids ids;
	struct rec_error e;
	uint32_t gone;

	o->train.passes = o->passes >= 0 ? (uint32_t)o->passes : 1;
	if (rec_ids_read(&ids, o->forget, &e) < 0 ||
	    rec_model_forget(m, ids.dict, o->cli.pseudo, &o->train, &gone, &e) < 0)
		rec_cli_fail(&e);
	if (o->cli.verbose > 0)
		warnx("forgot %u of %u users", gone, rec_dict_size(ids.dict));
	rec_ids_release(&ids);
}

/* Continue m on the events of data. */
static void train_more(struct rec_model *m, struct rec_dataset *data, struct options *o)
{
	struct rec_events ev;
	struct rec_error e;

	if (rec_events_init(&ev, m->data.users, m->data.items) < 0 ||
	    rec_events_add_dataset(&ev, data) < 0)
		errx(1, "out of memory");
	rec_dataset_release(data);
	o->train.passes = o->passes >= 0 ? (uint32_t)o->passes : 1;
	if (rec_model_update(m, &ev, &o->train, &e) < 0)
		rec_cli_fail(&e);
}

/* --solve: the shard's half sweep of m (which rec_model_load_shardable
 * accepted) on data, written to output as a part of the model o->init. */
static void solve_part(struct rec_model *m, struct rec_dataset *data, const struct options *o,
		       const char *input, const char *output)
{
	struct rec_train_part part;
	struct rec_error e;

	if (rec_train_part_solve(&part, m, data, o->solve == 2, &o->cli.shard, &e) < 0)
		errx(1, "%s: %s", input, e.msg);
	if (rec_train_part_write(&part, output, &e) < 0)
		rec_cli_fail(&e);
	rec_train_part_release(&part);
}

/* --merge: the model o->merge with the rows of the parts, to output. */
static void merge_parts(const struct options *o, char **paths, int n, const char *output)
{
	struct rec_train_part *parts = calloc((size_t)n, sizeof(*parts));
	struct rec_model *m;
	struct rec_error e;

	if (!parts)
		errx(1, "out of memory");
	if (rec_model_load(&m, o->merge, &e) < 0)
		rec_cli_fail(&e);
	for (int j = 0; j < n; j++)
		if (rec_train_part_read(&parts[j], paths[j], &e) < 0)
			rec_cli_fail(&e);
	if (rec_train_merge(m, parts, (const char *const *)paths, (uint32_t)n, &e) < 0 ||
	    rec_model_save(m, output, &e) < 0)
		rec_cli_fail(&e);
	for (int j = 0; j < n; j++)
		rec_train_part_release(&parts[j]);
	free(parts);
	rec_model_free(m);
}

/* The table of a search as it goes: a header, then one row a combination. */
struct table {
	FILE *fp;
	const struct options *o;
	uint64_t rows;
};

static void table_row(void *ctx, const char *const *values,
		      const struct rec_train_metric *metric)
{
	struct table *t = ctx;

	if (!t->rows++) {
		for (unsigned p = 0; p < t->o->nparams; p++)
			fprintf(t->fp, "%s,", t->o->param[p].name);
		fprintf(t->fp, "%s\n", metric->name);
	}
	for (unsigned p = 0; p < t->o->nparams; p++)
		fprintf(t->fp, "%s,", values[p]);
	fprintf(t->fp, "%.6f\n", metric->value);
	fflush(t->fp);
}

/* -v: what the search's best values were trained again on. */
static void report_refit(const struct rec_model *m, const struct options *o)
{
	double epochs = rec_model_get(m, "epochs");
	char more[32] = "";

	if (!isnan(epochs))
		snprintf(more, sizeof(more), ", %g epochs", epochs);
	warnx("refit on the training set and %s%s", o->validation, more);
}

/* --search: the best of the models that base with each combination of the
 * lists trains on data, in place of base; the table of their validation
 * metrics goes to --search-table or standard output. */
static struct rec_model *search(struct options *o, struct rec_model *base,
				struct rec_dataset *data)
{
	struct table t = { NULL, o, 0 };
	struct rec_search_options so = {
		.param = o->param, .nparams = o->nparams, .budget = (uint64_t)o->budget,
		.train = o->train, .refit = !o->no_refit, .tried = table_row, .ctx = &t
	};
	struct rec_model *best;
	struct rec_error e;
	int rc;

	if (rec_search_check(base, &so, &e) < 0)
		bad_usage(e.msg);
	if (!(t.fp = rec_cli_open_output(o->table, &e)))
		rec_cli_fail(&e);
	rc = rec_search(base, data, &so, &best, &e);
	rec_dataset_release(data);
	rec_model_free(base);
	if (rc < 0)
		rec_cli_fail(&e);
	if (rec_cli_close_output(t.fp, o->table, &e) < 0)
		rec_cli_fail(&e);
	if (!o->no_refit && o->cli.verbose > 0)
		report_refit(best, o);
	return best;
}

int main(int argc, char **argv)
{
	struct options o = { .dedup = REC_DEDUP_LAST, .passes = -1 };
	struct rec_dataset data, validation;
	struct rec_model *m;
	struct rec_error e;
	const char *input, *output;

	parse_options(argc, argv, &o);
	input = optind < argc ? argv[optind] : "-";
	output = o.cli.output ? o.cli.output : "-";
	if (strcmp(output, "-") == 0 && isatty(STDOUT_FILENO))
		bad_usage("not writing a binary model to a terminal; use -o FILE");
	if (o.merge) {
		merge_parts(&o, argv + optind, argc - optind, output);
		return 0;
	}
	if (o.init) {
		m = resume(&o, optind == argc && (o.item_features || o.user_features ||
						  o.forget) ? NULL : input, &data);
		if (o.item_features)
			add_features(m, o.item_features, 0, &o);
		if (o.user_features)
			add_features(m, o.user_features, 1, &o);
	} else {
		m = configure(&o);
		if (rec_dataset_load(&data, input, &o.cli.csv, o.dedup, NULL, &e) < 0)
			rec_cli_fail(&e);
	}
	pseudonymize(m, &data, &o);
	if (o.forget)
		forget(m, &o);
	if (data.users)
		check_data(m, &data, input, &o);
	if (o.solve) {
		solve_part(m, &data, &o, input, output);
		rec_dataset_release(&data);
		rec_model_free(m);
		return 0;
	}
	if (o.validation && strcmp(o.validation, "last") != 0) {
		if (rec_dataset_load(&validation, o.validation, &o.cli.csv, o.dedup, NULL, &e) < 0 ||
		    rec_dataset_pseudonymize(&validation, o.cli.pseudo, &e) < 0)
			rec_cli_fail(&e);
		o.train.validation = &validation;
	}
	if (o.init) {
		if (data.users)
			train_more(m, &data, &o);
	} else if (data.nnz == 0)
		errx(1, "%s: no events", strcmp(input, "-") ? input : "standard input");
	else if (o.search)
		m = search(&o, m, &data);
	else if ((o.validation && !o.train.validation ?
		  rec_model_train_last(m, &data, &o.train, &e) :
		  rec_model_train(m, &data, &o.train, &e)) < 0)
		rec_cli_fail(&e);
	if (rec_model_save(m, output, &e) < 0)
		rec_cli_fail(&e);
	rec_model_free(m);
	if (o.train.validation)
		rec_dataset_release(&validation);
	free_lists(&o);
	return 0;
}
