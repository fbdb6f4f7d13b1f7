/* dict.c - ID dictionaries: external string IDs <-> dense indices.
 *
 * Open addressing with linear probing over a power-of-two table.  A slot
 * holds an entry's hash and index and, for IDs of up to seven bytes (most
 * IDs), the ID itself packed in a word, so that a probe for a short ID
 * reads one slot and no string.  The strings live in one growing pool.
 * Each entry keeps its hash, so growing the table never rehashes a
 * string. */
#include <stdlib.h>
#include <string.h>

#include "evparts.h"
#include "internal.h"

struct slot {
	uint64_t key;		/* short_key() of the ID */
	uint32_t hash;
	uint32_t index;		/* entry index + 1, or 0 if empty */
};

struct rec_dict {
	unsigned refs;
	uint32_t n;
	uint32_t cap;		/* entries allocated */
	uint32_t *hash;		/* per entry */
	uint64_t *off;		/* per entry, into pool; the entry ends at off[i+1]-1 */
	char *pool;
	size_t pool_len;
	size_t pool_cap;
	struct slot *slot;
	uint32_t mask;		/* slots - 1 */
};

#define MAX_IDS 0xfffffffeu
#define SHORT_MAX 7
#define LONG_KEY UINT64_MAX	/* no short key has 0xff in its top byte */

/* An ID of up to SHORT_MAX bytes as a word: its bytes below its length
 * in the top byte, distinct for distinct IDs; LONG_KEY for longer ones. */
static uint64_t short_key(const char *s, size_t len)
{
	uint32_t lo, hi;
	uint64_t k;

	if (len > SHORT_MAX)
		return LONG_KEY;
	if (len >= 4) {
		/* two loads that overlap in the middle cover lengths 4 to 7 */
		memcpy(&lo, s, 4);
		memcpy(&hi, s + len - 4, 4);
		k = lo | (uint64_t)hi << (8 * (len - 4));
	} else if (len > 0) {
		k = (unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
		    (uint64_t)(unsigned char)s[len - 1] << 16;
	} else {
		k = 0;
	}
	return k | (uint64_t)len << 56;
}

/* A short ID's key mixed (MurmurHash3's finaliser); longer IDs through
 * 64-bit FNV-1a.  Either is folded to 32 bits. */
static uint32_t hash_id(const char *s, size_t len, uint64_t key)
{
	uint64_t h = key;

	if (key == LONG_KEY) {
		h = 0xcbf29ce484222325ULL;
		for (size_t i = 0; i < len; i++) {
			h ^= (unsigned char)s[i];
			h *= 0x100000001b3ULL;
		}
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
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

/* The slot of the ID s, or the empty slot where it would go. */
static struct slot *find_slot(const struct rec_dict *d, const char *s, size_t len,
			      uint64_t key, uint32_t h)
{
	for (uint32_t pos = h & d->mask;; pos = (pos + 1) & d->mask) {
		struct slot *slot = &d->slot[pos];

		if (!slot->index)
			return slot;
		if (slot->key == key && slot->hash == h &&
		    (key != LONG_KEY || (entry_len(d, slot->index - 1) == len &&
					 memcmp(d->pool + d->off[slot->index - 1], s, len) == 0)))
			return slot;
	}
}

static int grow_table(struct rec_dict *d)
{
	uint32_t size = (d->mask + 1) * 2;
	/* on huge pages, where a probe misses the cache but not the TLB */
	struct slot *slot = rec_alloc_large_zero((size_t)size * sizeof(*slot));

	if (!slot)
		return REC_ENOMEM;
	for (uint32_t i = 0; i < d->n; i++) {
		uint32_t pos = d->hash[i] & (size - 1);

		while (slot[pos].index)
			pos = (pos + 1) & (size - 1);
		slot[pos] = (struct slot){ short_key(d->pool + d->off[i], entry_len(d, i)),
					   d->hash[i], i + 1 };
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
	uint64_t key = short_key(s, len);
	uint32_t h = hash_id(s, len, key);
	struct slot *slot = find_slot(d, s, len, key, h);
	int rc;

	if (slot->index) {
		*index = slot->index - 1;
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
	*slot = (struct slot){ key, h, d->n + 1 };
	*index = d->n++;
	if (added)
		*added = 1;
	/* A load of three quarters keeps probes short; the table of a
	 * large dictionary then stays small enough to stay in the cache. */
	if ((uint64_t)d->n * 4 > (uint64_t)d->mask * 3)
		return grow_table(d);
	return 0;
}

void rec_dict_prefetch(const struct rec_dict *d, const char *s, size_t len)
{
	uint64_t key = short_key(s, len);

	__builtin_prefetch(&d->slot[hash_id(s, len, key) & d->mask]);
}

int64_t rec_dict_find(const struct rec_dict *d, const char *s, size_t len)
{
	uint64_t key = short_key(s, len);
	struct slot *slot = find_slot(d, s, len, key, hash_id(s, len, key));

	return slot->index ? (int64_t)slot->index - 1 : -1;
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

int rec_dict_intern_all(const struct rec_dict *from, struct rec_dict *to, uint32_t *map)
{
	for (uint32_t i = 0; i < from->n; i++) {
		size_t len;
		const char *s = rec_dict_name(from, i, &len);
		int rc = rec_dict_intern(to, s, len, &map[i], NULL);

		if (rc < 0)
			return rc;
	}
	return 0;
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
