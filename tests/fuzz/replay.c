/* replay.c - a fuzz target as a plain program: run each input file named
 * on the command line once, as the fuzzer would, and exit 0 if none
 * crashed.  The suite replays the regression files with it. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

/* Targets without set-up leave this one in place. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The whole file in a new buffer, its length in *len; NULL if unreadable. */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *p = NULL, *q;
	size_t cap = 0, n = 0, k;

	if (!fp)
		return NULL;
	do {
		if (n == cap) {
			if (!(q = realloc(p, cap = cap * 2 + 4096))) {
				free(p);
				fclose(fp);
				return NULL;
			}
			p = q;
		}
		n += k = fread(p + n, 1, cap - n, fp);
	} while (k > 0);
	if (ferror(fp)) {
		free(p);
		p = NULL;
	}
	fclose(fp);
	*len = n;
	return p;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		size_t n;
		unsigned char *p = slurp(argv[i], &n);

		if (!p) {
			perror(argv[i]);
			return 1;
		}
		LLVMFuzzerTestOneInput(p, n);
		free(p);
		printf("%s: ok\n", argv[i]);
	}
	return 0;
}
