/* dict.c - ID dictionaries: external string IDs <-> dense indices.
 *
 * Open addressing with linear probing over a power-of-two table; a slot
 * holds an entry's hash beside its index, so a probe touches the string
 * only when the hashes agree.  The strings live in one growing pool.  Each
 * entry keeps its hash, so growing the table never rehashes a string. */
#include <stdlib.h>
#include <string.h>

#include "rec.h"

struct rec_dict {
	unsigned refs;
	uint32_t n;
	uint32_t cap;		/* entries allocated */
	uint32_t *hash;		/* per entry */
	uint64_t *off;		/* per entry, into pool; the entry ends at off[i+1]-1 */
	char *pool;
	size_t pool_len;
	size_t pool_cap;
	uint64_t *slot;		/* hash << 32 | (index + 1), or 0 if empty */
	uint32_t mask;		/* slots - 1 */
};

#define MAX_IDS 0xfffffffeu

/* 64-bit FNV-1a folded to 32 bits: short IDs dominate, and it is cheap. */
static uint32_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

struct rec_dict *rec_dict_new(void)
{
	struct rec_dict *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->refs = 1;
	d->mask = 15;
	d->slot = calloc(16, sizeof(*d->slot));
	d->off = malloc(sizeof(*d->off));
	if (!d->slot || !d->off) {
		rec_dict_free(d);
		return NULL;
	}
	d->off[0] = 0;
	return d;
}

struct rec_dict *rec_dict_ref(struct rec_dict *d)
{
	if (d)
		d->refs++;
	return d;
}

void rec_dict_free(struct rec_dict *d)
{
	if (!d || --d->refs > 0)
		return;
	free(d->hash);
	free(d->off);
	free(d->pool);
	free(d->slot);
	free(d);
}

uint32_t rec_dict_size(const struct rec_dict *d)
{
	return d->n;
}

static size_t entry_len(const struct rec_dict *d, uint32_t i)
{
	return d->off[i + 1] - d->off[i] - 1;
}

#define SLOT_INDEX(v) ((uint32_t)(v) - 1)

static uint64_t *find_slot(const struct rec_dict *d, const char *s, size_t len,
			   uint32_t h)
{
	uint32_t pos = h & d->mask;

	for (;;) {
		uint64_t *slot = &d->slot[pos];
		uint32_t i = SLOT_INDEX(*slot);

		if (!*slot || ((uint32_t)(*slot >> 32) == h && entry_len(d, i) == len &&
			       memcmp(d->pool + d->off[i], s, len) == 0))
			return slot;
		pos = (pos + 1) & d->mask;
	}
}

static int grow_table(struct rec_dict *d)
{
	uint32_t size = (d->mask + 1) * 2;
	uint64_t *slot = calloc(size, sizeof(*slot));

	if (!slot)
		return REC_ENOMEM;
	for (uint32_t i = 0; i < d->n; i++) {
		uint32_t pos = d->hash[i] & (size - 1);

		while (slot[pos])
			pos = (pos + 1) & (size - 1);
		slot[pos] = (uint64_t)d->hash[i] << 32 | (i + 1);
	}
	free(d->slot);
	d->slot = slot;
	d->mask = size - 1;
	return 0;
}

static int reserve(struct rec_dict *d, size_t len)
{
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? (d->cap > MAX_IDS / 2 ? MAX_IDS : d->cap * 2) : 16;
		uint32_t *hash = realloc(d->hash, cap * sizeof(*hash));
		uint64_t *off;

		if (!hash)
			return REC_ENOMEM;
		d->hash = hash;
		off = realloc(d->off, ((size_t)cap + 1) * sizeof(*off));
		if (!off)
			return REC_ENOMEM;
		d->off = off;
		d->cap = cap;
	}
	if (d->pool_len + len + 1 > d->pool_cap) {
		size_t cap = d->pool_cap ? d->pool_cap * 2 : 256;
		char *pool;

		while (cap < d->pool_len + len + 1)
			cap *= 2;
		pool = realloc(d->pool, cap);
		if (!pool)
			return REC_ENOMEM;
		d->pool = pool;
		d->pool_cap = cap;
	}
	return 0;
}

int rec_dict_intern(struct rec_dict *d, const char *s, size_t len,
		    uint32_t *index, int *added)
{
	uint32_t h = hash_bytes(s, len);
	uint64_t *slot = find_slot(d, s, len, h);
	int rc;

	if (*slot) {
		*index = SLOT_INDEX(*slot);
		if (added)
			*added = 0;
		return 0;
	}
	if (d->n >= MAX_IDS)
		return REC_EINVAL;
	if ((rc = reserve(d, len)) < 0)
		return rc;
	memcpy(d->pool + d->pool_len, s, len);
	d->pool[d->pool_len + len] = '\0';
	d->pool_len += len + 1;
	d->hash[d->n] = h;
	d->off[d->n + 1] = d->pool_len;
	*slot = (uint64_t)h << 32 | (d->n + 1);
	*index = d->n++;
	if (added)
		*added = 1;
	/* Keep the load under one half so probes stay short. */
	if ((uint64_t)d->n * 2 > d->mask)
		return grow_table(d);
	return 0;
}

int64_t rec_dict_find(const struct rec_dict *d, const char *s, size_t len)
{
	uint64_t *slot = find_slot(d, s, len, hash_bytes(s, len));

	return *slot ? (int64_t)SLOT_INDEX(*slot) : -1;
}

const char *rec_dict_name(const struct rec_dict *d, uint32_t index, size_t *len)
{
	if (len)
		*len = entry_len(d, index);
	return d->pool + d->off[index];
}

struct rec_dict *rec_dict_subset(const struct rec_dict *d, const uint8_t *keep,
				 uint32_t *remap)
{
	struct rec_dict *out = rec_dict_new();

	if (!out)
		return NULL;
	for (uint32_t i = 0; i < d->n; i++) {
		size_t len;
		const char *s = rec_dict_name(d, i, &len);

		remap[i] = UINT32_MAX;
		if (keep[i] && rec_dict_intern(out, s, len, &remap[i], NULL) < 0) {
			rec_dict_free(out);
			return NULL;
		}
	}
	return out;
}

int64_t *rec_dict_map(const struct rec_dict *from, const struct rec_dict *to)
{
	int64_t *map = malloc(((size_t)from->n + 1) * sizeof(*map));

	if (!map)
		return NULL;
	for (uint32_t i = 0; i < from->n; i++) {
		size_t len;
		const char *s = rec_dict_name(from, i, &len);

		map[i] = from == to ? (int64_t)i : rec_dict_find(to, s, len);
	}
	return map;
}
