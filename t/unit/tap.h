/*
 * tap.h - Test Anything Protocol output for the C unit tests.
 *
 * Each test program calls plan() (or done_testing() at the end), then ok()
 * and friends, and returns exit_status().  Output goes to standard output
 * in TAP version 13, which automake's tap-driver.sh and prove both read.
 */
#ifndef TENANTD_TAP_H
#define TENANTD_TAP_H

/* Announces the number of tests (call once, before the first). */
void	plan(int count);

/* Records one test; `ok` is its verdict.  Returns `ok`. */
int	ok(int pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* String and integer comparisons that print both values on failure. */
int	is_string(const char *got, const char *expected, const char *name);
int	is_int(long long got, long long expected, const char *name);

/*
 * Runs fn(arg) in a child process and passes if the child returns from it
 * normally: a crash or an abort (a double free glibc or ASan notices, a
 * NULL dereference) fails this test instead of ending the whole program.
 */
int	lives_ok(void (*fn)(void *), void *arg, const char *name);

/* A "# ..." line. */
void	diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the plan if plan() was not called.  Call at the end of main. */
void	done_testing(void);

/* 0 if every test passed and the plan was met, else 1. */
int	exit_status(void);

#endif
