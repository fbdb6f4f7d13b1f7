/* fuzz.h - what the fuzz targets share: their entry points, and files in
 * memory that the library opens by name.
 *
 * Each target is one file defining LLVMFuzzerTestOneInput.  Built with
 * clang and -fsanitize=fuzzer it is a libFuzzer program; linked with
 * replay.c it is a plain program that runs the inputs named on its
 * command line, which is how the suite replays the regression files. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A file in memory holding size bytes at data, for the library to open by
 * its path, "/proc/self/fd/N".  fuzz_file_close gives it back. */
struct fuzz_file {
	int fd;
	char path[32];
};

/* 0, or -1 if the file could not be made. */
int fuzz_file_open(struct fuzz_file *f, const void *data, size_t size);
/* Append size bytes: 0 or -1. */
int fuzz_file_append(struct fuzz_file *f, const void *data, size_t size);
void fuzz_file_close(struct fuzz_file *f);

/* A binary file (.recd, .recm) made of the input and the CRC-32 that a
 * writer puts after it, so that mutations reach the parsers and what
 * comes after loading, not only the checksum test. */
int fuzz_file_framed(struct fuzz_file *f, const void *data, size_t size);

/* Report a broken property of the code under test and abort, which the
 * fuzzer records as a crash. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
