/* rec-pivot - turn an events CSV into a dataset (.recd). */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum format { FORMAT_RECD, FORMAT_LONG, FORMAT_WIDE };

enum {
	OPT_DEDUP = REC_OPT_PROGRAM, OPT_MIN_USER, OPT_MIN_ITEM, OPT_IMPLICIT,
	OPT_FORMAT, OPT_STATS, OPT_NA
};

struct options {
	struct rec_cli cli;
	enum rec_dedup dedup;
	long min_user;
	long min_item;
	int binarize;
	double threshold;
	enum format format;
	int stats;
	struct rec_csv_report report;
};

static const char synopsis[] =
	"usage: rec-pivot [-qv] [-o FILE] [--dedup RULE] [--min-user N] [--min-item N]\n"
	"                 [--implicit THRESHOLD] [--format recd|long|wide] [--stats]\n"
	"                 [-j N] [--progress | --no-progress]\n"
	"                 [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                 [--skip-bad] [--na LIST] [FILE ...]\n";

static const struct option longopts[] = {
	{ "dedup", required_argument, NULL, OPT_DEDUP },
	{ "min-user", required_argument, NULL, OPT_MIN_USER },
	{ "min-item", required_argument, NULL, OPT_MIN_ITEM },
	{ "implicit", required_argument, NULL, OPT_IMPLICIT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "na", required_argument, NULL, OPT_NA },
	{ NULL, 0, NULL, 0 }
};

static const struct rec_cli_program program = {
	.name = "rec-pivot",
	.synopsis = synopsis,
	.help =
	"Read events (CSV, plain or gzip; none or - is standard input) and write\n"
	"the user x item dataset.\n\n"
	"      --dedup RULE       repeated (user, item): last, first, sum, mean, max\n"
	"                         or count (default last)\n"
	"      --min-user N       keep users with at least N events (iterated)\n"
	"      --min-item N       keep items with at least N events (iterated)\n"
	"      --implicit T       keep events rated T or more, as 1; drop the rest\n"
	"      --format F         recd (default), long (CSV events) or wide (table)\n"
	"      --stats            print counts, density, ratings and time range\n"
	"      --na LIST          comma-separated markers of a missing value, such\n"
	"                         as NA,null, (the last one empty): an event with\n"
	"                         one in a column read is dropped (default none)\n",
	.shortopts = "",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT | REC_CLI_PROGRESS,
};

static void bad_usage(const char *msg, const char *arg)
{
	char text[600];

	if (msg && arg)
		snprintf(text, sizeof(text), "%s '%s'", msg, arg);
	rec_cli_usage_error(synopsis, msg && arg ? text : msg);
}

static long parse_count(const char *arg, const char *what)
{
	struct rec_error e;
	long v;

	if (rec_parse_long(arg, 0, UINT32_MAX, &v, what, &e) < 0)
		bad_usage(e.msg, NULL);
	return v;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	struct rec_error e;
	long n;
	int c;

	rec_cli_init(&o->cli, &program);
	while ((c = rec_cli_next(&o->cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_DEDUP:
			if (rec_parse_dedup(optarg, &o->dedup, &e) < 0)
				bad_usage(e.msg, NULL);
			break;
		case OPT_MIN_USER: o->min_user = parse_count(optarg, "--min-user"); break;
		case OPT_MIN_ITEM: o->min_item = parse_count(optarg, "--min-item"); break;
		case OPT_IMPLICIT:
			if (rec_parse_double(optarg, -1e30, 1e30, &o->threshold,
					     "--implicit", &e) < 0)
				bad_usage(e.msg, NULL);
			o->binarize = 1;
			break;
		case OPT_FORMAT:
			n = strcmp(optarg, "recd") == 0 ? FORMAT_RECD :
			    strcmp(optarg, "long") == 0 ? FORMAT_LONG :
			    strcmp(optarg, "wide") == 0 ? FORMAT_WIDE : -1;
			if (n < 0)
				bad_usage("bad --format", optarg);
			o->format = (enum format)n;
			break;
		case OPT_STATS: o->stats = 1; break;
		case OPT_NA: o->cli.csv.na = optarg; break;
		}
	}
	o->cli.csv.report = &o->report;
}

/* Read CSV files into one dataset; fails on the first error. */
static void read_files(struct rec_dataset *ds, char **files, int nfiles,
		       const struct options *o, uint64_t *skipped)
{
	struct rec_events ev;
	struct rec_error e;

	if (rec_events_init(&ev, NULL, NULL) < 0)
		errx(1, "out of memory");
	for (int f = 0; f < nfiles; f++)
		if (rec_events_read(&ev, files[f], &o->cli.csv, &e) < 0)
			rec_cli_fail(&e);
	*skipped = ev.skipped;
	if (rec_dataset_from_events(ds, &ev, o->dedup, &e) < 0)
		rec_cli_fail(&e);
}

/* Read every input into one dataset: a .recd alone, or CSV files, whose
 * bad rows --skip-bad counts. */
static void load(struct rec_dataset *ds, char **files, int nfiles, const struct options *o)
{
	static char *stdin_only[] = { "-" };
	struct rec_error e;
	uint64_t skipped = 0;

	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	if (nfiles > 1)
		read_files(ds, files, nfiles, o, &skipped);
	else if (rec_dataset_load(ds, files[0], &o->cli.csv, o->dedup, &skipped, &e) < 0)
		rec_cli_fail(&e);
	if (o->cli.csv.skip_bad && skipped && o->cli.verbose >= 0)
		warnx("skipped %llu bad rows", (unsigned long long)skipped);
	if (o->cli.verbose > 0 && o->report.separator)
		warnx("separator: %s", o->report.separator);
	if (o->cli.verbose > 0 && o->cli.csv.na)
		warnx("dropped %llu events with a missing value",
		      (unsigned long long)o->report.missing);
}

/* The ID that more than half the events share, if one does, with its
 * count in *most: a user's or an item's (items), of n IDs. */
static uint32_t dominant(const struct rec_dataset *ds, int items, uint32_t n, uint64_t *most)
{
	uint64_t *count = calloc((size_t)n + 1, sizeof(*count));
	uint32_t top = 0;

	if (!count)
		errx(1, "out of memory");
	for (uint32_t u = 0; u < ds->nusers; u++)
		for (uint64_t e = ds->rowptr[u]; e < ds->rowptr[u + 1]; e++)
			count[items ? ds->col[e] : u]++;
	for (uint32_t i = 1; i < n; i++)
		if (count[i] > count[top])
			top = i;
	*most = count[top];
	free(count);
	return top;
}

/* Warn of a user or item ID that more than half of 100 events or more
 * share: most often a marker of a missing value, such as NA, that made
 * one user or item of all the events without one. */
static void warn_dominant(const struct rec_dataset *ds)
{
	static const char *const what[] = { "user", "item" };

	for (int items = 0; items < 2 && ds->nnz >= 100; items++) {
		const struct rec_dict *d = items ? ds->items : ds->users;
		uint64_t most;
		uint32_t id = dominant(ds, items, items ? ds->nitems : ds->nusers, &most);
		char q[REC_QUOTED];
		size_t len;
		const char *name;

		if (most * 2 <= ds->nnz)
			continue;
		name = rec_dict_name(d, id, &len);
		warnx("warning: %llu%% of the events have %s %s; see --na",
		      (unsigned long long)(most * 100 / ds->nnz), what[items],
		      rec_quote(q, sizeof(q), name, len));
	}
}

static void write_output(const struct rec_dataset *ds, const struct options *o)
{
	struct rec_error e;
	FILE *fp;

	if (o->format == FORMAT_RECD) {
		if (rec_dataset_write(ds, o->cli.output ? o->cli.output : "-", &e) < 0)
			rec_cli_fail(&e);
		return;
	}
	if (!(fp = rec_cli_open_output(o->cli.output, &e)))
		rec_cli_fail(&e);
	if (o->format == FORMAT_LONG)
		rec_dataset_write_long(ds, fp);
	else if (rec_dataset_write_wide(ds, fp, &e) < 0)
		rec_cli_fail(&e);
	if (rec_cli_close_output(fp, o->cli.output, &e) < 0)
		rec_cli_fail(&e);
}

int main(int argc, char **argv)
{
	struct options o = { .dedup = REC_DEDUP_LAST };
	struct rec_dataset ds;
	struct rec_error e;
	int to_stdout;

	parse_options(argc, argv, &o);
	to_stdout = !o.cli.output || strcmp(o.cli.output, "-") == 0;
	if (to_stdout && o.format == FORMAT_RECD && isatty(STDOUT_FILENO))
		bad_usage("not writing a binary dataset to a terminal; use -o FILE", NULL);
	load(&ds, argv + optind, argc - optind, &o);
	if (o.cli.verbose >= 0)
		warn_dominant(&ds);
	if (o.binarize)
		rec_dataset_binarize(&ds, o.threshold);
	if ((o.min_user > 1 || o.min_item > 1) &&
	    rec_dataset_kcore(&ds, (uint32_t)o.min_user, (uint32_t)o.min_item, &e) < 0)
		rec_cli_fail(&e);
	if (ds.nnz == 0)
		errx(1, "%s: no events", optind < argc ? argv[optind] : "standard input");
	if (o.cli.progress)
		fprintf(stderr, "rec-pivot: %llu events, %u users, %u items\n",
			(unsigned long long)ds.nnz, ds.nusers, ds.nitems);
	if (o.stats)
		rec_dataset_write_stats(&ds, to_stdout ? stderr : stdout);
	write_output(&ds, &o);
	rec_dataset_release(&ds);
	if (!to_stdout && rec_close_stdout() < 0)
		err(1, "standard output");
	return 0;
}
