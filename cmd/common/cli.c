/* cli.c - the command line that the rec programs share: the table of the
 * common options with their help, the parser that handles them, and the
 * helpers that report an error and exit. */
#include <assert.h>
#include <err.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Codes of the common long options without a short twin. */
enum {
	OPT_VERSION = 256, OPT_NO_HEADER, OPT_SKIP_BAD, OPT_SEED, OPT_PROGRESS,
	OPT_NO_PROGRESS, OPT_SHARD, OPT_PSEUDONYMIZE
};

/* A common option: its getopt_long entry, the REC_CLI_* group a program
 * must take for it (0: every program takes it) and its lines of --help
 * (NULL: the line before tells of it too).  --help lists them in this
 * order. */
struct common_option {
	struct option opt;
	unsigned group;
	const char *help;
};

static const struct common_option common[] = {
	{ { "user", required_argument, NULL, 'u' }, 0,
	  "  -u, --user COL         user column: header name or 1-based position\n"
	  "                         (default user, user_id or userid; 1 with\n"
	  "                         --no-header)\n" },
	{ { "item", required_argument, NULL, 'i' }, 0,
	  "  -i, --item COL         item column (default item, item_id or itemid;\n"
	  "                         2 with --no-header)\n" },
	{ { "rating", required_argument, NULL, 'r' }, 0,
	  "  -r, --rating COL       rating column (default rating, ratings or score;\n"
	  "                         none with --no-header); without one, or with\n"
	  "                         -r none, every event counts 1\n" },
	{ { "timestamp", required_argument, NULL, 't' }, 0,
	  "  -t, --timestamp COL    time column (default timestamp, ts or time;\n"
	  "                         none with --no-header); without one, or with\n"
	  "                         -t none, file order\n" },
	{ { "delimiter", required_argument, NULL, 'd' }, 0,
	  "  -d, --delimiter C      field separator: a character, \\t, two characters\n"
	  "                         such as ::, or a name: tab, comma, semicolon,\n"
	  "                         space or pipe (default: the one of comma, tab,\n"
	  "                         semicolon, pipe and :: that splits the first\n"
	  "                         line in most fields, the second alike)\n" },
	{ { "no-header", no_argument, NULL, OPT_NO_HEADER }, 0,
	  "      --no-header        the first line is data, columns are positions\n" },
	{ { "skip-bad", no_argument, NULL, OPT_SKIP_BAD }, 0,
	  "      --skip-bad         skip bad rows and count them instead of failing\n" },
	{ { "output", required_argument, NULL, 'o' }, REC_CLI_OUTPUT,
	  "  -o, --output FILE      write to FILE (default standard output)\n" },
	{ { "threads", required_argument, NULL, 'j' }, 0,
	  "  -j, --threads N        threads, 0 to 4096 (default 0: all online CPUs)\n" },
	{ { "seed", required_argument, NULL, OPT_SEED }, REC_CLI_SEED,
	  "      --seed N           random seed, 0 to 2^64-1 (default 42)\n" },
	{ { "progress", no_argument, NULL, OPT_PROGRESS }, REC_CLI_PROGRESS,
	  "      --progress         report progress on standard error (default\n"
	  "                         when it is a terminal); --no-progress: only\n"
	  "                         with -v\n" },
	{ { "no-progress", no_argument, NULL, OPT_NO_PROGRESS }, REC_CLI_PROGRESS, NULL },
	{ { "shard", required_argument, NULL, OPT_SHARD }, REC_CLI_SHARD,
	  "      --shard I/N        only the users of shard I of N: 64-bit FNV-1a of\n"
	  "                         the user ID modulo N, plus 1 (see rec(7))\n" },
	{ { "pseudonymize", required_argument, NULL, OPT_PSEUDONYMIZE }, REC_CLI_PSEUDO,
	  "      --pseudonymize KEYFILE\n"
	  "                         users as keyed hashes of their IDs under the\n"
	  "                         key in KEYFILE (see rec(7))\n" },
	{ { "quiet", no_argument, NULL, 'q' }, 0,
	  "  -q, --quiet            say nothing on standard error but errors\n" },
	{ { "verbose", no_argument, NULL, 'v' }, 0,
	  "  -v, --verbose          say more on standard error\n" },
	{ { "help", no_argument, NULL, 'h' }, 0,
	  "  -h, --help             show this help and exit\n" },
	{ { "version", no_argument, NULL, OPT_VERSION }, 0,
	  "      --version          show the version and exit\n" },
};

#define NCOMMON (sizeof(common) / sizeof(common[0]))

/* A run allocates arrays, frees them and allocates others of a like size
 * again.  Kept in the heap, freed memory serves again without the page
 * faults of fresh memory, which cost microseconds each in a virtual
 * machine: only arrays of 32 MiB and more go back to the system at once,
 * and the heap's top only beyond 64 MiB. */
static void set_allocator_policy(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

/* getopt's tables: every common option, so that one a program does not
 * take is refused by name, then the program's own. */
static void build_tables(struct rec_cli *c)
{
	const struct option *own = c->prog->longopts;
	size_t n = 0, len = 0;

	for (size_t i = 0; i < NCOMMON; i++) {
		const struct option *o = &common[i].opt;

		c->longopts[n++] = *o;
		if (o->val < 256) {
			c->shortopts[len++] = (char)o->val;
			if (o->has_arg == required_argument)
				c->shortopts[len++] = ':';
		}
	}
	for (; own->name; own++) {
		assert(n + 1 < sizeof(c->longopts) / sizeof(c->longopts[0]));
		c->longopts[n++] = *own;
	}
	c->longopts[n] = (struct option){ 0 };
	assert(len + strlen(c->prog->shortopts) < sizeof(c->shortopts));
	strcpy(c->shortopts + len, c->prog->shortopts);
}

static void free_arguments(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* The program's arguments as the kernel keeps them, in a NULL-ended array
 * that free_arguments frees; NULL if they cannot be read. */
static char **own_arguments(void)
{
	FILE *fp = fopen("/proc/self/cmdline", "re");
	char *arg = NULL, **argv = NULL, **grown;
	size_t cap = 0, n = 0;

	if (!fp)
		return NULL;
	while (getdelim(&arg, &cap, '\0', fp) > 0) {
		if (!(grown = realloc(argv, (n + 2) * sizeof(*argv)))) {
			free_arguments(argv);
			argv = NULL;
			break;
		}
		argv = grown;
		argv[n + 1] = NULL;
		if (!(argv[n++] = strdup(arg))) {
			free_arguments(argv);
			argv = NULL;
			break;
		}
	}
	free(arg);
	fclose(fp);
	return argv;
}

/* Idle threads of OpenMP and OpenBLAS sleep at once instead of spinning:
 * where another job holds a core, a spinning thread takes the time that
 * the thread it waits for needs, and two threads ran slower than one.
 * Both runtimes read their environment when they load, before main, so
 * the program runs itself again with it set, unless the user chose a
 * policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT).  If that fails, it goes on
 * with the runtimes' own waits. */
static void wait_passively(void)
{
	char **argv;

	if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT"))
		return;
	if (setenv("OMP_WAIT_POLICY", "passive", 1) < 0 ||
	    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0) < 0 || !(argv = own_arguments()))
		return;
	execv("/proc/self/exe", argv);
	free_arguments(argv);
}

void rec_cli_init(struct rec_cli *c, const struct rec_cli_program *prog)
{
	wait_passively();
	set_allocator_policy();
	*c = (struct rec_cli){ .prog = prog, .seed = REC_DEFAULT_SEED };
	c->progress = (prog->takes & REC_CLI_PROGRESS) && isatty(STDERR_FILENO);
	build_tables(c);
}

/* Help and version end here: exit 0, or 1 when standard output could not
 * take them, like any other write. */
static void __attribute__((noreturn)) exit_written(void)
{
	struct rec_error e;

	if (rec_cli_close_output(stdout, NULL, &e) < 0)
		rec_cli_fail(&e);
	exit(0);
}

static void __attribute__((noreturn)) help(const struct rec_cli *c)
{
	printf("%s\n%s", c->prog->synopsis, c->prog->help);
	for (size_t i = 0; i < NCOMMON; i++)
		if (common[i].help && (!common[i].group || (c->prog->takes & common[i].group)))
			fputs(common[i].help, stdout);
	if (c->prog->more_help)
		c->prog->more_help();
	exit_written();
}

/* The common option whose code is ch; NULL if ch is the program's own. */
static const struct common_option *find_common(int ch)
{
	for (size_t i = 0; i < NCOMMON; i++)
		if (common[i].opt.val == ch)
			return &common[i];
	return NULL;
}

/* A common option that the program does not take is a usage error. */
static void __attribute__((noreturn)) not_taken(const struct rec_cli *c,
						const struct common_option *o)
{
	char msg[128];

	if (o->opt.val < 256)
		snprintf(msg, sizeof(msg), "option '--%s' (-%c) has no use here",
			 o->opt.name, o->opt.val);
	else
		snprintf(msg, sizeof(msg), "option '--%s' has no use here", o->opt.name);
	rec_cli_usage_error(c->prog->synopsis, msg);
}

/* Apply the common option ch with its argument arg; 0, or <0 with err set
 * for a bad value. */
static int apply(struct rec_cli *c, int ch, const char *arg, struct rec_error *err)
{
	long v;

	switch (ch) {
	case 'h': help(c);
	case OPT_VERSION:
		printf("%s %s\n", c->prog->name, rec_version());
		exit_written();
	case 'o': c->output = arg; return 0;
	case 'q': c->verbose = -1; return 0;
	case 'v': c->verbose = 1; return 0;
	case 'j':
		if (rec_parse_long(arg, 0, 4096, &v, "--threads", err) < 0)
			return REC_EINVAL;
		c->threads = (int)v;
		rec_threads(c->threads);
		return 0;
	case OPT_SEED: return rec_parse_u64(arg, &c->seed, "--seed", err);
	case OPT_SHARD: return rec_parse_shard(arg, "--shard", &c->shard, err);
	case OPT_PSEUDONYMIZE: c->key_file = arg; return 0;
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		c->progress = ch == OPT_PROGRESS;
		return 0;
	case 'u': c->csv.user = arg; return 0;
	case 'i': c->csv.item = arg; return 0;
	case 'r': c->csv.rating = arg; return 0;
	case 't': c->csv.time = arg; return 0;
	case 'd': return rec_parse_delim(arg, &c->csv, err);
	case OPT_NO_HEADER: c->csv.no_header = 1; return 0;
	case OPT_SKIP_BAD: c->csv.skip_bad = 1; return 0;
	}
	return 0;
}

/* -v and -q overrule --progress and --no-progress: progress is part of
 * saying more, and -q says nothing.  A key that cannot be had is a
 * runtime error, not a usage one. */
static void settle(struct rec_cli *c)
{
	struct rec_error e;

	if (c->prog->takes & REC_CLI_PROGRESS && c->verbose)
		c->progress = c->verbose > 0;
	if (c->key_file) {
		if (rec_pseudo_load(&c->key, c->key_file, &e) < 0)
			rec_cli_fail(&e);
		c->pseudo = &c->key;
	}
}

int rec_cli_next(struct rec_cli *c, int argc, char **argv)
{
	const struct common_option *o;
	struct rec_error e;
	int ch;

	while ((ch = getopt_long(argc, argv, c->shortopts, c->longopts, NULL)) != -1) {
		if (ch == '?' || ch == ':')
			rec_cli_usage_error(c->prog->synopsis, NULL);
		if (!(o = find_common(ch)))
			return ch;
		if (o->group && !(c->prog->takes & o->group))
			not_taken(c, o);
		if (apply(c, ch, optarg, &e) < 0)
			rec_cli_usage_error(c->prog->synopsis, e.msg);
	}
	settle(c);
	return -1;
}

FILE *rec_cli_open_output(const char *path, struct rec_error *err)
{
	FILE *fp;

	if (!path || strcmp(path, "-") == 0)
		return stdout;
	if (!(fp = fopen(path, "w"))) {
		rec_error_set(err, REC_EIO, "%s", strerror(errno));
		rec_error_at(err, path, 0, 0);
	}
	return fp;
}

int rec_cli_close_output(FILE *fp, const char *path, struct rec_error *err)
{
	int failed;

	if (fp == stdout)
		failed = rec_close_stdout() < 0;
	else
		failed = (fflush(fp) != 0) | ferror(fp) | (fclose(fp) != 0);
	if (!failed)
		return 0;
	rec_error_set(err, REC_EIO, "write failed: %s", strerror(errno ? errno : EIO));
	rec_error_at(err, path && strcmp(path, "-") ? path : "standard output", 0, 0);
	return REC_EIO;
}

void rec_cli_usage_error(const char *synopsis, const char *msg)
{
	if (msg)
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
	fprintf(stderr, "%sTry '%s --help' for more information.\n", synopsis,
		program_invocation_short_name);
	exit(2);
}

void rec_cli_bad_value(const char *synopsis, const char *option, const char *value,
		       const char *want)
{
	char msg[256], q[REC_QUOTED];

	snprintf(msg, sizeof(msg), "bad %s %s (want %s)", option, rec_quoted(value, q), want);
	rec_cli_usage_error(synopsis, msg);
}

void rec_cli_fail(const struct rec_error *e)
{
	char buf[1024];

	errx(1, "%s", rec_error_str(e, buf, sizeof(buf)));
}
