/* model.c - what every model family shares: the registry, hyperparameters,
 * popularity and time decay, and the model file (.recm).
 *
 * A model file holds, in order: ALGO (the family and its hyperparameters
 * as "name=value" lines), the training data as the dataset's seven
 * sections, POPU (item popularity), then the family's learned arrays, one
 * section each, as listed by its params function. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

const struct rec_algo *const rec_algos[] = {
	&rec_algo_pop, &rec_algo_itemknn, &rec_algo_mf, &rec_algo_ease, &rec_algo_bpr,
	&rec_algo_sasrec, &rec_algo_neumf, &rec_algo_ials, &rec_algo_content, &rec_algo_hybrid,
	NULL
};

static const char popu_tag[4] = { 'P', 'O', 'P', 'U' };
static const char algo_tag[4] = { 'A', 'L', 'G', 'O' };

const struct rec_algo *rec_algo_find(const char *name)
{
	for (int i = 0; rec_algos[i]; i++)
		if (strcmp(rec_algos[i]->name, name) == 0)
			return rec_algos[i];
	return NULL;
}

struct rec_model *rec_model_new(const struct rec_algo *algo)
{
	struct rec_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->algo = algo;
	for (unsigned i = 0; i < algo->nhparams; i++)
		m->hp[i] = algo->hparams[i].def;
	return m;
}

void rec_model_free(struct rec_model *m)
{
	if (!m)
		return;
	if (m->algo->release)
		m->algo->release(m);
	rec_dataset_release(&m->data);
	free(m->popularity);
	free(m);
}

static int find_hparam(const struct rec_algo *algo, const char *name)
{
	for (unsigned i = 0; i < algo->nhparams; i++)
		if (strcmp(algo->hparams[i].name, name) == 0)
			return (int)i;
	return -1;
}

double rec_model_get(const struct rec_model *m, const char *name)
{
	int i = find_hparam(m->algo, name);

	return i < 0 ? NAN : m->hp[i];
}

static int parse_choice(const struct rec_hparam *h, const char *value, double *out)
{
	for (int c = 0; h->choices[c]; c++)
		if (strcmp(h->choices[c], value) == 0) {
			*out = c;
			return 0;
		}
	return -1;
}

int rec_model_set(struct rec_model *m, const char *name, const char *value,
		  struct rec_error *err)
{
	int i = find_hparam(m->algo, name);
	const struct rec_hparam *h;
	char q[REC_QUOTED];
	double v;

	if (i < 0)
		return rec_error_set(err, REC_EINVAL, "%s has no parameter %s",
				     m->algo->name, rec_quoted(name, q));
	h = &m->algo->hparams[i];
	if (h->choices) {
		if (parse_choice(h, value, &v) < 0)
			return rec_error_set(err, REC_EINVAL, "bad %s %s", name, rec_quoted(value, q));
	} else if (rec_parse_double(value, h->min, h->max, &v, name, err) < 0) {
		return REC_EINVAL;
	} else if (h->integer && v != floor(v)) {
		return rec_error_set(err, REC_EINVAL, "%s %s is not a whole number",
				     name, rec_quoted(value, q));
	}
	m->hp[i] = v;
	return 0;
}

/* Is v a value of h that rec_model_set accepts? */
static int hparam_ok(const struct rec_hparam *h, double v)
{
	return v >= h->min && v <= h->max && (!h->integer || v == floor(v));
}

int rec_model_check_hparams(const struct rec_model *m, struct rec_error *err)
{
	for (unsigned i = 0; i < m->algo->nhparams; i++)
		if (!hparam_ok(&m->algo->hparams[i], m->hp[i]))
			return rec_error_set(err, REC_EINVAL, "bad %s '%g'",
					     m->algo->hparams[i].name, m->hp[i]);
	return m->algo->check_hparams ? m->algo->check_hparams(m, err) : 0;
}

double rec_model_decay(const struct rec_model *m, int64_t t)
{
	if (m->half_life <= 0)
		return 1;
	return exp2(-(double)(m->now - t) / m->half_life);
}

float rec_event_weight(const struct rec_model *m, float value, int64_t time,
		       int use_value)
{
	return (use_value ? value : 1.0f) * (float)rec_model_decay(m, time);
}

/* Also settles the time decay's reference point, the newest event, unless
 * it was given. */
static int compute_popularity(struct rec_model *m)
{
	const struct rec_dataset *d = &m->data;

	if (m->half_life > 0 && !m->now)
		for (uint64_t e = 0; e < d->nnz; e++)
			if (d->time[e] > m->now)
				m->now = d->time[e];

	free(m->popularity);
	if (!(m->popularity = calloc(d->nitems ? d->nitems : 1, sizeof(float))))
		return REC_ENOMEM;
	for (uint64_t e = 0; e < d->nnz; e++)
		m->popularity[d->col[e]] += (float)rec_model_decay(m, d->time[e]);
	return 0;
}

int rec_model_train(struct rec_model *m, struct rec_dataset *data,
		    const struct rec_train_options *opt, struct rec_error *err)
{
	int rc;

	rec_dataset_release(&m->data);
	m->data = *data;
	memset(data, 0, sizeof(*data));
	if ((rc = rec_model_check_hparams(m, err)) < 0)
		return rc;
	if (compute_popularity(m) < 0 || m->algo->init(m) < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	rc = m->algo->train ? m->algo->train(m, opt, err) : 0;
	return rc;
}

/* Does the model know user from training events?  The others, unknown or
 * without events (all in the test set of a split), get the popularity. */
static int has_history(const struct rec_model *m, int64_t user)
{
	return user >= 0 && user < m->data.nusers &&
	       m->data.rowptr[user + 1] > m->data.rowptr[user];
}

void rec_model_score(const struct rec_model *m, int64_t user, float *scores)
{
	if (!has_history(m, user)) {
		if (user < 0 || user >= m->data.nusers || !m->algo->score_cold ||
		    !m->algo->score_cold(m, (uint32_t)user, scores))
			memcpy(scores, m->popularity, m->data.nitems * sizeof(*scores));
		return;
	}
	m->algo->score(m, (uint32_t)user, scores);
}

void rec_model_score_block(const struct rec_model *m, const int64_t *users,
			   uint32_t n, float *scores)
{
	size_t ni = m->data.nitems;
	uint32_t *known = NULL, nk = 0;
	int blas;

	if (m->algo->score_block && (known = malloc((n ? n : 1) * sizeof(*known)))) {
		for (uint32_t j = 0; j < n; j++)
			if (has_history(m, users[j]))
				known[nk++] = (uint32_t)users[j];
	}
	if (nk == n && n > 0) {
		m->algo->score_block(m, known, n, scores);
		free(known);
		return;
	}
	free(known);
	blas = rec_blas_serial();
	#pragma omp parallel for schedule(dynamic, 4)
	for (uint32_t j = 0; j < n; j++)
		rec_model_score(m, users[j], scores + j * ni);
	rec_blas_restore(blas);
}

int rec_model_update(struct rec_model *m, struct rec_events *ev,
		     const struct rec_train_options *opt, struct rec_error *err)
{
	uint32_t old_users = m->data.nusers, old_items = m->data.nitems;
	uint8_t *touched;
	struct rec_dataset merged;
	int rc;

	if (ev->n == 0) {
		rec_events_release(ev);
		return 0;
	}
	if (!(touched = calloc(rec_dict_size(ev->users) + 1, 1))) {
		rec_events_release(ev);
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	}
	for (size_t e = 0; e < ev->n; e++)
		touched[ev->user[e]] = 1;
	/* The training data first, so that deduplication keeps the new event
	 * of a pair that both hold. */
	if ((rc = rec_dataset_append(&m->data, ev, REC_DEDUP_LAST, err)) < 0) {
		free(touched);
		return rc;
	}
	if (!m->algo->update) {
		free(touched);
		if (opt->passes == 0 && m->data.nitems == old_items)
			return compute_popularity(m) < 0 ?
				rec_error_set(err, REC_ENOMEM, "out of memory") : 0;
		if (m->algo->release)
			m->algo->release(m);
		merged = m->data;
		memset(&m->data, 0, sizeof(m->data));
		return rec_model_train(m, &merged, opt, err);
	}
	if (compute_popularity(m) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	else
		rc = m->algo->update(m, old_users, old_items, touched, opt, err);
	free(touched);
	return rc;
}

/* Families that keep per-user state and can re-solve part of the model
 * forget by a partial update; the others are trained anew. */
int rec_model_forget(struct rec_model *m, const struct rec_dict *ids,
		     const struct rec_pseudo *p, const struct rec_train_options *opt,
		     uint32_t *gone, struct rec_error *err)
{
	uint8_t *keep, *touched = NULL;
	struct rec_dataset rest;
	int rc = rec_forget_mask(&m->data, ids, p, &keep, gone, err);

	if (rc < 0 || !*gone)
		goto out;
	if (!m->algo->update || !(m->algo->user_rows || m->algo->set_user_state)) {
		if ((rc = rec_forget_apply(&m->data, keep, err)) < 0)
			goto out;
		if (m->algo->release)
			m->algo->release(m);
		rest = m->data;
		memset(&m->data, 0, sizeof(m->data));
		rc = rec_model_train(m, &rest, opt, err);
	} else if ((rc = rec_forget_partial(m, keep, &touched, err)) == 0) {
		rc = compute_popularity(m) < 0 ? rec_error_set(err, REC_ENOMEM, "out of memory") :
		     m->algo->update(m, m->data.nusers, m->data.nitems, touched, opt, err);
	}
out:
	free(keep);
	free(touched);
	return rc;
}

int rec_model_add_features(struct rec_model *m, int users, struct rec_features *f,
			   uint64_t *dropped, struct rec_error *err)
{
	struct rec_dataset *d = &m->data;
	const struct rec_features *old = users ? d->user_features : d->item_features;
	struct rec_train_options opt = { .passes = 0 };
	uint32_t old_users = d->nusers, old_items = d->nitems;
	struct rec_features *grown = NULL;
	float *pop;
	int rc;

	if (!old || !m->algo->update)
		rc = rec_error_set(err, REC_EINVAL, "a %s model %s", m->algo->name,
				   old ? "cannot grow without training" :
				   users ? "without user attributes" : "without item attributes");
	else if (rec_features_extend(&grown, old, f, users ? old_users : old_items, dropped) < 0)
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
	else
		rc = rec_dataset_set_features(d, users, grown, err);
	rec_features_free(f);
	if (rc < 0)
		return rc;
	if (!(pop = realloc(m->popularity, (d->nitems ? d->nitems : 1) * sizeof(*pop))))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	m->popularity = pop;
	memset(pop + old_items, 0, (d->nitems - old_items) * sizeof(*pop));
	return m->algo->update(m, old_users, old_items, NULL, &opt, err);
}

float rec_model_predict(const struct rec_model *m, int64_t user, int64_t item)
{
	float v;

	if (item >= m->data.nitems)
		item = -1;
	if (user >= m->data.nusers)
		user = -1;
	v = m->algo->predict(m, user, item);
	return isfinite(v) ? v : 0;
}

/* --- the model file --- */

/* The ALGO section: "algo=NAME" then every setting, one per line. */
static char *algo_text(const struct rec_model *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	if (!fp)
		return NULL;
	fprintf(fp, "algo=%s\nhalf_life=%.17g\nnow=%lld\n", m->algo->name,
		m->half_life, (long long)m->now);
	for (unsigned i = 0; i < m->algo->nhparams; i++) {
		const struct rec_hparam *h = &m->algo->hparams[i];

		if (h->choices)
			fprintf(fp, "%s=%s\n", h->name, h->choices[(int)m->hp[i]]);
		else
			fprintf(fp, "%s=%.17g\n", h->name, m->hp[i]);
	}
	if (fclose(fp) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static uint64_t param_bytes(const struct rec_param *p)
{
	return p->n * 4;
}

static int write_param(struct rec_writer *w, const struct rec_param *p)
{
	return p->f32 ? rec_writer_f32(w, p->f32, p->n) : rec_writer_u32(w, p->u32, p->n);
}

int rec_model_save(struct rec_model *m, const char *path, struct rec_error *err)
{
	struct rec_section sec[2 + REC_DATASET_SECTIONS + REC_MAX_PARAMS];
	struct rec_param p[REC_MAX_PARAMS];
	unsigned np = m->algo->params ? m->algo->params(m, p) : 0, ns = 0;
	char *text = algo_text(m);
	struct rec_writer *w = NULL;
	int rc;

	if (!text)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	sec[ns++] = (struct rec_section){ { 'A', 'L', 'G', 'O' }, REC_SECTION_REQUIRED, 0, strlen(text) };
	ns += rec_dataset_sections(&m->data, sec + ns);
	sec[ns++] = (struct rec_section){ { 'P', 'O', 'P', 'U' }, REC_SECTION_REQUIRED, 0,
					  (uint64_t)m->data.nitems * 4 };
	for (unsigned i = 0; i < np; i++) {
		memcpy(sec[ns].tag, p[i].tag, 4);
		sec[ns].flags = REC_SECTION_REQUIRED;
		sec[ns++].length = param_bytes(&p[i]);
	}
	rc = rec_writer_open(&w, path, REC_MODEL_MAGIC, REC_MODEL_MAJOR, REC_MODEL_MINOR,
			     sec, ns, err);
	if (rc < 0)
		goto out;
	rc = rec_writer_bytes(w, text, strlen(text));
	if (rc == 0)
		rc = rec_dataset_write_sections(w, &m->data);
	if (rc == 0)
		rc = rec_writer_f32(w, m->popularity, m->data.nitems);
	for (unsigned i = 0; i < np && rc == 0; i++)
		rc = write_param(w, &p[i]);
	if (rc < 0) {
		rec_writer_abort(w);
		rec_error_set(err, REC_EIO, "write failed");
		rec_error_at(err, path, 0, 0);
		goto out;
	}
	rc = rec_writer_commit(w, err);
out:
	free(text);
	return rc;
}

/* Put "section 'TAG': " before err's message; returns REC_EFORMAT. */
static int in_section(struct rec_error *err, const char *tag)
{
	char text[sizeof(err->msg)];

	memcpy(text, err->msg, sizeof(text));
	return rec_error_set(err, REC_EFORMAT, "section '%.4s': %s", tag, text);
}

/* A new model of the family named in a file: a parameter that the file
 * may predate takes the value that its absence implies. */
static int model_from_file(struct rec_model **m, const struct rec_algo *algo,
			   struct rec_error *err)
{
	if (!(*m = rec_model_new(algo)))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	for (unsigned i = 0; i < algo->nhparams; i++)
		if (algo->hparams[i].unsaved &&
		    rec_model_set(*m, algo->hparams[i].name, algo->hparams[i].unsaved, err) < 0)
			return REC_EFORMAT;
	return 0;
}

/* Apply one "name=value" line of the ALGO section. */
static int apply_setting(struct rec_model **m, char *line, struct rec_error *err)
{
	char *eq = strchr(line, '=');
	const char *value;
	char q[REC_QUOTED];

	if (!eq)
		return rec_error_set(err, REC_EFORMAT, "bad setting %s", rec_quoted(line, q));
	*eq = '\0';
	value = eq + 1;
	if (strcmp(line, "algo") == 0) {
		const struct rec_algo *algo = rec_algo_find(value);

		if (*m)
			return rec_error_set(err, REC_EFORMAT, "two algorithms named");
		if (!algo)
			return rec_error_set(err, REC_EFORMAT, "unknown algorithm %s",
					     rec_quoted(value, q));
		return model_from_file(m, algo, err);
	}
	if (!*m)
		return rec_error_set(err, REC_EFORMAT, "settings before the algorithm");
	if (strcmp(line, "half_life") == 0)
		return rec_parse_double(value, 0, 1e300, &(*m)->half_life, line, err) < 0 ?
			REC_EFORMAT : 0;
	if (strcmp(line, "now") == 0)
		return rec_parse_time(value, &(*m)->now, line, err) < 0 ? REC_EFORMAT : 0;
	return rec_model_set(*m, line, value, err) < 0 ? REC_EFORMAT : 0;
}

static int read_algo(struct rec_reader *r, const struct rec_section *s,
		     struct rec_model **m, struct rec_error *err)
{
	char *text = s->length < (1 << 20) ? malloc(s->length + 1) : NULL;
	char *line, *save = NULL;
	int rc;

	if (!text)
		return rec_error_set(err, REC_EFORMAT, "bad ALGO section");
	if ((rc = rec_reader_bytes(r, text, s->length)) < 0) {
		free(text);
		return rec_reader_error(r, err);
	}
	text[s->length] = '\0';
	for (line = strtok_r(text, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save))
		rc = apply_setting(m, line, err);
	if (rc == 0 && !*m)
		rc = rec_error_set(err, REC_EFORMAT, "no algorithm named");
	free(text);
	return rc < 0 && rc != REC_ENOMEM ? in_section(err, algo_tag) : rc;
}

/* The family's arrays may take twice the bytes left in the file, and a
 * little more for what an array holds beside its section. */
#define ARRAY_SLACK ((size_t)1 << 20)

/* Allocate the family's arrays once the dimensions are known and the
 * training data and hyperparameters are checked, left bytes before the
 * end of the file: no more than those bytes can fill. */
static int start_params(struct rec_model *m, struct rec_param *p, unsigned *np,
			unsigned seen, uint64_t left, struct rec_error *err)
{
	int rc;

	if ((rc = rec_dataset_check(&m->data, seen, err)) < 0)
		return rc;
	if (rec_model_check_hparams(m, err) < 0)
		return in_section(err, algo_tag);
	if (!(m->popularity = calloc(m->data.nitems ? m->data.nitems : 1, sizeof(float))))
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	rec_alloc_limit(left < (SIZE_MAX - ARRAY_SLACK) / 2 ? 2 * left + ARRAY_SLACK : SIZE_MAX);
	rc = m->algo->init(m);
	if (rec_alloc_unlimit()) {
		rec_error_set(err, REC_EFORMAT, "the arrays these settings make outgrow the "
			      "file: at most %llu bytes are left", (unsigned long long)left);
		return in_section(err, algo_tag);
	}
	if (rc < 0)
		return rec_error_set(err, REC_ENOMEM, "out of memory");
	*np = m->algo->params ? m->algo->params(m, p) : 0;
	return 0;
}

/* Floats of a section: a NaN or infinity in a learned array would score
 * every item NaN and silently empty every list. */
static int check_finite(const char tag[4], const float *v, uint64_t n,
			struct rec_error *err)
{
	float zero = 0;

	/* x * 0 is 0 but for a NaN or infinity: a sum that vectorizes finds
	 * whether there is one, a second pass where. */
	#pragma omp simd reduction(+:zero)
	for (uint64_t j = 0; j < n; j++)
		zero += v[j] * 0;
	if (zero == 0)
		return 0;
	for (uint64_t j = 0; j < n; j++)
		if (!isfinite(v[j]))
			return rec_error_set(err, REC_EFORMAT, "section '%.4s': value '%g' "
					     "at index %llu is not finite", tag, v[j],
					     (unsigned long long)j);
	return 0;
}

static int read_param(struct rec_reader *r, const struct rec_section *s,
		      struct rec_param *p, unsigned np, struct rec_error *err)
{
	for (unsigned i = 0; i < np; i++) {
		if (memcmp(p[i].tag, s->tag, 4) != 0)
			continue;
		if (s->length != param_bytes(&p[i]))
			return rec_error_set(err, REC_EFORMAT,
					     "section '%.4s' has the wrong length", s->tag);
		if ((p[i].f32 ? rec_reader_f32(r, p[i].f32, p[i].n) :
		     rec_reader_u32(r, p[i].u32, p[i].n)) < 0)
			return rec_reader_error(r, err);
		if (p[i].f32 && check_finite(s->tag, p[i].f32, p[i].n, err) < 0)
			return REC_EFORMAT;
		p[i].n = 0;	/* mark as read */
		return 1;
	}
	return 0;
}

static int read_popularity(struct rec_reader *r, const struct rec_section *s,
			   struct rec_model *m, struct rec_error *err)
{
	if (s->length != (uint64_t)m->data.nitems * 4)
		return rec_error_set(err, REC_EFORMAT, "section 'POPU' has the wrong length");
	if (rec_reader_f32(r, m->popularity, m->data.nitems) < 0)
		return rec_reader_error(r, err);
	return check_finite(s->tag, m->popularity, m->data.nitems, err);
}

/* The most bytes a file of size bytes holds once decompressed: deflate
 * packs at most 1032 in one. */
static uint64_t can_hold(const char *path)
{
	struct stat st;
	int found = strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) == 0 : stat(path, &st) == 0;

	if (!found || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > UINT64_MAX / 1032 - 1)
		return UINT64_MAX;
	return (uint64_t)st.st_size * 1032 + 1032;
}

/* The bytes after section s: what the header claims, and no more than
 * the file can hold. */
static uint64_t bytes_left(const struct rec_reader *r, const struct rec_section *s,
			   uint64_t hold)
{
	uint64_t end = rec_reader_length(r) < hold ? rec_reader_length(r) : hold;

	return end > s->offset ? end - s->offset : 0;
}

/* The sections of r into *m, leaving out those of the dataset that the
 * flags of unread say (REC_DATASET_UNREAD: only for a family that ranks
 * without the values). */
static int load_sections(struct rec_reader *r, struct rec_model **m, unsigned unread,
			 uint64_t hold, struct rec_error *err)
{
	struct rec_param p[REC_MAX_PARAMS];
	const struct rec_section *s;
	unsigned seen = 0, np = 0;
	int rc, started = 0;

	while ((rc = rec_reader_next(r, &s)) > 0) {
		if (memcmp(s->tag, algo_tag, 4) == 0 && !*m) {
			if ((rc = read_algo(r, s, m, err)) < 0)
				return rc;
			if ((unread & REC_DATASET_NO_ENTRIES) && rec_model_shardable(*m, err) < 0)
				return REC_EINVAL;
			if (!(*m)->algo->ranks_without_values)
				unread &= ~REC_DATASET_UNREAD;
			seen |= unread;
			continue;
		}
		if (!*m)
			return rec_error_set(err, REC_EFORMAT, "the ALGO section is not first");
		if ((rc = rec_dataset_read_section(r, s, &(*m)->data, &seen)) != 0) {
			if (rc < 0)
				return rec_reader_error(r, err);
			continue;
		}
		if (!started && (rc = start_params(*m, p, &np, seen, bytes_left(r, s, hold),
						   err)) < 0)
			return rc;
		started = 1;
		if (memcmp(s->tag, popu_tag, 4) == 0)
			rc = read_popularity(r, s, *m, err);
		else if ((rc = read_param(r, s, p, np, err)) == 0)
			rc = rec_reader_skip(r) < 0 ? rec_reader_error(r, err) : 0;
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rec_reader_error(r, err);
	for (unsigned i = 0; i < np; i++)
		if (p[i].n)
			return rec_error_set(err, REC_EFORMAT, "section '%.4s' is missing", p[i].tag);
	return started ? 0 : rec_error_set(err, REC_EFORMAT, "the model has no parameters");
}

static int load(struct rec_model **out, const char *path, unsigned unread,
		struct rec_error *err)
{
	struct rec_reader *r;
	struct rec_model *m = NULL;
	int rc;

	*out = NULL;
	if ((rc = rec_reader_open(&r, path, REC_MODEL_MAGIC, REC_MODEL_MAJOR, NULL, err)) < 0)
		return rc;
	rc = load_sections(r, &m, unread, can_hold(path), err);
	if (rc < 0) {
		if (rec_reader_error(r, NULL) < 0)
			rec_reader_error(r, err);
		rec_reader_abort(r);
	} else if ((rc = rec_reader_close_sum(r, &m->checksum, err)) == 0 && m->algo->check) {
		rc = m->algo->check(m, err);
	}
	if (rc < 0) {
		rec_error_at(err, path, 0, 0);
		rec_model_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int rec_model_load(struct rec_model **out, const char *path, struct rec_error *err)
{
	return load(out, path, 0, err);
}

int rec_model_load_ranking(struct rec_model **out, const char *path, struct rec_error *err)
{
	return load(out, path, REC_DATASET_UNREAD, err);
}

int rec_model_load_shardable(struct rec_model **out, const char *path, struct rec_error *err)
{
	return load(out, path, REC_DATASET_NO_ENTRIES, err);
}
