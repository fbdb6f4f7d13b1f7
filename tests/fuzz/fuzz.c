/* fuzz.c - files in memory for the fuzz targets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int fuzz_file_open(struct fuzz_file *f, const void *data, size_t size)
{
	if ((f->fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
	if (fuzz_file_append(f, data, size) < 0) {
		fuzz_file_close(f);
		return -1;
	}
	return 0;
}

int fuzz_file_append(struct fuzz_file *f, const void *data, size_t size)
{
	return write_all(f->fd, data, size);
}

void fuzz_file_close(struct fuzz_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

int fuzz_file_framed(struct fuzz_file *f, const void *data, size_t size)
{
	uLong crc = crc32_z(crc32(0, NULL, 0), data, size);
	unsigned char le[4];

	for (int i = 0; i < 4; i++)
		le[i] = (unsigned char)(crc >> (8 * i));
	if (fuzz_file_open(f, data, size) < 0)
		return -1;
	if (fuzz_file_append(f, le, sizeof(le)) < 0) {
		fuzz_file_close(f);
		return -1;
	}
	return 0;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}
