/* gzstream.h - gzip streams over file descriptors for the binary framing.
 *
 * zlib's gzFile computes a CRC-32 of every byte, and the framing computes
 * its own over the same bytes; these streams leave the CRC to the caller,
 * which hands in the one it already has, so each byte is summed once. */
#ifndef REC_GZSTREAM_H
#define REC_GZSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Stored (level 0) deflate blocks behind a gzip header. */
struct rec_gzstream_sink;

/* A sink writing to fd, which it owns from then on; NULL when out of
 * memory (fd is closed). */
struct rec_gzstream_sink *rec_gzstream_sink_open(int fd);
/* 0, or -1 with errno set. */
int rec_gzstream_sink_write(struct rec_gzstream_sink *s, const void *p, size_t n);
/* End the stream with the trailer: crc is the CRC-32 of every byte
 * written, len their count.  0, or -1 with errno set. */
int rec_gzstream_sink_finish(struct rec_gzstream_sink *s, uint32_t crc, uint64_t len);
void rec_gzstream_sink_close(struct rec_gzstream_sink *s);

/* A gzip stream, or plain bytes when the input does not start with the
 * gzip magic. */
struct rec_gzstream_source;

/* A source reading fd, which it owns from then on; NULL with errno set
 * (fd is closed). */
struct rec_gzstream_source *rec_gzstream_source_open(int fd);
/* Up to n bytes into p: the count, 0 at the end, -1 on an error that
 * rec_gzstream_source_error describes. */
ssize_t rec_gzstream_source_read(struct rec_gzstream_source *s, void *p, size_t n);
/* At the end: whether the gzip trailer holds crc, the CRC-32 of every
 * byte read, and len, their count.  0, or -1 with rec_gzstream_source_error set. */
int rec_gzstream_source_check(struct rec_gzstream_source *s, uint32_t crc, uint64_t len);
const char *rec_gzstream_source_error(const struct rec_gzstream_source *s);
void rec_gzstream_source_close(struct rec_gzstream_source *s);

#endif
