/*
 * db_tool.c - a private option file for the MariaDB command-line tools
 * (see db_tool.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "db_tool.h"
#include "error.h"
#include "program.h"

#define DB_TOOL_FILE_MAX	8192

/* The private option file of one run; "" members: nothing made. */
struct db_tool {
	char	dir[PATH_MAX];
	char	file[PATH_MAX + 16];	/* dir + "/client.cnf" */
	char	option[PATH_MAX + 48];	/* "--defaults-file=<file>" */
};

/*
 * Appends `key="value"` and a newline to `b`, with '\' and '"' escaped as
 * the option file reader expects inside quotes.  A control character
 * could end the line or the value early, so it is refused.  Returns 0,
 * or -1 (errno EINVAL for a control character).
 */
static int
option_line(struct buf *b, const char *key, const char *value)
{
	const char	*p;

	if (buf_printf(b, "%s=\"", key) == -1)
		return -1;
	for (p = value; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			errno = EINVAL;
			return -1;
		}
		if ((*p == '\\' || *p == '"') && buf_append_char(b, '\\') == -1)
			return -1;
		if (buf_append_char(b, *p) == -1)
			return -1;
	}
	return buf_append_str(b, "\"\n");
}

/* The text of the option file for conf `c` into `b`: 0, or -1 (errno). */
static int
option_text(struct buf *b, const struct conf *c)
{
	if (buf_append_str(b, "[client]\n") == -1 ||
	    option_line(b, "user", c->db_user) == -1 ||
	    option_line(b, "password", c->db_password != NULL ?
	    c->db_password : "") == -1)
		return -1;
	/* As db.c connects: "localhost" means the default socket there too. */
	if (c->db_host != NULL)
		return option_line(b, "host", c->db_host) == -1 ||
		    buf_printf(b, "port=%d\n", c->db_port) == -1 ? -1 : 0;
	return option_line(b, "socket", c->db_socket != NULL ?
	    c->db_socket : "") == -1 ||
	    buf_append_str(b, "protocol=socket\n") == -1 ? -1 : 0;
}

/* Removes the option file and its directory, if made. */
static void
db_tool_close(struct db_tool *t)
{
	if (t->file[0] != '\0')
		(void)unlink(t->file);
	if (t->dir[0] != '\0')
		(void)rmdir(t->dir);
	memset(t, 0, sizeof(*t));
}

/*
 * Writes the option file of conf `c` under $TMPDIR (else /tmp) and fills
 * `t`.  Returns 0, or -1 with a message; nothing is left behind on
 * failure.
 */
static int
db_tool_open(struct db_tool *t, const struct conf *c, char *err,
    size_t errlen)
{
	struct buf	 text;
	const char	*tmp;
	ssize_t		 n;
	size_t		 done = 0;
	int		 fd = -1, rc = -1;

	buf_init(&text, DB_TOOL_FILE_MAX);
	memset(t, 0, sizeof(*t));
	if (option_text(&text, c) == -1) {
		error_set(err, errlen, "cannot pass the db_* settings to the "
		    "MariaDB tools: %s", errno == EINVAL ?
		    "a value holds a control character" : strerror(errno));
		goto out;
	}
	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] != '/')
		tmp = "/tmp";
	if ((size_t)snprintf(t->dir, sizeof(t->dir), "%s/tenantd-db-XXXXXX",
	    tmp) >= sizeof(t->dir) - sizeof("/client.cnf")) {
		t->dir[0] = '\0';
		error_set(err, errlen, "TMPDIR is too long");
		goto out;
	}
	if (mkdtemp(t->dir) == NULL) {
		error_set(err, errlen, "cannot make a private directory in "
		    "%s: %s", tmp, strerror(errno));
		t->dir[0] = '\0';
		goto out;
	}
	snprintf(t->file, sizeof(t->file), "%s/client.cnf", t->dir);
	snprintf(t->option, sizeof(t->option), "--defaults-file=%s", t->file);
	if ((fd = open(t->file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto write_failed;
	while (done < text.len) {
		n = write(fd, text.data + done, text.len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto write_failed;
		done += (size_t)n;
	}
	n = close(fd);
	fd = -1;
	if (n == -1)
		goto write_failed;
	rc = 0;
	goto out;
write_failed:
	error_set(err, errlen, "cannot write the MariaDB tools' option "
	    "file: %s", strerror(errno));
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		db_tool_close(t);
	if (text.cap > 0)	/* it held the password */
		explicit_bzero(text.data, text.len);
	buf_release(&text);
	return rc;
}

int
db_tool_run(const struct conf *c, const char *program,
    const char *const args[], int in_fd, int out_fd, char *err,
    size_t errlen)
{
	const char	*argv[DB_TOOL_MAX_ARGS + 5];
	struct db_tool	 t;
	size_t		 n = 0, i;
	int		 rc = -1;

	memset(&t, 0, sizeof(t));
	if (db_tool_open(&t, c, err, errlen) == -1)
		goto out;
	argv[n++] = program;
	argv[n++] = t.option;	/* the tools take it first only */
	for (i = 0; args[i] != NULL; i++) {
		if (i == DB_TOOL_MAX_ARGS) {
			error_set(err, errlen, "%s: too many arguments",
			    program);
			goto out;
		}
		argv[n++] = args[i];
	}
	argv[n++] = "--";
	argv[n++] = c->db_name;
	argv[n] = NULL;
	if (program_run(argv, in_fd, out_fd, 0, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	db_tool_close(&t);
	return rc;
}
