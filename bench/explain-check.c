/* explain-check - how faithful the reasons of rec-recommend --explain are.
 * It reads the lists that rec-recommend -m MODEL --explain=1 wrote (CSV
 * with the header user,item,rank,score,because) from standard input and,
 * for each row with a reason, folds the user in again from his training
 * history three times: whole, without the named item, and without another
 * item of the history drawn at random (seeded by SEED).  A row is faithful
 * when the listed item's score falls more without the named item than
 * without the random one.  It prints "rows faithful ties skipped": rows
 * measured, faithful ones, ties (both drops equal) and rows skipped (the
 * popularity, or a history of one item).  IDs are not quoted, as in
 * MovieLens. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

struct check {
	const struct rec_model *m;
	float *scores;
	uint64_t rng;
	unsigned long rows, faithful, ties, skipped;
};

/* splitmix64: a seeded draw that does not depend on the C library. */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* The score of item for a new user folded in from h's events without
 * those of item drop (UINT32_MAX: none). */
static float score_without(struct check *c, const struct rec_user *h, uint32_t drop,
			   uint32_t item)
{
	struct rec_user v;
	int rc = rec_user_start(c->m, UINT32_MAX, &v);

	for (uint32_t j = 0; rc == 0 && j < h->n; j++)
		if (h->items[j] != drop)
			rc = rec_user_push(&v, h->items[j], h->values[j], h->times[j]);
	if (rc == 0)
		rc = rec_user_fold(c->m, &v);
	if (rc < 0)
		errx(1, "out of memory");
	rec_user_score(c->m, &v, 1, c->scores);
	rec_user_release(&v);
	return c->scores[item];
}

static int64_t find(const struct rec_dict *d, const char *id)
{
	int64_t i = rec_dict_find(d, id, strlen(id));

	if (i < 0)
		errx(1, "'%s' is not in the model", id);
	return i;
}

/* One row: user, item and the first reason "item:share". */
static void row(struct check *c, const char *user, const char *item, char *because)
{
	const struct rec_model *m = c->m;
	char *colon;
	struct rec_user h;
	uint32_t named, other, listed;
	float full, drop_named, drop_other;

	because[strcspn(because, "|")] = '\0';
	if (!(colon = strrchr(because, ':'))) {
		c->skipped++;
		return;
	}
	*colon = '\0';
	named = (uint32_t)find(m->data.items, because);
	listed = (uint32_t)find(m->data.items, item);
	if (rec_user_start(m, (uint32_t)find(m->data.users, user), &h) < 0)
		errx(1, "out of memory");
	if (h.n < 2) {
		c->skipped++;
		rec_user_release(&h);
		return;
	}
	do
		other = h.items[next(&c->rng) % h.n];
	while (other == named);
	full = score_without(c, &h, UINT32_MAX, listed);
	drop_named = full - score_without(c, &h, named, listed);
	drop_other = full - score_without(c, &h, other, listed);
	c->rows++;
	c->faithful += drop_named > drop_other;
	c->ties += drop_named == drop_other;
	rec_user_release(&h);
}

/* The fields of a line, cut in place at the commas. */
static int fields(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	if (strchr(line, '"'))
		errx(1, "quoted fields are not read: %s", line);
	for (char *p = line; n < max; p++) {
		f[n++] = p;
		if (!(p = strchr(p, ',')))
			break;
		*p = '\0';
	}
	return n;
}

int main(int argc, char **argv)
{
	struct rec_error err = { 0 };
	struct rec_model *m;
	struct check c = { 0 };
	char *line = NULL, *f[5];
	size_t cap = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: explain-check MODEL SEED < lists.csv\n");
		return 2;
	}
	if (rec_model_load(&m, argv[1], &err) < 0)
		errx(1, "%s: %s", argv[1], err.msg);
	c.m = m;
	c.rng = strtoull(argv[2], NULL, 10);
	if (!(c.scores = malloc(((size_t)m->data.nitems + 1) * sizeof(*c.scores))))
		errx(1, "out of memory");
	if (getline(&line, &cap, stdin) < 0 || strncmp(line, "user,item,rank,score,because", 28))
		errx(1, "no header user,item,rank,score,because");
	while (getline(&line, &cap, stdin) > 0) {
		if (fields(line, f, 5) != 5)
			errx(1, "not five fields: %s", line);
		row(&c, f[0], f[1], f[4]);
	}
	printf("%lu %lu %lu %lu\n", c.rows, c.faithful, c.ties, c.skipped);
	free(line);
	free(c.scores);
	rec_model_free(m);
	return 0;
}
