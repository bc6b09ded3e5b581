/*
 * job.c - the job queue in the `jobs` table, and the loop that runs it.
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
 *
 * A started job always finishes: a stop request (SIGTERM) is honoured
 * between jobs only.  A runner killed outright leaves its job running; the
 * heartbeat stops, another runner requeues it after
 * conf->job_heartbeat_timeout and runs it again (deploys may be repeated
 * safely), up to conf->job_max_attempts runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "conf.h"
#include "db.h"
#include "deploy.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "tenant.h"

/* A running job writes its heartbeat at least this often. */
#define JOB_HEARTBEAT_INTERVAL_MS	2000

/*
 * ... and a changed progress at most this often: each write is a commit,
 * which would cost a short deploy more than its copying.
 */
#define JOB_PROGRESS_INTERVAL_MS	200

/*
 * A runner looks for stale jobs four times per heartbeat timeout, but not
 * more often than this.
 */
#define JOB_REAP_MIN_INTERVAL_MS	1000

/* Idle sleeps are cut into slices this long, to notice a stop request. */
#define JOB_SLEEP_SLICE_MS		100

/* Tries, a second apart, to record a job's outcome through a DB blip. */
#define JOB_RECORD_TRIES		5

/* Failures in a row after which a `once` run gives up. */
#define JOB_ONCE_MAX_ERRORS		5

/* The error column is VARCHAR(1000). */
#define JOB_ERROR_MAX			1000

/* Bytes of struct job's kind with its NUL: the longest kind it loads. */
#define JOB_KIND_SIZE			sizeof(((struct job *)NULL)->kind)

/* Largest result document a job may store. */
#define JOB_RESULT_MAX			(256 * 1024)

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

static const char *const status_names[] = {
	[JOB_QUEUED] = "queued",
	[JOB_RUNNING] = "running",
	[JOB_DONE] = "done",
	[JOB_FAILED] = "failed"
};

/* How running a job ended, for job_run() to record. */
enum job_outcome {
	JOB_OUTCOME_DONE,	/* result holds the JSON result */
	JOB_OUTCOME_FAILED,	/* message holds why */
	JOB_OUTCOME_RETRY	/* not started: queue it again, uncounted */
};

/* What the deploy progress callback needs between calls. */
struct deploy_progress {
	struct service		*svc;
	int64_t			 job_id;
	int			 last_percent;
	int64_t			 last_write_ms;
};

/* Milliseconds on the monotonic clock, for rate limits. */
static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sleeps `ms` milliseconds in slices, returning early once *stop is set
 * (a signal interrupting nanosleep() only ends the slice sooner).
 */
static void
idle_sleep(int ms, volatile sig_atomic_t *stop)
{
	struct timespec slice;
	int step;

	while (ms > 0 && !*stop) {
		step = ms < JOB_SLEEP_SLICE_MS ? ms : JOB_SLEEP_SLICE_MS;
		slice.tv_sec = 0;
		slice.tv_nsec = (long)step * 1000000L;
		nanosleep(&slice, NULL);
		ms -= step;
	}
}

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
 * Writes this process's runner id, "host:pid", for the runner column.
 * Called once by each runner before job_runner_loop().
 */
void
job_runner_id(char *out, size_t outlen)
{
	char host[64];

	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(out, outlen, "%s:%ld", host, (long)getpid());
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

/* Copies cell `col` of row 0 into a new string (NULL for SQL NULL).  0/-1. */
static int
copy_cell(const struct db_result *r, size_t col, char **out)
{
	const char *cell;

	*out = NULL;
	if ((cell = db_cell(r, 0, col)) == NULL)
		return 0;
	if ((*out = strdup(cell)) == NULL)
		return -1;
	return 0;
}

/* Copies cell `col` of row 0 into a fixed buffer ("" for SQL NULL). */
static void
copy_cell_fixed(const struct db_result *r, size_t col, char *out,
    size_t outlen)
{
	const char *cell;

	cell = db_cell(r, 0, col);
	snprintf(out, outlen, "%s", cell != NULL ? cell : "");
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
	copy_cell_fixed(&r, COL_KIND, j->kind, sizeof(j->kind));
	j->tenant_id = db_cell_int(&r, 0, COL_TENANT_ID, 0);
	j->created_by = db_cell_int(&r, 0, COL_CREATED_BY, 0);
	if (status_parse(db_cell(&r, 0, COL_STATUS), &j->status) == -1) {
		log_error("job %" PRId64 ": unknown status", id);
		goto out;
	}
	j->progress = (int)db_cell_int(&r, 0, COL_PROGRESS, 0);
	j->attempts = (int)db_cell_int(&r, 0, COL_ATTEMPTS, 0);
	copy_cell_fixed(&r, COL_CREATED_AT, j->created_at,
	    sizeof(j->created_at));
	copy_cell_fixed(&r, COL_STARTED_AT, j->started_at,
	    sizeof(j->started_at));
	copy_cell_fixed(&r, COL_FINISHED_AT, j->finished_at,
	    sizeof(j->finished_at));
	if (copy_cell(&r, COL_PAYLOAD, &j->payload) == -1 ||
	    copy_cell(&r, COL_RESULT, &j->result) == -1 ||
	    copy_cell(&r, COL_ERROR, &j->error) == -1) {
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
	int rc;

	if ((rc = claim_one(db, runner_id, &id)) != 1)
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

/*
 * Length of the longest prefix of `s` of at most `max` bytes that does not
 * end inside a UTF-8 sequence.
 */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
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
	params[0] = db_textn(error, utf8_prefix(error, JOB_ERROR_MAX));
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
 * to be claimed again for `delay_ms`.  Used when its tenant is busy with
 * another operation.  started_at is assigned before attempts, so it still
 * sees the count of this claim.  Returns 0 or -1.
 */
static int
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
 * deploy_tenant()'s progress callback (through deploy_locked(), which
 * also keeps the tenant lock fresh): writes the percentage and the
 * heartbeat when the percentage changed and JOB_PROGRESS_INTERVAL_MS
 * passed, or JOB_HEARTBEAT_INTERVAL_MS passed.  Returns 0: a failed
 * progress write is not worth abandoning a deploy for.
 */
static int
deploy_progress_cb(void *arg, size_t done, size_t total)
{
	struct deploy_progress *p = arg;
	struct db *db = p->svc->db;
	int64_t now;
	int percent;

	percent = total == 0 || done >= total ? 100 :
	    (int)((done * 100) / total);
	now = monotonic_ms();
	if (now - p->last_write_ms < (percent == p->last_percent ?
	    JOB_HEARTBEAT_INTERVAL_MS : JOB_PROGRESS_INTERVAL_MS))
		return 0;
	if (db_ensure(db) == -1)
		return 0;
	if (job_progress(db, p->job_id, percent) == -1)
		log_warning("job %" PRId64 ": could not record progress: %s",
		    p->job_id, db_error(db));
	p->last_percent = percent;
	p->last_write_ms = now;
	return 0;
}

/*
 * Reads {"force": bool} from a deploy payload; "force" may be absent.
 * Returns 0, or -1 for anything else.
 */
static int
deploy_payload_read(const char *payload, int *force)
{
	struct json_value *v = NULL;
	const struct json_value *f;
	char err[128];
	int rc = -1;

	*force = 0;
	if (payload == NULL)
		return 0;
	if ((v = json_parse(payload, strlen(payload), err,
	    sizeof(err))) == NULL || v->type != JSON_OBJECT)
		goto out;
	if ((f = json_object_get(v, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			goto out;
		*force = f->boolean;
	}
	rc = 0;
out:
	json_free(v);
	return rc;
}

/*
 * Runs a "deploy" job through deploy_locked(), recording progress: a
 * tenant busy with another operation, or a database error, sends the job
 * back to the queue uncounted.  Returns the outcome, with the report
 * (deploy_report_json()) in `result` or the reason in `message`.
 */
static enum job_outcome
job_run_deploy(struct service *svc, const struct job *j, struct buf *result,
    char *message, size_t messagelen)
{
	struct tenant t;
	struct deploy_report *report = NULL;
	struct deploy_progress progress;
	yajl_gen g = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int force;

	tenant_init(&t);
	if (deploy_payload_read(j->payload, &force) == -1) {
		snprintf(message, messagelen, "invalid job payload");
		goto out;
	}
	/* The report holds 100 paths: too large for a stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		snprintf(message, messagelen, "out of memory");
		goto out;
	}
	memset(&progress, 0, sizeof(progress));
	progress.svc = svc;
	progress.job_id = j->id;
	progress.last_write_ms = monotonic_ms();
	switch (deploy_locked(svc, j->tenant_id, force, j->created_by, 0,
	    deploy_progress_cb, &progress, &t, report, message, messagelen)) {
	case DEPLOY_OK:
		break;
	case DEPLOY_BUSY:
		log_debug("job %" PRId64 ": tenant %" PRId64 " is busy; "
		    "requeued", j->id, j->tenant_id);
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	case DEPLOY_DB_ERROR:
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	case DEPLOY_NOT_FOUND:
	case DEPLOY_ARCHIVED:
	case DEPLOY_FAILED:
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    deploy_report_json(svc->conf, &t, report, g) == -1 ||
	    json_gen_to_buf(g, result) == -1) {
		snprintf(message, messagelen, "could not build the result");
		goto out;
	}
	outcome = JOB_OUTCOME_DONE;
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(report);
	tenant_release(&t);
	return outcome;
}

/* The most tenants one bulk_deploy job may name. */
#define BULK_DEPLOY_MAX_TENANTS		1000000

/* Failures listed in a bulk_deploy result; the rest are only counted. */
#define BULK_DEPLOY_MAX_LISTED		100

/* How long a bulk deploy waits for a tenant another operation holds. */
#define BULK_DEPLOY_LOCK_WAIT_MS	10000

/* How long a bulk deploy waits for a database that went away. */
#define BULK_DEPLOY_DB_WAIT_S		30

/* What the bulk deploy progress callback needs between calls. */
struct bulk_deploy_progress {
	struct deploy_progress	 deploy;
	size_t			 index;		/* tenant being deployed */
	size_t			 total;		/* tenants in the job */
};

/*
 * Reads {"tenant_ids": [id, ...], "force": bool} from a bulk_deploy
 * payload into a new array `*ids` (the caller frees it) of `*count`
 * positive ids.  Returns 0, or -1 for anything else.
 */
static int
bulk_deploy_payload_read(const char *payload, int64_t **ids, size_t *count,
    int *force)
{
	struct json_value *v = NULL;
	const struct json_value *list, *f;
	char err[128];
	size_t i;
	int rc = -1;

	*ids = NULL;
	*count = 0;
	*force = 0;
	if (payload == NULL || (v = json_parse(payload, strlen(payload), err,
	    sizeof(err))) == NULL || v->type != JSON_OBJECT)
		goto out;
	if ((f = json_object_get(v, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			goto out;
		*force = f->boolean;
	}
	list = json_object_get(v, "tenant_ids");
	if (list == NULL || list->type != JSON_ARRAY ||
	    list->count > BULK_DEPLOY_MAX_TENANTS)
		goto out;
	if (list->count > 0 &&
	    (*ids = calloc(list->count, sizeof(**ids))) == NULL)
		goto out;
	for (i = 0; i < list->count; i++)
		if (list->items[i]->type != JSON_NUMBER ||
		    json_number_int64(list->items[i], 1, INT64_MAX,
		    &(*ids)[i]) == -1)
			goto out;
	*count = list->count;
	rc = 0;
out:
	if (rc == -1) {
		free(*ids);
		*ids = NULL;
	}
	json_free(v);
	return rc;
}

/*
 * deploy_tenant()'s progress callback within a bulk deploy: the job's
 * progress is the share of tenants done plus the share of the current
 * tenant's files, written with the heartbeat as deploy_progress_cb()
 * does.
 */
static int
bulk_deploy_progress_cb(void *arg, size_t done, size_t total)
{
	struct bulk_deploy_progress *p = arg;
	size_t files_percent;

	files_percent = total == 0 || done >= total ? 100 :
	    (done * 100) / total;
	return deploy_progress_cb(&p->deploy, p->index * 100 + files_percent,
	    p->total * 100);
}

/*
 * Waits up to BULK_DEPLOY_DB_WAIT_S for the database to answer.  Returns
 * 0 when it does, -1 when it still does not.
 */
static int
bulk_deploy_wait_db(struct db *db)
{
	struct timespec second = { 1, 0 };
	int i;

	for (i = 0; i <= BULK_DEPLOY_DB_WAIT_S; i++) {
		if (db_ensure(db) == 0)
			return 0;
		nanosleep(&second, NULL);
	}
	return -1;
}

/*
 * Deploys one tenant of a bulk deploy through deploy_locked(), waiting up
 * to BULK_DEPLOY_LOCK_WAIT_MS for a tenant another operation holds, and
 * records it for `user_id`.  Returns 0, or -1 with the reason in
 * `message`; `sub` gets the subdomain when known.
 */
static int
bulk_deploy_one(struct service *svc, int64_t id, int64_t user_id, int force,
    struct bulk_deploy_progress *progress, struct deploy_report *report,
    char *sub, size_t sublen, char *message, size_t messagelen)
{
	struct tenant t;
	enum deploy_status status;

	tenant_init(&t);
	status = deploy_locked(svc, id, force, user_id,
	    BULK_DEPLOY_LOCK_WAIT_MS, bulk_deploy_progress_cb, progress, &t,
	    report, message, messagelen);
	snprintf(sub, sublen, "%s", t.subdomain);
	tenant_release(&t);
	if (status == DEPLOY_DB_ERROR)
		snprintf(message, messagelen, "database error");
	return status == DEPLOY_OK ? 0 : -1;
}

/*
 * Runs a "bulk_deploy" job: deploys each tenant of the payload in turn
 * (see bulk_deploy_one()), recording progress over the whole list.  A
 * tenant that fails is listed in the result and the others go on; the job
 * is done when every tenant was tried.  A database that stays away longer
 * than BULK_DEPLOY_DB_WAIT_S sends the job back to the queue (deploys are
 * safe to repeat).  Result: {"success", "total", "deployed",
 * "failed_count", "failures": [{"tenant_id", "subdomain", "error"}]}.
 */
static enum job_outcome
job_run_bulk_deploy(struct service *svc, const struct job *j,
    struct buf *result, char *message, size_t messagelen)
{
	struct bulk_deploy_progress progress;
	struct deploy_report *report = NULL;
	char sub[SUBDOMAIN_MAX + 1], reason[512];
	int64_t *ids = NULL;
	size_t count = 0, i, deployed = 0, failed = 0;
	yajl_gen g = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int force;

	if (bulk_deploy_payload_read(j->payload, &ids, &count, &force) == -1) {
		snprintf(message, messagelen, "invalid job payload");
		goto out;
	}
	/* A template that cannot be read fails the job, not each tenant. */
	if (deploy_manifest(svc, message, messagelen) == NULL)
		goto out;
	if ((report = calloc(1, sizeof(*report))) == NULL ||
	    (g = json_gen_new()) == NULL) {
		snprintf(message, messagelen, "out of memory");
		goto out;
	}
	log_info("job %" PRId64 " (bulk_deploy) started for %zu tenants, "
	    "attempt %d", j->id, count, j->attempts);
	memset(&progress, 0, sizeof(progress));
	progress.deploy.svc = svc;
	progress.deploy.job_id = j->id;
	progress.deploy.last_write_ms = monotonic_ms();
	progress.total = count;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_key(g, "failures") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto gen_fail;
	for (i = 0; i < count; i++) {
		if (bulk_deploy_wait_db(svc->db) == -1) {
			log_warning("job %" PRId64 ": the database is "
			    "unavailable; requeued", j->id);
			outcome = JOB_OUTCOME_RETRY;
			goto out;
		}
		progress.index = i;
		if (bulk_deploy_one(svc, ids[i], j->created_by, force,
		    &progress, report, sub, sizeof(sub), reason,
		    sizeof(reason)) == 0) {
			deployed++;
			continue;
		}
		failed++;
		log_warning("job %" PRId64 ": deploy of tenant %" PRId64
		    " failed: %s", j->id, ids[i], reason);
		if (failed > BULK_DEPLOY_MAX_LISTED)
			continue;
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "tenant_id", (long long)ids[i]) !=
		    yajl_gen_status_ok ||
		    (sub[0] != '\0' ? json_gen_kv_string(g, "subdomain", sub) :
		    json_gen_kv_null(g, "subdomain")) != yajl_gen_status_ok ||
		    json_gen_kv_string(g, "error", reason) !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto gen_fail;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "success", failed == 0) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "total", (long long)count) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "deployed", (long long)deployed) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "failed_count", (long long)failed) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, result) == -1)
		goto gen_fail;
	outcome = JOB_OUTCOME_DONE;
	goto out;
gen_fail:
	snprintf(message, messagelen, "could not build the result");
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(report);
	free(ids);
	return outcome;
}

/*
 * Records the outcome of job `j`, retrying through a short database
 * outage: an unrecorded outcome would make the job run again once the
 * heartbeat times out.  Returns 0 or -1.
 */
static int
job_record(struct service *svc, const struct job *j, enum job_outcome outcome,
    const char *result, const char *message)
{
	int i, rc = -1;

	for (i = 0; i < JOB_RECORD_TRIES && rc == -1; i++) {
		if (i > 0) {
			struct timespec second = { 1, 0 };

			nanosleep(&second, NULL);
		}
		if (db_ensure(svc->db) == -1)
			continue;
		switch (outcome) {
		case JOB_OUTCOME_DONE:
			rc = job_finish(svc->db, j->id, result);
			break;
		case JOB_OUTCOME_FAILED:
			rc = job_fail(svc->db, j->id, message);
			break;
		case JOB_OUTCOME_RETRY:
			rc = job_requeue(svc->db, j->id,
			    svc->conf->job_poll_ms);
			break;
		}
	}
	if (rc == -1)
		log_error("job %" PRId64 ": could not record its outcome: %s",
		    j->id, db_error(svc->db));
	return rc;
}

/*
 * Runs claimed job `j` by its kind and records how it ended.  Called by
 * job_runner_loop() for every job it claims and by job_run_or_wait().
 */
void
job_run(struct service *svc, const struct job *j)
{
	struct buf result;
	char message[512];
	enum job_outcome outcome;
	int64_t started = monotonic_ms();

	buf_init(&result, JOB_RESULT_MAX);
	message[0] = '\0';
	log_debug("job %" PRId64 " (%s) claimed, attempt %d", j->id, j->kind,
	    j->attempts);
	if (strcmp(j->kind, "deploy") == 0)
		outcome = job_run_deploy(svc, j, &result, message,
		    sizeof(message));
	else if (strcmp(j->kind, "bulk_deploy") == 0)
		outcome = job_run_bulk_deploy(svc, j, &result, message,
		    sizeof(message));
	else {
		snprintf(message, sizeof(message), "unknown job kind");
		outcome = JOB_OUTCOME_FAILED;
	}
	if (job_record(svc, j, outcome, result.data, message) == 0) {
		switch (outcome) {
		case JOB_OUTCOME_DONE:
			log_info("job %" PRId64 " done in %" PRId64 " ms",
			    j->id, monotonic_ms() - started);
			break;
		case JOB_OUTCOME_FAILED:
			log_warning("job %" PRId64 " failed: %s", j->id,
			    message);
			break;
		case JOB_OUTCOME_RETRY:
			break;
		}
	}
	buf_release(&result);
}

/* How often job_run_or_wait() looks at a job another process runs. */
#define JOB_WAIT_POLL_MS		100

/* Is `j` done or failed? */
static int
job_finished(const struct job *j)
{
	return j->status == JOB_DONE || j->status == JOB_FAILED;
}

/*
 * Runs or waits for job `id` (see job.h).  Called by the deploy handler
 * for a synchronous deploy.  A job this process puts back in the queue
 * (its tenant busy with a logo change or another process's deploy) is
 * claimed again on the next poll.  Returns 1, 0 or -1.
 */
int
job_run_or_wait(struct service *svc, int64_t id, int timeout_ms,
    struct job *j)
{
	volatile sig_atomic_t never = 0;
	struct job claimed;
	char runner_id[128];
	int64_t deadline;
	int rc = -1, found;

	job_init(&claimed);
	job_runner_id(runner_id, sizeof(runner_id));
	deadline = monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		if ((found = job_find(svc->db, id, j)) != 1)
			goto out;
		if (j->status == JOB_QUEUED) {
			if ((found = job_claim_id(svc->db, id, runner_id,
			    &claimed)) == -1)
				goto out;
			if (found == 1) {
				job_run(svc, &claimed);
				job_release(&claimed);
				if (job_find(svc->db, id, j) != 1)
					goto out;
			}
		}
		if (job_finished(j)) {
			rc = 1;
			goto out;
		}
		if (monotonic_ms() >= deadline) {
			rc = 0;
			goto out;
		}
		idle_sleep(JOB_WAIT_POLL_MS, &never);
	}
out:
	job_release(&claimed);
	return rc;
}

/*
 * One turn of the runner's loop: makes sure the database is there, looks
 * for stale jobs (a quarter of the heartbeat timeout after the last look,
 * tracked in *last_reap) and claims the next job.  Returns what
 * job_claim() returns.
 */
static int
claim_next(struct service *svc, const char *runner_id, int64_t *last_reap,
    struct job *j)
{
	int64_t now, interval;

	if (db_ensure(svc->db) == -1)
		return -1;
	now = monotonic_ms();
	interval = (int64_t)svc->conf->job_heartbeat_timeout * 1000 / 4;
	if (interval < JOB_REAP_MIN_INTERVAL_MS)
		interval = JOB_REAP_MIN_INTERVAL_MS;
	if (*last_reap == 0 || now - *last_reap >= interval) {
		*last_reap = now;
		if (job_reap_stale(svc->db, svc->conf) == -1)
			return -1;
	}
	return job_claim(svc->db, runner_id, j);
}

/*
 * The runner's loop: reaps stale jobs, claims, runs, and sleeps
 * conf->job_poll_ms when there is nothing to do.  A database that is down
 * or failing is retried every poll interval (logged once when the trouble
 * starts and once when it ends), never a reason to exit, except that a
 * `once` run gives up after JOB_ONCE_MAX_ERRORS failures in a row that are
 * not an outage (a schema that was never migrated, say).  *stop is looked
 * at between jobs, so a started job always finishes.  Returns 0, or -1
 * when the runner could not run.
 */
int
job_runner_loop(struct service *svc, const char *runner_id,
    volatile sig_atomic_t *stop, int once)
{
	struct job j;
	int64_t last_reap = 0;
	int poll_ms, errors = 0, rc, status = 0;

	if (svc->db == NULL)
		return -1;
	poll_ms = svc->conf->job_poll_ms > 0 ? svc->conf->job_poll_ms : 500;
	job_init(&j);
	while (!*stop) {
		if ((rc = claim_next(svc, runner_id, &last_reap, &j)) == -1) {
			if (errors == 0)
				log_warning("job runner %s: %s; retrying every "
				    "%d ms", runner_id, db_error(svc->db),
				    poll_ms);
			if (errors < INT32_MAX)
				errors++;
			if (once && !db_unavailable(svc->db) &&
			    errors >= JOB_ONCE_MAX_ERRORS) {
				status = -1;
				break;
			}
			idle_sleep(poll_ms, stop);
			continue;
		}
		if (errors > 0)
			log_info("job runner %s: the job queue answers again",
			    runner_id);
		errors = 0;
		if (rc == 0) {
			if (once)
				break;
			idle_sleep(poll_ms, stop);
			continue;
		}
		job_run(svc, &j);
		job_release(&j);
	}
	job_release(&j);
	return status;
}
