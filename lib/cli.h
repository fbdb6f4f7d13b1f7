/* cli.h - the option handling that the rec programs share. */
#ifndef REC_CLI_H
#define REC_CLI_H

#include "rec.h"

/* Codes of long options without a short twin; programs start theirs at
 * REC_OPT_PROGRAM. */
enum {
	REC_OPT_VERSION = 256,
	REC_OPT_NO_HEADER,
	REC_OPT_SKIP_BAD,
	REC_OPT_SEED,
	REC_OPT_PROGRESS,
	REC_OPT_NO_PROGRESS,
	REC_OPT_PROGRAM = 300
};

/* getopt_long entries of the options every program takes. */
#define REC_COMMON_LONGOPTS						\
	{ "help", no_argument, NULL, 'h' },				\
	{ "version", no_argument, NULL, REC_OPT_VERSION },		\
	{ "output", required_argument, NULL, 'o' },			\
	{ "quiet", no_argument, NULL, 'q' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "threads", required_argument, NULL, 'j' },			\
	{ "seed", required_argument, NULL, REC_OPT_SEED },		\
	{ "progress", no_argument, NULL, REC_OPT_PROGRESS },		\
	{ "no-progress", no_argument, NULL, REC_OPT_NO_PROGRESS }

/* ... and of the events-CSV options of programs that read events. */
#define REC_CSV_LONGOPTS						\
	{ "user", required_argument, NULL, 'u' },			\
	{ "item", required_argument, NULL, 'i' },			\
	{ "rating", required_argument, NULL, 'r' },			\
	{ "timestamp", required_argument, NULL, 't' },			\
	{ "delimiter", required_argument, NULL, 'd' },			\
	{ "no-header", no_argument, NULL, REC_OPT_NO_HEADER },		\
	{ "skip-bad", no_argument, NULL, REC_OPT_SKIP_BAD }

#define REC_CSV_SHORTOPTS "u:i:r:t:d:"

#define REC_CSV_HELP							\
	"  -u, --user COL         user column: header name or 1-based position\n" \
	"                         (default user, user_id or userid)\n"	\
	"  -i, --item COL         item column (default item, item_id or itemid)\n" \
	"  -r, --rating COL       rating column (default rating, ratings or score;\n" \
	"                         without one every event counts 1)\n"	\
	"  -t, --timestamp COL    time column (default timestamp, ts or time;\n" \
	"                         without one, file order)\n"		\
	"  -d, --delimiter C      field separator: a character or tab (default ,)\n" \
	"      --no-header        the first line is data, columns are positions\n" \
	"      --skip-bad         skip bad rows and count them instead of failing\n"

#define REC_OUTPUT_HELP							\
	"  -o, --output FILE      write to FILE (default standard output)\n"

#define REC_COMMON_HELP							\
	"  -j, --threads N        threads (default: all online CPUs)\n"	\
	"      --seed N           random seed (default 42)\n"		\
	"      --progress         report progress on standard error (default\n" \
	"                         when it is a terminal); --no-progress: never\n" \
	"  -q, --quiet            say nothing on standard error\n"	\
	"  -v, --verbose          say more on standard error\n"		\
	"  -h, --help             show this help and exit\n"		\
	"      --version          show the version and exit\n"

/* What every program does first: the allocator's policy for its run. */
void rec_cli_start(void);

/* Handle one of the events-CSV options: 1 if c was one, 0 if not, <0 on
 * a bad value (err says which). */
int rec_cli_csv_option(int c, const char *arg, struct rec_csv_options *o,
		       struct rec_error *err);

/* Print the error as "program: message" on standard error and exit 1. */
void rec_cli_fail(const struct rec_error *e) __attribute__((noreturn));
/* A bad command line: "program: msg" (unless msg is NULL), the synopsis
 * and where to find help, on standard error; exit 2. */
void rec_cli_usage_error(const char *synopsis, const char *msg) __attribute__((noreturn));

/* Open a text output: standard output for NULL or "-", else the file. */
FILE *rec_cli_open_output(const char *path, struct rec_error *err);
/* Flush and close what rec_cli_open_output gave; 0 or REC_EIO. */
int rec_cli_close_output(FILE *fp, const char *path, struct rec_error *err);

#endif
