/*
 * ctl_prompt.c - tenantctl's prompts on standard input: a line read a byte
 * at a time, and a password read with echo off on a terminal (see
 * ctl_prompt.h).
 *
 * Turning echo off installs handlers for the signals that could end the
 * process while the terminal is quiet; each puts the saved terminal state
 * back and re-raises its signal, so the shell is never left without echo.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl_common.h"
#include "ctl_prompt.h"

/* Terminal state to put back if a signal arrives while echo is off. */
static struct termios		saved_termios;
static volatile sig_atomic_t	echo_is_off;

/*
 * Reads one line from `fd` into `out` (of `size` bytes) without the line
 * break, a byte at a time so nothing after the line is consumed and no
 * copy of a password lingers in a stdio buffer.  Used for passwords and
 * the delete confirmation.
 */
enum read_line_status
ctl_read_line(int fd, char *out, size_t size)
{
	size_t	used = 0;
	ssize_t	n;
	char	c;
	int	got_any = 0;

	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return READ_LINE_ERROR;
		}
		if (n == 0) {
			if (!got_any)
				return READ_LINE_EOF;
			break;
		}
		got_any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			return READ_LINE_NUL;
		if (used >= size - 1)
			return READ_LINE_TOO_LONG;
		out[used++] = c;
	}
	if (used > 0 && out[used - 1] == '\r')
		used--;
	out[used] = '\0';
	return READ_LINE_OK;
}

/*
 * Puts the terminal back the way it was before echo_off(), then lets the
 * signal do what it would have done.  Installed with SA_RESETHAND, so the
 * re-raised signal meets the default action.
 */
static void
echo_restore_on_signal(int signo)
{
	if (echo_is_off)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	(void)raise(signo);
}

/*
 * Turns off echo on the terminal on standard input (the line break is
 * still echoed), guarding against an interrupt leaving it off.  A signal
 * the parent chose to ignore (nohup) stays ignored.  Returns 0, or -1 if
 * the terminal refused.
 */
static int
echo_off(void)
{
	struct sigaction	sa, old;
	struct termios		quiet;
	const int		signals[] = {
		SIGINT, SIGTERM, SIGHUP, SIGQUIT
	};
	size_t			i;

	if (tcgetattr(STDIN_FILENO, &saved_termios) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_restore_on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (sigaction(signals[i], NULL, &old) == -1)
			return -1;
		if (old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(signals[i], &sa, NULL) == -1)
			return -1;
	}
	quiet = saved_termios;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	echo_is_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1) {
		echo_is_off = 0;
		return -1;
	}
	return 0;
}

/* Undoes echo_off(), keeping whatever was typed since. */
static void
echo_on(void)
{
	(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
	echo_is_off = 0;
}

/*
 * Reads one password line, from the terminal without echo when standard
 * input is one.  Returns 0, or -1 after a message.
 */
int
ctl_read_password(const char *prompt, char out[PASSWORD_MAX + 1])
{
	enum read_line_status	status;
	int			terminal = isatty(STDIN_FILENO);

	if (terminal) {
		/*
		 * The prompt comes after echo is off: turning it off
		 * discards typed-ahead input, which must not be an answer
		 * to a prompt already shown.
		 */
		if (echo_off() == -1) {
			complain("cannot turn off echo on the terminal: %s",
			    strerror(errno));
			return -1;
		}
		fputs(prompt, stderr);
		fflush(stderr);
	}
	status = ctl_read_line(STDIN_FILENO, out, PASSWORD_MAX + 1);
	if (terminal)
		echo_on();

	switch (status) {
	case READ_LINE_OK:
		return 0;
	case READ_LINE_EOF:
		complain("no password given on standard input");
		break;
	case READ_LINE_TOO_LONG:
		complain("password: must be at most %d bytes long",
		    PASSWORD_MAX);
		break;
	case READ_LINE_NUL:
		complain("password: must not contain a NUL byte");
		break;
	case READ_LINE_ERROR:
		complain("cannot read the password: %s", strerror(errno));
		break;
	}
	sodium_memzero(out, PASSWORD_MAX + 1);
	return -1;
}
