/* cli.h - the command line that the rec programs share: one table of the
 * common options, one parser for them, and the helpers that report and
 * exit. */
#ifndef REC_CLI_H
#define REC_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "rec.h"

/* Codes of a program's long options without a short twin start here;
 * the common ones use the codes below it. */
#define REC_OPT_PROGRAM 300

/* The common options that only some programs take; every program takes
 * the others (-h, --version, -q, -v, -j and the events-CSV options).  A
 * program refuses one it does not take as a usage error. */
enum {
	REC_CLI_OUTPUT = 1 << 0,	/* -o FILE */
	REC_CLI_SEED = 1 << 1,		/* --seed N */
	REC_CLI_PROGRESS = 1 << 2,	/* --progress, --no-progress */
	REC_CLI_SHARD = 1 << 3,		/* --shard I/N */
	REC_CLI_PSEUDO = 1 << 4,	/* --pseudonymize KEYFILE */
};

/* What a program tells the parser about itself. */
struct rec_cli_program {
	const char *name;		/* "rec-pivot", for --version */
	const char *synopsis;		/* the usage lines, each ended by \n */
	const char *help;		/* what it does and its own options */
	void (*more_help)(void);	/* printed after the options; may be NULL */
	const char *shortopts;		/* its own, in getopt's spelling */
	const struct option *longopts;	/* its own, ended by a zero entry */
	unsigned takes;			/* REC_CLI_* */
};

/* The settings of the common options after parsing. */
struct rec_cli {
	const struct rec_cli_program *prog;
	const char *output;	/* -o; NULL: standard output */
	int verbose;		/* -1 with -q, 1 with -v, else 0 */
	int progress;		/* report progress on standard error: with -v,
				 * --progress, or when it is a terminal;
				 * never with -q */
	int threads;		/* -j; 0: all online CPUs */
	uint64_t seed;		/* --seed; REC_DEFAULT_SEED without one */
	struct rec_shard shard;	/* --shard; n 0 without one */
	struct rec_csv_options csv;
	const char *key_file;		/* --pseudonymize */
	const struct rec_pseudo *pseudo;	/* its key, loaded; NULL without */
	struct rec_pseudo key;
	/* the parser's own */
	char shortopts[64];
	struct option longopts[64];
};

/* Start a program: passive waits for idle threads (running the program
 * again with them in its environment), the allocator's policy for its
 * run, and c with the defaults of the common settings for prog. */
void rec_cli_init(struct rec_cli *c, const struct rec_cli_program *prog);

/* getopt_long over the common options and the program's own: handles the
 * common ones itself (exiting for --help, --version and bad values) and
 * returns the code of the next option of the program's own, or -1 at the
 * end of the options, when optind is the first operand.  A getopt error
 * is a usage error. */
int rec_cli_next(struct rec_cli *c, int argc, char **argv);

/* Print the error as "program: message" on standard error and exit 1. */
void rec_cli_fail(const struct rec_error *e) __attribute__((noreturn));
/* A bad command line: "program: msg" (unless msg is NULL), the synopsis
 * and where to find help, on standard error; exit 2. */
void rec_cli_usage_error(const char *synopsis, const char *msg) __attribute__((noreturn));
/* A bad value of an option as a usage error: "bad OPTION 'VALUE' (want
 * WANT)", the value quoted with escapes. */
void rec_cli_bad_value(const char *synopsis, const char *option, const char *value,
		       const char *want) __attribute__((noreturn));

/* Open a text output: standard output for NULL or "-", else the file. */
FILE *rec_cli_open_output(const char *path, struct rec_error *err);
/* Flush and close what rec_cli_open_output gave; 0 or REC_EIO. */
int rec_cli_close_output(FILE *fp, const char *path, struct rec_error *err);

#endif
