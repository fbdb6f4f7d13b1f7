/* test_eval.c - the evaluation engine: the metrics of lists, predictions
 * and replayed ranks against numbers worked by hand on tiny fixtures, and
 * sums of users evaluated in parts that merge into exactly the rows of
 * all the users evaluated at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "data.h"
#include "unit.h"

#define L3 log2(3.0)

/* A dataset of the (user, item) pairs "u:i" in pairs[0..n). */
static void make_pairs(struct rec_dataset *ds, const char *const *pairs, size_t n)
{
	struct rec_events ev;
	struct rec_error err;

	CHECK(rec_events_init(&ev, NULL, NULL) == 0);
	for (size_t j = 0; j < n; j++) {
		const char *colon = strchr(pairs[j], ':');
		uint32_t u, i;

		rec_dict_intern(ev.users, pairs[j], (size_t)(colon - pairs[j]), &u, NULL);
		rec_dict_intern(ev.items, colon + 1, strlen(colon + 1), &i, NULL);
		rec_events_push(&ev, u, i, 1, (int64_t)j);
	}
	CHECK(rec_dataset_from_events(ds, &ev, REC_DEDUP_LAST, &err) == 0);
}

/* Read text as a recommendations or predictions CSV. */
static void read_text(struct rec_eval_input *in, const char *text)
{
	char path[] = "/tmp/rec-unit-evalXXXXXX";
	int fd = mkstemp(path);
	struct rec_error err;

	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	CHECK(rec_eval_input_read(in, path, &err) == 0);
	unlink(path);
}

/* The value of metric m at k among rows (of all users), or NAN. */
static double row_value(const struct rec_eval_rows *r, enum rec_metric m, uint32_t k)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->row[i].metric == (uint32_t)m && r->row[i].k == k &&
		    r->row[i].user == REC_EVAL_ALL)
			return r->row[i].value;
	return NAN;
}

#define CHECK_NEAR(a, b) CHECK(fabs((a) - (b)) < 1e-12)

static void check_same_rows(const struct rec_eval_rows *a, const struct rec_eval_rows *b)
{
	CHECK_INT(a->n, b->n);
	for (size_t i = 0; i < a->n && i < b->n; i++) {
		CHECK_INT(a->row[i].metric, b->row[i].metric);
		CHECK_INT(a->row[i].k, b->row[i].k);
		CHECK_INT(a->row[i].user, b->row[i].user);
		CHECK(a->row[i].value == b->row[i].value);
	}
}

/* The test set: u1 holds a and c, u2 b, u3 d.  Training: a has three
 * users, b and c one each (not the same), d none. */
static const char *const test_pairs[] = { "u1:a", "u1:c", "u2:b", "u3:d" };
static const char *const train_pairs[] = { "t1:a", "t1:b", "t2:a", "t2:c", "t3:a" };
static const char recs[] =
	"user,item,rank,score\n"
	"u1,c,3,0.5\nu1,a,1,0.9\nu1,b,2,0.8\nu1,d,4,0.1\n"
	"u2,c,1,0.9\nu2,b,2,0.8\n"
	"x9,a,1,1\n";
static const uint32_t cutoffs[] = { 2, 4 };

/* The hand fixture: its data, the recommendations read and their lists. */
struct fixture {
	struct rec_dataset test;
	struct rec_dataset train;
	struct rec_eval_input in;
	struct rec_eval ev;
};

static void fixture_start(struct fixture *f)
{
	struct rec_error err;
	size_t ignored = 0;

	make_pairs(&f->test, test_pairs, 4);
	make_pairs(&f->train, train_pairs, 5);
	read_text(&f->in, recs);
	CHECK(!f->in.predictions);
	CHECK(rec_eval_init(&f->ev, &f->test, f->in.items, 4, &err) == 0);
	CHECK(rec_eval_lists_read(&f->ev, &f->in, &ignored, &err) == 0);
	CHECK_INT(ignored, 1);
	CHECK_INT(f->ev.n, 3);
	CHECK(rec_eval_catalogue(&f->ev, &f->train, &err) == 0);
}

static void fixture_release(struct fixture *f)
{
	rec_eval_release(&f->ev);
	rec_eval_input_release(&f->in);
	rec_dataset_release(&f->test);
	rec_dataset_release(&f->train);
}

static void ranking_by_hand(const struct rec_eval_rows *r)
{
	double idcg2 = 1 + 1 / L3;

	/* k 2: u1 lists a, b (hit at 1 of 2); u2 c, b (hit at 2 of 1); u3 none */
	CHECK_NEAR(row_value(r, REC_M_PRECISION, 2), (0.5 + 0.5) / 3);
	CHECK_NEAR(row_value(r, REC_M_RECALL, 2), (0.5 + 1) / 3);
	CHECK_NEAR(row_value(r, REC_M_F1, 2), (0.5 + 2.0 / 3) / 3);
	CHECK_NEAR(row_value(r, REC_M_HR, 2), 2.0 / 3);
	CHECK_NEAR(row_value(r, REC_M_NDCG, 2), (1 / idcg2 + 1 / L3) / 3);
	CHECK_NEAR(row_value(r, REC_M_MAP, 2), (0.5 + 0.5) / 3);
	CHECK_NEAR(row_value(r, REC_M_MRR, 2), (1 + 0.5) / 3);
	/* k 4: u1 a, b, c, d (hits at 1 and 3 of 2); u2 as before */
	CHECK_NEAR(row_value(r, REC_M_PRECISION, 4), (0.5 + 0.25) / 3);
	CHECK_NEAR(row_value(r, REC_M_F1, 4), (2.0 / 3 + 0.4) / 3);
	CHECK_NEAR(row_value(r, REC_M_NDCG, 4), (1.5 / idcg2 + 1 / L3) / 3);
	CHECK_NEAR(row_value(r, REC_M_MAP, 4), ((1 + 2.0 / 3) / 2 + 0.5) / 3);
	CHECK(isnan(row_value(r, REC_M_AUC, 0)));
}

/* Catalogue a, b, c with 3, 1 and 1 training users of 3; d is outside. */
static void beyond_by_hand(const struct rec_eval_rows *r)
{
	/* k 2: recommended a 1, b 2, c 1 times */
	CHECK_NEAR(row_value(r, REC_M_COVERAGE, 2), 1);
	CHECK_NEAR(row_value(r, REC_M_GINI, 2), 2.0 / (3 * 4));
	CHECK_NEAR(row_value(r, REC_M_NOVELTY, 2), 3 * L3 / 4);
	CHECK_NEAR(row_value(r, REC_M_POPULARITY, 2), (3 + 1 + 1 + 1) / 4.0);
	CHECK_NEAR(row_value(r, REC_M_DIVERSITY, 2), (1 - 1 / sqrt(3) + 1) / 2);
	/* k 4: a 1, b 2, c 2; d has p = 1/(3 + 1) */
	CHECK_NEAR(row_value(r, REC_M_GINI, 4), 2.0 / (3 * 5));
	CHECK_NEAR(row_value(r, REC_M_NOVELTY, 4), (4 * L3 + 2) / 6);
	CHECK_NEAR(row_value(r, REC_M_POPULARITY, 4), 7.0 / 6);
	CHECK_NEAR(row_value(r, REC_M_DIVERSITY, 4), (1 - 1 / (3 * sqrt(3)) + 1) / 2);
}

/* Sums of users [first, first + n) of ev merged into into. */
static void add_part(struct rec_eval_acc *into, const struct rec_eval *ev, uint32_t first,
		     uint32_t n, const uint32_t *k, unsigned nk)
{
	struct rec_eval_acc part;
	struct rec_error err;

	CHECK(rec_eval_acc_start(&part, ev, k, nk, &err) == 0);
	CHECK(rec_eval_add(&part, ev, first, n, NULL, &err) == 0);
	CHECK(rec_eval_merge(into, &part, &err) == 0);
	rec_eval_acc_release(&part);
}

/* The rows of ev's users at once, and of its users in two parts merged. */
static void check_merge(const struct rec_eval *ev, uint32_t half, const uint32_t *k,
			unsigned nk)
{
	struct rec_eval_rows once = { 0 }, merged = { 0 };
	struct rec_eval_acc all, sum;
	struct rec_error err;

	CHECK(rec_eval_acc_start(&all, ev, k, nk, &err) == 0);
	CHECK(rec_eval_add(&all, ev, 0, ev->n, NULL, &err) == 0);
	CHECK(rec_eval_rows(&all, &once, &err) == 0);
	CHECK(rec_eval_acc_start(&sum, ev, k, nk, &err) == 0);
	add_part(&sum, ev, 0, half, k, nk);
	add_part(&sum, ev, half, ev->n - half, k, nk);
	CHECK(rec_eval_rows(&sum, &merged, &err) == 0);
	check_same_rows(&once, &merged);
	rec_eval_acc_release(&all);
	rec_eval_acc_release(&sum);
	rec_eval_rows_release(&once);
	rec_eval_rows_release(&merged);
}

/* With rows, each user's ranking metrics: u1, u2, u3 in test order. */
static void check_per_user(const struct fixture *f)
{
	struct rec_eval_rows rows = { 0 };
	struct rec_eval_acc acc;
	struct rec_error err;

	CHECK(rec_eval_acc_start(&acc, &f->ev, cutoffs, 2, &err) == 0);
	CHECK(rec_eval_add(&acc, &f->ev, 0, f->ev.n, &rows, &err) == 0);
	CHECK_INT(rows.n, 3 * 2 * 7);
	CHECK_STR(rec_dict_name(f->test.users, rows.row[14].user, NULL), "u2");
	CHECK_INT(rows.row[14].metric, REC_M_PRECISION);
	CHECK_INT(rows.row[14 + 6].metric, REC_M_MRR);
	CHECK(rows.row[14 + 6].value == 0.5);
	CHECK(rows.row[28 + 3].value == 0);
	rec_eval_acc_release(&acc);
	rec_eval_rows_release(&rows);
}

static void test_lists(void)
{
	struct rec_eval_rows rows = { 0 };
	struct rec_eval_acc acc;
	struct rec_error err;
	struct fixture f;

	fixture_start(&f);
	CHECK(rec_eval_acc_start(&acc, &f.ev, cutoffs, 2, &err) == 0);
	CHECK(rec_eval_add(&acc, &f.ev, 0, f.ev.n, NULL, &err) == 0);
	CHECK(rec_eval_rows(&acc, &rows, &err) == 0);
	/* 7 ranking and 5 beyond-accuracy metrics at 2 cut-offs, in order */
	CHECK_INT(rows.n, 24);
	CHECK_INT(rows.row[0].metric, REC_M_PRECISION);
	CHECK_INT(rows.row[1].k, 4);
	CHECK_INT(rows.row[23].metric, REC_M_GINI);
	ranking_by_hand(&rows);
	beyond_by_hand(&rows);
	CHECK(rec_eval_add(&acc, &f.ev, 2, 2, NULL, &err) == REC_EINVAL);
	check_merge(&f.ev, 1, cutoffs, 2);
	check_merge(&f.ev, 2, cutoffs, 2);
	check_per_user(&f);
	rec_eval_acc_release(&acc);
	rec_eval_rows_release(&rows);
	fixture_release(&f);
}

/* Errors of -1 and +2 for u1, 0 for u2. */
static void test_predictions(void)
{
	struct rec_eval_rows rows = { 0 }, users = { 0 };
	struct rec_eval_input in;
	struct rec_eval_acc acc;
	struct rec_error err;

	read_text(&in, "user,item,rating,prediction\nu1,a,4,3\nu2,b,5,5\nu1,c,2,4\n");
	CHECK(in.predictions);
	CHECK(rec_eval_acc_init(&acc, REC_EVAL_ERRORS, cutoffs, 1, 0, &err) == 0);
	CHECK(rec_eval_add_predictions(&acc, &in, &users, &err) == 0);
	CHECK(rec_eval_rows(&acc, &rows, &err) == 0);
	CHECK_INT(rows.n, 2);
	CHECK_INT(rows.row[0].k, 0);
	CHECK_NEAR(row_value(&rows, REC_M_RMSE, 0), sqrt(5.0 / 3));
	CHECK_NEAR(row_value(&rows, REC_M_MAE, 0), 1);
	CHECK_INT(users.n, 4);
	CHECK_NEAR(users.row[0].value, sqrt(5.0 / 2));
	CHECK_NEAR(users.row[1].value, 1.5);
	CHECK(users.row[2].value == 0 && users.row[3].value == 0);
	CHECK_STR(rec_dict_name(in.users, users.row[2].user, NULL), "u2");
	rec_eval_acc_release(&acc);
	rec_eval_rows_release(&rows);
	rec_eval_rows_release(&users);
	rec_eval_input_release(&in);
}

/* A list holding item 0 at place rank scores as rec_metrics_rank_at says. */
static void test_rank_at(void)
{
	uint32_t list[12], test = 0;
	struct rec_rank_metrics x, y;

	for (uint32_t rank = 1; rank <= 12; rank++) {
		for (uint32_t i = 0; i < 12; i++)
			list[i] = i + 1 == rank ? 0 : 100 + i;
		for (uint32_t k = 1; k <= 10; k++) {
			rec_metrics_rank(list, 12, &test, 1, k, &x);
			rec_metrics_rank_at(rank, k, &y);
			CHECK(memcmp(&x, &y, sizeof(x)) == 0);
		}
	}
}

/* Ranks 1, 3 and 12 at k 10: two hits. */
static void test_replay_sums(void)
{
	static const uint32_t k10[] = { 10 };
	struct rec_eval_rows rows = { 0 };
	struct rec_eval_acc acc, other;
	struct rec_error err;

	CHECK(rec_eval_acc_init(&acc, REC_EVAL_REPLAY, k10, 1, 0, &err) == 0);
	rec_eval_add_rank(&acc, 1);
	rec_eval_add_rank(&acc, 3);
	rec_eval_add_rank(&acc, 12);
	CHECK(rec_eval_rows(&acc, &rows, &err) == 0);
	CHECK_INT(rows.n, 4);
	CHECK_INT(rows.row[3].metric, REC_M_EVENTS);
	CHECK_NEAR(row_value(&rows, REC_M_HR, 10), 2.0 / 3);
	CHECK_NEAR(row_value(&rows, REC_M_NDCG, 10), 0.5);
	CHECK_NEAR(row_value(&rows, REC_M_MRR, 10), (1 + 1.0 / 3) / 3);
	CHECK(row_value(&rows, REC_M_EVENTS, 0) == 3);
	CHECK(rec_eval_acc_init(&other, REC_EVAL_REPLAY, cutoffs, 1, 0, &err) == 0);
	CHECK(rec_eval_merge(&acc, &other, &err) == REC_EINVAL);
	rec_eval_acc_release(&other);
	CHECK(rec_eval_acc_init(&other, REC_EVAL_REPLAY, cutoffs, 0, 0, &err) == REC_EINVAL);
	rec_eval_acc_release(&acc);
	rec_eval_rows_release(&rows);
}

/* A model ranking every item for 300 test users, with AUC and the
 * beyond-accuracy metrics: parts at any cut merge into the same rows. */
static void test_model_merge(void)
{
	static const uint32_t k[] = { 1, 5, 20 };
	struct rec_train_options opt = { .seed = 1 };
	struct rec_model *m = rec_model_new(rec_algo_find("pop"));
	struct rec_dataset train, test;
	struct rec_error err;
	struct rec_eval ev;

	make_random(&train, 300, 60, 4000, 5);
	make_random(&test, 300, 60, 600, 6);
	CHECK(rec_model_train(m, &train, &opt, &err) == 0);
	CHECK(rec_eval_init(&ev, &test, m->data.items, 20, &err) == 0);
	CHECK(rec_eval_lists_rank(&ev, m, &err) == 0);
	CHECK(rec_eval_catalogue(&ev, &m->data, &err) == 0);
	CHECK(ev.n > 100);
	check_merge(&ev, 0, k, 3);
	check_merge(&ev, 1, k, 3);
	check_merge(&ev, ev.n / 2, k, 3);
	rec_eval_release(&ev);
	rec_dataset_release(&test);
	rec_model_free(m);
}

static void test_exclude(void)
{
	float s[5] = { 1, 2, 3, 4, 5 };
	const uint32_t seen[] = { 3, 1 };
	const uint8_t allow[] = { 1, 1, 0, 1, 1 };

	rec_scores_exclude(s, 5, seen, 2, allow);
	CHECK(s[0] == 1 && s[4] == 5);
	CHECK(s[1] == -INFINITY && s[2] == -INFINITY && s[3] == -INFINITY);
	s[1] = 2;
	rec_scores_exclude(s, 5, NULL, 0, NULL);
	CHECK(s[1] == 2);
}

int main(void)
{
	test_lists();
	test_predictions();
	test_rank_at();
	test_replay_sums();
	test_model_merge();
	test_exclude();
	return UNIT_STATUS();
}
