/*
 * genevents.c - write a synthetic, seeded log of user-item ratings in time
 * order, with the shape of a real one: long-tailed items and users, users
 * with a few favourite genres that drift, sessions, and runs of related
 * items.  samples/README.md describes the model.
 *
 * The log is made a time window at a time: every user due in the window
 * runs on to its end (which keeps each user's state in cache for a while),
 * and the window's events are sorted by time and written.  Memory is the
 * users, the items, one window of events at 24 bytes each (with the sort's
 * copy), and a Bloom filter of 2 bytes an event that keeps users from
 * rating items twice.
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

#define MIN_EVENTS	5	/* per user, so leave-last-out always works */
#define NFAV		3	/* most favourite genres a user has at once */
#define NRECENT		4	/* items a user remembers for related picks */
#define DAY		86400.0
#define WINDOW_EVENTS	(1 << 19)	/* events a window holds, about */
#define NONE		UINT32_MAX

/* How a user picks the next item (probabilities). */
#define P_REPEAT	0.01	/* rate one of the last NRECENT items again */
#define P_RELATED	0.25	/* an item next to a recent one in its genre */
#define P_POPULAR	0.10	/* a hit, whatever the genre */
#define P_EXPLORE	0.08	/* any genre at all */
#define MAX_TRIES	32	/* draws before a repeat is let through */
#define RELATED		4	/* how far away by id a related item is */

/* Sessions: after an event the user goes on with probability P_SESSION,
 * GAP_MIN plus an exponential GAP_MEAN seconds later. */
#define P_SESSION	0.7
#define GAP_MIN		20.0
#define GAP_MEAN	150.0

/* Ratings: R_MEAN + the user's bias + the item's quality + R_TASTE times
 * the user's current affinity for the item's genre + normal noise, less
 * R_LETDOWN with probability P_LETDOWN * (1 - affinity); rounded, 1 to 5. */
#define R_MEAN		3.45
#define R_TASTE		1.4
#define R_NOISE		0.65
#define SD_USER		0.45
#define SD_ITEM		0.45
#define P_LETDOWN	0.14
#define R_LETDOWN	2.0

/* Daily cycle: local density 1 / (1 - DIURNAL cos(phase)), so the evening
 * peak is three times the morning trough.  The peak falls an hour or two
 * after PEAK_HOUR (UTC), depending on the start's time of day. */
#define DIURNAL		0.5
#define PEAK_HOUR	20.0

/* Attributes: the genre a catalogue lists for an item is a random one
 * with probability P_MISLABEL; the genres a user names at sign-up are
 * the early taste's, each a random one with probability P_MISNAME.  They
 * come from a generator of their own, so the events are the same with or
 * without them. */
#define P_MISLABEL	0.1
#define P_MISNAME	0.2
#define ATTR_SEED	0x61747472ULL	/* mixed into the seed */

struct user {
	double t;		/* next event, seconds after the start */
	double end;		/* end of the user's active period */
	uint64_t seen;		/* first word of its part of the seen filter */
	uint32_t n;		/* events in all */
	uint32_t k;		/* events written */
	uint32_t recent[NRECENT];
	float bias;
	float w[2][NFAV];	/* taste weights, early [0] and late [1] */
	uint16_t g[2][NFAV];	/* the genres they weigh */
	uint32_t next;		/* next user due in the same time window */
	uint8_t nfav[2];
	uint8_t nrecent;
};

struct item {
	uint32_t genre;
	uint32_t pos;		/* index in its genre's list */
	float quality;
};

/* An event waiting in its window to be sorted by time. */
struct event {
	uint32_t sec;		/* seconds after the start */
	uint32_t u;
	uint32_t ir;		/* item << 3 | rating */
};

/* Walker's alias table: draws from n weights in constant time. */
struct alias {
	double *keep;		/* keep slot j with this probability, */
	uint32_t *other;	/* else take other[j] */
};

struct gen {
	struct rec_rng rng;
	uint32_t nusers, nitems, ngenres;
	uint64_t nevents;
	struct user *users;
	struct item *items;
	uint32_t *by_rank;	/* item at each popularity rank */
	struct alias ranks;	/* draws a rank by popularity */
	uint32_t *gitems;	/* items grouped by genre, by id within one */
	double *gweight;	/* the popularity of each of them */
	struct alias gpick;	/* draws a place in gitems within a genre */
	uint32_t *goff;		/* genre g is gitems[goff[g] .. goff[g + 1]) */
	double *genre_cum;	/* cumulative popularity of the genres */
	uint64_t *seen;		/* Bloom filter of (user, item) pairs */
};

static const char synopsis[] =
	"usage: genevents [--events N] [--users N] [--items N] [--seed N]\n"
	"                 [--start TIME] [--days N] [--item-features FILE]\n"
	"                 [--user-features FILE] [-o FILE]\n";

static void usage(void)
{
	fputs(synopsis, stdout);
	fputs("\n"
	      "Write a synthetic, time-ordered CSV log user,item,rating,timestamp.\n"
	      "\n"
	      "  -n, --events N   events to write (default 50000)\n"
	      "  -u, --users N    users (default events/70, at least 50)\n"
	      "  -i, --items N    items (default the largest of events/700,\n"
	      "                   4*sqrt(events) and 100)\n"
	      "  -s, --seed N     random seed (default 42)\n"
	      "      --start TIME first second of the log, in seconds since\n"
	      "                   the epoch (default 1735689600, 2025-01-01)\n"
	      "      --days N     days the log spans (default 365)\n"
	      "      --item-features FILE  also write item,genres CSV: each\n"
	      "                   item's genre, 1 in 10 drawn at random\n"
	      "      --user-features FILE  also write user,genres CSV: the\n"
	      "                   genres of each user's early taste joined by\n"
	      "                   |, 1 in 5 drawn at random\n"
	      "  -o FILE          write to FILE; none or - is standard output\n"
	      "  -h, --help       print this help and exit\n", stdout);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	} else {
		fputs(synopsis, stderr);
	}
	fputs("Try 'genevents --help'\n", stderr);
	exit(2);
}

static long parse_opt(const char *s, long min, long max, const char *what)
{
	struct rec_error e;
	char buf[1024];
	long v;

	if (rec_parse_long(s, min, max, &v, what, &e) < 0)
		usage_error("%s", rec_error_str(&e, buf, sizeof(buf)));
	return v;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		errx(1, "out of memory");
	return p;
}

/* Index of the first entry of the n cumulative weights cum[] above x. */
static uint32_t search(const double *cum, uint32_t n, double x)
{
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Fill keep[] and other[] from the n weights w[] (Vose's method); work
 * holds n entries. */
static void alias_build(double *keep, uint32_t *other, const double *w,
			uint32_t n, uint32_t *work)
{
	uint32_t nsmall = 0, nlarge = 0;
	double sum = 0;

	for (uint32_t j = 0; j < n; j++)
		sum += w[j];
	/* Small slots stack up from the front of work, large from the back. */
	for (uint32_t j = 0; j < n; j++) {
		keep[j] = w[j] * n / sum;
		other[j] = j;
		if (keep[j] < 1.0)
			work[nsmall++] = j;
		else
			work[n - ++nlarge] = j;
	}
	while (nsmall && nlarge) {
		uint32_t s = work[--nsmall], l = work[n - nlarge];

		other[s] = l;
		keep[l] -= 1.0 - keep[s];
		if (keep[l] < 1.0) {
			nlarge--;
			work[nsmall++] = l;
		}
	}
	/* What is left is 1 up to rounding. */
	while (nsmall)
		keep[work[--nsmall]] = 1.0;
	while (nlarge)
		keep[work[n - nlarge--]] = 1.0;
}

static uint32_t alias_draw(struct rec_rng *rng, const double *keep,
			   const uint32_t *other, uint32_t n)
{
	double x = rec_rng_uniform(rng) * n;
	uint32_t j = (uint32_t)x;

	if (j >= n)
		j = n - 1;
	return x - j < keep[j] ? j : other[j];
}

static double exponential(struct rec_rng *rng)
{
	return -log1p(-rec_rng_uniform(rng));
}

/*
 * Items: popularity 1/rank (Zipf, exponent 1) with the ranks shuffled over
 * the ids, each item in one genre.  The G most popular items go one to a
 * genre so that every genre has a hit; genres are then as popular as the
 * items in them.
 */
static void make_items(struct gen *g)
{
	uint32_t ni = g->nitems, ng = g->ngenres;
	uint32_t *fill, *work;
	double *weight;

	g->items = xcalloc(ni, sizeof(*g->items));
	g->by_rank = xcalloc(ni, sizeof(*g->by_rank));
	g->ranks.keep = xcalloc(ni, sizeof(*g->ranks.keep));
	g->ranks.other = xcalloc(ni, sizeof(*g->ranks.other));
	g->gitems = xcalloc(ni, sizeof(*g->gitems));
	g->gpick.keep = xcalloc(ni, sizeof(*g->gpick.keep));
	g->gpick.other = xcalloc(ni, sizeof(*g->gpick.other));
	g->goff = xcalloc(ng + 1, sizeof(*g->goff));
	g->genre_cum = xcalloc(ng, sizeof(*g->genre_cum));
	weight = xcalloc(ni, sizeof(*weight));
	g->gweight = xcalloc(ni, sizeof(*g->gweight));
	work = xcalloc(ni, sizeof(*work));
	fill = xcalloc(ng, sizeof(*fill));

	for (uint32_t i = 0; i < ni; i++)
		g->by_rank[i] = i;
	rec_rng_shuffle_u32(&g->rng, g->by_rank, ni);
	for (uint32_t r = 0; r < ni; r++) {
		struct item *it = &g->items[g->by_rank[r]];
		/* Hits are a little better liked than the tail. */
		double lift = 0.3 * (1.0 - log1p(r) / log1p(ni)) - 0.15;

		weight[g->by_rank[r]] = 1.0 / (r + 1.0);
		it->genre = r < ng ? r : (uint32_t)rec_rng_below(&g->rng, ng);
		it->quality = (float)(SD_ITEM * rec_rng_normal(&g->rng) + lift);
		g->goff[it->genre + 1]++;
	}
	for (uint32_t k = 0; k < ng; k++)
		g->goff[k + 1] += g->goff[k];
	for (uint32_t i = 0; i < ni; i++) {
		struct item *it = &g->items[i];
		uint32_t at = g->goff[it->genre] + fill[it->genre];

		it->pos = fill[it->genre]++;
		g->gitems[at] = i;
		g->gweight[at] = weight[i];
	}
	for (uint32_t k = 0; k < ng; k++) {
		uint32_t lo = g->goff[k], n = g->goff[k + 1] - lo;
		double mass = 0;

		for (uint32_t j = lo; j < lo + n; j++)
			mass += g->gweight[j];
		g->genre_cum[k] = (k ? g->genre_cum[k - 1] : 0) + mass;
		alias_build(g->gpick.keep + lo, g->gpick.other + lo,
			    g->gweight + lo, n, work);
	}
	/* weight[] becomes the popularity of each rank. */
	for (uint32_t r = 0; r < ni; r++)
		weight[r] = 1.0 / (r + 1.0);
	alias_build(g->ranks.keep, g->ranks.other, weight, ni, work);
	free(fill);
	free(work);
	free(weight);
}

/*
 * Share the events among the users: MIN_EVENTS each, the rest in
 * proportion to a log-normal activity, none above cap (those over it are
 * capped and the rest shared again among the others).
 */
static void share_events(struct gen *g, uint32_t cap)
{
	uint32_t nu = g->nusers;
	double *act = xcalloc(nu, sizeof(*act));
	uint8_t *full = xcalloc(nu, sizeof(*full));
	uint64_t rest = g->nevents - (uint64_t)MIN_EVENTS * nu, given = 0;
	uint32_t room = cap - MIN_EVENTS, u;
	int changed;

	for (u = 0; u < nu; u++)
		act[u] = exp(1.2 * rec_rng_normal(&g->rng));
	do {
		double sum = 0, pool = (double)rest;

		changed = 0;
		for (u = 0; u < nu; u++)
			if (!full[u])
				sum += act[u];
		for (u = 0; u < nu; u++) {
			if (full[u] || act[u] / sum * pool <= room)
				continue;
			full[u] = 1;
			g->users[u].n = cap;
			rest -= room;
			changed = 1;
		}
		if (changed)
			continue;
		for (u = 0; u < nu; u++) {
			if (full[u])
				continue;
			g->users[u].n = MIN_EVENTS +
				(uint32_t)(act[u] / sum * (double)rest);
			given += g->users[u].n - MIN_EVENTS;
		}
	} while (changed);
	/* Hand the rounding remainder out one each from a random user on. */
	u = (uint32_t)rec_rng_below(&g->rng, nu);
	while (given < rest) {
		if (!full[u] && g->users[u].n < cap) {
			g->users[u].n++;
			given++;
		}
		u = u + 1 < nu ? u + 1 : 0;
	}
	free(full);
	free(act);
}

/* Draw 1 to NFAV distinct genres, each as likely as it is popular, with
 * random weights; with keep, the first is the early taste's first. */
static void draw_taste(struct gen *g, struct user *us, int set, int keep)
{
	uint32_t want = 1 + (uint32_t)rec_rng_below(&g->rng, NFAV);
	uint32_t n = 0, ng = g->ngenres;
	double total = 0;

	if (want > ng)
		want = ng;
	if (keep) {
		us->g[set][0] = us->g[0][0];
		us->w[set][0] = (float)exponential(&g->rng);
		n = 1;
	}
	for (int tries = 0; n < want && tries < 20; tries++) {
		double x = rec_rng_uniform(&g->rng) * g->genre_cum[ng - 1];
		uint32_t k = search(g->genre_cum, ng, x), j;

		for (j = 0; j < n; j++)
			if (us->g[set][j] == k)
				break;
		if (j < n)
			continue;
		us->g[set][n] = (uint16_t)k;
		us->w[set][n++] = (float)exponential(&g->rng);
	}
	us->nfav[set] = (uint8_t)n;
	for (uint32_t j = 0; j < n; j++)
		total += us->w[set][j];
	for (uint32_t j = 0; j < n; j++)
		us->w[set][j] = (float)(us->w[set][j] / total);
}

/*
 * Users: an event count, an active period whose length grows with it, a
 * rating bias, and an early and a late taste.  Half the users keep one
 * genre from one to the other; the rest change completely.  Each
 * user gets a part of the seen filter, 16 bits an event, so that one
 * user's lookups stay close together.
 */
static void make_users(struct gen *g, double span, uint32_t cap)
{
	uint64_t words = 0;

	g->users = xcalloc(g->nusers, sizeof(*g->users));
	share_events(g, cap);
	for (uint32_t u = 0; u < g->nusers; u++) {
		struct user *us = &g->users[u];
		double life = 20.0 * DAY * pow(us->n / 20.0, 0.6) *
			      exp(0.8 * rec_rng_normal(&g->rng));

		/* Those who would outlast the log stay for most of it,
		 * not all from the first second. */
		if (life > span)
			life = span * (0.6 + 0.4 * rec_rng_uniform(&g->rng));
		if (life < 3600.0 && span > 3600.0)
			life = 3600.0;
		us->t = rec_rng_uniform(&g->rng) * (span - life);
		us->end = us->t + life;
		us->seen = words;
		words += us->n / 4 + 1;
		us->bias = (float)(SD_USER * rec_rng_normal(&g->rng));
		draw_taste(g, us, 0, 0);
		draw_taste(g, us, 1, rec_rng_uniform(&g->rng) < 0.5);
	}
	g->seen = xcalloc(words, sizeof(*g->seen));
}

/* Open path for writing, or exit. */
static FILE *create(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		err(1, "%s", path);
	return fp;
}

/* Close fp, written to name, or exit if anything went wrong with it. */
static void finish(FILE *fp, const char *name)
{
	if (fflush(fp) || ferror(fp) || fclose(fp))
		err(1, "%s", name);
}

/* The genre k as a catalogue lists it: wrong with probability p. */
static uint32_t label(struct gen *g, struct rec_rng *rng, uint32_t k,
		      double p)
{
	if (rec_rng_uniform(rng) < p)
		return (uint32_t)rec_rng_below(rng, g->ngenres);
	return k;
}

static void write_item_features(struct gen *g, struct rec_rng *rng,
				const char *path)
{
	FILE *fp = create(path);

	fputs("item,genres\n", fp);
	for (uint32_t i = 0; i < g->nitems; i++)
		fprintf(fp, "i%" PRIu32 ",g%" PRIu32 "\n", i + 1,
			label(g, rng, g->items[i].genre, P_MISLABEL) + 1);
	finish(fp, path);
}

/* One line a user: the genres of the early taste, each named once. */
static void write_user_features(struct gen *g, struct rec_rng *rng,
				const char *path)
{
	FILE *fp = create(path);

	fputs("user,genres\n", fp);
	for (uint32_t u = 0; u < g->nusers; u++) {
		const struct user *us = &g->users[u];
		uint32_t named[NFAV], n = 0;

		fprintf(fp, "u%" PRIu32 ",", u + 1);
		for (int j = 0; j < us->nfav[0]; j++) {
			uint32_t k = label(g, rng, us->g[0][j], P_MISNAME), m;

			for (m = 0; m < n && named[m] != k; m++)
				;
			if (m < n)
				continue;
			fprintf(fp, "%sg%" PRIu32, n ? "|" : "", k + 1);
			named[n++] = k;
		}
		fputc('\n', fp);
	}
	finish(fp, path);
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Has the user rated item i?  A Bloom filter blocked to one word, so it
 * can say yes wrongly (at most about 1 time in 250, and a fresh item is
 * then just drawn again) but never no wrongly.  With set, record i too. */
static int seen(struct gen *g, const struct user *us, uint32_t i, int set)
{
	uint64_t h = mix64(i + 0x9e3779b97f4a7c15ULL), mask = 0;
	uint64_t *w = g->seen + us->seen +
		      (((h & 0xffffffff) * (us->n / 4 + 1)) >> 32);
	int was;

	for (int j = 0; j < 5; j++)
		mask |= 1ULL << ((h >> (32 + 6 * j)) & 63);
	was = (*w & mask) == mask;
	if (set)
		*w |= mask;
	return was;
}

/* The user's affinity for genre k at progress f through their log. */
static double affinity(const struct user *us, uint32_t k, double f)
{
	double a = 0;

	for (int s = 0; s < 2; s++)
		for (int j = 0; j < us->nfav[s]; j++)
			if (us->g[s][j] == k)
				a += (s ? f : 1.0 - f) * us->w[s][j];
	return a;
}

/* A genre from the user's taste at progress f: the late taste with
 * probability f, so the mix moves from one to the other. */
static uint32_t taste_genre(struct gen *g, const struct user *us, double f)
{
	int s = rec_rng_uniform(&g->rng) < f;
	double x = rec_rng_uniform(&g->rng), c = 0;

	for (int j = 0; j < us->nfav[s] - 1; j++) {
		c += us->w[s][j];
		if (x < c)
			return us->g[s][j];
	}
	return us->g[s][us->nfav[s] - 1];
}

static uint32_t genre_item(struct gen *g, uint32_t k)
{
	uint32_t lo = g->goff[k], n = g->goff[k + 1] - lo;

	return g->gitems[lo + alias_draw(&g->rng, g->gpick.keep + lo,
					 g->gpick.other + lo, n)];
}

/* An item near a recent one: same genre, at most RELATED places away by
 * id, the popular ones likelier. */
static uint32_t related_item(struct gen *g, const struct user *us)
{
	uint32_t from = us->recent[0], at[2 * RELATED];
	double cum[2 * RELATED], sum = 0, x;
	const struct item *it;
	uint32_t lo, n, j;

	if (us->nrecent > 1 && rec_rng_uniform(&g->rng) >= 0.6)
		from = us->recent[rec_rng_below(&g->rng, us->nrecent)];
	it = &g->items[from];
	lo = g->goff[it->genre];
	n = g->goff[it->genre + 1] - lo;
	for (j = 0; j < 2 * RELATED; j++) {
		uint32_t d = 1 + j / 2;

		d = j & 1 ? n - d % n : d;
		at[j] = lo + (it->pos + d) % n;
		sum += g->gweight[at[j]];
		cum[j] = sum;
	}
	x = rec_rng_uniform(&g->rng) * sum;
	for (j = 0; j < 2 * RELATED - 1; j++)
		if (x < cum[j])
			break;
	return g->gitems[at[j]];
}

/* The next item for user u at progress f, rarely one rated before. */
static uint32_t pick_item(struct gen *g, uint32_t u, double f)
{
	struct user *us = &g->users[u];
	uint32_t i = 0;

	if (us->nrecent && rec_rng_uniform(&g->rng) < P_REPEAT)
		return us->recent[rec_rng_below(&g->rng, us->nrecent)];
	for (int tries = 0; tries < MAX_TRIES; tries++) {
		double x = rec_rng_uniform(&g->rng);

		if (us->nrecent && x < P_RELATED) {
			i = related_item(g, us);
		} else if (x < P_RELATED + P_POPULAR) {
			i = g->by_rank[alias_draw(&g->rng, g->ranks.keep,
						  g->ranks.other, g->nitems)];
		} else if (x < P_RELATED + P_POPULAR + P_EXPLORE) {
			i = genre_item(g, (uint32_t)rec_rng_below(&g->rng,
								  g->ngenres));
		} else {
			i = genre_item(g, taste_genre(g, us, f));
		}
		if (!seen(g, us, i, 0))
			break;
	}
	seen(g, us, i, 1);
	return i;
}

static int rating(struct gen *g, const struct user *us, uint32_t i, double f)
{
	const struct item *it = &g->items[i];
	double a = affinity(us, it->genre, f);
	double r = R_MEAN + us->bias + it->quality + R_TASTE * a +
		   R_NOISE * rec_rng_normal(&g->rng);

	/* Disappointments, likelier outside the user's taste, give the
	 * ratings the long low tail real ones have. */
	if (rec_rng_uniform(&g->rng) < P_LETDOWN * (1.0 - a))
		r -= R_LETDOWN;

	r = floor(r + 0.5);
	return r < 1 ? 1 : r > 5 ? 5 : (int)r;
}

/* When the user's next event comes: soon, in the same session, or at the
 * start of a new session, sessions spread over the rest of the user's
 * active period. */
static double next_time(struct gen *g, const struct user *us, double t)
{
	uint32_t left = us->n - us->k;
	double sessions;

	if (rec_rng_uniform(&g->rng) < P_SESSION || t >= us->end)
		return t + GAP_MIN + GAP_MEAN * exponential(&g->rng);
	/* The next of m uniform points in (t, end), m the sessions left. */
	sessions = 1.0 + left * (1.0 - P_SESSION);
	return t + (us->end - t) *
		   -expm1(log1p(-rec_rng_uniform(&g->rng)) / sessions);
}

/* Seconds after start, warped (monotonically, and fixing whole days) so
 * that activity follows a daily cycle, in whole seconds within the span. */
static uint32_t stamp(int64_t start, double span, double s)
{
	double w = 2.0 * M_PI / DAY, phase = -w * PEAK_HOUR * 3600.0;
	double t = s - DIURNAL / w * (sin(w * ((double)start + s) + phase) -
				      sin(w * (double)start + phase));

	if (t > span - 1)
		t = span - 1;
	if (t < 0)
		t = 0;
	return (uint32_t)t;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Sort n events by second, ties kept in order (an LSD radix sort a byte
 * a pass, skipping bytes they all share).  tmp holds n events too; the
 * result is in whichever of the two is returned. */
static struct event *sort_events(struct event *ev, struct event *tmp, size_t n)
{
	for (int shift = 0; shift < 32 && n; shift += 8) {
		size_t count[256] = { 0 }, sum = 0;
		struct event *t;

		for (size_t e = 0; e < n; e++)
			count[ev[e].sec >> shift & 0xff]++;
		if (count[ev[0].sec >> shift & 0xff] == n)
			continue;
		for (int b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t e = 0; e < n; e++)
			tmp[count[ev[e].sec >> shift & 0xff]++] = ev[e];
		t = ev;
		ev = tmp;
		tmp = t;
	}
	return ev;
}

/* Make user u's events up to limit (seconds after the start), appending
 * them to *buf, and return how many there are now. */
static size_t run_user(struct gen *g, uint32_t u, double limit,
		       struct event **buf, size_t n, size_t *cap,
		       int64_t start, double span)
{
	struct user *us = &g->users[u];

	while (us->k < us->n && us->t < limit) {
		double f = us->n > 1 ? (double)us->k / (us->n - 1) : 0;
		uint32_t i = pick_item(g, u, f);
		int r = rating(g, us, i, f);

		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 4096;
			*buf = realloc(*buf, *cap * sizeof(**buf));
			if (!*buf)
				errx(1, "out of memory");
		}
		(*buf)[n++] = (struct event){ stamp(start, span, us->t), u,
					      i << 3 | (uint32_t)r };
		memmove(us->recent + 1, us->recent,
			(NRECENT - 1) * sizeof(us->recent[0]));
		us->recent[0] = i;
		if (us->nrecent < NRECENT)
			us->nrecent++;
		if (++us->k < us->n)
			us->t = next_time(g, us, us->t);
	}
	return n;
}

static void write_events(FILE *fp, const struct event *ev, size_t n,
			 int64_t start)
{
	char line[96];

	for (size_t e = 0; e < n; e++) {
		char *p = line;

		*p++ = 'u';
		p = put_u64(p, ev[e].u + 1);
		*p++ = ',';
		*p++ = 'i';
		p = put_u64(p, (ev[e].ir >> 3) + 1);
		*p++ = ',';
		*p++ = (char)('0' + (ev[e].ir & 7));
		*p++ = ',';
		p = put_u64(p, (uint64_t)(start + ev[e].sec));
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), fp);
	}
}

/*
 * Write the log a time window at a time.  Users wait in the list of the
 * window their next event falls in; a window runs each of its users up to
 * its end, passes them on to a later list, then sorts and writes what
 * they did.  The last window takes whatever spills past the span.
 */
static void generate(struct gen *g, FILE *fp, int64_t start, double span)
{
	uint32_t nwin = (uint32_t)(g->nevents / WINDOW_EVENTS) + 1;
	double len = span / nwin;
	uint32_t *head = xcalloc(nwin, sizeof(*head));
	struct event *buf = NULL, *tmp = NULL;
	size_t cap = 0, tmpcap = 0;

	for (uint32_t w = 0; w < nwin; w++)
		head[w] = NONE;
	for (uint32_t u = g->nusers; u-- > 0;) {
		uint32_t w = (uint32_t)(g->users[u].t / len);

		if (w >= nwin)
			w = nwin - 1;
		g->users[u].next = head[w];
		head[w] = u;
	}
	fputs("user,item,rating,timestamp\n", fp);
	for (uint32_t w = 0; w < nwin; w++) {
		double limit = w + 1 < nwin ? (w + 1) * len : INFINITY;
		size_t n = 0;

		for (uint32_t u = head[w], next; u != NONE; u = next) {
			struct user *us = &g->users[u];
			uint32_t to;

			next = us->next;
			if (next != NONE)
				__builtin_prefetch(&g->users[next]);
			n = run_user(g, u, limit, &buf, n, &cap, start, span);
			if (us->k == us->n)
				continue;
			to = (uint32_t)(us->t / len);
			if (to <= w)
				to = w + 1;	/* rounding at the edge */
			if (to >= nwin)
				to = nwin - 1;
			us->next = head[to];
			head[to] = u;
		}
		if (tmpcap < cap) {
			free(tmp);
			tmpcap = cap;
			tmp = xcalloc(tmpcap, sizeof(*tmp));
		}
		write_events(fp, sort_events(buf, tmp, n), n, start);
	}
	free(tmp);
	free(buf);
	free(head);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "events", required_argument, NULL, 'n' },
		{ "users", required_argument, NULL, 'u' },
		{ "items", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "days", required_argument, NULL, 'd' },
		{ "item-features", required_argument, NULL, 'I' },
		{ "user-features", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct gen g;
	long events = 50000, users = 0, items = 0, seed = REC_DEFAULT_SEED;
	long start = 1735689600, days = 365;
	const char *out = NULL, *item_out = NULL, *user_out = NULL;
	struct rec_rng attr_rng;
	FILE *fp = stdout;
	uint32_t cap;
	int c;

	while ((c = getopt_long(argc, argv, "n:u:i:s:o:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'n':
			events = parse_opt(optarg, 1, UINT32_MAX, "--events");
			break;
		case 'u':
			users = parse_opt(optarg, 1, UINT32_MAX / MIN_EVENTS,
					  "--users");
			break;
		case 'i':
			items = parse_opt(optarg, 1, 1L << 29, "--items");
			break;
		case 's':
			seed = parse_opt(optarg, 0, LONG_MAX, "--seed");
			break;
		case 'S':
			start = parse_opt(optarg, 0, 100000000000L, "--start");
			break;
		case 'd':
			days = parse_opt(optarg, 1, 36500, "--days");
			break;
		case 'I':
			item_out = optarg;
			break;
		case 'U':
			user_out = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage();
			if (fflush(stdout) || ferror(stdout) || fclose(stdout))
				err(1, "stdout");
			return 0;
		default:
			usage_error(NULL);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);

	memset(&g, 0, sizeof(g));
	if (!users) {
		users = events / 70;
		if (users < 50)
			users = 50;
		if (users > events / MIN_EVENTS)
			users = events / MIN_EVENTS;
		if (!users)
			usage_error("--events '%ld' is too few (at least %d)",
				    events, MIN_EVENTS);
	}
	if (!items) {
		items = events / 700;
		if (items < 4.0 * sqrt((double)events))
			items = (long)(4.0 * sqrt((double)events));
		if (items < 100)
			items = 100;
	}
	if ((uint64_t)users * MIN_EVENTS > (uint64_t)events)
		usage_error("--events '%ld' is too few for %ld users (%d each)",
			    events, users, MIN_EVENTS);
	g.nevents = (uint64_t)events;
	g.nusers = (uint32_t)users;
	g.nitems = (uint32_t)items;
	/* About sqrt(items)/2 genres: 5 for 100 items, 24 from 2304 up. */
	g.ngenres = (uint32_t)(sqrt((double)items) / 2);
	if (g.ngenres < 4)
		g.ngenres = 4;
	if (g.ngenres > 24)
		g.ngenres = 24;
	if (g.ngenres > g.nitems)
		g.ngenres = g.nitems;
	/* No user rates more than about a third of the items, unless there
	 * are too few items or users for the events to fit. */
	cap = (uint32_t)(items * 35 / 100);
	if ((uint64_t)cap * g.nusers < g.nevents)
		cap = (uint32_t)((g.nevents + g.nusers - 1) / g.nusers);
	if (cap < MIN_EVENTS)
		cap = MIN_EVENTS;

	if (out && !strcmp(out, "-"))
		out = NULL;
	if (out)
		fp = create(out);
	if (setvbuf(fp, NULL, _IOFBF, 1 << 20))
		err(1, "setvbuf");
	rec_rng_seed(&g.rng, (uint64_t)seed);
	make_items(&g);
	make_users(&g, (double)days * DAY, cap);
	rec_rng_seed(&attr_rng, (uint64_t)seed ^ ATTR_SEED);
	if (item_out)
		write_item_features(&g, &attr_rng, item_out);
	if (user_out)
		write_user_features(&g, &attr_rng, user_out);
	generate(&g, fp, start, (double)days * DAY);
	finish(fp, out ? out : "stdout");
	free(g.seen);
	free(g.users);
	free(g.items);
	free(g.by_rank);
	free(g.ranks.keep);
	free(g.ranks.other);
	free(g.gitems);
	free(g.gweight);
	free(g.gpick.keep);
	free(g.gpick.other);
	free(g.goff);
	free(g.genre_cum);
	return 0;
}
