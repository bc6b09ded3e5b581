/*
 * job_workers.h - one job's work shared by forked processes, for jobs
 * whose units (tenants) are independent and whose time goes to waiting
 * on the disk and the database: a rollout of 10,000 tenants.
 *
 * The runner that claimed the job forks `workers` processes.  Each opens
 * a database connection of its own (a connection is never shared across
 * fork; the inherited one is left untouched) and runs the job's function
 * on its share of the units.  A worker's progress goes to shared memory,
 * from which the runner reports the sum as the job's progress (with the
 * heartbeat and the cancel check that come with it); a cancel of the job
 * reaches every worker through the same memory.  Each worker sends its
 * result, a text the job's function writes (JSON), through a pipe.  A
 * worker dies with the runner (PR_SET_PDEATHSIG), so a killed runner
 * leaves no deploys behind it; its job is run again after the heartbeat
 * timeout, as any job of a dead runner.
 */
#ifndef TENANTD_JOB_WORKERS_H
#define TENANTD_JOB_WORKERS_H

#include <stddef.h>

#include "job.h"

struct buf;

/* The most processes one job forks. */
#define JOB_WORKERS_MAX		8

/*
 * The work of worker number `worker` of `workers`: runs with `ctx` (its
 * progress and cancel are the worker's, reporting `done` of the worker's
 * own `total` units) and writes its result into `result`.  Returns 0
 * done, 1 stopped by a cancel, -1 failed (the reason in ctx->message).
 */
typedef int (*job_worker_fn)(struct job_context *ctx, void *arg,
	    size_t worker, size_t workers, struct buf *result);

/*
 * How many workers to fork for `units` units: one per processor, at most
 * JOB_WORKERS_MAX, and one (no fork) below `min_units_each` units each.
 */
size_t	job_workers_count(size_t units, size_t min_units_each);

/*
 * Runs `fn` in `workers` forked processes (see above); `results` is an
 * array of `workers` initialised buffers that receive their results.
 * Returns 0 when every worker finished, 1 when the job was cancelled
 * (every worker stopped), or -1 with ctx->message set when a worker could
 * not start, failed or died.
 */
int	job_workers_run(struct job_context *ctx, size_t workers,
	    job_worker_fn fn, void *arg, struct buf *results);

#endif
