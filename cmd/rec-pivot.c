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
	OPT_FORMAT, OPT_STATS,
	OPT_ITEM_FEATURES, OPT_USER_FEATURES, OPT_MULTI, OPT_NUMERIC, OPT_MIN_FEATURE,
	OPT_SHARDS, OPT_BY, OPT_NA, OPT_GENKEY, OPT_FORGET
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
	const char *item_features;
	const char *user_features;
	struct rec_features_options features;
	uint32_t shards;	/* --shards N; 0 without */
	int by_item;
	struct rec_csv_report report;
	const char *genkey;
	const char *forget;
};

static const char synopsis[] =
	"usage: rec-pivot [-qv] [-o FILE] [--dedup RULE] [--min-user N] [--min-item N]\n"
	"                 [--implicit THRESHOLD] [--format recd|long|wide] [--stats]\n"
	"                 [--item-features FILE] [--user-features FILE] [--multi COL]\n"
	"                 [--numeric COL,...] [--min-feature N]\n"
	"                 [--shards N [--by user|item]] [-j N]\n"
	"                 [--progress | --no-progress]\n"
	"                 [-u COL] [-i COL] [-r COL] [-t COL] [-d C] [--no-header]\n"
	"                 [--skip-bad] [--na LIST] [--pseudonymize KEYFILE]\n"
	"                 [--forget USERS] [FILE ...]\n"
	"       rec-pivot --genkey FILE\n";

static const struct option longopts[] = {
	{ "dedup", required_argument, NULL, OPT_DEDUP },
	{ "min-user", required_argument, NULL, OPT_MIN_USER },
	{ "min-item", required_argument, NULL, OPT_MIN_ITEM },
	{ "implicit", required_argument, NULL, OPT_IMPLICIT },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "item-features", required_argument, NULL, OPT_ITEM_FEATURES },
	{ "user-features", required_argument, NULL, OPT_USER_FEATURES },
	{ "multi", required_argument, NULL, OPT_MULTI },
	{ "numeric", required_argument, NULL, OPT_NUMERIC },
	{ "min-feature", required_argument, NULL, OPT_MIN_FEATURE },
	{ "shards", required_argument, NULL, OPT_SHARDS },
	{ "by", required_argument, NULL, OPT_BY },
	{ "na", required_argument, NULL, OPT_NA },
	{ "genkey", required_argument, NULL, OPT_GENKEY },
	{ "forget", required_argument, NULL, OPT_FORGET },
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
	"      --item-features FILE  attributes of items (CSV, long or wide layout)\n"
	"      --user-features FILE  attributes of users\n"
	"      --multi COL        wide layout: split COL's cells on '|'\n"
	"      --numeric COL,...  wide layout: these columns are numbers\n"
	"      --min-feature N    drop features that fewer than N entities have\n"
	"      --shards N         write N datasets PREFIX-1.recd to PREFIX-N.recd\n"
	"                         (-o PREFIX), each with the entries of its shard\n"
	"                         of users, by the hash of rec(7)\n"
	"      --by WHAT          with --shards: user (default) or item\n"
	"      --na LIST          comma-separated markers of a missing value, such\n"
	"                         as NA,null, (the last one empty): an event with\n"
	"                         one in a column read is dropped (default none)\n"
	"      --forget USERS     drop the users listed in USERS (one ID a line),\n"
	"                         their events and their IDs\n"
	"      --genkey FILE      write a new key for --pseudonymize to FILE\n",
	.shortopts = "",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT | REC_CLI_PROGRESS | REC_CLI_PSEUDO,
};

static void bad_usage(const char *msg, const char *arg)
{
	char text[600], q[REC_QUOTED];

	if (msg && arg)
		snprintf(text, sizeof(text), "%s %s", msg, rec_quoted(arg, q));
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
	int c, by = 0;

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
		case OPT_ITEM_FEATURES: o->item_features = optarg; break;
		case OPT_USER_FEATURES: o->user_features = optarg; break;
		case OPT_MULTI: o->features.multi = optarg; break;
		case OPT_NUMERIC: o->features.numeric = optarg; break;
		case OPT_MIN_FEATURE:
			o->features.min_count = (uint32_t)parse_count(optarg, "--min-feature");
			break;
		case OPT_SHARDS:
			if (rec_parse_long(optarg, 1, REC_SHARD_LIMIT, &n, "--shards", &e) < 0)
				bad_usage(e.msg, NULL);
			o->shards = (uint32_t)n;
			break;
		case OPT_BY:
			if (strcmp(optarg, "user") != 0 && strcmp(optarg, "item") != 0)
				bad_usage("bad --by (want user or item)", optarg);
			o->by_item = strcmp(optarg, "item") == 0;
			by = 1;
			break;
		case OPT_NA: o->cli.csv.na = optarg; break;
		case OPT_GENKEY: o->genkey = optarg; break;
		case OPT_FORGET: o->forget = optarg; break;
		}
	}
	o->cli.csv.report = &o->report;
	if (by && !o->shards)
		bad_usage("--by goes with --shards", NULL);
	if (o->shards && (!o->cli.output || strcmp(o->cli.output, "-") == 0))
		bad_usage("--shards needs -o PREFIX", NULL);
	if (o->genkey && (optind < argc || o->cli.output || o->cli.pseudo || o->forget))
		bad_usage("--genkey goes alone", NULL);
	if (o->shards && o->format != FORMAT_RECD)
		bad_usage("--shards writes datasets: no --format", NULL);
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

/* Warn of a user or item ID that more than half of 100 events or more
 * share: most often a marker of a missing value, such as NA, that made
 * one user or item of all the events without one. */
static void warn_dominant(const struct rec_dataset *ds)
{
	static const char *const what[] = { "user", "item" };

	for (int items = 0; items < 2 && ds->nnz >= 100; items++) {
		const struct rec_dict *d = items ? ds->items : ds->users;
		uint64_t most;
		int64_t id = rec_dataset_dominant(ds, items, &most);
		char q[REC_QUOTED];
		size_t len;
		const char *name;

		if (id < 0)
			errx(1, "out of memory");
		if (most * 2 <= ds->nnz)
			continue;
		name = rec_dict_name(d, (uint32_t)id, &len);
		warnx("warning: %llu%% of the events have %s %s; see --na",
		      (unsigned long long)(most * 100 / ds->nnz), what[items],
		      rec_quote(q, sizeof(q), name, len));
	}
}

/* Attach the attribute file path of users or items to ds. */
static void attach(struct rec_dataset *ds, const char *path, int users,
		   const struct options *o)
{
	struct rec_features *f;
	struct rec_error e;
	uint64_t skipped = 0;

	if (rec_features_read(&f, path, users ? "user" : "item", users ? ds->users : ds->items,
			      &o->features, &o->cli.csv, &skipped, &e) < 0 ||
	    rec_dataset_set_features(ds, users, f, &e) < 0)
		rec_cli_fail(&e);
	if (o->cli.csv.skip_bad && skipped && o->cli.verbose >= 0)
		warnx("%s: skipped %llu bad rows", path, (unsigned long long)skipped);
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

/* Make the users pseudonyms with --pseudonymize, then drop those of
 * --forget, whose raw IDs the key maps alike. */
static void protect(struct rec_dataset *ds, const struct options *o)
{
	struct rec_ids ids;
	struct rec_error e;
	uint32_t gone;

	if (rec_dataset_pseudonymize(ds, o->cli.pseudo, &e) < 0)
		rec_cli_fail(&e);
	if (!o->forget)
		return;
	if (rec_ids_read(&ids, o->forget, &e) < 0 ||
	    rec_dataset_forget(ds, ids.dict, o->cli.pseudo, &gone, &e) < 0)
		rec_cli_fail(&e);
	if (o->cli.verbose > 0)
		warnx("forgot %u of %u users", gone, rec_dict_size(ids.dict));
	rec_ids_release(&ids);
}

/* --shards: the datasets PREFIX-1.recd to PREFIX-N.recd. */
static void write_shards(const struct rec_dataset *ds, const struct options *o)
{
	struct rec_dataset part;
	struct rec_error e;
	char path[4096];

	for (uint32_t i = 1; i <= o->shards; i++) {
		struct rec_shard s = { i, o->shards };

		if (snprintf(path, sizeof(path), "%s-%u.recd", o->cli.output, i) >= (int)sizeof(path))
			errx(1, "%s: name too long", o->cli.output);
		if (rec_dataset_shard(&part, ds, &s, o->by_item, &e) < 0 ||
		    rec_dataset_write(&part, path, &e) < 0)
			rec_cli_fail(&e);
		rec_dataset_release(&part);
	}
}

int main(int argc, char **argv)
{
	struct options o = { .dedup = REC_DEDUP_LAST };
	struct rec_dataset ds;
	struct rec_error e;
	int to_stdout;

	parse_options(argc, argv, &o);
	if (o.genkey) {
		if (rec_pseudo_genkey(o.genkey, &e) < 0)
			rec_cli_fail(&e);
		return 0;
	}
	to_stdout = !o.cli.output || strcmp(o.cli.output, "-") == 0;
	if (to_stdout && o.format == FORMAT_RECD && isatty(STDOUT_FILENO))
		bad_usage("not writing a binary dataset to a terminal; use -o FILE", NULL);
	load(&ds, argv + optind, argc - optind, &o);
	if (o.cli.verbose >= 0)
		warn_dominant(&ds);
	if (o.binarize)
		rec_dataset_binarize(&ds, o.threshold);
	if ((o.min_user > 1 || o.min_item > 1) && (ds.item_features || ds.user_features))
		errx(1, "--min-user and --min-item would renumber the stored attributes");
	if ((o.min_user > 1 || o.min_item > 1) &&
	    rec_dataset_kcore(&ds, (uint32_t)o.min_user, (uint32_t)o.min_item, &e) < 0)
		rec_cli_fail(&e);
	if (ds.nnz == 0)
		errx(1, "%s: no events", optind < argc ? argv[optind] : "standard input");
	/* After the cleaning, so that items and users known only by their
	 * attributes stay in the catalogue. */
	if (o.item_features)
		attach(&ds, o.item_features, 0, &o);
	if (o.user_features)
		attach(&ds, o.user_features, 1, &o);
	protect(&ds, &o);
	if (o.cli.progress)
		fprintf(stderr, "rec-pivot: %llu events, %u users, %u items\n",
			(unsigned long long)ds.nnz, ds.nusers, ds.nitems);
	if (o.stats)
		rec_dataset_write_stats(&ds, to_stdout ? stderr : stdout);
	if (o.shards)
		write_shards(&ds, &o);
	else
		write_output(&ds, &o);
	rec_dataset_release(&ds);
	if (!to_stdout && rec_close_stdout() < 0)
		err(1, "standard output");
	return 0;
}
