/* cli.c - what every program does the same way: threads, the final check
 * of standard output and the version. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <unistd.h>

#include "rec.h"

#ifndef REC_VERSION
#define REC_VERSION "unknown"
#endif

const char *rec_version(void)
{
	return REC_VERSION;
}

int rec_threads(int n)
{
	if (n <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		n = cpus > 0 ? (int)cpus : 1;
	}
	omp_set_num_threads(n);
	openblas_set_num_threads(n);
	return n;
}

int rec_close_stdout(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	return failed ? REC_EIO : 0;
}
