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
 * input, gzip, quotes or spaces), or < 0 on an error in the file. */
int rec_events_read_parts(const char *path, const struct rec_csv_options *opt,
			  struct rec_events **parts, uint64_t *skipped,
			  struct rec_error *err);

/* rec_events_read through libcsv alone. */
int rec_events_read_general(struct rec_events *ev, const char *path,
			    const struct rec_csv_options *opt, struct rec_error *err);

/* Start loading the slot where s would be in d, for a rec_dict_intern
 * of s a little later. */
void rec_dict_prefetch(const struct rec_dict *d, const char *s, size_t len);

#endif
