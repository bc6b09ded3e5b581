/*
 * buf.c - growable byte buffers with a hard size limit (see buf.h).
 *
 * Growth doubles the allocation so that appending n bytes one at a time
 * costs O(n), and every size computation is checked for overflow before it
 * is used, so a limit near SIZE_MAX cannot wrap into a small allocation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

/* What `data` points at while nothing is allocated. */
static char empty_string[1] = "";

/* Smallest allocation, so tiny appends do not reallocate every time. */
#define BUF_MIN_ALLOC	64

/* Bytes buf_read_fd() asks for at a time. */
#define BUF_READ_CHUNK	8192

/*
 * Sets up an empty buffer that may hold up to `limit` bytes.  Called by
 * everyone before first use; allocates nothing.
 */
void
buf_init(struct buf *b, size_t limit)
{
	b->data = empty_string;
	b->len = 0;
	b->cap = 0;
	b->limit = limit > BUF_NO_LIMIT ? BUF_NO_LIMIT : limit;
}

/*
 * Frees what the buffer holds and leaves it empty with the same limit, ready
 * for reuse.
 */
void
buf_release(struct buf *b)
{
	if (b->cap != 0)
		free(b->data);
	b->data = empty_string;
	b->len = 0;
	b->cap = 0;
}

/* Empties the buffer but keeps the allocation for the next appends. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap != 0)
		b->data[0] = '\0';
}

/*
 * Ensures room for `extra` more bytes plus the terminating NUL.  Returns 0,
 * or -1 with errno ENOBUFS (limit) or ENOMEM; on failure the buffer is
 * untouched.
 */
int
buf_grow(struct buf *b, size_t extra)
{
	size_t	 needed, new_cap;
	char	*new_data;

	if (extra > b->limit - b->len) {
		errno = ENOBUFS;
		return -1;
	}
	/* len + extra <= limit <= SIZE_MAX / 2, so adding 1 cannot wrap. */
	needed = b->len + extra + 1;
	if (needed <= b->cap)
		return 0;

	new_cap = b->cap < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->cap;
	while (new_cap < needed)
		new_cap *= 2;	/* new_cap < needed <= SIZE_MAX / 2 + 1 */
	if (new_cap > b->limit + 1)
		new_cap = b->limit + 1;

	new_data = realloc(b->cap != 0 ? b->data : NULL, new_cap);
	if (new_data == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (b->cap == 0)
		new_data[0] = '\0';
	b->data = new_data;
	b->cap = new_cap;
	return 0;
}

/* Appends `len` bytes of `data`.  Returns 0, or -1 (buffer unchanged). */
int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (buf_grow(b, len) == -1)
		return -1;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

/*
 * Appends what is left to read on `fd`: the one read loop of the small
 * files tenantd reads whole (the module catalog, a deploy's record, a
 * template's tenantd-template.json).  Returns 0 at end of file, or -1
 * with errno set (ENOBUFS past the limit).
 */
int
buf_read_fd(struct buf *b, int fd)
{
	char	chunk[BUF_READ_CHUNK];
	ssize_t	n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		if (buf_append(b, chunk, (size_t)n) == -1)
			return -1;
	}
}

/* Appends a C string without its NUL.  Returns 0 or -1. */
int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* Appends one byte (which may be NUL).  Returns 0 or -1. */
int
buf_append_char(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/*
 * Appends printf-formatted text.  Formats once into the spare room and, if
 * that was too small, grows and formats again.  Returns 0, or -1 with the
 * buffer unchanged.
 */
int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 copy;
	size_t	 spare;
	int	 written;
	char	 probe[1];

	va_copy(copy, ap);
	if (b->cap != 0) {
		spare = b->cap - b->len;
		written = vsnprintf(b->data + b->len, spare, fmt, copy);
	} else {
		spare = 0;
		written = vsnprintf(probe, sizeof(probe), fmt, copy);
	}
	va_end(copy);
	if (written < 0) {
		if (b->cap != 0)
			b->data[b->len] = '\0';
		errno = EINVAL;
		return -1;
	}
	if ((size_t)written < spare) {
		/* It fit; check the limit before accepting it. */
		if ((size_t)written > b->limit - b->len) {
			b->data[b->len] = '\0';
			errno = ENOBUFS;
			return -1;
		}
		b->len += (size_t)written;
		return 0;
	}
	if (b->cap != 0)
		b->data[b->len] = '\0';
	if (buf_grow(b, (size_t)written) == -1)
		return -1;
	va_copy(copy, ap);
	written = vsnprintf(b->data + b->len, b->cap - b->len, fmt, copy);
	va_end(copy);
	if (written < 0 || (size_t)written >= b->cap - b->len) {
		b->data[b->len] = '\0';
		errno = EINVAL;
		return -1;
	}
	b->len += (size_t)written;
	return 0;
}

/* Appends printf-formatted text.  Returns 0 or -1 (buffer unchanged). */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/*
 * Hands the contents to the caller as a malloc'd NUL-terminated string and
 * stores its length in *len (if len is not NULL).  The buffer is left empty.
 * Returns NULL only when memory ran out, in which case the buffer keeps its
 * contents.
 */
char *
buf_detach(struct buf *b, size_t *len)
{
	char	*result;

	if (b->cap == 0) {
		result = malloc(1);
		if (result == NULL)
			return NULL;
		result[0] = '\0';
	} else
		result = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = empty_string;
	b->len = 0;
	b->cap = 0;
	return result;
}
