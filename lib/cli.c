/* cli.c - what every program does the same way: the final check of
 * standard output, the version, and the events-CSV options. */
#include <err.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef REC_VERSION
#define REC_VERSION "unknown"
#endif

const char *rec_version(void)
{
	return REC_VERSION;
}

/* A run allocates arrays, frees them and allocates others of a like size
 * again.  Kept in the heap, freed memory serves again without the page
 * faults of fresh memory, which cost microseconds each in a virtual
 * machine: only arrays of 32 MiB and more go back to the system at once,
 * and the heap's top only beyond 64 MiB. */
void rec_cli_start(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

int rec_close_stdout(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	return failed ? REC_EIO : 0;
}

int rec_cli_csv_option(int c, const char *arg, struct rec_csv_options *o,
		       struct rec_error *err)
{
	switch (c) {
	case 'u': o->user = arg; return 1;
	case 'i': o->item = arg; return 1;
	case 'r': o->rating = arg; return 1;
	case 't': o->time = arg; return 1;
	case REC_OPT_NO_HEADER: o->no_header = 1; return 1;
	case REC_OPT_SKIP_BAD: o->skip_bad = 1; return 1;
	case 'd': return rec_parse_delim(arg, &o->delim, err) < 0 ? REC_EINVAL : 1;
	default: return 0;
	}
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

void rec_cli_fail(const struct rec_error *e)
{
	char buf[1024];

	errx(1, "%s", rec_error_str(e, buf, sizeof(buf)));
}
