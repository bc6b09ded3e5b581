/*
 * buf.c - unit tests for lib/buf.c: growth, the limit, printf, detach,
 * reading a descriptor to its end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "tap.h"

/* A fresh buffer is empty, NUL-terminated and owns nothing. */
static void
test_init(void)
{
	struct buf	b;

	buf_init(&b, 100);
	ok(b.data != NULL, "init: data is never NULL");
	is_string(b.data, "", "init: data is \"\"");
	is_int(b.len, 0, "init: len 0");
	is_int(b.cap, 0, "init: cap 0");
	is_int(b.limit, 100, "init: limit kept");
	buf_release(&b);
	ok(b.data != NULL && b.len == 0, "release of an empty buffer");
	buf_release(&b);
	ok(b.data != NULL, "release twice is harmless");

	buf_init(&b, (size_t)-1);
	is_int(b.limit == BUF_NO_LIMIT, 1, "init: a huge limit is capped");
	buf_release(&b);
}

/* Appends of every flavour, and growth across many appends. */
static void
test_append(void)
{
	struct buf	b;
	size_t		i;
	int		failures = 0;

	buf_init(&b, BUF_NO_LIMIT);
	is_int(buf_append(&b, "abc", 3), 0, "append bytes");
	is_int(buf_append_str(&b, "def"), 0, "append string");
	is_int(buf_append_char(&b, 'g'), 0, "append char");
	is_string(b.data, "abcdefg", "contents after appends");
	is_int(b.len, 7, "len after appends");
	is_int(buf_append(&b, NULL, 0), 0, "append of nothing");
	is_int(b.len, 7, "append of nothing changes nothing");

	is_int(buf_append_char(&b, '\0'), 0, "append a NUL byte");
	is_int(b.len, 8, "NUL byte counted");
	is_int(b.data[8], 0, "still NUL-terminated after a NUL");

	buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	ok(b.cap != 0, "reset keeps the allocation");
	is_string(b.data, "", "reset leaves \"\"");

	for (i = 0; i < 100000; i++)
		if (buf_append_char(&b, (char)('a' + i % 26)) != 0)
			failures++;
	is_int(failures, 0, "100000 single-byte appends");
	is_int(b.len, 100000, "len after many appends");
	ok(b.cap >= b.len + 1 && b.cap <= 2 * (b.len + 1) + 64,
	    "capacity grew by doubling (cap %zu)", b.cap);
	ok(b.data[0] == 'a' && b.data[25] == 'z' && b.data[99999] ==
	    (char)('a' + 99999 % 26) && b.data[100000] == '\0',
	    "contents survive reallocation");
	buf_release(&b);
	is_int(b.cap, 0, "release frees");
}

/* The limit is enforced exactly and failures change nothing. */
static void
test_limit(void)
{
	struct buf	b;

	buf_init(&b, 5);
	is_int(buf_append(&b, "abcde", 5), 0, "append up to the limit");
	errno = 0;
	is_int(buf_append_char(&b, 'f'), -1, "one byte past the limit fails");
	is_int(errno, ENOBUFS, "errno is ENOBUFS");
	is_string(b.data, "abcde", "buffer unchanged after failure");
	is_int(b.len, 5, "len unchanged after failure");
	ok(b.cap <= 6, "never allocates past limit + 1 (cap %zu)", b.cap);
	is_int(buf_grow(&b, 0), 0, "grow by 0 at the limit");
	errno = 0;
	is_int(buf_grow(&b, (size_t)-1), -1, "grow by SIZE_MAX fails");
	is_int(errno, ENOBUFS, "without overflow (ENOBUFS)");
	is_int(buf_printf(&b, "%s", "x"), -1, "printf past the limit fails");
	is_string(b.data, "abcde", "unchanged after printf failure");
	buf_release(&b);

	buf_init(&b, 0);
	is_int(buf_append_char(&b, 'x'), -1, "limit 0 refuses everything");
	is_int(buf_append(&b, "", 0), 0, "limit 0 accepts nothing");
	buf_release(&b);

	buf_init(&b, BUF_NO_LIMIT);
	is_int(buf_append_char(&b, 'x'), 0, "no-limit buffer appends");
	errno = 0;
	is_int(buf_grow(&b, BUF_NO_LIMIT), -1,
	    "grow past BUF_NO_LIMIT fails");
	is_int(errno, ENOBUFS, "ENOBUFS near SIZE_MAX");
	is_int(buf_grow(&b, (size_t)-1 - 1), -1, "huge grow does not wrap");
	buf_release(&b);

	buf_init(&b, 10);
	is_int(buf_printf(&b, "%d", 12345), 0, "printf into an empty buffer");
	is_int(buf_printf(&b, "%s", "67890"), 0, "printf up to the limit");
	is_string(b.data, "1234567890", "printf contents");
	is_int(buf_printf(&b, "%s", ""), 0, "empty printf at the limit");
	is_int(buf_printf(&b, "%c", 'x'), -1, "printf one past the limit");
	buf_release(&b);
}

/* printf that needs to grow, and long output. */
static void
test_printf(void)
{
	struct buf	b;
	char		expected[2001];

	buf_init(&b, BUF_NO_LIMIT);
	is_int(buf_printf(&b, "%s-%d-%05.1f", "a", 42, 3.14159), 0,
	    "printf formats");
	is_string(b.data, "a-42-003.1", "printf result");
	memset(expected, 'y', 2000);
	expected[2000] = '\0';
	is_int(buf_printf(&b, "%s", expected), 0, "printf of 2000 bytes");
	is_int(b.len, 2010, "len after long printf");
	ok(strcmp(b.data + 10, expected) == 0, "long printf contents");
	buf_release(&b);
}

/* detach hands over the memory and leaves an empty buffer. */
static void
test_detach(void)
{
	struct buf	 b;
	char		*s;
	size_t		 len = 99;

	buf_init(&b, 100);
	s = buf_detach(&b, &len);
	ok(s != NULL && *s == '\0', "detach of an empty buffer gives \"\"");
	is_int(len, 0, "detach length 0");
	free(s);

	buf_append_str(&b, "hello");
	s = buf_detach(&b, &len);
	is_string(s, "hello", "detach returns the contents");
	is_int(len, 5, "detach returns the length");
	is_int(b.len, 0, "buffer empty after detach");
	is_int(b.cap, 0, "buffer owns nothing after detach");
	is_string(b.data, "", "buffer data is \"\" after detach");
	free(s);
	is_int(buf_append_str(&b, "again"), 0, "buffer reusable after detach");
	s = buf_detach(&b, NULL);
	is_string(s, "again", "detach without a length pointer");
	free(s);
	buf_release(&b);
}

/*
 * Writes `len` bytes of 'x' into a temporary file and opens it from the
 * start.  Returns the descriptor, or -1.
 */
static int
file_of(size_t len)
{
	FILE	*f;
	size_t	 i;
	int	 fd;

	if ((f = tmpfile()) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		fputc('x', f);
	if (fflush(f) != 0 || (fd = dup(fileno(f))) == -1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (lseek(fd, 0, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* buf_read_fd() appends a whole file, and stops at the limit. */
static void
test_read_fd(void)
{
	struct buf	b;
	int		fd;

	buf_init(&b, 20000);
	buf_append_str(&b, "head:");
	fd = file_of(19995);
	is_int(buf_read_fd(&b, fd), 0, "read_fd: a file over several reads");
	is_int((long long)b.len, 20000, "read_fd: appended whole");
	ok(strncmp(b.data, "head:xxx", 8) == 0 && b.data[b.len] == '\0',
	    "read_fd: after what was there, NUL-terminated");
	if (fd != -1)
		close(fd);
	buf_release(&b);

	buf_init(&b, 20000);
	fd = file_of(20001);
	errno = 0;
	is_int(buf_read_fd(&b, fd), -1, "read_fd: a file past the limit");
	is_int(errno, ENOBUFS, "read_fd: ... is ENOBUFS");
	ok(b.len <= 20000, "read_fd: ... and the limit holds");
	if (fd != -1)
		close(fd);
	buf_release(&b);

	errno = 0;
	is_int(buf_read_fd(&b, -1), -1, "read_fd: a bad descriptor is -1");
	is_int(errno, EBADF, "read_fd: ... with EBADF");
}

/* Runs every buffer test; the exit status says whether all passed. */
int
main(void)
{
	test_init();
	test_append();
	test_limit();
	test_printf();
	test_detach();
	test_read_fd();
	done_testing();
	return exit_status();
}
