/*
 * tap.c - the TAP producer behind tap.h.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static int planned = -1;
static int run;
static int failed;

void
plan(int count)
{
	planned = count;
	printf("1..%d\n", count);
}

static int
vok(int pass, const char *fmt, va_list ap)
{
	run++;
	if (!pass)
		failed++;
	printf("%sok %d - ", pass ? "" : "not ", run);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return pass;
}

int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vok(pass, fmt, ap);
	va_end(ap);
	return pass;
}

int
is_string(const char *got, const char *expected, const char *name)
{
	int pass;

	if (got == NULL || expected == NULL)
		pass = got == expected;
	else
		pass = strcmp(got, expected) == 0;
	ok(pass, "%s", name);
	if (!pass)
		diag("got \"%s\", expected \"%s\"", got ? got : "(null)",
		    expected ? expected : "(null)");
	return pass;
}

int
is_int(long long got, long long expected, const char *name)
{
	int pass = got == expected;

	ok(pass, "%s", name);
	if (!pass)
		diag("got %lld, expected %lld", got, expected);
	return pass;
}

int
lives_ok(void (*fn)(void *), void *arg, const char *name)
{
	pid_t	pid;
	int	status = 0, pass;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		diag("fork: %s", strerror(errno));
		return ok(0, "%s", name);
	}
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			diag("waitpid: %s", strerror(errno));
			return ok(0, "%s", name);
		}
	}
	pass = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(pass, "%s", name);
	if (!pass && WIFSIGNALED(status))
		diag("the child died of signal %d", WTERMSIG(status));
	else if (!pass)
		diag("the child exited with status %d", WEXITSTATUS(status));
	return pass;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void
done_testing(void)
{
	if (planned < 0) {
		planned = run;
		printf("1..%d\n", run);
	}
}

int
exit_status(void)
{
	return failed == 0 && run == planned ? 0 : 1;
}
