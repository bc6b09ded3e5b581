/*
 * ctl_prompt.h - tenantctl reading an answer from standard input: a line
 * (the delete confirmation) and a password, typed without echo when
 * standard input is a terminal.
 *
 * Both read a byte at a time, so nothing after the line is consumed and no
 * copy of a password lingers in a stdio buffer.  While echo is off, a
 * SIGINT, SIGTERM, SIGHUP or SIGQUIT puts the terminal back before it
 * takes effect.
 */
#ifndef TENANTD_CTL_PROMPT_H
#define TENANTD_CTL_PROMPT_H

#include <stddef.h>

#include "validate.h"

/* How ctl_read_line() ended. */
enum read_line_status {
	READ_LINE_OK,
	READ_LINE_EOF,		/* end of input before any byte */
	READ_LINE_TOO_LONG,
	READ_LINE_NUL,		/* a NUL byte in the line */
	READ_LINE_ERROR		/* errno says why */
};

/*
 * Reads one line from `fd` into `out` (of `size` bytes, at least 1)
 * without the line break (nor a '\r' before it).
 */
enum read_line_status	ctl_read_line(int fd, char *out, size_t size);

/*
 * Reads one password line from standard input, showing `prompt` on
 * standard error and turning echo off when it is a terminal.  Returns 0,
 * or -1 after a message with `out` wiped.
 */
int	ctl_read_password(const char *prompt, char out[PASSWORD_MAX + 1]);

#endif
