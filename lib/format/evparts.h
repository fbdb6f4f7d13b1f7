/* evparts.h - events read in parts, one a thread (csv.c), for the
 * dataset made from them (dataset.c). */
#ifndef REC_EVPARTS_H
#define REC_EVPARTS_H

#include "rec.h"

/* Read a plain events file (a regular file, not gzip) as rec_events_read
 * would, split in parts read on all threads: part k gets the events of
 * the k-th stretch of rows in dictionaries of its own, times counted
 * from 0 where there is no time column.  Returns the number of parts in
 * the new array *parts, 0 if the file needs the general reader (standard
 * input, gzip, quotes, spaces or NUL bytes, or rec_csv_splits says no),
 * or < 0 on an error in the file. */
int rec_events_read_parts(const char *path, const struct rec_csv_options *opt,
			  struct rec_events **parts, uint64_t *skipped,
			  struct rec_error *err);

/* Whether plain files may be split by hand: not with opt->libcsv, nor
 * with the environment variable REC_TEST_LIBCSV set and not empty, which
 * lets the tests read every file both ways. */
int rec_csv_splits(const struct rec_csv_options *opt);

/* The fewest bytes of data rows in a part, 64 KiB: smaller files are
 * read in one part.  The fuzz target lowers it so that its small inputs
 * are split in parts too. */
extern long rec_csv_min_part;
/* The files read in parts or refused there, not left to libcsv: the
 * fuzz target reads a file that was left to libcsv only once. */
extern unsigned long rec_csv_split_files;

/* rec_events_read through libcsv alone. */
int rec_events_read_general(struct rec_events *ev, const char *path,
			    const struct rec_csv_options *opt, struct rec_error *err);

/* Start loading the slot where s would be in d, for a rec_dict_intern
 * of s a little later. */
void rec_dict_prefetch(const struct rec_dict *d, const char *s, size_t len);

#endif
