/* test_features.c - item attributes read from a long CSV file, kept
 * through a dataset file, and the content family's scores worked by hand
 * on three items, three features and one user. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "unit.h"

static int64_t item(const struct rec_dataset *ds, const char *id)
{
	return rec_dict_find(ds->items, id, strlen(id));
}

/* u0 saw i0 and i2; i1 has no event.  Attributes: i0 a and b, i1 b, i2 c
 * (i0 b twice: the last row, of value 1, wins). */
static void make(struct rec_dataset *ds, const char *csv)
{
	struct rec_csv_options opt = { 0 };
	struct rec_features_options fo = { 0 };
	struct rec_features *f;
	struct rec_events ev;
	struct rec_error err;
	FILE *fp = fopen(csv, "w");
	uint32_t u, i;

	CHECK(fp != NULL);
	fputs("item,feature,value\ni0,a,1\ni0,b,3\ni1,b,1\ni2,c,1\ni0,b,1\n", fp);
	fclose(fp);
	CHECK(rec_events_init(&ev, NULL, NULL) == 0);
	rec_dict_intern(ev.users, "u0", 2, &u, NULL);
	rec_dict_intern(ev.items, "i0", 2, &i, NULL);
	CHECK(rec_events_push(&ev, u, i, 1, 1) == 0);
	rec_dict_intern(ev.items, "i2", 2, &i, NULL);
	CHECK(rec_events_push(&ev, u, i, 1, 2) == 0);
	CHECK(rec_dataset_from_events(ds, &ev, REC_DEDUP_LAST, &err) == 0);
	CHECK(rec_features_read(&f, csv, "item", ds->items, &fo, &opt, NULL, &err) == 0);
	CHECK(rec_dataset_set_features(ds, 0, f, &err) == 0);
	CHECK_INT(ds->nitems, 3);
	CHECK_INT(f->nrows, 3);
	CHECK_INT(f->nnz, 4);
	CHECK_INT(rec_dict_size(f->names), 3);
}

static void check_same_features(const struct rec_features *a, const struct rec_features *b)
{
	CHECK(a && b);
	if (!a || !b)
		return;
	CHECK_INT(a->nrows, b->nrows);
	CHECK_INT(a->nnz, b->nnz);
	CHECK(memcmp(a->ptr, b->ptr, (a->nrows + 1) * sizeof(*a->ptr)) == 0);
	CHECK(memcmp(a->col, b->col, a->nnz * sizeof(*a->col)) == 0);
	CHECK(memcmp(a->val, b->val, a->nnz * sizeof(*a->val)) == 0);
	for (uint32_t k = 0; k < rec_dict_size(a->names); k++)
		CHECK_STR(rec_dict_name(a->names, k, NULL), rec_dict_name(b->names, k, NULL));
}

/* Written and read back, the attributes are the same. */
static void check_round_trip(const struct rec_dataset *ds, const char *path)
{
	struct rec_dataset back;
	struct rec_error err;

	CHECK(rec_dataset_write(ds, path, &err) == 0);
	CHECK(rec_dataset_read(&back, path, &err) == 0);
	check_same_features(ds->item_features, back.item_features);
	CHECK(back.user_features == NULL);
	rec_dataset_release(&back);
}

/* idf: a and c ln(4/2) + 1, b ln(4/3) + 1.  Unit vectors: i0 (A, B, 0)
 * / sqrt(A^2 + B^2), i1 (0, 1, 0), i2 (0, 0, 1).  u0's profile is i0 + i2,
 * of length sqrt(2), as the two are orthogonal: i0 and i2 score 1/sqrt(2),
 * i1 B / sqrt(A^2 + B^2) / sqrt(2). */
static void check_scores(struct rec_dataset *ds, const char *path)
{
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find("content")), *back = NULL;
	double A = log(2.0) + 1, B = log(4.0 / 3) + 1;
	struct rec_error err;
	float s[3], t[3];

	CHECK(rec_model_train(m, ds, &opt, &err) == 0);
	rec_model_score(m, 0, s);
	CHECK(fabs(s[item(&m->data, "i0")] - 1 / sqrt(2)) < 1e-6);
	CHECK(fabs(s[item(&m->data, "i2")] - 1 / sqrt(2)) < 1e-6);
	CHECK(fabs(s[item(&m->data, "i1")] - B / sqrt(A * A + B * B) / sqrt(2)) < 1e-6);
	CHECK(fabs(s[item(&m->data, "i1")] - 0.428046) < 1e-6);
	CHECK(rec_model_save(m, path, &err) == 0);
	CHECK(rec_model_load(&back, path, &err) == 0);
	if (back) {
		check_same_features(m->data.item_features, back->data.item_features);
		rec_model_score(back, 0, t);
		CHECK(memcmp(s, t, sizeof(s)) == 0);
	}
	rec_model_free(back);
	rec_model_free(m);
}

int main(void)
{
	char csv[] = "/tmp/rec-unit-featuresXXXXXX", bin[] = "/tmp/rec-unit-featuresXXXXXX";
	int a = mkstemp(csv), b = mkstemp(bin);
	struct rec_dataset ds;

	CHECK(a >= 0 && b >= 0);
	close(a);
	close(b);
	make(&ds, csv);
	check_round_trip(&ds, bin);
	check_scores(&ds, bin);
	rec_dataset_release(&ds);
	unlink(csv);
	unlink(bin);
	return UNIT_STATUS();
}
