/*
 * rec.h - the public interface of librec, the library behind the rec programs.
 *
 * Conventions: functions return 0 on success or a negative REC_E* code and,
 * where they take one, fill a caller-supplied struct rec_error.  The library
 * never exits and never writes to standard output.  Structures ending in
 * _init/_release are owned by the caller; _new/_free ones are allocated by
 * the library, and every _free function accepts NULL.
 */
#ifndef REC_H
#define REC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
	REC_OK = 0,
	REC_ENOMEM = -1,	/* out of memory */
	REC_EIO = -2,		/* read or write failed */
	REC_EPARSE = -3,	/* bad text input */
	REC_EFORMAT = -4,	/* bad binary file */
	REC_EVERSION = -5,	/* binary file too new */
	REC_ECHECKSUM = -6,	/* CRC-32 mismatch */
	REC_EINVAL = -7		/* bad argument */
};

/* Where an error happened and what it was; line and column are 0 if unknown. */
struct rec_error {
	int code;
	char file[256];
	long line;
	long column;
	char msg[512];
};

/* Record an error and return its code, so callers can write
 * "return rec_error_set(err, REC_EPARSE, ...)".  err may be NULL. */
int rec_error_set(struct rec_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Attach a file name, line and column to an error already recorded. */
void rec_error_at(struct rec_error *err, const char *file, long line, long column);

/* Format an error as "FILE:LINE:COL: message" (the parts that are known). */
const char *rec_error_str(const struct rec_error *err, char *buf, size_t size);

/* --- numbers, times and durations (num.c) --- */

/* The len bytes of s in single quotes for a message, in buf of size
 * bytes: a tab, CR, LF, backslash and quote as \t \r \n \\ \', other
 * control bytes as \xNN, and cut with "..." where buf is full.  Returns
 * buf, or a constant if size is too small for anything. */
const char *rec_quote(char *buf, size_t size, const char *s, size_t len);
#define REC_QUOTED 86		/* the size of buf that shows 80 bytes */
/* The string s quoted as rec_quote does, in buf of REC_QUOTED bytes. */
const char *rec_quoted(const char *s, char *buf);


/* Parse a whole string as a plain decimal number within [min, max]; what
 * names the value in the error ("rating", "--lr").  Never accepts trailing
 * garbage, leading spaces, hex, "inf" or "nan". */
int rec_parse_long(const char *s, long min, long max, long *out,
		   const char *what, struct rec_error *err);
int rec_parse_double(const char *s, double min, double max, double *out,
		     const char *what, struct rec_error *err);
/* Parse a whole string of digits as a number from 0 to 2^64-1. */
int rec_parse_u64(const char *s, uint64_t *out, const char *what,
		  struct rec_error *err);
/* Parse a comma-separated list of cut-offs ("5,10,20"), each from 1 to
 * max, into k[0..*n) ascending and without repeats; at most cap of them. */
int rec_parse_cutoffs(const char *s, uint32_t max, uint32_t *k, unsigned cap,
		      unsigned *n, struct rec_error *err);

/* The same, for a value stored as a float: a number that is not zero but
 * would be stored as zero is refused too. */
int rec_parse_float(const char *s, double min, double max, float *out,
		    const char *what, struct rec_error *err);

#define REC_FLOAT_TEXT 16	/* the size of buf that holds any float */
/* v as strfromf(buf, REC_FLOAT_TEXT, "%.9g", v) writes it, in the C
 * locale, into buf; returns its length.  Values from 1e-9 to 1e9 are
 * converted with integers, many times faster. */
size_t rec_float_text(char *buf, float v);

/* Times run from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, so that
 * the difference of two never overflows. */
#define REC_TIME_MIN INT64_C(-62135596800)
#define REC_TIME_MAX INT64_C(253402300799)

/* Parse a time within [REC_TIME_MIN, REC_TIME_MAX]: integer seconds since
 * the epoch, or ISO 8601 UTC "YYYY-MM-DD[THH:MM[:SS]][Z]". */
int rec_parse_time(const char *s, int64_t *out, const char *what,
		   struct rec_error *err);

/* Parse a duration "N[smhdw]" (default unit seconds) into seconds. */
int rec_parse_duration(const char *s, double *out, const char *what,
		       struct rec_error *err);

/* Format seconds since the epoch as ISO 8601 UTC into buf (21 bytes). */
void rec_format_time(int64_t t, char *buf, size_t size);

/* --- randomness (rng.c): xoshiro256** seeded by splitmix64 --- */

#define REC_DEFAULT_SEED 42

struct rec_rng {
	uint64_t s[4];
};

void rec_rng_seed(struct rec_rng *rng, uint64_t seed);
uint64_t rec_rng_next(struct rec_rng *rng);
/* A uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rec_rng_below(struct rec_rng *rng, uint64_t n);
/* A uniform double in [0, 1). */
double rec_rng_uniform(struct rec_rng *rng);
/* A standard normal deviate. */
double rec_rng_normal(struct rec_rng *rng);
/* Shuffle n 32-bit values in place (Fisher-Yates). */
void rec_rng_shuffle_u32(struct rec_rng *rng, uint32_t *v, size_t n);

/* --- ID dictionaries (dict.c): external string <-> dense index --- */

struct rec_dict;

/* A new empty dictionary with one reference. */
struct rec_dict *rec_dict_new(void);
/* Take another reference; rec_dict_free drops one and frees on the last. */
struct rec_dict *rec_dict_ref(struct rec_dict *d);
void rec_dict_free(struct rec_dict *d);
/* Number of IDs. */
uint32_t rec_dict_size(const struct rec_dict *d);
/* Index of the ID s (len bytes), adding it if new; *added tells which.
 * Returns REC_ENOMEM, or REC_EINVAL past 2^32 - 2 IDs. */
int rec_dict_intern(struct rec_dict *d, const char *s, size_t len,
		    uint32_t *index, int *added);
/* Index of s, or -1 if absent. */
int64_t rec_dict_find(const struct rec_dict *d, const char *s, size_t len);
/* The ID at index (NUL-terminated, owned by the dictionary). */
const char *rec_dict_name(const struct rec_dict *d, uint32_t index, size_t *len);
/* For each ID of from, its index in to or -1: a new array of
 * rec_dict_size(from) entries that the caller frees, or NULL. */
int64_t *rec_dict_map(const struct rec_dict *from, const struct rec_dict *to);
/* A dictionary holding the IDs of d whose keep[] is non-zero, in index
 * order; remap[i] receives the new index or UINT32_MAX. */
struct rec_dict *rec_dict_subset(const struct rec_dict *d, const uint8_t *keep,
				 uint32_t *remap);

/* --- CSV text (csv.c) --- */

/* Which columns to read: a header name or a 1-based position each; NULL
 * means the default names (user|user_id, item|item_id, rating,
 * timestamp|ts|time), "none" no rating or time column.  Without a header
 * the defaults are columns 1 and 2, and no rating or time. */
struct rec_csv_options {
	const char *user;
	const char *item;
	const char *rating;
	const char *time;
	int no_header;
	unsigned char delim;
	int skip_bad;		/* count bad rows instead of failing */
	int line_buffered;	/* standard input: hand each row over as soon as
				 * its line arrives (plain text only, no gzip) */
	const volatile sig_atomic_t *stop;	/* if set and non-zero when a
				 * read is interrupted, end there */
	int libcsv;		/* read through libcsv alone, never splitting
				 * plain files by hand (the results are the
				 * same: for tests that check it) */
	const char *separator;	/* a separator of two bytes ("::") instead
				 * of delim; with neither, the reader picks
				 * one from the first lines */
	const char *na;		/* missing-value markers, comma-separated
				 * ("NA,null," has NA, null and the empty
				 * field), or NULL */
	struct rec_csv_report *report;	/* if set, what the read found */
};

/* What a read found out: the name of the separator it picked from the
 * first lines (NULL if the options gave one), and the events it dropped
 * for a missing value, added to what is there. */
struct rec_csv_report {
	const char *separator;
	uint64_t missing;
};

/* Parse "-d" values into opt: one character, "\t" (also as the two
 * characters backslash and t), "tab", "comma", "semicolon", "space",
 * "pipe", or two characters such as "::". */
int rec_parse_delim(const char *s, struct rec_csv_options *opt, struct rec_error *err);

/* A column to read: what it is (for messages), its default header names
 * (comma-separated, matched without case), and the user's choice (a name
 * or a 1-based position, or NULL).  The reader sets pos (0-based) and
 * present. */
struct rec_csv_column {
	const char *what;
	const char *names;
	const char *want;
	int optional;
	long pos;
	int present;
};

/* Called with each data row's fields, in the order of the columns (NULL
 * for an absent optional column).  To reject the row, fill err (with
 * err->column the 1-based index into the columns, or 0) and return < 0. */
typedef int rec_csv_row_fn(void *ctx, char *const *field, const size_t *len,
			   struct rec_error *err);

/* Read a CSV file (plain or gzip, "-" for standard input), handing each
 * data row to fn.  With opt->skip_bad, rows failing with REC_EPARSE are
 * counted in *skipped instead of stopping the read. */
int rec_csv_read(const char *path, const struct rec_csv_options *opt,
		 struct rec_csv_column *col, int ncol, rec_csv_row_fn *fn,
		 void *ctx, uint64_t *skipped, struct rec_error *err);

/* Events in file order, with IDs interned in two dictionaries. */
struct rec_events {
	struct rec_dict *users;
	struct rec_dict *items;
	uint32_t *user;
	uint32_t *item;
	float *rating;
	int64_t *time;
	size_t n;
	size_t cap;
	int has_rating;		/* the input had a rating column */
	int has_time;		/* the input had a timestamp column */
	uint64_t skipped;	/* bad rows passed over with skip_bad */
};

/* Empty events with fresh dictionaries (or the given ones, referenced). */
int rec_events_init(struct rec_events *ev, struct rec_dict *users,
		    struct rec_dict *items);
void rec_events_release(struct rec_events *ev);
/* Room for n more events, so that pushing them does not regrow. */
int rec_events_reserve(struct rec_events *ev, size_t n);
int rec_events_push(struct rec_events *ev, uint32_t user, uint32_t item,
		    float rating, int64_t time);

/* One event as read: its IDs as text, its value (the rating, or 1) and
 * its time (the row number, counted from first_row, without a time
 * column). */
struct rec_event {
	const char *user;
	const char *item;
	size_t user_len;
	size_t item_len;
	float value;
	int64_t time;
	int has_rating;
	int has_time;
};

typedef int rec_event_fn(void *ctx, const struct rec_event *e, struct rec_error *err);

/* Read an events CSV, handing each event to fn, which may fail as a row
 * function of rec_csv_read does. */
int rec_events_each(const char *path, const struct rec_csv_options *opt,
		    rec_event_fn *fn, void *ctx, int64_t first_row,
		    uint64_t *skipped, struct rec_error *err);

/* Read an events CSV (plain or gzip, "-" for standard input) and append
 * its rows.  Without a timestamp column, time is the row number. */
int rec_events_read(struct rec_events *ev, const char *path,
		    const struct rec_csv_options *opt, struct rec_error *err);

/* Write a field, quoting it only when it holds a comma, quote or newline. */
void rec_csv_field(FILE *fp, const char *s, size_t len);

/* --- binary files (binfile.c): the framing shared by .recd and .recm --- */

#define REC_MAGIC_LEN 8
#define REC_SECTION_REQUIRED 1u

struct rec_section {
	char tag[4];
	uint32_t flags;
	uint64_t offset;
	uint64_t length;
};

struct rec_writer;
struct rec_reader;

/* Start a file at path ("-" for standard output) with the given magic,
 * version and section table (offsets are filled in).  Bytes go to a
 * temporary file beside path that rec_writer_commit renames into place. */
int rec_writer_open(struct rec_writer **w, const char *path, const char *magic,
		    unsigned major, unsigned minor, struct rec_section *sec,
		    unsigned nsec, struct rec_error *err);
int rec_writer_bytes(struct rec_writer *w, const void *p, size_t n);
int rec_writer_u32(struct rec_writer *w, const uint32_t *v, size_t n);
int rec_writer_u64(struct rec_writer *w, const uint64_t *v, size_t n);
int rec_writer_i64(struct rec_writer *w, const int64_t *v, size_t n);
int rec_writer_f32(struct rec_writer *w, const float *v, size_t n);
/* Check that every section got its bytes, write the CRC, flush, fsync
 * and rename.  Frees w whatever happens. */
int rec_writer_commit(struct rec_writer *w, struct rec_error *err);
/* Give up: remove the temporary file and free w (NULL is fine). */
void rec_writer_abort(struct rec_writer *w);

/* Open path ("-" for standard input), check magic, version and section
 * table.  *major and *minor receive the file's version. */
int rec_reader_open(struct rec_reader **r, const char *path, const char *magic,
		    unsigned max_major, unsigned *minor, struct rec_error *err);
/* Move to the next section; returns 1 with its tag and length, 0 at the
 * end.  Sections the caller does not read are skipped. */
int rec_reader_next(struct rec_reader *r, const struct rec_section **sec);
int rec_reader_bytes(struct rec_reader *r, void *p, size_t n);
int rec_reader_u32(struct rec_reader *r, uint32_t *v, size_t n);
int rec_reader_u64(struct rec_reader *r, uint64_t *v, size_t n);
int rec_reader_i64(struct rec_reader *r, int64_t *v, size_t n);
int rec_reader_f32(struct rec_reader *r, float *v, size_t n);
/* Read n values of a type into a new array *out (freed by free(), with
 * room for at least one value) that grows as the bytes arrive: a count
 * that the file does not back costs no more memory than 1 MiB or four
 * times the bytes read, not the count's worth. */
enum rec_type { REC_BYTE, REC_U32, REC_U64, REC_I64, REC_F32 };
int rec_reader_array(struct rec_reader *r, enum rec_type type, size_t n, void **out);
/* The content's length from the header, already checked against the
 * section table: a bound for counts that size allocations. */
uint64_t rec_reader_length(const struct rec_reader *r);
/* Skip an unknown section: an error if it is required. */
int rec_reader_skip(struct rec_reader *r);
/* Read the rest and check the CRC; frees r and reports any earlier error. */
int rec_reader_close(struct rec_reader *r, struct rec_error *err);
/* rec_reader_close, and the checksum of the file's contents into *sum:
 * an identity of the file that costs no second reading. */
int rec_reader_close_sum(struct rec_reader *r, uint32_t *sum, struct rec_error *err);
/* Free r after a failure the caller already reports. */
void rec_reader_abort(struct rec_reader *r);
/* Read and write a dictionary as a section body (u32 length + bytes each). */
uint64_t rec_dict_section_length(const struct rec_dict *d);
int rec_writer_dict(struct rec_writer *w, const struct rec_dict *d);
int rec_reader_dict(struct rec_reader *r, uint32_t n, struct rec_dict **out);
/* Record a failure (the first one sticks); returns its code. */
int rec_reader_fail(struct rec_reader *r, int code, const char *msg);
/* Fill err from the reader's first error. */
int rec_reader_error(struct rec_reader *r, struct rec_error *err);

/* Does the file start (after gzip) with this magic?  1 yes, 0 no, <0 error. */
int rec_file_has_magic(const char *path, const char *magic, struct rec_error *err);
/* What the n bytes at head begin, plain or gzip-compressed: "model
 * (.recm)" or "dataset (.recd)" for those magics, else NULL; a static
 * string. */
const char *rec_file_kind(const char *head, size_t n);
/* Whether the n bytes at head begin with gzip's magic. */
int rec_is_gzip(const void *head, size_t n);

/* --- datasets (dataset.c): the sparse user x item matrix --- */

#define REC_DATASET_MAGIC "RECDATA\n"
#define REC_DATASET_MAJOR 1
#define REC_DATASET_MINOR 1

/* Rows by user; within a row, entries in time order (ties in input order).
 * Every array has nnz entries, rowptr has nusers + 1. */
struct rec_dataset {
	struct rec_dict *users;
	struct rec_dict *items;
	uint32_t nusers;
	uint32_t nitems;
	uint64_t nnz;
	uint64_t *rowptr;
	uint32_t *col;
	float *val;
	int64_t *time;
	int has_rating;
	int has_time;
	struct rec_features *item_features;	/* or NULL (features.c) */
	struct rec_features *user_features;
	int pseudonymous;	/* user IDs are pseudonyms (pseudo.c) */
};

enum rec_dedup {
	REC_DEDUP_LAST, REC_DEDUP_FIRST, REC_DEDUP_SUM,
	REC_DEDUP_MEAN, REC_DEDUP_MAX, REC_DEDUP_COUNT
};

int rec_parse_dedup(const char *s, enum rec_dedup *out, struct rec_error *err);

void rec_dataset_release(struct rec_dataset *ds);
/* Build a dataset from events, merging duplicate (user, item) pairs with
 * the rule given.  Consumes ev (released on return). */
int rec_dataset_from_events(struct rec_dataset *ds, struct rec_events *ev,
			    enum rec_dedup dedup, struct rec_error *err);
/* Make ds, in place, what rec_dataset_from_events makes of its entries
 * followed by ev's events, whose dictionaries start with ds's IDs in ds's
 * order; without turning ds back into events.  Consumes ev.  On an error
 * ds is released. */
int rec_dataset_append(struct rec_dataset *ds, struct rec_events *ev, enum rec_dedup dedup,
		       struct rec_error *err);
/* The entries of each item i, in user order: ent[ptr[i]..ptr[i + 1])
 * index the dataset's arrays, user[] holds their users. */
struct rec_columns {
	uint64_t *ptr;
	uint64_t *ent;
	uint32_t *user;
};

int rec_columns_build(const struct rec_dataset *ds, struct rec_columns *c);
void rec_columns_free(struct rec_columns *c);

/* Append the entries of ds to ev, adding the IDs that ev's dictionaries
 * lack: REC_ENOMEM or 0. */
int rec_events_add_dataset(struct rec_events *ev, const struct rec_dataset *ds);
/* Keep entries with rating >= threshold as 1, drop the rest. */
void rec_dataset_binarize(struct rec_dataset *ds, double threshold);
/* Iterated k-core: drop users with fewer than min_user entries and items
 * with fewer than min_item until none is left; renumbers both. */
int rec_dataset_kcore(struct rec_dataset *ds, uint32_t min_user,
		      uint32_t min_item, struct rec_error *err);
/* Keep only the entries where mask[e] == want, in place. */
void rec_dataset_filter(struct rec_dataset *ds, const uint8_t *mask, uint8_t want);
/* A dataset of the entries of src where mask[e] == want, sharing src's
 * dictionaries. */
int rec_dataset_select(struct rec_dataset *dst, const struct rec_dataset *src,
		       const uint8_t *mask, uint8_t want, struct rec_error *err);

int rec_dataset_write(const struct rec_dataset *ds, const char *path,
		      struct rec_error *err);
int rec_dataset_read(struct rec_dataset *ds, const char *path,
		     struct rec_error *err);
/* Read a .recd, or an events CSV (told apart by the magic bytes) merged
 * by dedup; the CSV's bad rows that skip_bad passed over are added to
 * *skipped unless it is NULL. */
int rec_dataset_load(struct rec_dataset *ds, const char *path,
		     const struct rec_csv_options *opt, enum rec_dedup dedup,
		     uint64_t *skipped, struct rec_error *err);

/* Text forms: long CSV (user,item[,rating][,timestamp]) and the dense
 * wide table (user then one column per item). */
int rec_dataset_write_long(const struct rec_dataset *ds, FILE *fp);
int rec_dataset_write_wide(const struct rec_dataset *ds, FILE *fp,
			   struct rec_error *err);
/* Counts, density, rating histogram and time range as "stat,value" CSV. */
int rec_dataset_write_stats(const struct rec_dataset *ds, FILE *fp);
/* The user (or with items, the item) that most entries of ds have, with
 * its count of entries in *most; -1 when out of memory. */
int64_t rec_dataset_dominant(const struct rec_dataset *ds, int items, uint64_t *most);

/* --- pseudonymised user IDs (pseudo.c) --- */

#define REC_PSEUDO_KEY_BYTES 32
#define REC_PSEUDO_LEN 32	/* hex digits of a pseudonym: 16 bytes of the MAC */

/* The secret of --pseudonymize. */
struct rec_pseudo {
	unsigned char key[REC_PSEUDO_KEY_BYTES];
};

/* Write a new random key to path, mode 0600; an existing file is refused
 * (REC_EIO), never overwritten. */
int rec_pseudo_genkey(const char *path, struct rec_error *err);
/* Read the key at path: REC_EIO if unreadable, REC_EINVAL unless it
 * holds exactly REC_PSEUDO_KEY_BYTES bytes. */
int rec_pseudo_load(struct rec_pseudo *p, const char *path, struct rec_error *err);
/* The pseudonym of the ID (len bytes): the first 16 bytes of its
 * HMAC-SHA-256 under p's key, in lower-case hex, NUL-terminated. */
void rec_pseudo_map(const struct rec_pseudo *p, const char *id, size_t len,
		    char out[REC_PSEUDO_LEN + 1]);
/* A new dictionary of the pseudonyms of d's IDs in d's order, or NULL
 * with err set (out of memory, or two IDs with one pseudonym). */
struct rec_dict *rec_pseudo_dict(const struct rec_dict *d, const struct rec_pseudo *p,
				 struct rec_error *err);
/* rec_dict_map of the pseudonyms of from's IDs (p NULL: of the IDs). */
int64_t *rec_pseudo_dict_map(const struct rec_dict *from, const struct rec_dict *to,
			     const struct rec_pseudo *p);
/* Replace ds's user IDs by their pseudonyms and mark it pseudonymous;
 * nothing if p is NULL or ds is pseudonymous already. */
int rec_dataset_pseudonymize(struct rec_dataset *ds, const struct rec_pseudo *p,
			     struct rec_error *err);

/* Remove the users of ids (raw IDs, mapped with p unless it is NULL),
 * their entries and their IDs from ds, renumbering the others in order;
 * the items stay.  *gone counts the users found.  REC_EINVAL for a
 * dataset with user attributes. */
int rec_dataset_forget(struct rec_dataset *ds, const struct rec_dict *ids,
		       const struct rec_pseudo *p, uint32_t *gone, struct rec_error *err);

/* --- splitting (split.c) --- */

enum rec_split_method {
	REC_SPLIT_RANDOM, REC_SPLIT_USER, REC_SPLIT_LAST,
	REC_SPLIT_TEMPORAL, REC_SPLIT_KFOLD, REC_SPLIT_COLD_ITEMS, REC_SPLIT_COLD_USERS
};

struct rec_split_options {
	enum rec_split_method method;
	double ratio;		/* fraction held out (random, user, temporal), or of
				 * the items or users held out (cold-items, cold-users) */
	uint64_t count;		/* events held out per user (user, last); 0: use ratio */
	int has_before;		/* temporal: cut at before, else at ratio */
	int64_t before;
	int span;		/* temporal: ratio is of the time range, not of
				 * the events */
	unsigned fold;		/* kfold: fold (0-based) of folds */
	unsigned folds;
	uint64_t seed;
};

int rec_parse_split_method(const char *s, enum rec_split_method *out,
			   struct rec_error *err);
/* Mark each entry of ds: mask[e] = 1 for test, 0 for train. */
int rec_split_mask(const struct rec_dataset *ds, const struct rec_split_options *opt,
		   uint8_t *mask, struct rec_error *err);
/* Carve each user's newest event out of ds, as --method last --count 1
 * does, into last, and the other events into rest; one event of each
 * user stays in rest.  Both share ds's dictionaries. */
int rec_dataset_carve_last(const struct rec_dataset *ds, struct rec_dataset *rest,
			   struct rec_dataset *last, struct rec_error *err);

/* --- item and user attributes (features.c) --- */

/* The attributes of a dataset's items or users: a sparse entity x feature
 * matrix with a dictionary of feature names.  Entities [0, nrows) have a
 * row, feature indices ascending within it; later ones (users and items
 * added since) have none.  Shared by reference between datasets. */
struct rec_features {
	unsigned refs;
	struct rec_dict *names;
	uint32_t nrows;
	uint64_t nnz;
	uint64_t *ptr;		/* nrows + 1 */
	uint32_t *col;
	float *val;
};

/* How an attribute file is read: the long layout (a "feature" column) or
 * the wide one, where multi names a column whose cells hold values
 * separated by '|', and numeric lists comma-separated columns whose cells
 * are numbers; features seen fewer than min_count times are dropped. */
struct rec_features_options {
	const char *multi;
	const char *numeric;
	uint32_t min_count;
};

#define REC_FEATURE_MAX 1024	/* bytes of a feature name */

struct rec_features *rec_features_ref(struct rec_features *f);
void rec_features_free(struct rec_features *f);
/* Read the attribute file at path, whose ID column is found as the
 * events' column what ("item" or "user") is, with opt's choice of it;
 * entities new to ids are added to it.  *out gets one row per ID of ids.
 * The last of repeated (entity, feature) rows wins. */
int rec_features_read(struct rec_features **out, const char *path, const char *what,
		      struct rec_dict *ids, const struct rec_features_options *fo,
		      const struct rec_csv_options *opt, uint64_t *skipped,
		      struct rec_error *err);
/* Give ds the attributes f of its items (or users), taking f over, and
 * grow ds to every ID of their dictionary: items and users without
 * events join it with empty rows. */
int rec_dataset_set_features(struct rec_dataset *ds, int users, struct rec_features *f,
			     struct rec_error *err);

/* The attributes of a model's entities grown by those of new ones: rows
 * [0, from) from old, the later ones from add, whose features are mapped
 * to old's by name; features old lacks are dropped and counted in
 * *dropped (a model has learned nothing of them).  *out shares old's
 * names.  REC_ENOMEM or 0. */
int rec_features_extend(struct rec_features **out, const struct rec_features *old,
			const struct rec_features *add, uint32_t from, uint64_t *dropped);

/* --- models (model.c, and one file per family behind struct rec_algo) --- */

#define REC_MODEL_MAGIC "RECMODEL"
#define REC_MODEL_MAJOR 1
#define REC_MODEL_MINOR 1
#define REC_MAX_HPARAMS 24
#define REC_MAX_PARAMS 16

/* A hyperparameter of an algorithm: its name (as in -p name=value), its
 * default and range, and whether it must be a whole number. */
struct rec_hparam {
	const char *name;
	double def;
	double min;
	double max;
	int integer;
	const char *const *choices;	/* names of the values 0, 1, ...; or NULL */
	const char *unsaved;	/* the value that a model file saved before the
				 * parameter existed implies; NULL: def */
};

/* A learned array, saved as one section of the model file: n floats at
 * f32, or n unsigned integers at u32. */
struct rec_param {
	char tag[4];
	float *f32;
	uint32_t *u32;
	uint64_t n;
};

/* The validation metric of a trained model: its name ("ndcg@10", or
 * "rmse" where lower is better) and value, NaN when no epoch had one. */
struct rec_train_metric {
	const char *name;
	double value;
	int lower_better;
	uint32_t epoch;		/* the epoch kept; 0 for a family without */
};

/* What training needs besides the data. */
struct rec_train_options {
	const struct rec_dataset *validation;	/* or NULL */
	uint64_t seed;
	int progress;		/* report each epoch on standard error */
	uint32_t passes;	/* for update: passes over the new data */
	/* Optional: a family that trains in epochs on a validation set
	 * fills it for the model it keeps; the others leave it alone. */
	struct rec_train_metric *metric;
};

struct rec_model;

/* One user's events in time order and the family's state derived from
 * them: what streaming and incremental training fold new events into.
 * values hold the events' raw values (the rating, or 1); a family
 * weights them by rec_model_decay as it does in training.  state holds
 * rec_user_state_size floats; events [0, folded) are already in it.
 * sums, NULL at the start, is the family's to fill for its next fold. */
struct rec_user {
	uint32_t n, cap;
	uint32_t *items;
	float *values;
	int64_t *times;
	uint32_t folded;
	float *state;
	void *sums;		/* the family's, kept between folds; freed with u */
};

/* One model family.  init allocates the learned arrays for the model's
 * dimensions and hyperparameters (for training and for loading alike);
 * params lists them so that saving and loading need no code of the
 * family's own; score fills scores[nitems] for a known user from the
 * model and the user's row in m->data; predict handles unknown users
 * and items (index -1) with the family's documented fallback. */
struct rec_algo {
	const char *name;
	const char *summary;
	const struct rec_hparam *hparams;
	unsigned nhparams;
	int (*init)(struct rec_model *m);
	int (*train)(struct rec_model *m, const struct rec_train_options *opt,
		     struct rec_error *err);
	unsigned (*params)(struct rec_model *m, struct rec_param *p);
	void (*score)(const struct rec_model *m, uint32_t user, float *scores);
	/* Optional: score n known users at once into scores[n][nitems], for
	 * families where one matrix product beats n vector products. */
	void (*score_block)(const struct rec_model *m, const uint32_t *users,
			    uint32_t n, float *scores);
	/* Optional: score a known user without events from his attributes
	 * into scores[nitems]: 1 if it did, 0 if he has none (the popularity
	 * then serves him). */
	int (*score_cold)(const struct rec_model *m, uint32_t user, float *scores);
	float (*predict)(const struct rec_model *m, int64_t user, int64_t item);
	int ratings;		/* predict gives ratings on the data's scale, not
				 * scores that only rank */
	void (*release)(struct rec_model *m);

	/* Fold-in.  user_rows: where a user's state is his row of one of the
	 * learned arrays, that array (nusers rows) with the rows' width in
	 * *width.  Otherwise state_size: floats of per-user state (none if
	 * both are NULL), and user_state: the state of trained user `user` as
	 * training left it.
	 * fold_in: bring u->state up to date with all u->n events (NULL:
	 * the state is the history alone).  score_user: fill scores[nitems]
	 * from u's history and state; with it, a user needs no row in m->data.
	 * fold_in may allocate scratch memory; it returns REC_ENOMEM if that
	 * fails, else 0. */
	float *(*user_rows)(const struct rec_model *m, uint32_t *width);
	uint32_t (*state_size)(const struct rec_model *m);
	void (*user_state)(const struct rec_model *m, uint32_t user, float *state);
	int (*fold_in)(const struct rec_model *m, struct rec_user *u);
	void (*score_user)(const struct rec_model *m, const struct rec_user *u,
			   float *scores);

	/* Optional: continue training after m->data grew (new users and items
	 * appended after the old_users and old_items first ones); touched[u]
	 * is 1 for the users with new events.  The family grows its arrays,
	 * keeps what the new events do not touch and re-solves or retrains
	 * what they do, for opt->passes passes; with opt->passes == 0 it only
	 * grows the arrays.  Without it, incremental training retrains the
	 * whole model. */
	int (*update)(struct rec_model *m, uint32_t old_users, uint32_t old_items,
		      const uint8_t *touched, const struct rec_train_options *opt,
		      struct rec_error *err);
	/* With state_size: make state the trained state of user (the inverse
	 * of user_state), so that a saved stream keeps what it learned; a
	 * family with user_rows needs none. */
	void (*set_user_state)(struct rec_model *m, uint32_t user, const float *state);

	/* Optional: the rules that the hyperparameters' ranges cannot say,
	 * between them or with the data's size; training and loading both
	 * call it through rec_model_check_hparams.  REC_EINVAL with a message,
	 * or 0. */
	int (*check_hparams)(const struct rec_model *m, struct rec_error *err);
	/* Optional, and required of a family with u32 arrays: what loading
	 * checks of the learned arrays beyond finite floats, before anything
	 * uses them (indices in range, ...).  REC_EFORMAT with a message that
	 * names the section, or 0. */
	int (*check)(const struct rec_model *m, struct rec_error *err);

	/* Optional: why u's scores are what they are, for a family whose
	 * score is a sum over the history: contrib[t * u->n + j] gets the
	 * part of items[t]'s score owed to u's event j, the parts of an item
	 * summing to its score_user score.  Returns 1 when the scores are the
	 * popularity and owe nothing to the history, REC_ENOMEM, or 0. */
	int (*explain)(const struct rec_model *m, const struct rec_user *u,
		       const uint32_t *items, uint32_t n, float *contrib);
	/* Optional: the items' learned vectors, nitems rows of *width
	 * floats, for the similarity of two items. */
	const float *(*item_vectors)(const struct rec_model *m, uint32_t *width);
	/* score, score_block, score_cold and predict read the learned arrays
	 * and no values or times of the training events. */
	int ranks_without_values;
};

/* A trained model: its family and hyperparameters, the training data
 * (the ID dictionaries and each user's seen items), the item popularity
 * that serves unknown users, and the family's own state. */
struct rec_model {
	const struct rec_algo *algo;
	double hp[REC_MAX_HPARAMS];
	double half_life;	/* seconds; 0: no time decay */
	int64_t now;		/* the time decay's reference point */
	struct rec_dataset data;
	float *popularity;
	void *state;
	uint32_t checksum;	/* of the file it was loaded from; 0 if none */
};

/* The family called name, or NULL; rec_algos lists them all. */
const struct rec_algo *rec_algo_find(const char *name);
extern const struct rec_algo *const rec_algos[];

/* A new untrained model of algo with default hyperparameters. */
struct rec_model *rec_model_new(const struct rec_algo *algo);
void rec_model_free(struct rec_model *m);
/* Set a hyperparameter from text: REC_EINVAL names an unknown one or a
 * bad value. */
int rec_model_set(struct rec_model *m, const char *name, const char *value,
		  struct rec_error *err);
/* The value of the hyperparameter name (which must exist). */
double rec_model_get(const struct rec_model *m, const char *name);
/* Are the hyperparameters within their ranges and do they agree with each
 * other and with the model's data?  REC_EINVAL with a message, or 0. */
int rec_model_check_hparams(const struct rec_model *m, struct rec_error *err);
/* Train on data (whose contents the model takes over; data is left
 * empty).  Computes the popularity, then the family's parameters. */
int rec_model_train(struct rec_model *m, struct rec_dataset *data,
		    const struct rec_train_options *opt, struct rec_error *err);
/* rec_model_train, validated on each user's newest event: a family that
 * trains in epochs trains without those events, stops early on them, and
 * then folds them in as a stream does, so that the model holds every
 * event of data; the others train on all of data.  opt->validation is
 * ignored. */
int rec_model_train_last(struct rec_model *m, struct rec_dataset *data,
			 const struct rec_train_options *opt, struct rec_error *err);
/* Weight of an event at time t under the model's half-life (1 without). */
double rec_model_decay(const struct rec_model *m, int64_t t);
int rec_model_save(struct rec_model *m, const char *path, struct rec_error *err);
int rec_model_load(struct rec_model **m, const char *path, struct rec_error *err);
/* rec_model_load for scoring, ranking and predicting the trained users
 * and no more: for a family that ranks without them, the training events'
 * values and times are checked as they are read and left out (NULL), so
 * fold-in, training, explanations and saving need rec_model_load. */
int rec_model_load_ranking(struct rec_model **m, const char *path, struct rec_error *err);
/* rec_model_load for a shard's half sweep (rec_train_part_solve): a model
 * that rec_model_shardable accepts, REC_EINVAL for another, without the
 * training events (rowptr, col, val and time NULL), whose bytes pass the
 * checksum but are neither kept nor checked: the half sweep's events are
 * its shard's. */
int rec_model_load_shardable(struct rec_model **m, const char *path, struct rec_error *err);

/* Score every item for user (index into the model's dictionary, or -1 for
 * an unknown user, who gets the popularity, as does a known user without
 * events unless the family scores him by his attributes). */
void rec_model_score(const struct rec_model *m, int64_t user, float *scores);
/* Score n users (indices, or -1 for unknown) into scores[n][nitems]; the
 * same numbers as rec_model_score, through score_block where a family has
 * one.  Call it from one thread: it may use threaded BLAS. */
void rec_model_score_block(const struct rec_model *m, const int64_t *users,
			   uint32_t n, float *scores);
/* How rec_model_rank ranks and whom it tells. */
struct rec_rank_options {
	uint32_t k;		/* the length of each list */
	int include_seen;	/* also rank the user's training items */
	const uint8_t *allow;	/* the candidates, allow[item] != 0; NULL: all */
	/* Optional: user users[i]'s scores as ranked, the excluded items at
	 * -INFINITY; called from any thread, once per user. */
	void (*scored)(void *ctx, size_t i, const float *scores);
	/* After each block, from the calling thread and in order: the lists
	 * of users[first..first + n), list j at idx + j * k and val + j * k
	 * with found[j] entries, best first. */
	void (*ranked)(void *ctx, size_t first, uint32_t n, const uint32_t *idx,
		       const float *val, const uint32_t *found);
	void *ctx;
};

/* Rank every item for users[0..count) (indices, or -1 for unknown) a
 * block at a time: rec_model_score_block, then each user's top k across
 * threads.  Memory is bounded by the block, whatever count is.  Call it
 * from one thread.  Returns REC_ENOMEM or 0. */
int rec_model_rank(const struct rec_model *m, const int64_t *users, size_t count,
		   const struct rec_rank_options *opt, struct rec_error *err);
/* Keep items from a ranking: set to -INFINITY the scores of a user's seen
 * items seen[0..nseen) and, unless allow is NULL, of the items i below
 * nitems whose allow[i] is 0. */
void rec_scores_exclude(float *scores, uint32_t nitems, const uint32_t *seen,
			size_t nseen, const uint8_t *allow);
/* Forget the users of ids (as rec_dataset_forget) and their influence:
 * pop, itemknn, ease, content and sasrec are trained anew on the rest of
 * their training data; families with an update re-solve (ials) or
 * retrain (bpr, neumf, mf, hybrid) the users who share an item with a
 * forgotten one, and their items, for opt->passes passes. */
int rec_model_forget(struct rec_model *m, const struct rec_dict *ids,
		     const struct rec_pseudo *p, const struct rec_train_options *opt,
		     uint32_t *gone, struct rec_error *err);
/* IDs of a file, one a line without header, interned in a new dict in
 * the order read: idx[0..n) (with repeats).  Released by rec_ids_release. */
struct rec_ids {
	struct rec_dict *dict;
	uint32_t *idx;
	size_t n;
	size_t cap;
};
int rec_ids_read(struct rec_ids *l, const char *path, struct rec_error *err);
void rec_ids_release(struct rec_ids *l);
/* The candidate mask of the IDs in path: *allow, nitems + 1 bytes that the
 * caller frees, 1 for the items of items listed; IDs not in items are
 * left out. */
int rec_candidates_read(uint8_t **allow, const char *path, const struct rec_dict *items,
			uint32_t nitems, struct rec_error *err);
/* Add the users (or items) that f, read into the model's own dictionary,
 * has beyond the model's: they join it with their attributes and without
 * events, and the family grows its arrays for them without training, so
 * that they are scored by their attributes at once.  The model must have
 * attributes of the kind, and its family an update; known entities keep
 * their attributes.  Takes f over; *dropped counts the attributes left
 * out as new features. */
int rec_model_add_features(struct rec_model *m, int users, struct rec_features *f,
			   uint64_t *dropped, struct rec_error *err);
/* Predict a rating or score for one pair; never NaN. */
float rec_model_predict(const struct rec_model *m, int64_t user, int64_t item);
/* Continue training on ev, whose dictionaries are the model's own (grown
 * for new users and items): merge ev into the training data, the new
 * event winning a repeated pair, then re-solve what it touches through
 * the family's update, or retrain fully for a family without one. */
int rec_model_update(struct rec_model *m, struct rec_events *ev,
		     const struct rec_train_options *opt, struct rec_error *err);

/* --- checks for likely mistakes (check.c) --- */

/* REC_EINVAL, with name as the file, when the model knows fewer than half
 * of the users and fewer than half of the items that have entries in ds:
 * the two were most likely not made from the same data. */
int rec_check_overlap(const struct rec_dataset *ds, const struct rec_model *m,
		      const char *name, struct rec_error *err);
/* REC_EINVAL when algo predicts ratings and every entry of ds has the
 * same value, from which such a family learns nothing. */
int rec_check_ratings(const struct rec_algo *algo, const struct rec_dataset *ds,
		      const char *name, struct rec_error *err);
/* REC_EINVAL when data of name without a time column (has_time 0) is
 * used for what, an option or method that goes by time. */
int rec_check_time(int has_time, const char *name, const char *what,
		   struct rec_error *err);
/* Parse "--time column|file-order": *file_order is 1 for file-order. */
int rec_parse_time_source(const char *s, int *file_order, struct rec_error *err);

/* --- users' histories and fold-in (user.c) --- */

void rec_user_release(struct rec_user *u);
/* The floats of a user's state in m's family (0: it keeps none); trained
 * user's state as training left it; and, where the family can take it
 * back, state made user's trained state (1 if it was, 0 if the family
 * cannot). */
uint32_t rec_user_state_size(const struct rec_model *m);
void rec_user_state_get(const struct rec_model *m, uint32_t user, float *state);
int rec_user_state_set(struct rec_model *m, uint32_t user, const float *state);
/* Start u as user (an index of the model's dictionary): a trained user
 * with the history and state of training, or a new one with neither. */
int rec_user_start(const struct rec_model *m, uint32_t user, struct rec_user *u);
/* Append an event to u's history (not yet folded in). */
int rec_user_push(struct rec_user *u, uint32_t item, float value, int64_t time);
/* Fold the events appended since the last fold into u's state. */
int rec_user_fold(const struct rec_model *m, struct rec_user *u);
/* Score every item for u: the popularity while u has no events; items of
 * u's history get -INFINITY unless include_seen. */
void rec_user_score(const struct rec_model *m, const struct rec_user *u,
		    int include_seen, float *scores);

/* The users that a stream of events touches, by index of the model's user
 * dictionary (new users are added to it). */
struct rec_stream {
	struct rec_model *m;
	struct rec_user **user;
	uint32_t cap;
	uint64_t events;
	uint64_t unknown_items;
};

int rec_stream_init(struct rec_stream *s, struct rec_model *m);
void rec_stream_release(struct rec_stream *s);
/* The user called id (added to the model's dictionary if new), started
 * on first sight. */
int rec_stream_user(struct rec_stream *s, const char *id, size_t len,
		    struct rec_user **u, struct rec_error *err);
/* Learn an event of u: append it, fold it in, count it in the popularity. */
int rec_stream_learn(struct rec_stream *s, struct rec_user *u, uint32_t item,
		     float value, int64_t time, struct rec_error *err);
/* Make what the stream learned part of the model: its events join the
 * training data and its users' states replace the trained ones. */
int rec_stream_merge(struct rec_stream *s, struct rec_error *err);

/* --- explanations (explain.c) --- */

/* One reason for an item of a list: an item of the user's history and
 * its share of the item's score. */
struct rec_reason {
	uint32_t item;
	float share;
};

/* Why items[0..n) are in u's list (u folded in): for each, up to top
 * items of u's history with their shares of its score (none of 0), the
 * largest first, at reasons[t * top] with how many at count[t].  Exact through
 * the family's explain; otherwise by occlusion, each share the drop of
 * the score when u is folded in again without that item.  Returns 1
 * when the scores are the popularity (u has no events, or the family
 * ranks by it), 0, or REC_ENOMEM with err filled. */
int rec_explain(const struct rec_model *m, const struct rec_user *u, const uint32_t *items,
		uint32_t n, uint32_t top, struct rec_reason *reasons, uint32_t *count,
		struct rec_error *err);
/* rec_explain of many users' lists across threads: users[x] (an index of
 * the model's dictionary, as trained, or -1 for an unknown user) for the
 * n[x] items at items + x * stride, his reasons at reasons + x * stride *
 * top and counts at count + x * stride, rec_explain's 1 or 0 in
 * popular[x].  Call it from one thread.  0, or a REC_E* code with err
 * filled by the first user that failed. */
int rec_explain_users(const struct rec_model *m, const int64_t *users, uint32_t nu,
		      const uint32_t *items, const uint32_t *n, uint32_t stride, uint32_t top,
		      struct rec_reason *reasons, uint32_t *count, int *popular,
		      struct rec_error *err);

/* --- prequential evaluation (replay.c) --- */

/* One replayed event: its index in the events and time, the rank of its
 * item for its user before it was learned (0 when it was not ranked: an
 * item the model does not know, or one the user already had), and how
 * many events the user had before it. */
struct rec_replay_event {
	size_t event;
	int64_t time;
	uint32_t rank;
	uint32_t before;
	int unknown_item;
};

struct rec_replay_options {
	int update;		/* fold each event in after ranking it */
	void (*fn)(void *ctx, const struct rec_replay_event *r);
	void *ctx;
};

/* Replay ev in time order (ties in file order) against m, ranking every
 * item for each event's user, seen items excluded, and telling fn.  New
 * users join the model's dictionary; with opt->update m learns each event. */
int rec_replay(struct rec_model *m, const struct rec_events *ev,
	       const struct rec_replay_options *opt, struct rec_error *err);
/* The events to replay from path: a dataset, or an events CSV in file
 * order.  On an error ev is released. */
int rec_replay_load(struct rec_events *ev, const char *path,
		    const struct rec_csv_options *opt, struct rec_error *err);

/* --- top-N selection (topn.c) --- */

/* The k best of scores[0..n) (skipping -INFINITY), best first, ties to the
 * lower index; returns how many were found (at most k). */
uint32_t rec_topn(const float *scores, uint32_t n, uint32_t k, uint32_t *idx,
		  float *val);

/* --- metrics (metrics.c) --- */

/* The ranking metrics of one user at one cut-off, each in [0, 1]. */
struct rec_rank_metrics {
	double precision;
	double recall;
	double f1;
	double hr;
	double ndcg;
	double map;
	double mrr;
};

/* The ranking metrics of one user's list at cut-off k: list[0..n) holds
 * distinct item indices, best first (n may be below k; items past k are
 * not looked at), test[0..ntest) the user's test items in ascending order.
 * Indices are only compared, so an index in no test set (UINT32_MAX)
 * stands for an item the test set does not know.  ntest 0 gives zeros. */
void rec_metrics_rank(const uint32_t *list, uint32_t n, const uint32_t *test,
		      uint32_t ntest, uint32_t k, struct rec_rank_metrics *out);
/* The same for a user whose one test item came at rank (1 is best): what
 * rec_metrics_rank gives for a list with that item at that place. */
void rec_metrics_rank_at(uint32_t rank, uint32_t k, struct rec_rank_metrics *out);

/* AUC of one user from the scores of all n items: the fraction of pairs
 * (test item, non-test item scored above -INFINITY) in the right order,
 * ties counting one half.  test[0..ntest) is ascending; an index >= n is
 * a test item without a score, below every other.  Returns -1 when
 * there is no pair. */
double rec_metrics_auc(const float *scores, uint32_t n, const uint32_t *test,
		       uint32_t ntest);

/* The training set as the beyond-accuracy metrics see it: the users of
 * catalogue item i are user[ptr[i]..ptr[i+1]), ascending; nusers counts
 * the users with at least one training entry.  The nhot items with the
 * most users (hot[i] is item i's rank among them, else UINT32_MAX) have
 * the users they share with each other counted once, in common[], so
 * that pairs of popular items cost a look-up. */
struct rec_catalogue {
	uint32_t nusers;
	uint32_t user_ids;	/* users are indexed below it */
	uint32_t nitems;
	uint64_t *ptr;
	uint32_t *user;
	uint32_t nhot;
	uint32_t *hot;
	uint32_t *common;	/* of hot ranks a < b, row a after row a - 1 */
};

int rec_catalogue_init(struct rec_catalogue *c, const struct rec_dataset *train);
void rec_catalogue_release(struct rec_catalogue *c);

/* |U_a intersect U_b|: how many training users have both items a and b
 * (0 when either is outside the catalogue). */
uint64_t rec_catalogue_common(const struct rec_catalogue *c, uint32_t a, uint32_t b);

/* Over one list of catalogue indices, where an index >= c->nitems is an
 * item that no training user has: the sum of -log2 p(i), with p(i) the
 * fraction of training users who have i, or 1/(nusers + 1) for an item
 * none has; the sum of the items' training-user counts; and the mean over
 * pairs of 1 - cosine similarity of the items' user sets (-1 below two
 * items), for which held is c->user_ids zeroed words, left zeroed. */
double rec_metrics_novelty_sum(const struct rec_catalogue *c, const uint32_t *list,
			       uint32_t n);
double rec_metrics_popularity_sum(const struct rec_catalogue *c,
				  const uint32_t *list, uint32_t n);
double rec_metrics_diversity(const struct rec_catalogue *c, const uint32_t *list,
			     uint32_t n, uint64_t *held);

/* From count[nitems], how often each catalogue item was recommended: the
 * fraction of items recommended at least once, and the Gini index of the
 * counts (0 equal, towards 1 concentrated; 0 without any).  rec_metrics_gini
 * sorts count in place. */
double rec_metrics_coverage(const uint64_t *count, uint32_t nitems);
double rec_metrics_gini(uint64_t *count, uint32_t nitems);

/* --- similarity of items and diversity (diversify.c) --- */

/* Where the similarity of two items comes from: the cosine of their
 * attribute vectors, of the model's item vectors, or of their sets of
 * training users; auto takes the first that the data and model have. */
enum rec_similarity_kind {
	REC_SIM_AUTO, REC_SIM_ATTRIBUTES, REC_SIM_VECTORS, REC_SIM_COOCCURRENCE
};

struct rec_similarity {
	enum rec_similarity_kind kind;
	uint32_t nitems;		/* those of train */
	const struct rec_features *f;	/* attributes */
	const float *vec;		/* vectors: rows of width floats */
	uint32_t width;
	double *norm;			/* attributes and vectors: per item */
	struct rec_catalogue cat;	/* cooccurrence */
};

/* The kind called name (attributes, vectors, cooccurrence), or -1. */
int rec_similarity_parse(const char *name);
const char *rec_similarity_name(enum rec_similarity_kind kind);
/* Similarity of kind over the items of train, with m (or NULL) for the
 * vectors; REC_EINVAL when they lack what the kind needs. */
int rec_similarity_init(struct rec_similarity *s, enum rec_similarity_kind kind,
			const struct rec_dataset *train, const struct rec_model *m,
			struct rec_error *err);
void rec_similarity_release(struct rec_similarity *s);
/* The cosine of items a and b, 0 when either has an empty vector or is
 * not an item of train. */
double rec_similarity(const struct rec_similarity *s, uint32_t a, uint32_t b);
/* The mean over the pairs of list[0..n) of 1 - similarity; -1 below two
 * items. */
double rec_similarity_diversity(const struct rec_similarity *s, const uint32_t *list,
				uint32_t n);

/* Maximal marginal relevance (Carbonell and Goldstein 1998): each next
 * item chosen maximises (1 - lambda) relevance - lambda times its mean
 * similarity to those chosen (Ziegler et al. 2005), relevance being the
 * score min-max normalised over the candidates; the chosen are listed by
 * score.  With a cap, at most max_per items of a list have any one
 * feature f with capped[f]. */
struct rec_diversify {
	double lambda;
	const struct rec_similarity *sim;
	const struct rec_features *f;	/* for the cap, or NULL */
	uint8_t *capped;		/* per feature of f */
	uint32_t max_per;
};

/* Cap the features of f named prefix=...: REC_EINVAL if there are none. */
int rec_diversify_cap(struct rec_diversify *d, const struct rec_features *f,
		      const char *prefix, uint32_t max_per, struct rec_error *err);
/* Choose up to n of the candidates cand[0..nc) with scores score[0..nc),
 * best first, into idx and val (their scores), how many in *found.
 * REC_ENOMEM or 0. */
int rec_diversify_list(const struct rec_diversify *d, const uint32_t *cand,
		       const float *score, uint32_t nc, uint32_t n, uint32_t *idx,
		       float *val, uint32_t *found);

/* --- evaluation (eval.c) --- */

/* The metrics of rec-eval, in the order it reports them; events counts
 * the events that a replay ranked. */
enum rec_metric {
	REC_M_RMSE, REC_M_MAE, REC_M_PRECISION, REC_M_RECALL, REC_M_F1, REC_M_HR,
	REC_M_NDCG, REC_M_MAP, REC_M_MRR, REC_M_AUC, REC_M_COVERAGE, REC_M_NOVELTY,
	REC_M_DIVERSITY, REC_M_POPULARITY, REC_M_GINI, REC_M_EVENTS, REC_NMETRICS
};

#define REC_M_BIT(m) (1u << (m))
/* The metrics of predictions, of lists against a test set, of a model's
 * scores, of lists against the training set, and of a replay. */
#define REC_EVAL_ERRORS (REC_M_BIT(REC_M_RMSE) | REC_M_BIT(REC_M_MAE))
#define REC_EVAL_RANKING (REC_M_BIT(REC_M_PRECISION) | REC_M_BIT(REC_M_RECALL) | \
			  REC_M_BIT(REC_M_F1) | REC_M_BIT(REC_M_HR) | REC_M_BIT(REC_M_NDCG) | \
			  REC_M_BIT(REC_M_MAP) | REC_M_BIT(REC_M_MRR))
#define REC_EVAL_SCORES REC_M_BIT(REC_M_AUC)
#define REC_EVAL_BEYOND (REC_M_BIT(REC_M_COVERAGE) | REC_M_BIT(REC_M_NOVELTY) | \
			 REC_M_BIT(REC_M_DIVERSITY) | REC_M_BIT(REC_M_POPULARITY) | \
			 REC_M_BIT(REC_M_GINI))
#define REC_EVAL_REPLAY (REC_M_BIT(REC_M_HR) | REC_M_BIT(REC_M_NDCG) | \
			 REC_M_BIT(REC_M_MRR) | REC_M_BIT(REC_M_EVENTS))

/* The metric's name in lower case, and whether it is taken at cut-offs. */
const char *rec_metric_name(enum rec_metric m);
int rec_metric_has_k(enum rec_metric m);

/* A result: a metric at cut-off k (0 for a metric without one), of one
 * user (an index of the test set's or the predictions' users) or of all
 * (REC_EVAL_ALL). */
#define REC_EVAL_ALL UINT32_MAX

struct rec_eval_row {
	uint32_t user;
	uint32_t metric;
	uint32_t k;
	double value;
	const char *scope;	/* a static prefix of the metric's name, or NULL */
};

struct rec_eval_rows {
	struct rec_eval_row *row;
	size_t n;
	size_t cap;
};

void rec_eval_rows_release(struct rec_eval_rows *r);
/* Write rows as metric,k,value CSV lines, each led by lead and, with
 * users, by the user's ID from users; or as a table for people, with a
 * header line. */
void rec_eval_rows_csv(FILE *fp, const struct rec_eval_rows *r, const struct rec_dict *users,
		       const char *lead);
void rec_eval_rows_table(FILE *fp, const struct rec_eval_rows *r,
			 const struct rec_dict *users);

/* The partial sums of an evaluation: for each metric and cut-off a sum
 * and what it is divided by, and for coverage and Gini how often each
 * catalogue item was recommended at each cut-off.  Sums are whole
 * numbers of 2^-64 (of 1 for popularity, a sum of counts), so adding
 * them is exact and the same in any order: two accumulators of the same
 * metrics, cut-offs and catalogue size merge by adding, and users
 * evaluated in parts give exactly the means of all at once.  Rating
 * errors, which have no bound, are summed in double. */
struct rec_eval_acc {
	uint32_t metrics;	/* REC_M_BIT of each metric reported */
	unsigned nk;
	uint32_t *k;		/* the cut-offs */
	__int128 *sum;		/* [REC_NMETRICS][nk] */
	double *count;		/* [REC_NMETRICS][nk], whole numbers */
	double sq_error;	/* the sum of squared rating errors */
	double abs_error;	/* and of their absolute values */
	uint32_t nitems;	/* catalogue items, with REC_EVAL_BEYOND */
	uint64_t *recommended;	/* [nk][nitems] */
};

/* Empty sums of metrics at k[0..nk), nk >= 1, over nitems catalogue
 * items. */
int rec_eval_acc_init(struct rec_eval_acc *a, uint32_t metrics, const uint32_t *k,
		      unsigned nk, uint32_t nitems, struct rec_error *err);
void rec_eval_acc_release(struct rec_eval_acc *a);
/* Add the sums of from into into; REC_EINVAL if they do not measure the
 * same. */
int rec_eval_merge(struct rec_eval_acc *into, const struct rec_eval_acc *from,
		   struct rec_error *err);
/* Append a's results to rows: each metric in order, at each cut-off. */
int rec_eval_rows(const struct rec_eval_acc *a, struct rec_eval_rows *rows,
		  struct rec_error *err);
/* Count an event whose item came at rank (1 is best) in a replay. */
void rec_eval_add_rank(struct rec_eval_acc *a, uint32_t rank);

/* A recommendations CSV (user,item,rank: a rank column) or a predictions
 * CSV (user,item,rating,prediction: a prediction column) as read, its IDs
 * in its own dictionaries; line is the row's record number. */
struct rec_eval_input_row {
	uint32_t user;
	uint32_t item;
	long rank;
	long line;
	double rating;
	double pred;
};

struct rec_eval_input {
	const char *name;	/* the file, for messages */
	int predictions;
	struct rec_dict *users;
	struct rec_dict *items;
	struct rec_eval_input_row *row;
	size_t n;
	size_t cap;
};

/* Read path ("-": standard input); path must outlive in. */
int rec_eval_input_read(struct rec_eval_input *in, const char *path,
			struct rec_error *err);
void rec_eval_input_release(struct rec_eval_input *in);
/* Add the errors of the predictions in to a (REC_EVAL_ERRORS) and, with
 * rows, each user's, users in the order of their first rows. */
int rec_eval_add_predictions(struct rec_eval_acc *a, const struct rec_eval_input *in,
			     struct rec_eval_rows *rows, struct rec_error *err);

/* The test users (those with test items) and their lists.  Items are
 * indices of the lists' dictionary; test items it lacks are UINT32_MAX.
 * With a catalogue, clist holds the lists in the catalogue's indices. */
struct rec_eval {
	const struct rec_dataset *test;
	const struct rec_dict *items;	/* the lists' items */
	uint32_t n;		/* test users */
	uint32_t *user;		/* their index in the test set */
	uint64_t *tptr;		/* test items of user u: titem[tptr[u]..tptr[u+1]) */
	uint32_t *titem;	/* ascending within a user */
	uint32_t kmax;
	uint32_t *list;		/* user u's list: list[u * kmax..][0..len[u]) */
	uint32_t *len;
	double *auc;		/* per user when ranked by a model, < 0 without a
				 * pair; or NULL */
	struct rec_catalogue *cat;
	uint32_t *clist;
	const uint8_t *allow;	/* the candidates a model ranks, or NULL: all */
	struct rec_similarity *sim;	/* the diversity's, or NULL: co-occurrence
					 * in the catalogue */
	struct rec_features *attrs;	/* held for sim */
};

/* Start ev on test (which must outlive it), for lists of at most kmax of
 * items. */
int rec_eval_init(struct rec_eval *ev, const struct rec_dataset *test,
		  const struct rec_dict *items, uint32_t kmax, struct rec_error *err);
void rec_eval_release(struct rec_eval *ev);
/* The lists from recommendations whose items are ev->items: each test
 * user's rows ordered by rank, ties in file order, cut at kmax.  An item
 * twice in a list is an error; *ignored receives the rows of other users. */
int rec_eval_lists_read(struct rec_eval *ev, const struct rec_eval_input *in,
			size_t *ignored, struct rec_error *err);
/* The lists and AUCs from m ranking every item, seen items excluded; ev's
 * items must be m's. */
int rec_eval_lists_rank(struct rec_eval *ev, const struct rec_model *m,
			struct rec_error *err);
/* The training set for the beyond-accuracy metrics. */
int rec_eval_catalogue(struct rec_eval *ev, const struct rec_dataset *train,
		       struct rec_error *err);
/* Measure the diversity by the similarity of kind: of the attributes of
 * train, the catalogue's training set, or of the item vectors of m (which
 * must outlive ev and have ranked the lists); co-occurrence, the default,
 * changes nothing.  After rec_eval_catalogue; REC_EINVAL when train or m
 * lacks what the kind needs. */
int rec_eval_similarity(struct rec_eval *ev, enum rec_similarity_kind kind,
			const struct rec_dataset *train, const struct rec_model *m,
			struct rec_error *err);
/* The metrics of the cold start, beside those of all test users: the
 * ranking metrics (and auc when ranked by a model) of the test users
 * without training events (in users), and the ranking metrics of each
 * test user's list against his test items without training events alone,
 * of the users who have such items (in items); n* count the users. */
struct rec_eval_cold {
	struct rec_eval_acc users;
	struct rec_eval_acc items;
	uint32_t nusers;
	uint32_t nitems;
};
/* The cold scopes of ev's lists with train as the training set; released
 * by rec_eval_cold_release. */
int rec_eval_cold(struct rec_eval_cold *c, const struct rec_eval *ev,
		  const struct rec_dataset *train, const uint32_t *k, unsigned nk,
		  struct rec_error *err);
void rec_eval_cold_release(struct rec_eval_cold *c);
/* The rows of the scopes that have users, their metrics' names led by
 * cold_users: and cold_items:, added to rows. */
int rec_eval_cold_rows(const struct rec_eval_cold *c, struct rec_eval_rows *rows,
		       struct rec_error *err);
/* Empty sums of what ev measures at k[0..nk). */
int rec_eval_acc_start(struct rec_eval_acc *a, const struct rec_eval *ev,
		       const uint32_t *k, unsigned nk, struct rec_error *err);
/* Add ev's users [first, first + n) to a and, with rows, each one's
 * ranking metrics and AUC. */
int rec_eval_add(struct rec_eval_acc *a, const struct rec_eval *ev, uint32_t first,
		 uint32_t n, struct rec_eval_rows *rows, struct rec_error *err);

/* --- shards (shard.c) --- */

/* Shard i of n (1 <= i <= n <= REC_SHARD_LIMIT); n 0 stands for every
 * ID. */
#define REC_SHARD_LIMIT 1000000

struct rec_shard {
	uint32_t i;
	uint32_t n;
};

/* The 64-bit FNV-1a hash of an ID's len bytes, and the ID's shard of n:
 * the hash modulo n, plus 1 (1 when n is 0).  Documented in rec(7), so
 * that other tools can place IDs the same way. */
uint64_t rec_shard_hash(const char *id, size_t len);
uint32_t rec_shard_of(const char *id, size_t len, uint32_t n);
/* Whether the ID is in shard s. */
int rec_shard_has(const struct rec_shard *s, const char *id, size_t len);
/* "I/N" into s; what names the option in the error ("--shard"). */
int rec_parse_shard(const char *arg, const char *what, struct rec_shard *s,
		    struct rec_error *err);
/* A new array of rec_dict_size(d) flags, 1 for the IDs in shard s; NULL
 * when out of memory. */
uint8_t *rec_shard_mask(const struct rec_dict *d, const struct rec_shard *s);
/* A dataset of the entries of src whose user (by_item: item) is in shard
 * s, with src's dictionaries. */
int rec_dataset_shard(struct rec_dataset *dst, const struct rec_dataset *src,
		      const struct rec_shard *s, int by_item, struct rec_error *err);
/* Hashes that tell data apart (not documented as stable): of a dataset's
 * dictionaries and entries, of a catalogue, and the CRC-32 of a file's
 * bytes. */
uint64_t rec_dataset_hash(const struct rec_dataset *ds);
uint64_t rec_catalogue_hash(const struct rec_catalogue *c);

/* --- training in shards (trainpart.c) --- */

/* One shard's share of a half sweep of training: the solved vectors of
 * one side's rows in the shard, for the model whose file has the checksum
 * model (rec_model.checksum). */
struct rec_train_part {
	int items;		/* 1: the items' rows; 0: the users' */
	struct rec_shard shard;
	uint64_t model;
	uint32_t k;		/* floats a row */
	uint32_t nrows;
	uint32_t *idx;		/* the rows' indices in the model, ascending */
	float *rows;		/* nrows x k */
};

/* Can m's family be trained in shards?  REC_EINVAL with a message, or 0. */
int rec_model_shardable(const struct rec_model *m, struct rec_error *err);
/* Solve the rows of one side of m (ials) in shard s from the entries of
 * data, matched to m by ID, each of whose rows of that side must be in s:
 * m's vectors of those rows change and p receives them (p->model is left
 * 0 for the caller).  REC_EINVAL with a message naming an ID that m lacks
 * or that s does not hold, or a family that cannot be trained so. */
int rec_train_part_solve(struct rec_train_part *p, struct rec_model *m,
			 const struct rec_dataset *data, int items, const struct rec_shard *s,
			 struct rec_error *err);
int rec_train_part_write(const struct rec_train_part *p, const char *path,
			 struct rec_error *err);
int rec_train_part_read(struct rec_train_part *p, const char *path, struct rec_error *err);
void rec_train_part_release(struct rec_train_part *p);
/* Put the rows of the n parts (read from paths) into m, loaded from the
 * file they were solved against: they must be one side's parts of every shard of one
 * count, each once, all of m.  REC_EINVAL naming the part at fault, with
 * m untouched, or 0. */
int rec_train_merge(struct rec_model *m, const struct rec_train_part *parts,
		    const char *const *paths, uint32_t n, struct rec_error *err);

/* --- evaluations in parts (eval.c) --- */

/* Keep only ev's test users in shard s; before the lists are read or
 * ranked. */
void rec_eval_shard(struct rec_eval *ev, const struct rec_shard *s);
/* Keep only the rows of in whose users are in shard s. */
void rec_eval_input_shard(struct rec_eval_input *in, const struct rec_shard *s);

/* What a part's sums are of: shard i of n of one evaluation, whose data
 * (the test set and catalogue) and model give the hashes. */
struct rec_eval_part {
	struct rec_shard shard;
	uint64_t data;		/* rec_eval_identity; 0 for predictions */
	uint64_t model;		/* the model's checksum; 0 without */
};

/* The hash of ev's test set and, with one, its catalogue. */
uint64_t rec_eval_identity(const struct rec_eval *ev);
/* Write the part p with the sums a to fp in the text format of
 * rec-formats(5); the caller checks fp for write errors. */
void rec_eval_part_write(const struct rec_eval_part *p, const struct rec_eval_acc *a,
			 FILE *fp);
/* Read a part written by rec_eval_part_write; a receives its sums. */
int rec_eval_part_read(struct rec_eval_part *p, struct rec_eval_acc *a, const char *path,
		       struct rec_error *err);
/* Merge the parts in the files path[0..n) into a: exactly the parts 1..N
 * of one evaluation, each once, in any order. */
int rec_eval_parts_merge(struct rec_eval_acc *a, char *const *path, size_t n,
			 struct rec_error *err);

/* Prequential evaluation (replay.c): the replay's sums over all ranked
 * events and, by window of time or by the events the user had before
 * (0, 1-9, 10-99, ...), per group in ascending order of key: the
 * window's start, or the lower bound. */
enum rec_replay_by { REC_REPLAY_ALL, REC_REPLAY_WINDOW, REC_REPLAY_BEFORE };

struct rec_replay_group {
	int64_t key;
	struct rec_eval_acc acc;
};

struct rec_replay_eval {
	struct rec_eval_acc all;
	struct rec_replay_group *group;
	size_t n;
	size_t cap;
	uint64_t unknown;	/* events not ranked: unknown items */
	uint64_t repeated;	/* and items the user had */
};

struct rec_replay_eval_options {
	int update;		/* as in rec_replay_options */
	const uint32_t *k;
	unsigned nk;
	enum rec_replay_by by;
	double window;		/* seconds, with REC_REPLAY_WINDOW */
};

int rec_replay_eval(struct rec_replay_eval *p, struct rec_model *m,
		    const struct rec_events *ev, const struct rec_replay_eval_options *opt,
		    struct rec_error *err);
void rec_replay_eval_release(struct rec_replay_eval *p);

/* --- hyperparameter search (search.c) --- */

/* A hyperparameter searched over and its values, as -p NAME=VALUE takes
 * them. */
struct rec_search_param {
	const char *name;
	const char *const *values;
	uint32_t nvalues;
};

/* How rec_search searches: the grid of every combination of the params'
 * values, the first param varying slowest; train.validation is the set
 * that scores them and train.seed the seed of every training. */
struct rec_search_options {
	const struct rec_search_param *param;
	unsigned nparams;
	uint64_t budget;	/* combinations to try, a sample drawn with the
				 * seed, in grid order; 0: all */
	struct rec_train_options train;
	int refit;		/* train the best combination again on data and
				 * the validation set, for the epochs it kept */
	/* Called after each combination, from the calling thread and in
	 * order: its values (one per param) and its validation metric. */
	void (*tried)(void *ctx, const char *const *values,
		      const struct rec_train_metric *metric);
	void *ctx;
};

/* The combinations of opt's grid, or 0 if there are more than 2^32. */
uint64_t rec_search_size(const struct rec_search_options *opt);
/* Check that base's family takes every value of opt's params: 0, or
 * REC_EINVAL naming the first bad one. */
int rec_search_check(const struct rec_model *base, const struct rec_search_options *opt,
		     struct rec_error *err);
/* Train a model of base's family, hyperparameters and time decay with
 * each combination on a copy of data and score it with the validation
 * metric of its family's training (NDCG@10 over the trained model for a
 * family that has none); *best gets the best model (the first of equals),
 * or with opt->refit that combination trained on data and the validation
 * set together, for as many epochs as its validation kept; the caller
 * frees it.  0, or a REC_E* code with err filled. */
int rec_search(const struct rec_model *base, const struct rec_dataset *data,
	       const struct rec_search_options *opt, struct rec_model **best,
	       struct rec_error *err);

/* --- threads (threads.c) --- */

/* The threads of OpenMP and OpenBLAS: n > 0 sets, 0 means all online
 * CPUs; returns the count set. */
int rec_threads(int n);

/* --- command-line helpers shared by the programs (cli.c) --- */

/* Standard output's final check: flush, ferror and close; 0 or REC_EIO. */
int rec_close_stdout(void);
const char *rec_version(void);

#endif
