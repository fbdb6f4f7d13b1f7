/* rec-train - train a model on a dataset and write it (.recm). */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_LR = REC_OPT_PROGRAM, OPT_REG, OPT_HALF_LIFE, OPT_NOW, OPT_VALIDATION,
	OPT_DEDUP, OPT_INIT
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
	struct rec_train_options train;
};

static const char synopsis[] =
	"usage: rec-train -a ALGO [-qv] [-o FILE] [-k N] [-e N] [--lr X] [--reg X]\n"
	"                 [-p NAME=VALUE] [--half-life DURATION] [--now TIME]\n"
	"                 [--validation FILE] [--progress | --no-progress] [-j N]\n"
	"                 [--seed N] [--dedup RULE] [-u COL] [-i COL] [-r COL] [-t COL]\n"
	"                 [-d C] [--no-header] [--skip-bad] [FILE]\n"
	"       rec-train --init MODEL [-a ALGO] [-qv] [-o FILE] [-e N]\n"
	"                 [--half-life DURATION] [--now TIME] [--progress | --no-progress]\n"
	"                 [-j N] [--seed N] [--dedup RULE] [-u COL] [-i COL] [-r COL]\n"
	"                 [-t COL] [-d C] [--no-header] [--skip-bad] [FILE]\n";

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
	"      --validation FILE  report a validation metric each epoch and stop\n"
	"                         early when it stops improving; last: each\n"
	"                         user's newest event, folded in afterwards\n"
	"      --init MODEL       continue MODEL on the events of FILE: new users\n"
	"                         and items join it, the users and items the events\n"
	"                         touch are trained -e passes (default 1), the rest\n"
	"                         kept; the model's own parameters apply\n"
	"      --dedup RULE       for CSV input, as in rec-pivot (default last)\n",
	.more_help = list_algorithms,
	.shortopts = "a:k:e:p:",
	.longopts = longopts,
	.takes = REC_CLI_OUTPUT | REC_CLI_SEED | REC_CLI_PROGRESS,
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
			if (rec_parse_long(optarg, 0, 100000, &o->passes, "--epochs", &e) < 0)
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
		case OPT_DEDUP:
			if (rec_parse_dedup(optarg, &o->dedup, &e) < 0)
				bad_usage(e.msg);
			break;
		}
	}
	if (o->init)
		check_init_options(o);
	else if (!o->algo)
		bad_usage("no algorithm: give -a ALGO");
	if (argc - optind > 1)
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

/* The model that --init continues and the new events of path, read side
 * by side, for the two files have nothing in common; the model's decay is
 * measured anew from the newest event unless --now says otherwise. */
static struct rec_model *resume(const struct options *o, const char *path,
				struct rec_dataset *data)
{
	struct rec_model *m = NULL;
	struct rec_error me, de;
	int mrc = 0, drc = 0;

	#pragma omp parallel sections num_threads(2)
	{
		#pragma omp section
		mrc = rec_model_load(&m, o->init, &me);
		#pragma omp section
		drc = rec_dataset_load(data, path, &o->cli.csv, o->dedup, NULL, &de);
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
	char text[128];

	if (!algo) {
		snprintf(text, sizeof(text), "unknown algorithm '%.64s'", o->algo);
		bad_usage(text);
	}
	if (!(m = rec_model_new(algo)))
		errx(1, "out of memory");
	for (int i = 0; i < o->nsettings; i++) {
		const struct setting *s = &o->setting[i];
		char name[64];

		if (s->len >= sizeof(name)) {
			rec_error_set(&e, REC_EINVAL, "%s has no parameter '%.*s'",
				      algo->name, (int)s->len, s->name);
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
	if (o.init) {
		m = resume(&o, input, &data);
	} else {
		m = configure(&o);
		if (rec_dataset_load(&data, input, &o.cli.csv, o.dedup, NULL, &e) < 0)
			rec_cli_fail(&e);
	}
	if (o.validation && strcmp(o.validation, "last") != 0) {
		if (rec_dataset_load(&validation, o.validation, &o.cli.csv, o.dedup, NULL, &e) < 0)
			rec_cli_fail(&e);
		o.train.validation = &validation;
	}
	if (o.init)
		train_more(m, &data, &o);
	else if (data.nnz == 0)
		errx(1, "%s: no events", strcmp(input, "-") ? input : "standard input");
	else if ((o.validation && !o.train.validation ?
		  rec_model_train_last(m, &data, &o.train, &e) :
		  rec_model_train(m, &data, &o.train, &e)) < 0)
		rec_cli_fail(&e);
	if (rec_model_save(m, output, &e) < 0)
		rec_cli_fail(&e);
	rec_model_free(m);
	if (o.train.validation)
		rec_dataset_release(&validation);
	return 0;
}
