/* pseudo.c - pseudonymised user IDs: a secret key, kept in a file of its
 * own, and the keyed hash (HMAC-SHA-256 from libsodium) that turns a raw
 * user ID into the same pseudonym in every run that has the key, and
 * into nothing that leads back to the ID without it. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"

/* libsodium must be set up once before use; it may be called again. */
static int sodium_ready(struct rec_error *err)
{
	if (sodium_init() < 0)
		return rec_error_set(err, REC_EIO, "the crypto library cannot start");
	return 0;
}

static int key_error(struct rec_error *err, const char *path, int code, const char *what)
{
	rec_error_set(err, code, "%s", what);
	rec_error_at(err, path, 0, 0);
	return code;
}

int rec_pseudo_genkey(const char *path, struct rec_error *err)
{
	unsigned char key[REC_PSEUDO_KEY_BYTES];
	int fd, rc = 0;

	if (sodium_ready(err) < 0)
		return REC_EIO;
	/* O_EXCL: a key already in use must never be replaced by accident,
	 * for every pseudonym made with it would be lost. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return key_error(err, path, REC_EIO, strerror(errno));
	randombytes_buf(key, sizeof(key));
	if (write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || fsync(fd) < 0)
		rc = key_error(err, path, REC_EIO, strerror(errno ? errno : EIO));
	if (close(fd) < 0 && rc == 0)
		rc = key_error(err, path, REC_EIO, strerror(errno));
	sodium_memzero(key, sizeof(key));
	if (rc < 0)
		unlink(path);
	return rc;
}

int rec_pseudo_load(struct rec_pseudo *p, const char *path, struct rec_error *err)
{
	unsigned char buf[REC_PSEUDO_KEY_BYTES + 1];
	FILE *fp;
	size_t n;
	int bad;

	if (sodium_ready(err) < 0)
		return REC_EIO;
	if (!(fp = fopen(path, "rb")))
		return key_error(err, path, REC_EIO, strerror(errno));
	n = fread(buf, 1, sizeof(buf), fp);
	bad = ferror(fp);
	fclose(fp);
	if (bad)
		return key_error(err, path, REC_EIO, "read error");
	if (n != REC_PSEUDO_KEY_BYTES) {
		sodium_memzero(buf, sizeof(buf));
		return key_error(err, path, REC_EINVAL, n < REC_PSEUDO_KEY_BYTES ?
				 "a key has 32 bytes, this file fewer" :
				 "a key has 32 bytes, this file more");
	}
	memcpy(p->key, buf, REC_PSEUDO_KEY_BYTES);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

void rec_pseudo_map(const struct rec_pseudo *p, const char *id, size_t len,
		    char out[REC_PSEUDO_LEN + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)id, len, p->key);
	sodium_bin2hex(out, REC_PSEUDO_LEN + 1, mac, REC_PSEUDO_LEN / 2);
}

struct rec_dict *rec_pseudo_dict(const struct rec_dict *d, const struct rec_pseudo *p,
				 struct rec_error *err)
{
	struct rec_dict *out = rec_dict_new();
	char name[REC_PSEUDO_LEN + 1];
	uint32_t n = rec_dict_size(d), index;
	int added = 1;

	if (!out)
		goto nomem;
	for (uint32_t i = 0; i < n && added; i++) {
		size_t len;
		const char *s = rec_dict_name(d, i, &len);

		rec_pseudo_map(p, s, len, name);
		if (rec_dict_intern(out, name, REC_PSEUDO_LEN, &index, &added) < 0)
			goto nomem;
	}
	if (!added) {
		/* 2^-128 a pair of users, but never silently two in one. */
		rec_dict_free(out);
		rec_error_set(err, REC_EINVAL, "two user IDs have the same pseudonym");
		return NULL;
	}
	return out;
nomem:
	rec_dict_free(out);
	rec_error_set(err, REC_ENOMEM, "out of memory");
	return NULL;
}

int64_t *rec_pseudo_dict_map(const struct rec_dict *from, const struct rec_dict *to,
			     const struct rec_pseudo *p)
{
	struct rec_dict *named;
	struct rec_error e;
	int64_t *map;

	if (!p)
		return rec_dict_map(from, to);
	if (!(named = rec_pseudo_dict(from, p, &e)))
		return NULL;
	map = rec_dict_map(named, to);
	rec_dict_free(named);
	return map;
}

int rec_dataset_pseudonymize(struct rec_dataset *ds, const struct rec_pseudo *p,
			     struct rec_error *err)
{
	struct rec_dict *users;

	if (!p || ds->pseudonymous)
		return 0;
	if (!(users = rec_pseudo_dict(ds->users, p, err)))
		return err->code;
	rec_dict_free(ds->users);
	ds->users = users;
	ds->pseudonymous = 1;
	return 0;
}
