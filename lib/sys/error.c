/* error.c - the error record that every library call fills. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rec.h"

int rec_error_set(struct rec_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	memset(err, 0, sizeof(*err));
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void rec_error_at(struct rec_error *err, const char *file, long line, long column)
{
	if (!err)
		return;
	if (file && !err->file[0])
		snprintf(err->file, sizeof(err->file), "%s", file);
	if (line && !err->line)
		err->line = line;
	if (column && !err->column)
		err->column = column;
}

const char *rec_error_str(const struct rec_error *err, char *buf, size_t size)
{
	const char *file = err->file[0] ? err->file : NULL;

	if (file && err->line && err->column)
		snprintf(buf, size, "%s:%ld:%ld: %s", file, err->line,
			 err->column, err->msg);
	else if (file && err->line)
		snprintf(buf, size, "%s:%ld: %s", file, err->line, err->msg);
	else if (file)
		snprintf(buf, size, "%s: %s", file, err->msg);
	else
		snprintf(buf, size, "%s", err->msg);
	return buf;
}
