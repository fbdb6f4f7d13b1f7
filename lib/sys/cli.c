/* cli.c - what every program does the same way: the final check of
 * standard output and the version. */
#include <stdio.h>

#include "rec.h"

#ifndef REC_VERSION
#define REC_VERSION "unknown"
#endif

const char *rec_version(void)
{
	return REC_VERSION;
}

int rec_close_stdout(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	return failed ? REC_EIO : 0;
}
