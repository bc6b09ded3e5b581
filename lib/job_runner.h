/*
 * job_runner.h - running the queue's jobs: claim, look up the kind
 * (job_kinds.h), run its body, record how it ended.
 *
 * Used by tenantd's job runner processes and `tenantctl worker` (the
 * loop), and by a synchronous deploy request, which claims and runs its
 * own job the same way (job_run_or_wait()).  A started job always
 * finishes: a stop request is honoured between jobs only.
 */
#ifndef TENANTD_JOB_RUNNER_H
#define TENANTD_JOB_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct job;
struct service;

/*
 * Writes this process's runner id, "host:pid", into `out` (64 bytes are
 * enough for the usual host names; a longer one is cut).
 */
void	job_runner_id(char *out, size_t outlen);

/*
 * Runs claimed job `j` by its kind and records how it ended (done,
 * failed, or back in the queue when its tenant was busy or the database
 * failed).  Used by job_runner_loop() and job_run_or_wait().
 */
void	job_run(struct service *svc, const struct job *j);

/*
 * A watcher of a job run in this process: called with the body's progress
 * (`done` of `total`) every time it is reported; returning non-zero
 * cancels the job as job_cancel() would (tenantctl's Ctrl-C).
 */
typedef int (*job_watch_fn)(void *arg, size_t done, size_t total);

/* job_run() with a watcher `watch` (may be NULL). */
void	job_run_watched(struct service *svc, const struct job *j,
	    job_watch_fn watch, void *watch_arg);

/*
 * Sees job `id` through to its end for a caller that needs its outcome
 * now: while it is queued this process claims and runs it itself (so it
 * finishes with no runner about), while another process runs it this one
 * polls, for at most `timeout_ms` in all.  Returns 1 with `j` holding the
 * finished job (done or failed), 0 with `j` as last seen when it had not
 * finished in time, -1 on an error (or when the job does not exist).
 */
int	job_run_or_wait(struct service *svc, int64_t id, int timeout_ms,
	    struct job *j);

/*
 * Runs jobs until *stop becomes non-zero: claims, runs by kind, records the
 * outcome, and sleeps conf->job_poll_ms when the queue is empty.  Used by
 * tenantd's job runner processes and by `tenantctl worker`.  `once`
 * non-zero: return after the queue is first found empty.  Returns 0, or -1
 * if the service could not run at all.
 */
int	job_runner_loop(struct service *svc, const char *runner_id,
	    volatile sig_atomic_t *stop, int once);

#endif
