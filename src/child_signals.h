/*
 * child_signals.h - the signal dispositions every process the master forks
 * (workers and job runners) starts with.
 */
#ifndef TENANTD_CHILD_SIGNALS_H
#define TENANTD_CHILD_SIGNALS_H

/*
 * Replaces the dispositions inherited from the master: SIGPIPE, SIGHUP and
 * SIGINT ignored (the master alone reloads and stops the pool), SIGCHLD
 * back to the default, and SIGTERM to `on_term` with SA_RESTART.  Leaves
 * the signal mask alone: the master forks with every signal blocked, and
 * each child unblocks what it waits for.  Returns 0 or -1 (errno set).
 */
int	child_signals_install(void (*on_term)(int));

#endif
