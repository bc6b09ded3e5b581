/*
 * job.c - the job queue in the `jobs` table: enqueue, find, claim,
 * progress and heartbeat, finish or fail, requeue, reap.  It knows no job
 * kind: job_kinds.c maps kinds to their bodies, job_runner.c runs them.
 *
 * Claiming is one short transaction: the oldest claimable queued row is
 * read with SELECT ... FOR UPDATE SKIP LOCKED (a row another runner is
 * claiming at that moment is skipped, not waited for) and marked running
 * with this runner's id before the commit, so two runners can never leave
 * with the same job.
 *
 * heartbeat_at has two meanings, one per status.  For a running job it is
 * the last sign of life of its runner; job_reap_stale() requeues a running
 * job whose heartbeat is too old.  For a queued job it is, when set, the
 * earliest time the job may be claimed: a job put back because its tenant
 * was busy waits a poll interval there, so it neither spins nor blocks the
 * jobs queued behind it.  A reaped job keeps its old heartbeat, which lies
 * in the past, and is claimable at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "validate.h"

/* The error column is VARCHAR(1000). */
#define JOB_ERROR_MAX			1000

/* Bytes of struct job's kind with its NUL: the longest kind it loads. */
#define JOB_KIND_SIZE			sizeof(((struct job *)NULL)->kind)

/* Times leave the database as the API writes them, in UTC. */
#define JOB_TIMESTAMP(col) \
	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/* The columns job_find() reads, in the order of enum job_column. */
#define JOB_COLUMNS \
	"id, kind, tenant_id, payload, status, progress, result, error, " \
	"attempts, " JOB_TIMESTAMP("created_at") ", " \
	JOB_TIMESTAMP("started_at") ", " JOB_TIMESTAMP("finished_at") ", " \
	"created_by"

enum job_column {
	COL_ID,
	COL_KIND,
	COL_TENANT_ID,
	COL_PAYLOAD,
	COL_STATUS,
	COL_PROGRESS,
	COL_RESULT,
	COL_ERROR,
	COL_ATTEMPTS,
	COL_CREATED_AT,
	COL_STARTED_AT,
	COL_FINISHED_AT,
	COL_CREATED_BY
};

static const char *const status_names[JOB_STATUS_COUNT] = {
	[JOB_QUEUED] = "queued",
	[JOB_RUNNING] = "running",
	[JOB_DONE] = "done",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled"
};

/*
 * Prepares `j` for job_find() or job_claim(): no strings, nothing
 * started.
 */
void
job_init(struct job *j)
{
	memset(j, 0, sizeof(*j));
}

/* Frees the strings of `j` and initialises it again. */
void
job_release(struct job *j)
{
	free(j->payload);
	free(j->result);
	free(j->error);
	job_init(j);
}

/* The database spelling of a status; "failed" for a value out of range. */
const char *
job_status_name(enum job_status status)
{
	if ((size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "failed";
	return status_names[status];
}

/*
 * Queues a job: the row starts as 'queued' with no attempts.  Its
 * created_at is written in UTC like every other time of the schema.
 * Returns 0 with *id set, or -1.
 */
int
job_enqueue(struct db *db, const char *kind, int64_t tenant_id,
    const char *payload, int64_t user_id, int64_t *id)
{
	struct db_param params[4];
	uint64_t insert_id = 0;

	if (kind == NULL || kind[0] == '\0' || strlen(kind) >= JOB_KIND_SIZE) {
		log_error("job_enqueue: invalid job kind");
		return -1;
	}
	params[0] = db_text(kind);
	params[1] = tenant_id > 0 ? db_int(tenant_id) : db_null();
	params[2] = db_text(payload != NULL ? payload : "{}");
	params[3] = user_id > 0 ? db_int(user_id) : db_null();
	if (db_exec(db, "INSERT INTO jobs (kind, tenant_id, payload, "
	    "created_by, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))",
	    params, 4, NULL, &insert_id) == -1)
		return -1;
	if (insert_id == 0 || insert_id > INT64_MAX)
		return -1;
	*id = (int64_t)insert_id;
	return 0;
}

/* Turns the status column into the enum.  0, or -1 for an unknown text. */
static int
status_parse(const char *text, enum job_status *status)
{
	size_t i;

	if (text == NULL)
		return -1;
	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(text, status_names[i]) == 0) {
			*status = (enum job_status)i;
			return 0;
		}
	return -1;
}

/*
 * Loads job `id` into `j`.  Returns 1 when found, 0 when there is no such
 * job, -1 on an error (with `j` left released).
 */
int
job_find(struct db *db, int64_t id, struct job *j)
{
	struct db_result r;
	struct db_param param;
	int rc = -1;

	db_result_init(&r);
	job_release(j);
	param = db_int(id);
	if (db_query(db, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?",
	    &param, 1, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	j->id = db_cell_int(&r, 0, COL_ID, 0);
	if (db_cell_copy(&r, 0, COL_KIND, j->kind, sizeof(j->kind),
	    NULL) == -1) {
		log_error("job %" PRId64 ": no kind", id);
		goto out;
	}
	j->tenant_id = db_cell_int(&r, 0, COL_TENANT_ID, 0);
	j->created_by = db_cell_int(&r, 0, COL_CREATED_BY, 0);
	if (status_parse(db_cell(&r, 0, COL_STATUS), &j->status) == -1) {
		log_error("job %" PRId64 ": unknown status", id);
		goto out;
	}
	j->progress = (int)db_cell_int(&r, 0, COL_PROGRESS, 0);
	j->attempts = (int)db_cell_int(&r, 0, COL_ATTEMPTS, 0);
	if (db_cell_copy(&r, 0, COL_CREATED_AT, j->created_at,
	    sizeof(j->created_at), "") == -1 ||
	    db_cell_copy(&r, 0, COL_STARTED_AT, j->started_at,
	    sizeof(j->started_at), "") == -1 ||
	    db_cell_copy(&r, 0, COL_FINISHED_AT, j->finished_at,
	    sizeof(j->finished_at), "") == -1) {
		log_error("job %" PRId64 ": a timestamp does not fit", id);
		goto out;
	}
	if (db_cell_dup(&r, 0, COL_PAYLOAD, &j->payload) == -1 ||
	    db_cell_dup(&r, 0, COL_RESULT, &j->result) == -1 ||
	    db_cell_dup(&r, 0, COL_ERROR, &j->error) == -1) {
		log_error("job %" PRId64 ": out of memory", id);
		goto out;
	}
	rc = 1;
out:
	if (rc == -1)
		job_release(j);
	db_result_release(&r);
	return rc;
}

/*
 * Looks for a queued or running job of tenant `tenant_id` whose kind is in
 * `kinds` (NULL-terminated; a NULL list matches every kind).  The kinds
 * are compared here so the SQL stays one constant statement.  Returns 1,
 * 0 or -1.
 */
int
job_active_for_tenant(struct db *db, int64_t tenant_id,
    const char *const *kinds)
{
	struct db_result r;
	struct db_param param;
	const char *kind;
	size_t row, k;
	int rc = -1;

	db_result_init(&r);
	param = db_int(tenant_id);
	if (db_query(db, "SELECT kind FROM jobs WHERE tenant_id = ? AND "
	    "status IN ('queued', 'running')", &param, 1, &r) == -1)
		goto out;
	rc = 0;
	for (row = 0; row < r.rows && rc == 0; row++) {
		if ((kind = db_cell(&r, row, 0)) == NULL)
			continue;
		if (kinds == NULL) {
			rc = 1;
			break;
		}
		for (k = 0; kinds[k] != NULL; k++)
			if (strcmp(kinds[k], kind) == 0) {
				rc = 1;
				break;
			}
	}
out:
	db_result_release(&r);
	return rc;
}

/*
 * Finds the queued and the running job of `kind` for `tenant_id`, locking
 * their rows (see job.h).  Called by deploy_enqueue() inside its
 * transaction.  Returns 0 or -1.
 */
int
job_find_pending_for_tenant(struct db *db, int64_t tenant_id,
    const char *kind, const char *flag_path, struct job_pending *queued,
    struct job_pending *running)
{
	struct db_result r;
	struct db_param params[3];
	struct job_pending *found;
	const char *status;
	size_t row;
	int rc = -1;

	db_result_init(&r);
	memset(queued, 0, sizeof(*queued));
	memset(running, 0, sizeof(*running));
	params[0] = db_text(flag_path);
	params[1] = db_int(tenant_id);
	params[2] = db_text(kind);
	if (db_query(db, "SELECT id, status, "
	    "COALESCE(JSON_VALUE(payload, ?) = 'true', 0) "
	    "FROM jobs WHERE tenant_id = ? AND kind = ? AND "
	    "status IN ('queued', 'running') ORDER BY id FOR UPDATE",
	    params, 3, &r) == -1)
		goto out;
	for (row = 0; row < r.rows; row++) {
		status = db_cell(&r, row, 1);
		found = status != NULL && strcmp(status, "queued") == 0 ?
		    queued : running;
		found->id = db_cell_int(&r, row, 0, 0);
		found->flag = db_cell_int(&r, row, 2, 0) == 1;
	}
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Replaces job `id`'s payload (see job.h).  Called by deploy_enqueue() to
 * make a joined deploy job force.  Returns 0 or -1.
 */
int
job_set_payload(struct db *db, int64_t id, const char *payload)
{
	struct db_param params[2];

	params[0] = db_text(payload);
	params[1] = db_int(id);
	return db_exec(db, "UPDATE jobs SET payload = ? WHERE id = ?", params,
	    2, NULL, NULL);
}

/*
 * The claim transaction: picks job `*id` when it is non-zero and queued,
 * else the oldest claimable queued job, skipping rows other runners hold
 * either way, and marks it running for `runner_id`.  Returns 1 with *id
 * set, 0 when there is nothing to claim, -1 on an error (the transaction
 * rolled back).
 */
static int
claim_one(struct db *db, const char *runner_id, int64_t *id)
{
	struct db_result r;
	struct db_param params[2];
	uint64_t affected = 0;
	int rc = -1;

	db_result_init(&r);
	if (db_begin(db) == -1)
		goto out;
	params[0] = db_int(*id);
	if ((*id > 0 ? db_query(db, "SELECT id FROM jobs WHERE id = ? AND "
	    "status = 'queued' FOR UPDATE SKIP LOCKED", params, 1, &r) :
	    db_query(db, "SELECT id FROM jobs WHERE status = 'queued' AND "
	    "(heartbeat_at IS NULL OR heartbeat_at <= UTC_TIMESTAMP(6)) "
	    "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", NULL, 0, &r)) == -1)
		goto out;
	if (r.rows == 0) {
		if (db_commit(db) == -1)
			goto out;
		rc = 0;
		goto out;
	}
	*id = db_cell_int(&r, 0, 0, 0);
	params[0] = db_text(runner_id);
	params[1] = db_int(*id);
	if (db_exec(db, "UPDATE jobs SET status = 'running', "
	    "attempts = attempts + 1, runner = ?, "
	    "heartbeat_at = UTC_TIMESTAMP(6), "
	    "started_at = COALESCE(started_at, UTC_TIMESTAMP(6)), "
	    "progress = 0 WHERE id = ? AND status = 'queued'", params, 2,
	    &affected, NULL) == -1)
		goto out;
	if (db_commit(db) == -1)
		goto out;
	rc = affected == 1 ? 1 : 0;
out:
	if (rc == -1)
		db_rollback(db);
	db_result_release(&r);
	return rc;
}

/*
 * Claims job `only_id` (0: the oldest claimable one) and loads it into
 * `j`.  A job claimed but then unreadable stays running and is requeued
 * by the heartbeat timeout.  Returns 1, 0 or -1 (see job.h).
 */
static int
claim_load(struct db *db, const char *runner_id, int64_t only_id,
    struct job *j)
{
	int64_t id = only_id;
	int rc, runs = 1;

	/*
	 * A claim is database work only, so one that InnoDB or Galera
	 * aborted (two runners' claims on different nodes) is run again.
	 */
	while ((rc = claim_one(db, runner_id, &id)) == -1 &&
	    db_run_again(db, &runs, "job claim"))
		id = only_id;
	if (rc != 1)
		return rc;
	if ((rc = job_find(db, id, j)) == 0) {
		log_error("job %" PRId64 " vanished after being claimed", id);
		return -1;
	}
	return rc;
}

/*
 * Claims the oldest claimable queued job for `runner_id` and loads it into
 * `j`.  Returns 1 with `j` filled (status running), 0 when the queue holds
 * nothing to claim, -1 on an error.
 */
int
job_claim(struct db *db, const char *runner_id, struct job *j)
{
	return claim_load(db, runner_id, 0, j);
}

/*
 * Claims queued job `id` for `runner_id`, whatever its place in the
 * queue.  Called by job_run_or_wait().  Returns 1, 0 or -1 (see job.h).
 */
int
job_claim_id(struct db *db, int64_t id, const char *runner_id, struct job *j)
{
	if (id <= 0)
		return 0;
	return claim_load(db, runner_id, id, j);
}

/*
 * Records the progress of a running job (clamped to 0-100) together with
 * its heartbeat.  Returns 0 or -1.
 */
int
job_progress(struct db *db, int64_t id, int progress)
{
	struct db_param params[2];

	if (progress < 0)
		progress = 0;
	if (progress > 100)
		progress = 100;
	params[0] = db_int(progress);
	params[1] = db_int(id);
	return db_exec(db, "UPDATE jobs SET progress = ?, "
	    "heartbeat_at = UTC_TIMESTAMP(6) WHERE id = ? AND "
	    "status = 'running'", params, 2, NULL, NULL);
}

/* Marks job `id` done with its JSON result.  Returns 0 or -1. */
int
job_finish(struct db *db, int64_t id, const char *result_json)
{
	struct db_param params[2];

	params[0] = result_json != NULL ? db_text(result_json) : db_null();
	params[1] = db_int(id);
	return db_exec(db, "UPDATE jobs SET status = 'done', progress = 100, "
	    "result = ?, error = NULL, heartbeat_at = UTC_TIMESTAMP(6), "
	    "finished_at = UTC_TIMESTAMP(6) WHERE id = ?", params, 2, NULL,
	    NULL);
}

/* Marks job `id` cancelled with what it did.  Returns 0 or -1. */
int
job_finish_cancelled(struct db *db, int64_t id, const char *result_json)
{
	struct db_param params[2];

	params[0] = result_json != NULL ? db_text(result_json) : db_null();
	params[1] = db_int(id);
	return db_exec(db, "UPDATE jobs SET status = 'cancelled', result = ?, "
	    "error = 'cancelled', heartbeat_at = UTC_TIMESTAMP(6), "
	    "finished_at = UTC_TIMESTAMP(6) WHERE id = ?", params, 2, NULL,
	    NULL);
}

/*
 * Cancels job `id` (job.h): a queued job is marked cancelled in the same
 * statement that checks it is queued, so no runner claims it after; a
 * running one gets cancel_requested.  Returns 0 or -1.
 */
int
job_cancel(struct db *db, int64_t id, enum job_cancel_outcome *outcome)
{
	struct db_param	params[1];
	struct job	j;
	uint64_t	affected = 0;
	int		rc;

	*outcome = JOB_CANCEL_NOT_FOUND;
	params[0] = db_int(id);
	if (db_exec(db, "UPDATE jobs SET status = 'cancelled', "
	    "cancel_requested = 1, error = 'cancelled', "
	    "finished_at = UTC_TIMESTAMP(6) WHERE id = ? AND "
	    "status = 'queued'", params, 1, &affected, NULL) == -1)
		return -1;
	if (affected > 0) {
		*outcome = JOB_CANCEL_NOW;
		return 0;
	}
	if (db_exec(db, "UPDATE jobs SET cancel_requested = 1 WHERE id = ? "
	    "AND status = 'running'", params, 1, &affected, NULL) == -1)
		return -1;
	if (affected > 0) {
		*outcome = JOB_CANCEL_ASKED;
		return 0;
	}
	job_init(&j);
	rc = job_find(db, id, &j);
	if (rc == 1)
		*outcome = j.status == JOB_RUNNING ? JOB_CANCEL_ASKED :
		    JOB_CANCEL_FINISHED;
	job_release(&j);
	return rc == -1 ? -1 : 0;
}

/* Was job `id` asked to stop?  1, 0, or -1. */
int
job_cancel_requested(struct db *db, int64_t id)
{
	struct db_param		params[1];
	struct db_result	r;
	int			rc = -1;

	memset(&r, 0, sizeof(r));
	params[0] = db_int(id);
	if (db_query(db, "SELECT cancel_requested FROM jobs WHERE id = ?",
	    params, 1, &r) == -1)
		goto out;
	rc = r.rows > 0 && db_cell_int(&r, 0, 0, 0) != 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Marks job `id` failed with `error`, cut to the column's size.  Returns 0
 * or -1.
 */
int
job_fail(struct db *db, int64_t id, const char *error)
{
	struct db_param params[2];

	if (error == NULL || error[0] == '\0')
		error = "the job failed";
	params[0] = db_textn(error, utf8_prefix_length(error, JOB_ERROR_MAX));
	params[1] = db_int(id);
	return db_exec(db, "UPDATE jobs SET status = 'failed', error = ?, "
	    "finished_at = UTC_TIMESTAMP(6) WHERE id = ?", params, 2, NULL,
	    NULL);
}

/*
 * Requeues running jobs whose runner went silent for longer than the
 * heartbeat timeout, and fails those that used up their attempts.  Returns
 * the number of jobs touched, or -1.
 */
int
job_reap_stale(struct db *db, const struct conf *c)
{
	struct db_param params[2];
	uint64_t requeued = 0, failed = 0;

	params[0] = db_int(c->job_heartbeat_timeout);
	params[1] = db_int(c->job_max_attempts);
	if (db_exec(db, "UPDATE jobs SET status = 'queued', runner = NULL "
	    "WHERE status = 'running' AND heartbeat_at < UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND AND attempts < ?", params, 2, &requeued,
	    NULL) == -1)
		return -1;
	if (db_exec(db, "UPDATE jobs SET status = 'failed', "
	    "error = CONCAT('the runner stopped responding ', attempts, "
	    "' times'), finished_at = UTC_TIMESTAMP(6) "
	    "WHERE status = 'running' AND heartbeat_at < UTC_TIMESTAMP(6) - "
	    "INTERVAL ? SECOND AND attempts >= ?", params, 2, &failed,
	    NULL) == -1)
		return -1;
	if (requeued > 0)
		log_warning("requeued %" PRIu64 " jobs whose runner stopped "
		    "responding", requeued);
	if (failed > 0)
		log_warning("failed %" PRIu64 " jobs whose runners stopped "
		    "responding too often", failed);
	if (requeued + failed > INT32_MAX)
		return INT32_MAX;
	return (int)(requeued + failed);
}

/*
 * Puts a claimed job back in the queue without counting the attempt, not
 * to be claimed again for `delay_ms`.  Called by the runner when a job
 * could not start (its tenant busy with another operation, the database
 * away).  started_at is assigned before attempts, so it still sees the
 * count of this claim.  Returns 0 or -1.
 */
int
job_requeue(struct db *db, int64_t id, int delay_ms)
{
	struct db_param params[2];

	params[0] = db_int((int64_t)delay_ms * 1000);
	params[1] = db_int(id);
	return db_exec(db, "UPDATE jobs SET status = 'queued', runner = NULL, "
	    "started_at = IF(attempts <= 1, NULL, started_at), "
	    "attempts = IF(attempts > 0, attempts - 1, 0), "
	    "heartbeat_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND "
	    "WHERE id = ? AND status = 'running'", params, 2, NULL, NULL);
}

/*
 * Counts the jobs of each status with one GROUP BY query (see job.h).
 * Called by the metrics handler on every scrape.  Returns 0 or -1.
 */
int
job_count_by_status(struct db *db, uint64_t counts[JOB_STATUS_COUNT])
{
	struct db_result result;
	enum job_status status;
	int64_t count;
	size_t row;
	int rc = -1;

	db_result_init(&result);
	memset(counts, 0, JOB_STATUS_COUNT * sizeof(counts[0]));
	if (db_query(db, "SELECT status, COUNT(*) FROM jobs GROUP BY status",
	    NULL, 0, &result) == -1)
		goto out;
	for (row = 0; row < result.rows; row++) {
		count = db_cell_int(&result, row, 1, 0);
		if (status_parse(db_cell(&result, row, 0), &status) == 0 &&
		    count > 0)
			counts[status] = (uint64_t)count;
	}
	rc = 0;
out:
	db_result_release(&result);
	return rc;
}
