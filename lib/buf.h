/*
 * buf.h - growable byte buffers with a hard size limit.
 *
 * Every response body, rendered file and parsed field in tenantd is built in
 * a struct buf.  A buffer never grows past its limit: an append that would
 * pass it fails with -1 and leaves the buffer as it was, so a hostile input
 * can cost at most `limit` bytes.
 *
 * Ownership: the struct is the caller's (usually on the stack); buf_init()
 * allocates nothing, buf_release() frees the contents and re-initialises the
 * buffer so it can be reused.  `data` is never NULL and is always followed by
 * a NUL byte (not counted in `len`), so text can be handed to C string
 * functions directly.
 */
#ifndef TENANTD_BUF_H
#define TENANTD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* never NULL; NUL-terminated */
	size_t	 len;	/* bytes used, excluding the NUL */
	size_t	 cap;	/* bytes allocated (0 while data points at a static "") */
	size_t	 limit;	/* largest len this buffer may reach */
};

#define BUF_NO_LIMIT	((size_t)-1 / 2)

/* Sets up an empty buffer that may grow to `limit` bytes. */
void	buf_init(struct buf *b, size_t limit);

/* Frees the contents; the buffer is empty again and may be reused. */
void	buf_release(struct buf *b);

/* Empties the buffer but keeps its allocation. */
void	buf_reset(struct buf *b);

/*
 * Makes room for `extra` more bytes.  Returns 0, or -1 if that would pass the
 * limit or memory ran out (errno ENOBUFS or ENOMEM); the buffer is unchanged.
 */
int	buf_grow(struct buf *b, size_t extra);

/* Append bytes, a C string, one byte, or printf-formatted text: 0 or -1. */
int	buf_append(struct buf *b, const void *data, size_t len);
int	buf_append_str(struct buf *b, const char *s);
int	buf_append_char(struct buf *b, char c);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/*
 * Appends everything left to read on descriptor `fd`, retrying reads a
 * signal interrupted.  Returns 0 at end of file, or -1 with errno set
 * (ENOBUFS when the content passes the limit); what was read stays.
 */
int	buf_read_fd(struct buf *b, int fd);

/*
 * Hands the contents to the caller, who must free() the result; the buffer is
 * left empty.  Returns NULL only if memory ran out.
 */
char	*buf_detach(struct buf *b, size_t *len);

#endif
