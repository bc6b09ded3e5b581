/*
 * job_runner.c - the loop that runs the queue (job.c): claim a job, look
 * up its kind in job_kinds.c, run the body, record the outcome.
 *
 * A started job always finishes: a stop request (SIGTERM) is honoured
 * between jobs only.  A runner killed outright leaves its job running; the
 * heartbeat stops, another runner requeues it after
 * conf->job_heartbeat_timeout and runs it again (deploys may be repeated
 * safely), up to conf->job_max_attempts runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "db.h"
#include "job.h"
#include "job_kinds.h"
#include "job_runner.h"
#include "log.h"
#include "service.h"

/* A running job writes its heartbeat at least this often. */
#define JOB_HEARTBEAT_INTERVAL_MS	2000

/*
 * ... and a changed progress at most this often: each write is a commit,
 * which would cost a short job (a deploy) more than its work.
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

/* Largest result document a job may store. */
#define JOB_RESULT_MAX			(256 * 1024)

/*
 * What the progress callback a body gets (struct job_context) needs
 * between calls.
 */
struct progress_meter {
	struct db	*db;
	int64_t		 job_id;
	int		 cancelled;	/* the job was asked to stop */
	job_watch_fn	 watch;		/* job_run_watched()'s, or NULL */
	void		*watch_arg;
	int		 last_percent;
	int64_t		 last_write_ms;
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
 * The progress callback of struct job_context: writes the percentage and
 * the heartbeat when the percentage changed and JOB_PROGRESS_INTERVAL_MS
 * passed, or JOB_HEARTBEAT_INTERVAL_MS passed, and then looks whether the
 * job was cancelled.  Returns 1 once it was, else 0: a failed progress
 * write is not worth abandoning a job for.
 */
static int
progress_meter_cb(void *arg, size_t done, size_t total)
{
	struct progress_meter *p = arg;
	struct db *db = p->db;
	int64_t now;
	int percent;

	if (p->cancelled)
		return 1;
	if (p->watch != NULL && p->watch(p->watch_arg, done, total) != 0) {
		log_info("job %" PRId64 ": cancelled by its watcher", p->job_id);
		p->cancelled = 1;
		return 1;
	}
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
	if (job_cancel_requested(db, p->job_id) == 1) {
		log_info("job %" PRId64 ": cancelled on request", p->job_id);
		p->cancelled = 1;
		return 1;
	}
	return 0;
}

/*
 * Records the outcome of job `j`, retrying through a short database
 * outage: an unrecorded outcome would make the job run again once the
 * heartbeat times out.  A retry waits `retry_ms` (0: the poll interval).
 * Returns 0 or -1.
 */
static int
job_record(struct service *svc, const struct job *j, enum job_outcome outcome,
    const char *result, const char *message, int retry_ms)
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
		case JOB_OUTCOME_CANCELLED:
			rc = job_finish_cancelled(svc->db, j->id, result);
			break;
		case JOB_OUTCOME_RETRY:
			rc = job_requeue(svc->db, j->id, retry_ms > 0 ?
			    retry_ms : svc->conf->job_poll_ms);
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
	job_run_watched(svc, j, NULL, NULL);
}

/*
 * job_run() with a watcher of the progress (job_runner.h), for tenantctl,
 * which draws it.
 */
void
job_run_watched(struct service *svc, const struct job *j, job_watch_fn watch,
    void *watch_arg)
{
	const struct job_kind *kind;
	struct progress_meter meter;
	struct job_context ctx;
	struct buf result;
	char message[512];
	enum job_outcome outcome;
	int64_t started = monotonic_ms();
	int retry_ms = 0;

	buf_init(&result, JOB_RESULT_MAX);
	message[0] = '\0';
	log_debug("job %" PRId64 " (%s) claimed, attempt %d", j->id, j->kind,
	    j->attempts);
	if ((kind = job_kind_find(j->kind)) == NULL) {
		snprintf(message, sizeof(message), "unknown job kind");
		outcome = JOB_OUTCOME_FAILED;
	} else {
		memset(&meter, 0, sizeof(meter));
		meter.db = svc->db;
		meter.job_id = j->id;
		meter.watch = watch;
		meter.watch_arg = watch_arg;
		/*
		 * The first change is written at once: a job that has begun
		 * its work says so, however short it is.
		 */
		meter.last_write_ms = started - JOB_PROGRESS_INTERVAL_MS;
		memset(&ctx, 0, sizeof(ctx));
		ctx.svc = svc;
		ctx.job = j;
		ctx.progress = progress_meter_cb;
		ctx.progress_arg = &meter;
		ctx.cancelled = &meter.cancelled;
		ctx.result = &result;
		ctx.message = message;
		ctx.messagelen = sizeof(message);
		outcome = kind->run(&ctx);
		retry_ms = ctx.retry_ms;
	}
	if (job_record(svc, j, outcome, result.data, message, retry_ms) == 0) {
		switch (outcome) {
		case JOB_OUTCOME_DONE:
			log_info("job %" PRId64 " done in %" PRId64 " ms",
			    j->id, monotonic_ms() - started);
			break;
		case JOB_OUTCOME_FAILED:
			log_warning("job %" PRId64 " failed: %s", j->id,
			    message);
			break;
		case JOB_OUTCOME_CANCELLED:
			log_info("job %" PRId64 " cancelled after %" PRId64
			    " ms", j->id, monotonic_ms() - started);
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
	return j->status == JOB_DONE || j->status == JOB_FAILED ||
	    j->status == JOB_CANCELLED;
}

/*
 * Runs or waits for job `id` (see job_runner.h).  Called by the deploy handler
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
