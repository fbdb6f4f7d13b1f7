/* csvread.h - what the two CSV readers share: the columns, the rows and
 * the events made from them.  csv.c reads through libcsv; csvsplit.c
 * splits plain files by hand, in parts on all threads, and leaves every
 * row it cannot take at once to the same code as libcsv's rows. */
#ifndef REC_CSVREAD_H
#define REC_CSVREAD_H

#include "rec.h"

struct rec_csv_buf;

/* A field separator: one byte, or two ("::"). */
struct rec_csv_sep {
	char s[3];
	size_t len;
};

/* How many bytes of the input's start the separator is picked from. */
#define REC_CSV_SNIFF (1 << 16)

/* The separator that opt gives, or else the one that splits the first
 * lines of buf best: buf holds the input's first len bytes after any byte
 * order mark, all of it if at_end.  A picked separator goes into
 * opt->report. */
void rec_csv_pick_separator(const struct rec_csv_options *opt, const char *buf, size_t len,
			    int at_end, struct rec_csv_sep *sep);
/* Is the field of len bytes at s one of the markers of missing values in
 * na (comma-separated, or NULL)? */
int rec_csv_is_na(const char *na, const char *s, size_t len);

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
	struct rec_csv_sep sep;
	int sep_part;		/* a two-byte separator's first byte was
				 * the last byte read */
	int quoted;		/* the last byte read is inside quotes */
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
	const char *na;		/* the markers of missing values, or NULL */
	uint64_t missing;	/* events dropped for a missing value */
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
