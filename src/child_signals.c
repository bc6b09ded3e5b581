/*
 * child_signals.c - the signal dispositions of the master's children (see
 * child_signals.h), one copy for workers and job runners alike.
 */
#include <signal.h>
#include <string.h>

#include "child_signals.h"

int
child_signals_install(void (*on_term)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_DFL;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = on_term;
	sa.sa_flags = SA_RESTART;
	return sigaction(SIGTERM, &sa, NULL);
}
