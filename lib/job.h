/*
 * job.h - the queue of long-running work, knowing no job kind.
 *
 * Jobs are rows of the `jobs` table.  Anyone enqueues; runners
 * (job_runner.h) claim with SELECT ... FOR UPDATE SKIP LOCKED, so runners
 * in tenantd's master, in `tenantctl worker` and on other hosts share one
 * queue and no two ever run the same job.  A running job records progress
 * (0-100) and a heartbeat; a job whose heartbeat is older than
 * conf->job_heartbeat_timeout belongs to a runner that died and is queued
 * again, until it has been tried conf->job_max_attempts times, after which
 * it fails.
 *
 * The queue stores a job's kind, payload and result as opaque text: what
 * a kind means, and its payload and result (JSON objects), is defined by
 * its body (job_kinds.h lists them).  This header also holds the contract
 * between the runner and a body (struct job_context), so that bodies and
 * the runner both depend on the queue and not on each other.
 *
 * Ownership: struct job owns its strings; job_release() frees them.
 */
#ifndef TENANTD_JOB_H
#define TENANTD_JOB_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct conf;
struct db;
struct service;

enum job_status {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE,
	JOB_FAILED,
	JOB_CANCELLED
};

#define JOB_STATUS_COUNT	(JOB_CANCELLED + 1)

struct job {
	int64_t		 id;
	char		 kind[33];	/* VARCHAR(32) */
	int64_t		 tenant_id;	/* 0 when none */
	int64_t		 created_by;	/* the user who asked; 0 when none */
	char		*payload;	/* JSON text */
	enum job_status	 status;
	int		 progress;	/* 0-100 */
	char		*result;	/* JSON text or NULL */
	char		*error;		/* message or NULL */
	int		 attempts;
	char		 created_at[32];
	char		 started_at[32];	/* "" when not started */
	char		 finished_at[32];	/* "" when not finished */
};

void	job_init(struct job *j);
void	job_release(struct job *j);

/* "queued", "running", "done", "failed", "cancelled". */
const char *job_status_name(enum job_status status);

/*
 * Queues a job.  `tenant_id` 0 for none.  May run inside the caller's
 * transaction (the job appears when it commits).  Returns 0 with *id set,
 * or -1.
 */
int	job_enqueue(struct db *db, const char *kind, int64_t tenant_id,
	    const char *payload, int64_t user_id, int64_t *id);

/* Loads job `id`: 1 found, 0 not, -1 error. */
int	job_find(struct db *db, int64_t id, struct job *j);

/*
 * Is a job of one of `kinds` (NULL-terminated) queued or running for
 * `tenant_id`?  1 yes, 0 no, -1 error.  Used to refuse with RESULT_BUSY.
 */
int	job_active_for_tenant(struct db *db, int64_t tenant_id,
	    const char *const *kinds);

/*
 * A job found by job_find_pending_for_tenant(): its id (0 when there is
 * none) and whether the payload member asked about is JSON true.
 */
struct job_pending {
	int64_t	id;
	int	flag;
};

/*
 * Finds the jobs of kind `kind` queued or running for `tenant_id`, for a
 * caller that joins one rather than queueing another: the last queued
 * one in *queued and the last running one in *running, each with whether
 * its payload's boolean member `flag_path` (a JSON path such as
 * "$.force") is true.  Meant to run inside the caller's transaction: the
 * rows are locked (FOR UPDATE), so no runner claims one before the
 * transaction ends (runners skip locked rows).  Returns 0, or -1.
 */
int	job_find_pending_for_tenant(struct db *db, int64_t tenant_id,
	    const char *kind, const char *flag_path, struct job_pending *queued,
	    struct job_pending *running);

/* Replaces the payload (JSON text) of job `id`.  Returns 0 or -1. */
int	job_set_payload(struct db *db, int64_t id, const char *payload);

/*
 * Claims the oldest queued job for runner `runner_id` ("host:pid"):
 * 1 with `j` filled and marked running, 0 when the queue is empty, -1.
 */
int	job_claim(struct db *db, const char *runner_id, struct job *j);

/*
 * Claims job `id` for `runner_id` if it is queued (even while a requeue
 * delays it for the runners) and no one else is claiming it: 1 with `j`
 * filled and marked running, 0 when it is not claimable, -1.
 */
int	job_claim_id(struct db *db, int64_t id, const char *runner_id,
	    struct job *j);

/* Records progress (clamped to 0-100) and the heartbeat.  0 or -1. */
int	job_progress(struct db *db, int64_t id, int progress);

/* Marks a job done with a JSON result, or failed with a message.  0 or -1. */
int	job_finish(struct db *db, int64_t id, const char *result_json);
int	job_fail(struct db *db, int64_t id, const char *error);

/*
 * Marks a running job cancelled, with a JSON result of what it did
 * before it stopped (NULL: none).  0 or -1.
 */
int	job_finish_cancelled(struct db *db, int64_t id,
	    const char *result_json);

/* What job_cancel() did. */
enum job_cancel_outcome {
	JOB_CANCEL_NOT_FOUND,
	JOB_CANCEL_NOW,		/* it was queued: cancelled, never runs */
	JOB_CANCEL_ASKED,	/* it runs: its runner stops it (below) */
	JOB_CANCEL_FINISHED	/* it had finished: nothing to cancel */
};

/*
 * Cancels job `id`: a queued job at once; a running one is asked to stop,
 * which its runner notices when the body next reports progress (at least
 * every JOB_HEARTBEAT_INTERVAL_MS, job_runner.c).  Returns 0 with
 * *outcome set, or -1.
 */
int	job_cancel(struct db *db, int64_t id, enum job_cancel_outcome *outcome);

/* Was job `id` asked to stop?  1, 0, or -1. */
int	job_cancel_requested(struct db *db, int64_t id);

/*
 * Requeues running jobs whose heartbeat is older than the timeout (and
 * fails those out of attempts).  Any runner calls this between jobs.
 * Returns the number of jobs touched, or -1.
 */
int	job_reap_stale(struct db *db, const struct conf *c);

/*
 * Puts claimed job `id` back in the queue without counting the attempt,
 * not to be claimed again for `delay_ms` (a runner gives a job back this
 * way when it could not start it: its tenant busy, the database away).
 * Returns 0 or -1.
 */
int	job_requeue(struct db *db, int64_t id, int delay_ms);

/*
 * Counts the jobs of each status into `counts`, indexed by enum
 * job_status (for the metrics).  Returns 0, or -1 when the database
 * cannot answer.
 */
int	job_count_by_status(struct db *db, uint64_t counts[JOB_STATUS_COUNT]);

/* How a job's body ended, for the runner to record. */
enum job_outcome {
	JOB_OUTCOME_DONE,	/* the result holds the JSON result */
	JOB_OUTCOME_FAILED,	/* the message says why */
	JOB_OUTCOME_CANCELLED,	/* stopped on request; the result holds
				   what was done */
	JOB_OUTCOME_RETRY	/* not started: queue it again, uncounted */
};

/*
 * A body's progress: `done` units of `total`.  The same shape as
 * deploy_progress_fn, so a body can hand it to deploy_locked().  Returns
 * 0 (going on), or non-zero once the job was cancelled (job_cancel()):
 * the body then stops, says JOB_OUTCOME_CANCELLED, and
 * struct job_context's `cancelled` reads 1.
 */
typedef int (*job_progress_fn)(void *arg, size_t done, size_t total);

/*
 * What the runner hands the body of a claimed job.  `progress` records
 * the share done together with the heartbeat (rate-limited, so a body
 * may call it as often as it likes); a body that works for longer than
 * conf->job_heartbeat_timeout must call it, or its job is taken for dead
 * and run again.  A body leaves its JSON result in `result` (bounded by
 * the runner) or the reason of a failure in `message`.  A body that says
 * JOB_OUTCOME_RETRY may set `retry_ms`: the job is not claimed again
 * before that many milliseconds (0: conf->job_poll_ms), which is how a
 * body waits for a time of its own (a mail job's back-off).  The runner
 * owns every member; the body only borrows them for the call.
 */
struct job_context {
	struct service		*svc;
	const struct job	*job;
	job_progress_fn		 progress;
	void			*progress_arg;
	const int		*cancelled;	/* 1 once asked to stop */
	struct buf		*result;
	char			*message;
	size_t			 messagelen;
	int			 retry_ms;
};

/* The body of a job kind: runs ctx->job and says how it ended. */
typedef enum job_outcome (*job_body_fn)(struct job_context *ctx);

#endif
