/* csvread.h - what the two CSV readers share: the columns, the rows and
 * the events made from them.  csv.c reads through libcsv; csvsplit.c
 * splits plain files by hand, in parts on all threads, and leaves every
 * row it cannot take at once to the same code as libcsv's rows. */
#ifndef REC_CSVREAD_H
#define REC_CSVREAD_H

#include "rec.h"

struct rec_csv_buf;

/* A read in progress: the columns, the row being read and the first
 * error, which stands until the read ends. */
struct rec_csv_reader {
	const struct rec_csv_options *opt;
	struct rec_csv_column *col;
	int ncol;
	rec_csv_row_fn *fn;
	void *ctx;
	const char *path;
	struct rec_error *err;
	uint64_t skipped;
	int failed;
	long line;		/* record number, header included */
	long nfield;		/* fields seen in this record */
	long width;		/* fields a row may have: the header's, or
				 * the first row's without one */
	long nul;		/* the 1-based field of this record that
				 * holds a NUL byte, or 0 */
	int settled;		/* the first data row fixed the columns */
	struct rec_csv_buf *field;	/* one per selected column */
	char **fieldp;
	size_t *fieldlen;
	char **header;
	long nheader;
};

/* Work out each column's position from the options and the header in
 * r->header (none with no_header): 0, or < 0 with the error recorded. */
int rec_csv_resolve_columns(struct rec_csv_reader *r);
/* The first data row, of r->nfield fields, settles which optional
 * positional columns exist, and without a header how wide a row may be. */
void rec_csv_settle_columns(struct rec_csv_reader *r);
/* Keep a copy of a header field: 0 or REC_ENOMEM. */
int rec_csv_keep_header(struct rec_csv_reader *r, const char *s, size_t len);
/* Take a data row whose fields are in r->fieldp and r->fieldlen, r->nfield
 * of them: hand it to r->fn, or record its error; with skip_bad, a row
 * that fails to parse is counted in r->skipped and passed over. */
void rec_csv_data_row(struct rec_csv_reader *r);
void rec_csv_reader_release(struct rec_csv_reader *r);

/* The columns of an events file, and a row function turning their fields
 * into events for a rec_event_fn. */
enum { REC_COL_USER, REC_COL_ITEM, REC_COL_RATING, REC_COL_TIME, REC_NCOLS };

struct rec_each_ctx {
	rec_event_fn *fn;
	void *ctx;
	int64_t row;		/* data rows read: the time without a time column */
};

void rec_events_columns(struct rec_csv_column *col, const struct rec_csv_options *opt);
int rec_csv_parse_event(void *data, char *const *field, const size_t *len,
			struct rec_error *err);
/* A rec_event_fn appending to the struct rec_events ctx. */
int rec_events_take(void *data, const struct rec_event *e, struct rec_error *err);
/* Store an event at the end of ev, which has room for it. */
void rec_events_put(struct rec_events *ev, uint32_t user, uint32_t item, float rating,
		    int64_t time);

#endif
