/*
 * job.h - the queue of long-running work (deploys, bulk provisioning).
 *
 * Jobs are rows of the `jobs` table.  Anyone enqueues; runners claim with
 * SELECT ... FOR UPDATE SKIP LOCKED, so runners in tenantd's master, in
 * `tenantctl worker` and on other hosts share one queue and no two ever run
 * the same job.  A synchronous deploy request claims and runs its own job
 * the same way (job_run_or_wait()).  A running job records progress
 * (0-100) and a heartbeat; a job whose heartbeat is older than
 * conf->job_heartbeat_timeout belongs to a runner that died and is queued
 * again, until it has been tried conf->job_max_attempts times, after which
 * it fails.
 *
 * Job kinds and their payloads (JSON objects):
 *   "deploy"   {"force": bool}              deploy_locked() on tenant_id
 *   "bulk_deploy" {"tenant_ids": [id, ...], "force": bool}
 *              deploy_locked() on each listed tenant in turn (tenant_id
 *              NULL); progress is the share of tenants done; a tenant
 *              that fails is listed and the others go on
 * Results are JSON objects too (for deploy: deploy_report_json()'s
 * report; for bulk_deploy: success, total, deployed, failed_count,
 * failures [{tenant_id, subdomain, error}], the first 100).
 *
 * Ownership: struct job owns its strings; job_release() frees them.
 */
#ifndef TENANTD_JOB_H
#define TENANTD_JOB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;
struct service;

enum job_status {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE,
	JOB_FAILED
};

struct job {
	int64_t		 id;
	char		 kind[32];
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

/* "queued", "running", "done", "failed". */
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
 * `tenant_id`?  1 yes, 0 no, -1 error.  Used to answer 409 busy.
 */
int	job_active_for_tenant(struct db *db, int64_t tenant_id,
	    const char *const *kinds);

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

/*
 * Runs claimed job `j` by its kind and records how it ended (done,
 * failed, or back in the queue when its tenant was busy or the database
 * failed).  Used by job_runner_loop() and job_run_or_wait().
 */
void	job_run(struct service *svc, const struct job *j);

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

/* Records progress (clamped to 0-100) and the heartbeat.  0 or -1. */
int	job_progress(struct db *db, int64_t id, int progress);

/* Marks a job done with a JSON result, or failed with a message.  0 or -1. */
int	job_finish(struct db *db, int64_t id, const char *result_json);
int	job_fail(struct db *db, int64_t id, const char *error);

/*
 * Requeues running jobs whose heartbeat is older than the timeout (and
 * fails those out of attempts).  Any runner calls this between jobs.
 * Returns the number of jobs touched, or -1.
 */
int	job_reap_stale(struct db *db, const struct conf *c);

/*
 * Writes this process's runner id, "host:pid", into `out` (64 bytes are
 * enough for the usual host names; a longer one is cut).
 */
void	job_runner_id(char *out, size_t outlen);

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
