/*
 * program.c - running an external program without a shell (see
 * program.h).  The child reports a failed exec back through a pipe that
 * closes on exec, so "not found" is told apart from a program that ran
 * and failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "program.h"

/*
 * In the child: puts `fd` (or /dev/null for -1) on descriptor `target`.
 * Returns 0, or -1 with errno set.
 */
static int
child_redirect(int fd, int target, int flags)
{
	int	null_fd;

	if (fd >= 0)
		return dup2(fd, target) == -1 ? -1 : 0;
	if ((null_fd = open("/dev/null", flags)) == -1)
		return -1;
	if (null_fd != target && (dup2(null_fd, target) == -1 ||
	    close(null_fd) == -1))
		return -1;
	return 0;
}

int
program_run(const char *const argv[], int in_fd, int out_fd, int ok_status,
    char *err, size_t errlen)
{
	int	report[2] = { -1, -1 };
	int	child_errno = 0, wstatus, rc = -1;
	ssize_t	n;
	pid_t	pid;

	if (pipe2(report, O_CLOEXEC) == -1) {
		error_set(err, errlen, "%s: cannot make a pipe: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		error_set(err, errlen, "%s: cannot fork: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		signal(SIGPIPE, SIG_DFL);
		if (child_redirect(in_fd, STDIN_FILENO, O_RDONLY) == -1 ||
		    child_redirect(out_fd, STDOUT_FILENO, O_WRONLY) == -1 ||
		    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
			child_errno = errno;
		else {
			execvp(argv[0], (char *const *)argv);
			child_errno = errno;
		}
		(void)!write(report[1], &child_errno, sizeof(child_errno));
		_exit(127);
	}
	close(report[1]);
	report[1] = -1;
	do
		n = read(report[0], &child_errno, sizeof(child_errno));
	while (n == -1 && errno == EINTR);
	while (waitpid(pid, &wstatus, 0) == -1) {
		if (errno != EINTR) {
			error_set(err, errlen, "%s: cannot wait: %s", argv[0],
			    strerror(errno));
			goto out;
		}
	}
	if (n == (ssize_t)sizeof(child_errno)) {
		error_set(err, errlen, "%s: %s", argv[0],
		    child_errno == ENOENT ? "not found" :
		    strerror(child_errno));
		goto out;
	}
	if (WIFSIGNALED(wstatus)) {
		error_set(err, errlen, "%s was killed by signal %d", argv[0],
		    WTERMSIG(wstatus));
		goto out;
	}
	if (WEXITSTATUS(wstatus) > ok_status) {
		error_set(err, errlen, "%s exited with status %d (its "
		    "messages are above)", argv[0], WEXITSTATUS(wstatus));
		goto out;
	}
	rc = 0;
out:
	if (report[0] != -1)
		close(report[0]);
	if (report[1] != -1)
		close(report[1]);
	return rc;
}
