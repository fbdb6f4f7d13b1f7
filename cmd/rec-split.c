/* rec-split - split a dataset into a training and a test set. */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_METHOD = REC_OPT_PROGRAM, OPT_RATIO, OPT_COUNT, OPT_BEFORE, OPT_FOLD,
	OPT_TRAIN, OPT_TEST, OPT_FORMAT, OPT_DEDUP, OPT_SPAN, OPT_TIME
};

struct options {
	struct rec_cli cli;
	struct rec_split_options split;
	enum rec_dedup dedup;
	const char *train;
	const char *test;
	int long_format;
	int has_ratio;
	int file_order;		/* --time file-order */
};

static const char synopsis[] =
	"usage: rec-split [-qv] [--method random|user|last|temporal|kfold|cold-items|\n"
	"                 cold-users] [--ratio R]\n"
	"                 [--count N] [--before TIME] [--span R] [--fold I/K] [--seed N]\n"
	"                 [--time column|file-order] [-j N] [--progress | --no-progress]\n"
	"                 [--format recd|long] [--dedup RULE] [-u COL] [-i COL] [-r COL]\n"
	"                 [-t COL] [-d C] [--no-header] [--skip-bad]\n"
	"                 [--pseudonymize KEYFILE] --train FILE --test FILE [FILE]\n";

static const struct option longopts[] = {
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "ratio", required_argument, NULL, OPT_RATIO },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "before", required_argument, NULL, OPT_BEFORE },
	{ "fold", required_argument, NULL, OPT_FOLD },
	{ "train", required_argument, NULL, OPT_TRAIN },
	{ "test", required_argument, NULL, OPT_TEST },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "dedup", required_argument, NULL, OPT_DEDUP },
	{ "span", required_argument, NULL, OPT_SPAN },
	{ "time", required_argument, NULL, OPT_TIME },
	{ NULL, 0, NULL, 0 }
};

static const struct rec_cli_program program = {
	.name = "rec-split",
	.synopsis = synopsis,
	.help =
	"Split a dataset (.recd, or events CSV) into training and test sets that\n"
	"share one ID dictionary.\n\n"
	"      --method M         random (default): a --ratio of all events;\n"
	"                         user: a --ratio or --count of each user's events;\n"
	"                         last: each user's newest --count events (default 1);\n"
	"                         temporal: the newest --ratio of the events (those\n"
	"                         at the cut's time too), the events at or after\n"
	"                         --before TIME, or those in the last --span of\n"
	"                         the time range;\n"
	"                         kfold: fold I of K of a random partition;\n"
	"                         cold-items, cold-users: every event of a --ratio\n"
	"                         of the items or users\n"
	"      --ratio R          fraction held out (default 0.2)\n"
	"      --count N          events held out per user (user, last)\n"
	"      --before TIME      temporal cut: unix seconds or ISO 8601\n"
	"      --span R           temporal: fraction of the time range held out\n"
	"      --time file-order  without a time column, temporal and last take\n"
	"                         the order of the rows for time\n"
	"      --fold I/K         the test fold, 1 <= I <= K\n"
	"      --train FILE       where the training set goes\n"
	"      --test FILE        where the test set goes\n"
	"      --format F         recd (default) or long (CSV events)\n"
	"      --dedup RULE       for CSV input, as in rec-pivot (default last)\n",
	.shortopts = "",
	.longopts = longopts,
	.takes = REC_CLI_SEED | REC_CLI_PROGRESS | REC_CLI_PSEUDO,
};

static void bad_usage(const char *msg)
{
	rec_cli_usage_error(synopsis, msg);
}

static long parse_long(const char *arg, long min, long max, const char *what)
{
	struct rec_error e;
	long v;

	if (rec_parse_long(arg, min, max, &v, what, &e) < 0)
		bad_usage(e.msg);
	return v;
}

static void parse_fold(const char *arg, struct rec_split_options *s)
{
	char text[64];
	long i, k;
	const char *slash = strchr(arg, '/');

	if (!slash || slash - arg >= (long)sizeof(text))
		rec_cli_bad_value(synopsis, "--fold", arg, "I/K, such as 1/5");
	memcpy(text, arg, (size_t)(slash - arg));
	text[slash - arg] = '\0';
	k = parse_long(slash + 1, 2, 1000000, "--fold count");
	i = parse_long(text, 1, k, "--fold index");
	s->fold = (unsigned)(i - 1);
	s->folds = (unsigned)k;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct rec_split_options *s = &o->split;
	struct rec_error e;
	int c;

	rec_cli_init(&o->cli, &program);
	while ((c = rec_cli_next(&o->cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_METHOD:
			if (rec_parse_split_method(optarg, &s->method, &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_RATIO:
			if (rec_parse_double(optarg, 0, 1, &s->ratio, "--ratio", &e) < 0)
				bad_usage(e.msg);
			o->has_ratio = 1;
			break;
		case OPT_SPAN:
			if (rec_parse_double(optarg, 0, 1, &s->ratio, "--span", &e) < 0)
				bad_usage(e.msg);
			s->span = 1;
			break;
		case OPT_TIME:
			if (rec_parse_time_source(optarg, &o->file_order, &e) < 0)
				bad_usage(e.msg);
			break;
		case OPT_COUNT:
			s->count = (uint64_t)parse_long(optarg, 1, INT64_MAX, "--count");
			break;
		case OPT_BEFORE:
			if (rec_parse_time(optarg, &s->before, "--before", &e) < 0)
				bad_usage(e.msg);
			s->has_before = 1;
			break;
		case OPT_FOLD: parse_fold(optarg, s); break;
		case OPT_TRAIN: o->train = optarg; break;
		case OPT_TEST: o->test = optarg; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "long") != 0 && strcmp(optarg, "recd") != 0)
				rec_cli_bad_value(synopsis, "--format", optarg, "recd or long");
			o->long_format = strcmp(optarg, "long") == 0;
			break;
		case OPT_DEDUP:
			if (rec_parse_dedup(optarg, &o->dedup, &e) < 0)
				bad_usage(e.msg);
			break;
		}
	}
	s->seed = o->cli.seed;
	if (!o->train || !o->test)
		bad_usage("both --train and --test are needed");
	if (argc - optind > 1)
		bad_usage("one input file at most");
	if (s->method == REC_SPLIT_KFOLD && !s->folds)
		bad_usage("--method kfold needs --fold I/K");
	if (s->method == REC_SPLIT_LAST && !s->count)
		s->count = 1;
	if (s->span && s->method != REC_SPLIT_TEMPORAL)
		bad_usage("--span goes with --method temporal");
	if (s->span && (o->has_ratio || s->has_before))
		bad_usage("--span goes with neither --ratio nor --before");
}

static void write_part(const struct rec_dataset *ds, const char *path, int long_format)
{
	struct rec_error e;
	FILE *fp;

	if (!long_format) {
		if (rec_dataset_write(ds, path, &e) < 0)
			rec_cli_fail(&e);
		return;
	}
	if (!(fp = rec_cli_open_output(path, &e)))
		rec_cli_fail(&e);
	rec_dataset_write_long(ds, fp);
	if (rec_cli_close_output(fp, path, &e) < 0)
		rec_cli_fail(&e);
}

/* Read the input: a .recd, or events whose bad rows --skip-bad counts.
 * Nothing to split is an error. */
static void load(struct rec_dataset *ds, const char *path, const struct options *o)
{
	struct rec_error e;
	uint64_t skipped = 0;

	if (rec_dataset_load(ds, path, &o->cli.csv, o->dedup, &skipped, &e) < 0 ||
	    rec_dataset_pseudonymize(ds, o->cli.pseudo, &e) < 0)
		rec_cli_fail(&e);
	if (o->cli.csv.skip_bad && skipped && o->cli.verbose >= 0)
		warnx("skipped %llu bad rows", (unsigned long long)skipped);
	if (ds->nnz == 0)
		errx(1, "%s: no events", strcmp(path, "-") ? path : "standard input");
}

/* The methods that go by time refuse data without times, unless --time
 * file-order says that the rows' order is meant. */
static void check_time(const struct rec_dataset *ds, const char *path, const struct options *o)
{
	enum rec_split_method m = o->split.method;
	struct rec_error e;

	if ((m == REC_SPLIT_TEMPORAL || m == REC_SPLIT_LAST) && !o->file_order &&
	    rec_check_time(ds->has_time, path, m == REC_SPLIT_LAST ? "--method last" :
			   "--method temporal", &e) < 0)
		rec_cli_fail(&e);
}

int main(int argc, char **argv)
{
	struct options o = {
		.split = { .method = REC_SPLIT_RANDOM, .ratio = 0.2 },
		.dedup = REC_DEDUP_LAST,
	};
	struct rec_dataset data, test;
	struct rec_error e;
	const char *input;
	uint64_t total;
	uint8_t *mask;

	parse_options(argc, argv, &o);
	input = optind < argc ? argv[optind] : "-";
	load(&data, input, &o);
	check_time(&data, input, &o);
	if (!(mask = malloc(data.nnz ? data.nnz : 1)))
		errx(1, "out of memory");
	if (rec_split_mask(&data, &o.split, mask, &e) < 0 ||
	    rec_dataset_select(&test, &data, mask, 1, &e) < 0)
		rec_cli_fail(&e);
	/* What is left of the data is the training set. */
	total = data.nnz;
	rec_dataset_filter(&data, mask, 0);
	free(mask);
	if (o.cli.progress)
		fprintf(stderr, "rec-split: %llu events: %llu train, %llu test\n",
			(unsigned long long)total, (unsigned long long)data.nnz,
			(unsigned long long)test.nnz);
	write_part(&data, o.train, o.long_format);
	write_part(&test, o.test, o.long_format);
	rec_dataset_release(&data);
	rec_dataset_release(&test);
	return 0;
}
