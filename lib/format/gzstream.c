/* gzstream.c - gzip streams over file descriptors (RFC 1952), checked
 * against a CRC the caller computed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzstream.h"

#define CHUNK (1 << 17)
#define TRAILER_LEN 8
#define OS_UNIX 3

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* --- sink --- */

struct rec_gzstream_sink {
	int fd;
	z_stream z;
	unsigned char out[CHUNK];
};

struct rec_gzstream_sink *rec_gzstream_sink_open(int fd)
{
	/* No file name, no time: the same content gives the same bytes. */
	static const unsigned char header[10] = { 0x1f, 0x8b, Z_DEFLATED, 0, 0, 0, 0, 0,
						  0, OS_UNIX };
	struct rec_gzstream_sink *s = calloc(1, sizeof(*s));

	/* Stored blocks need no history and no hash: the smallest window
	 * and memory level spare allocating and clearing a quarter MiB. */
	if (!s || deflateInit2(&s->z, 0, Z_DEFLATED, -9, 1, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(s);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	memcpy(s->out, header, sizeof(header));
	s->z.next_out = s->out + sizeof(header);
	s->z.avail_out = CHUNK - sizeof(header);
	return s;
}

/* Run deflate over the pending input, writing each full buffer. */
static int sink_deflate(struct rec_gzstream_sink *s, int flush)
{
	int zrc;

	do {
		zrc = deflate(&s->z, flush);
		if (zrc == Z_STREAM_ERROR) {
			errno = EINVAL;
			return -1;
		}
		if (s->z.avail_out == 0 || flush == Z_FINISH) {
			if (write_all(s->fd, s->out, CHUNK - s->z.avail_out) < 0)
				return -1;
			s->z.next_out = s->out;
			s->z.avail_out = CHUNK;
		}
	} while (s->z.avail_in || (flush == Z_FINISH && zrc != Z_STREAM_END));
	return 0;
}

int rec_gzstream_sink_write(struct rec_gzstream_sink *s, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n) {
		uInt k = n > UINT32_MAX ? UINT32_MAX : (uInt)n;

		s->z.next_in = (unsigned char *)b;
		s->z.avail_in = k;
		if (sink_deflate(s, Z_NO_FLUSH) < 0)
			return -1;
		b += k;
		n -= k;
	}
	return 0;
}

int rec_gzstream_sink_finish(struct rec_gzstream_sink *s, uint32_t crc, uint64_t len)
{
	unsigned char trailer[TRAILER_LEN];

	if (sink_deflate(s, Z_FINISH) < 0)
		return -1;
	put_le32(trailer, crc);
	put_le32(trailer + 4, (uint32_t)len);
	return write_all(s->fd, trailer, sizeof(trailer));
}

void rec_gzstream_sink_close(struct rec_gzstream_sink *s)
{
	if (!s)
		return;
	deflateEnd(&s->z);
	close(s->fd);
	free(s);
}

/* --- source --- */

struct rec_gzstream_source {
	int fd;
	int gzip;		/* else plain bytes */
	int ended;		/* the deflate stream or the file is over */
	z_stream z;
	char error[160];
	/* The last TRAILER_LEN input bytes consumed before the current
	 * chunk stay in front of it, so the trailer can be read back after
	 * inflate has consumed it, wherever the chunk boundary fell. */
	unsigned char in[TRAILER_LEN + CHUNK];
};

static int source_fail(struct rec_gzstream_source *s, const char *what)
{
	if (what)
		snprintf(s->error, sizeof(s->error), "corrupt compressed data (%s)", what);
	else
		snprintf(s->error, sizeof(s->error), "%s", strerror(errno));
	return -1;
}

/* Refill the chunk after the kept bytes; the count read, or -1. */
static ssize_t source_fill(struct rec_gzstream_source *s)
{
	unsigned char *chunk = s->in + TRAILER_LEN;
	ssize_t k;

	memmove(s->in, s->z.next_in - TRAILER_LEN, TRAILER_LEN);
	do
		k = read(s->fd, chunk, CHUNK);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return source_fail(s, NULL);
	s->z.next_in = chunk;
	s->z.avail_in = (uInt)k;
	return k;
}

struct rec_gzstream_source *rec_gzstream_source_open(int fd)
{
	struct rec_gzstream_source *s = calloc(1, sizeof(*s));

	if (!s) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->z.next_in = s->in + TRAILER_LEN;
	if (source_fill(s) < 0) {
		free(s);
		close(fd);
		return NULL;
	}
	s->gzip = s->z.avail_in >= 2 && s->in[TRAILER_LEN] == 0x1f &&
		  s->in[TRAILER_LEN + 1] == 0x8b;
	if (!s->gzip)
		return s;
	/* The caller checks the CRC-32 against the trailer: inflate need
	 * not compute it again. */
	if (inflateInit2(&s->z, MAX_WBITS + 16) != Z_OK ||
	    inflateValidate(&s->z, 0) != Z_OK) {
		rec_gzstream_source_close(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static ssize_t plain_read(struct rec_gzstream_source *s, unsigned char *p, size_t n)
{
	ssize_t k;

	if (s->z.avail_in) {
		k = (ssize_t)(n < s->z.avail_in ? n : s->z.avail_in);
		memcpy(p, s->z.next_in, (size_t)k);
		s->z.next_in += k;
		s->z.avail_in -= (uInt)k;
		return k;
	}
	do
		k = read(s->fd, p, n);
	while (k < 0 && errno == EINTR);
	return k < 0 ? source_fail(s, NULL) : k;
}

static ssize_t inflate_read(struct rec_gzstream_source *s, unsigned char *p, size_t n)
{
	s->z.next_out = p;
	s->z.avail_out = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	while (s->z.avail_out && !s->ended) {
		int zrc;

		if (!s->z.avail_in) {
			ssize_t k = source_fill(s);

			if (k < 0)
				return -1;
			if (k == 0)
				break;
		}
		zrc = inflate(&s->z, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END)
			s->ended = 1;
		else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return source_fail(s, s->z.msg ? s->z.msg : zError(zrc));
	}
	return (ssize_t)(s->z.next_out - p);
}

ssize_t rec_gzstream_source_read(struct rec_gzstream_source *s, void *p, size_t n)
{
	return s->gzip ? inflate_read(s, p, n) : plain_read(s, p, n);
}

int rec_gzstream_source_check(struct rec_gzstream_source *s, uint32_t crc, uint64_t len)
{
	const unsigned char *trailer = s->z.next_in - TRAILER_LEN;

	if (!s->gzip)
		return 0;
	if (!s->ended)
		return source_fail(s, "unexpected end of file");
	if (get_le32(trailer) != crc)
		return source_fail(s, "incorrect data check");
	if (get_le32(trailer + 4) != (uint32_t)len)
		return source_fail(s, "incorrect length check");
	return 0;
}

const char *rec_gzstream_source_error(const struct rec_gzstream_source *s)
{
	return s->error;
}

void rec_gzstream_source_close(struct rec_gzstream_source *s)
{
	if (!s)
		return;
	if (s->gzip)
		inflateEnd(&s->z);
	close(s->fd);
	free(s);
}
