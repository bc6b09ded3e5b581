/*
 * db_tool.h - the MariaDB command-line tools (mariadb-dump, mariadb) run
 * with the db_* settings of tenantd.conf, the ones tenantd and tenantctl
 * connect with.
 *
 * The password must not appear in an argument vector, where any user can
 * read it (ps, /proc/PID/cmdline), nor in the environment (MYSQL_PWD is
 * visible to the same user through /proc and is deprecated).  So
 * db_tool_run() writes the settings into an option file of its own,
 * mode 0600 in a directory of mode 0700 made by mkdtemp(), the tool reads
 * it through --defaults-file (which also keeps an operator's ~/.my.cnf or
 * /etc/mysql from sending it to another server), and both are removed
 * when the tool is done.
 */
#ifndef TENANTD_DB_TOOL_H
#define TENANTD_DB_TOOL_H

#include <stddef.h>

struct conf;

/* The most arguments db_tool_run() passes on after the option file. */
#define DB_TOOL_MAX_ARGS	16

/*
 * Runs MariaDB tool `program` ("mariadb-dump", "mariadb") as
 * `program --defaults-file=<private file> ARGS... -- <db_name>` with the
 * db_* settings of `c`, standard input from `in_fd` and output to
 * `out_fd` (-1: /dev/null), and waits for it.  `args` is NULL-terminated,
 * at most DB_TOOL_MAX_ARGS.  The option file is removed before this
 * returns.  Returns 0 when the tool exited 0, or -1 with a message in
 * `err` (a value of db_* holding a control character is refused).
 */
int	db_tool_run(const struct conf *c, const char *program,
	    const char *const args[], int in_fd, int out_fd, char *err,
	    size_t errlen);

#endif
