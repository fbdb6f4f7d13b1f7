/* recd.c - fuzz target: the dataset reader, and what reads a dataset.
 *
 * The input is a .recd file as rec_dataset_write makes it, uncompressed
 * and without its trailing CRC-32, which the target appends. */
#include <stdio.h>

#include "fuzz.h"
#include "rec.h"

/* A dataset that loads is used as the programs use one. */
static void use(const struct rec_dataset *ds)
{
	struct rec_columns c;
	struct rec_error err;
	FILE *null = fopen("/dev/null", "w");

	if (null) {
		rec_dataset_write_long(ds, null);
		rec_dataset_write_stats(ds, null);
		if (ds->nitems <= 64)
			rec_dataset_write_wide(ds, null, &err);
		fclose(null);
	}
	if (rec_columns_build(ds, &c) == 0)
		rec_columns_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_file f;
	struct rec_dataset ds;
	struct rec_error err;

	if (fuzz_file_framed(&f, data, size) < 0)
		return 0;
	if (rec_dataset_read(&ds, f.path, &err) == 0) {
		use(&ds);
		rec_dataset_release(&ds);
	}
	fuzz_file_close(&f);
	return 0;
}
