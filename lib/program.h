/*
 * program.h - running an external program (mariadb-dump, mariadb, tar)
 * the safe way: an argument vector, never a shell, so no value from
 * tenantd.conf or the command line is ever parsed as shell syntax.
 *
 * The child gets the caller's descriptors as standard input and output,
 * inherits standard error (its messages reach the operator as they are),
 * and no other descriptor of ours: every descriptor above 2 is closed on
 * exec, the database connection's socket included.
 *
 * Return convention: 0, or -1 with a message in `err`.
 */
#ifndef TENANTD_PROGRAM_H
#define TENANTD_PROGRAM_H

#include <stddef.h>

/*
 * Runs argv[0] (looked up in PATH) with the NULL-terminated `argv`,
 * standard input from `in_fd` and standard output to `out_fd` (-1:
 * /dev/null), and waits for it.  Returns 0 when it exited with a status
 * of at most `ok_status` (tar says 1 for "a file changed as it was
 * read"), or -1 with a message in `err`: "mariadb-dump: not found",
 * "tar exited with status 2 (its messages are above)", "tar was killed by
 * signal 9".
 */
int	program_run(const char *const argv[], int in_fd, int out_fd,
	    int ok_status, char *err, size_t errlen);

#endif
