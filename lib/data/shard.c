/* shard.c - shards of users: a stable hash of an ID's bytes that puts each
 * user (or item) in the same one of N shards in every file, data set and
 * run, on any machine, so that independent pieces of work can be joined
 * exactly; and the hashes that tell one evaluation's data from
 * another's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"

/* 64-bit FNV-1a, as documented in rec(7). */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* v's eight bytes, least significant first, whatever the machine. */
static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return fnv(h, b, sizeof(b));
}

uint64_t rec_shard_hash(const char *id, size_t len)
{
	return fnv(FNV_OFFSET, id, len);
}

uint32_t rec_shard_of(const char *id, size_t len, uint32_t n)
{
	return n ? (uint32_t)(rec_shard_hash(id, len) % n) + 1 : 1;
}

int rec_shard_has(const struct rec_shard *s, const char *id, size_t len)
{
	return !s->n || rec_shard_of(id, len, s->n) == s->i;
}

int rec_parse_shard(const char *arg, const char *what, struct rec_shard *s,
		    struct rec_error *err)
{
	char text[32], name[64], q[REC_QUOTED];
	const char *slash = strchr(arg, '/');
	long i, n;

	if (!slash || slash - arg >= (long)sizeof(text))
		return rec_error_set(err, REC_EPARSE, "bad %s %s (want I/N, such as 2/8)",
				     what, rec_quoted(arg, q));
	memcpy(text, arg, (size_t)(slash - arg));
	text[slash - arg] = '\0';
	snprintf(name, sizeof(name), "%s count", what);
	if (rec_parse_long(slash + 1, 1, REC_SHARD_LIMIT, &n, name, err) < 0)
		return REC_EPARSE;
	snprintf(name, sizeof(name), "%s index", what);
	if (rec_parse_long(text, 1, n, &i, name, err) < 0)
		return REC_EPARSE;
	s->i = (uint32_t)i;
	s->n = (uint32_t)n;
	return 0;
}

uint8_t *rec_shard_mask(const struct rec_dict *d, const struct rec_shard *s)
{
	uint32_t n = rec_dict_size(d);
	uint8_t *mask = malloc((size_t)n + 1);

	for (uint32_t x = 0; mask && x < n; x++) {
		size_t len;
		const char *id = rec_dict_name(d, x, &len);

		mask[x] = (uint8_t)rec_shard_has(s, id, len);
	}
	return mask;
}

/* --- identities --- */

static uint64_t fnv_dict(uint64_t h, const struct rec_dict *d)
{
	uint32_t n = rec_dict_size(d);

	h = fnv_u64(h, n);
	for (uint32_t x = 0; x < n; x++) {
		size_t len;
		const char *id = rec_dict_name(d, x, &len);

		h = fnv(fnv_u64(h, len), id, len);
	}
	return h;
}

uint64_t rec_dataset_hash(const struct rec_dataset *ds)
{
	uint64_t h = fnv_dict(fnv_dict(FNV_OFFSET, ds->users), ds->items);

	for (uint32_t u = 0; u <= ds->nusers; u++)
		h = fnv_u64(h, ds->rowptr[u]);
	for (uint64_t e = 0; e < ds->nnz; e++) {
		uint32_t bits;

		memcpy(&bits, &ds->val[e], sizeof(bits));
		h = fnv_u64(h, ds->col[e]);
		h = fnv_u64(h, bits);
		h = fnv_u64(h, (uint64_t)ds->time[e]);
	}
	return h;
}

uint64_t rec_catalogue_hash(const struct rec_catalogue *c)
{
	uint64_t h = fnv_u64(fnv_u64(fnv_u64(FNV_OFFSET, c->nusers), c->user_ids), c->nitems);

	for (uint32_t i = 0; i <= c->nitems; i++)
		h = fnv_u64(h, c->ptr[i]);
	for (uint64_t x = 0; x < c->ptr[c->nitems]; x++)
		h = fnv_u64(h, c->user[x]);
	return h;
}

int rec_dataset_shard(struct rec_dataset *dst, const struct rec_dataset *src,
		      const struct rec_shard *s, int by_item, struct rec_error *err)
{
	uint8_t *mine = rec_shard_mask(by_item ? src->items : src->users, s);
	uint8_t *keep = malloc(src->nnz + 1);
	int rc;

	if (!mine || !keep) {
		rc = rec_error_set(err, REC_ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t u = 0; u < src->nusers; u++)
		for (uint64_t e = src->rowptr[u]; e < src->rowptr[u + 1]; e++)
			keep[e] = mine[by_item ? src->col[e] : u];
	rc = rec_dataset_select(dst, src, keep, 1, err);
out:
	free(mine);
	free(keep);
	return rc;
}
