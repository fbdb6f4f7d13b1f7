/* csv.c - fuzz target: the events CSV reader, on both of its paths.
 *
 * The input is four bytes of options, then the file.  Options: byte 0
 * bit 0 no header, bit 1 skip bad rows, bit 2 read events rather than
 * a dataset, bits 3-5 the delimiter, bits 6 and 7 the number of threads
 * (1, 1, 2 or 3: half the inputs spare the cost of waking threads);
 * byte 1 the dedup rule; bytes 2 and 3, two bits a column (user, item,
 * rating, time), how the column is chosen and which one.
 *
 * A plain regular file is split by hand in parts, one a thread, which
 * for the fuzzer's small files holds a byte or more; with the libcsv
 * option set, the same file goes through libcsv alone.  Both must read
 * it the same way: the same error, or the same events and dataset.  A
 * file the splitter leaves to libcsv is read once. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evparts.h"
#include "fuzz.h"
#include "rec.h"

#define OPTION_BYTES 4

struct setup {
	struct rec_csv_options opt;
	enum rec_dedup dedup;
	int threads;
	int events;
	char want[4][8];
};

/* Read one column choice: the default, a position, a header name, or a
 * choice the reader must refuse or find absent. */
static const char *column_choice(char *buf, unsigned kind, unsigned which)
{
	static const char *const names[] = { "a", "b", "USER_ID", "ts" };
	static const char *const bad[] = { "0", "", "-1", "9" };

	switch (kind) {
	case 0:
		return NULL;
	case 1:
		snprintf(buf, 8, "%u", which + 1);
		return buf;
	case 2:
		return names[which];
	default:
		return bad[which];
	}
}

static void take_options(const uint8_t *d, struct setup *s)
{
	static const int threads[] = { 1, 1, 2, 3 };
	static const unsigned char delims[] = { ',', '\t', ';', ' ', '|', ':', '"', '0' };
	const char **col[4] = { &s->opt.user, &s->opt.item, &s->opt.rating, &s->opt.time };

	memset(s, 0, sizeof(*s));
	s->opt.no_header = d[0] & 1;
	s->opt.skip_bad = (d[0] >> 1) & 1;
	s->events = (d[0] >> 2) & 1;
	s->opt.delim = delims[(d[0] >> 3) & 7];
	s->threads = threads[d[0] >> 6];
	s->dedup = d[1] % 6;
	for (int c = 0; c < 4; c++)
		*col[c] = column_choice(s->want[c], (d[2] >> (2 * c)) & 3,
					(d[3] >> (2 * c)) & 3);
}

static void same_error(const struct rec_error *a, const struct rec_error *b)
{
	if (a->code != b->code || a->line != b->line || a->column != b->column ||
	    strcmp(a->msg, b->msg) != 0)
		fuzz_fail("split: line %ld col %ld: %s (%d); libcsv: line %ld col %ld: %s (%d)",
			  a->line, a->column, a->msg, a->code, b->line, b->column,
			  b->msg, b->code);
}

static void same_dict(const struct rec_dict *a, const struct rec_dict *b, const char *what)
{
	uint32_t n = rec_dict_size(a);

	if (n != rec_dict_size(b))
		fuzz_fail("%s: %u IDs split, %u with libcsv", what, n, rec_dict_size(b));
	for (uint32_t i = 0; i < n; i++) {
		size_t la, lb;
		const char *sa = rec_dict_name(a, i, &la), *sb = rec_dict_name(b, i, &lb);

		if (la != lb || memcmp(sa, sb, la) != 0)
			fuzz_fail("%s %u: '%s' split, '%s' with libcsv", what, i, sa, sb);
	}
}

/* Arrays of n elements must hold the same bytes (NaN ratings alike). */
static void same_array(const void *a, const void *b, size_t n, size_t size, const char *what)
{
	if (n && memcmp(a, b, n * size) != 0)
		fuzz_fail("%s differ between the split and libcsv", what);
}

static void same_events(const struct rec_events *a, const struct rec_events *b)
{
	if (a->n != b->n || a->has_rating != b->has_rating || a->has_time != b->has_time ||
	    a->skipped != b->skipped)
		fuzz_fail("events: %zu (rating %d, time %d, skipped %llu) split, "
			  "%zu (%d, %d, %llu) with libcsv", a->n, a->has_rating, a->has_time,
			  (unsigned long long)a->skipped, b->n, b->has_rating, b->has_time,
			  (unsigned long long)b->skipped);
	same_dict(a->users, b->users, "user");
	same_dict(a->items, b->items, "item");
	same_array(a->user, b->user, a->n, sizeof(*a->user), "event users");
	same_array(a->item, b->item, a->n, sizeof(*a->item), "event items");
	same_array(a->rating, b->rating, a->n, sizeof(*a->rating), "ratings");
	same_array(a->time, b->time, a->n, sizeof(*a->time), "times");
}

static void same_dataset(const struct rec_dataset *a, const struct rec_dataset *b)
{
	if (a->nusers != b->nusers || a->nitems != b->nitems || a->nnz != b->nnz ||
	    a->has_rating != b->has_rating || a->has_time != b->has_time)
		fuzz_fail("dataset: %u x %u, %llu entries split, %u x %u, %llu with libcsv",
			  a->nusers, a->nitems, (unsigned long long)a->nnz, b->nusers,
			  b->nitems, (unsigned long long)b->nnz);
	same_dict(a->users, b->users, "user");
	same_dict(a->items, b->items, "item");
	same_array(a->rowptr, b->rowptr, (size_t)a->nusers + 1, sizeof(*a->rowptr), "rows");
	same_array(a->col, b->col, a->nnz, sizeof(*a->col), "columns");
	same_array(a->val, b->val, a->nnz, sizeof(*a->val), "values");
	same_array(a->time, b->time, a->nnz, sizeof(*a->time), "times");
}

/* Whether the file read since the split count was before went through
 * the splitter: one it left to libcsv was read as the libcsv option
 * reads it, and a second read would only repeat the first. */
static int split_by_hand(unsigned long before)
{
	return rec_csv_split_files != before;
}

static void read_events(const struct setup *s, const char *path)
{
	struct rec_csv_options general = s->opt;
	struct rec_events a, b;
	struct rec_error ea = { 0 }, eb = { 0 };
	unsigned long before = rec_csv_split_files;
	int ra, rb;

	if (rec_events_init(&a, NULL, NULL) < 0)
		return;
	if (rec_events_init(&b, NULL, NULL) < 0) {
		rec_events_release(&a);
		return;
	}
	general.libcsv = 1;
	ra = rec_events_read(&a, path, &s->opt, &ea);
	if (split_by_hand(before)) {
		rb = rec_events_read(&b, path, &general, &eb);
		if (ra < 0 || rb < 0)
			same_error(&ea, &eb);
		else
			same_events(&a, &b);
	}
	rec_events_release(&a);
	rec_events_release(&b);
}

static void read_dataset(const struct setup *s, const char *path)
{
	struct rec_csv_options general = s->opt;
	struct rec_dataset a = { 0 }, b = { 0 };
	struct rec_error ea = { 0 }, eb = { 0 };
	uint64_t skipped_a = 0, skipped_b = 0;
	unsigned long before = rec_csv_split_files;
	int ra, rb;

	general.libcsv = 1;
	ra = rec_dataset_load(&a, path, &s->opt, s->dedup, &skipped_a, &ea);
	if (!split_by_hand(before)) {
		if (ra == 0)
			rec_dataset_release(&a);
		return;
	}
	rb = rec_dataset_load(&b, path, &general, s->dedup, &skipped_b, &eb);
	if (ra < 0 || rb < 0)
		same_error(&ea, &eb);
	else if (skipped_a != skipped_b)
		fuzz_fail("%llu rows skipped split, %llu with libcsv",
			  (unsigned long long)skipped_a, (unsigned long long)skipped_b);
	else
		same_dataset(&a, &b);
	if (ra == 0)
		rec_dataset_release(&a);
	if (rb == 0)
		rec_dataset_release(&b);
}

/* Each thread gets a part of the data rows, however few their bytes. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rec_csv_min_part = 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setup s;
	struct fuzz_file file;

	if (size < OPTION_BYTES)
		return 0;
	take_options(data, &s);
	data += OPTION_BYTES;
	size -= OPTION_BYTES;
	/* A gzip file goes through libcsv either way; a dataset is not CSV. */
	if ((size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
	    (size >= REC_MAGIC_LEN && memcmp(data, REC_DATASET_MAGIC, REC_MAGIC_LEN) == 0))
		return 0;
	if (fuzz_file_open(&file, data, size) < 0)
		return 0;
	omp_set_num_threads(s.threads);
	if (s.events)
		read_events(&s, file.path);
	else
		read_dataset(&s, file.path);
	fuzz_file_close(&file);
	return 0;
}
