/*
 * runner.h - a job runner process of the tenantd master.
 *
 * The master forks conf->job_runners of them next to the FastCGI workers.
 * A runner opens its own service after fork, then runs the job queue
 * (job.h) until SIGTERM, which it honours between jobs: a deploy that has
 * started finishes first.  It renames itself "tenantd-runner" (the comm
 * name that ps and /proc/PID/comm show) so it can be told from a worker.
 */
#ifndef TENANTD_RUNNER_H
#define TENANTD_RUNNER_H

struct conf;

/* The comm name of runner processes (at most 15 characters). */
#define RUNNER_PROCESS_NAME	"tenantd-runner"

/*
 * Runs a job runner until SIGTERM.  `ready_fd`, when not -1, receives the
 * runner's pid once it is set up (the master's readiness pipe, as for
 * workers) and is closed.  Returns the process exit status.
 */
int	runner_run(const struct conf *c, int ready_fd);

#endif
