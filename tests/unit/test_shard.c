/* test_shard.c - the shard of an ID against values computed apart from
 * the library, the --shard I/N parser, and a part of an evaluation that
 * reads back as the sums written.
 *
 * The hashes were computed with this Python, independent of lib/data/shard.c:
 *
 *	def fnv1a64(b):
 *	    h = 0xcbf29ce484222325
 *	    for c in b:
 *	        h = ((h ^ c) * 0x100000001b3) % 2**64
 *	    return h
 *
 * and "a" and "foobar" agree with the published FNV test vectors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "unit.h"

struct known {
	const char *id;
	uint64_t hash;
	uint32_t of3, of8;	/* hash % 3 + 1, hash % 8 + 1 */
};

static const struct known known[] = {
	{ "", 0xcbf29ce484222325ull, 3, 6 },
	{ "a", 0xaf63dc4c8601ec8cull, 2, 5 },
	{ "foobar", 0x85944171f73967e8ull, 1, 1 },
	{ "u1", 0x08c47b07b56747f3ull, 3, 4 },
	{ "42", 0x07ee7e07b4b19223ull, 2, 4 },
	{ "user 7", 0xf81f90aa7524f253ull, 1, 4 },
};

static void hashes(void)
{
	for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++) {
		const struct known *k = &known[j];
		size_t len = strlen(k->id);
		struct rec_shard s = { k->of3, 3 };

		CHECK(rec_shard_hash(k->id, len) == k->hash);
		CHECK_INT(rec_shard_of(k->id, len, 3), k->of3);
		CHECK_INT(rec_shard_of(k->id, len, 8), k->of8);
		CHECK_INT(rec_shard_of(k->id, len, 1), 1);
		CHECK(rec_shard_has(&s, k->id, len));
		s.i = k->of3 % 3 + 1;
		CHECK(!rec_shard_has(&s, k->id, len));
		s.n = 0;
		CHECK(rec_shard_has(&s, k->id, len));
	}
}

static void parsing(void)
{
	static const char *const bad[] = { "", "3", "/3", "1/", "0/3", "4/3", "1/0", "-1/3",
					   "1/3x", "1/1000001", "x/2" };
	struct rec_shard s = { 0, 0 };
	struct rec_error err;

	CHECK(rec_parse_shard("2/8", "--shard", &s, &err) == 0);
	CHECK_INT(s.i, 2);
	CHECK_INT(s.n, 8);
	CHECK(rec_parse_shard("1/1", "--shard", &s, &err) == 0);
	CHECK_INT(s.i, 1);
	CHECK_INT(s.n, 1);
	for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
		CHECK(rec_parse_shard(bad[j], "--shard", &s, &err) == REC_EPARSE);
	CHECK(rec_parse_shard("4/3", "--shard", &s, &err) == REC_EPARSE);
	CHECK_STR(err.msg, "--shard index '4' is out of range [1, 3]");
	CHECK(rec_parse_shard("1/0", "--shard", &s, &err) == REC_EPARSE);
	CHECK_STR(err.msg, "--shard count '0' is out of range [1, 1000000]");
}

/* Sums with every kind of value written and read back: the same bits. */
static void part_round_trip(void)
{
	static const uint32_t k[] = { 1, 5 };
	char path[] = "/tmp/rec-unit-partXXXXXX";
	struct rec_eval_part p = { { 2, 3 }, 0x0123456789abcdefull, 0xfedcba98ull }, q;
	struct rec_eval_acc a, b;
	struct rec_error err;
	int fd = mkstemp(path);
	FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
	uint32_t metrics = REC_EVAL_ERRORS | REC_EVAL_RANKING | REC_EVAL_BEYOND;
	size_t cells = (size_t)REC_NMETRICS * 2;

	CHECK(fp != NULL);
	CHECK(rec_eval_acc_init(&a, metrics, k, 2, 3, &err) == 0);
	for (size_t c = 0; c < cells; c++) {
		a.sum[c] = ((__int128)1 << 100) + (__int128)c * 12345;
		a.count[c] = (double)(c * 7);
	}
	a.sq_error = 0.1;
	a.abs_error = 1.0 / 3;
	a.recommended[1] = 4;
	a.recommended[5] = 1ull << 40;
	rec_eval_part_write(&p, &a, fp);
	CHECK(fclose(fp) == 0);
	CHECK(rec_eval_part_read(&q, &b, path, &err) == 0);
	CHECK_INT(q.shard.i, 2);
	CHECK_INT(q.shard.n, 3);
	CHECK(q.data == p.data && q.model == p.model);
	CHECK_INT(b.metrics, metrics);
	CHECK_INT(b.nk, 2);
	CHECK_INT(b.nitems, 3);
	CHECK(b.sq_error == a.sq_error && b.abs_error == a.abs_error);
	for (int m = 0; m < REC_NMETRICS; m++)
		for (unsigned ki = 0; ki < (rec_metric_has_k(m) ? 2u : 1u); ki++) {
			size_t c = (size_t)m * 2 + ki;

			if (!(metrics & REC_M_BIT(m)))
				continue;
			CHECK(b.sum[c] == a.sum[c]);
			CHECK(b.count[c] == a.count[c]);
		}
	CHECK(memcmp(a.recommended, b.recommended, 6 * sizeof(*a.recommended)) == 0);
	rec_eval_acc_release(&a);
	rec_eval_acc_release(&b);
	unlink(path);
}

int main(void)
{
	hashes();
	parsing();
	part_round_trip();
	return UNIT_STATUS();
}
