/*
 * tenant_lock.c - the per-tenant lock of long operations (deploy, archive,
 * restore), kept in the tenants row (see tenant_lock.h).
 *
 * Each statement is a single conditional UPDATE, so taking, refreshing and
 * releasing are atomic on the server without a transaction held open for
 * the length of the operation.  A random token identifies the holder: a
 * process whose lock was taken over after it stalled can neither refresh
 * nor release the new holder's lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "random.h"
#include "tenant.h"
#include "tenant_lock.h"

/* A lock this many heartbeat timeouts old is presumed abandoned. */
#define TAKEOVER_HEARTBEATS	4
#define WAIT_STEP_MS		50

/*
 * Takes the lock of tenant `tenant_id` for `operation` (see tenant_lock.h):
 * free, or older than the takeover age.  Called by deploy_locked(),
 * archive/restore, fsck and provision_update.  Returns 1 taken, 0
 * held by another (or no such tenant), -1 on a database error.
 */
int
tenant_lock_acquire(struct db *db, const struct conf *c, int64_t tenant_id,
    const char *operation, struct tenant_lock *lock)
{
	struct db_param	params[4];
	uint64_t	affected = 0;

	memset(lock, 0, sizeof(*lock));
	lock->tenant_id = tenant_id;
	random_hex(lock->token, TENANT_LOCK_TOKEN_HEX / 2);
	params[0] = db_text(operation);
	params[1] = db_text(lock->token);
	params[2] = db_int(tenant_id);
	params[3] = db_int((int64_t)c->job_heartbeat_timeout *
	    TAKEOVER_HEARTBEATS);
	if (db_exec(db,
	    "UPDATE tenants SET busy_operation = ?, busy_token = ?, "
	    "busy_since = UTC_TIMESTAMP(6) WHERE id = ? AND "
	    "(busy_operation IS NULL OR "
	    "busy_since < UTC_TIMESTAMP(6) - INTERVAL ? SECOND)",
	    params, 4, &affected, NULL) == -1)
		return -1;
	if (affected != 1)
		return 0;
	lock->held = 1;
	return 1;
}

/* Milliseconds of the monotonic clock, for bounded waits. */
static int64_t
monotonic_ms(void)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * Takes the lock like tenant_lock_acquire(), retrying every 50 ms for up
 * to `timeout_ms` while it is held by another.  Called by
 * provision_update() before it writes a logo.  Returns 1, 0 or -1.
 */
int
tenant_lock_acquire_wait(struct db *db, const struct conf *c,
    int64_t tenant_id, const char *operation, struct tenant_lock *lock,
    int timeout_ms)
{
	struct timespec	step;
	int64_t		deadline;
	int		rc;

	deadline = monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		rc = tenant_lock_acquire(db, c, tenant_id, operation, lock);
		if (rc != 0 || monotonic_ms() >= deadline)
			return rc;
		step.tv_sec = 0;
		step.tv_nsec = WAIT_STEP_MS * 1000000L;
		while (nanosleep(&step, &step) == -1 && errno == EINTR)
			continue;
	}
}

/*
 * Which operation holds the lock of tenant `tenant_id`, if one does that
 * is not yet old enough to be taken over?  Called by deploy_enqueue() to
 * tell a conflict from a deploy to queue behind.  Returns 1 with the name
 * in `operation`, 0 when free, -1 on a database error.
 */
int
tenant_lock_holder(struct db *db, const struct conf *c, int64_t tenant_id,
    char *operation, size_t operationlen)
{
	struct db_param		params[2];
	struct db_result	result;
	const char		*cell;
	int			rc = -1;

	db_result_init(&result);
	operation[0] = '\0';
	params[0] = db_int(tenant_id);
	params[1] = db_int((int64_t)c->job_heartbeat_timeout *
	    TAKEOVER_HEARTBEATS);
	if (db_query(db, "SELECT busy_operation FROM tenants WHERE id = ? AND "
	    "busy_operation IS NOT NULL AND "
	    "busy_since >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND",
	    params, 2, &result) == -1)
		goto out;
	rc = 0;
	if (result.rows > 0) {
		cell = db_cell(&result, 0, 0);
		snprintf(operation, operationlen, "%s", cell != NULL ? cell :
		    "");
		rc = 1;
	}
out:
	db_result_release(&result);
	return rc;
}

/*
 * Pushes busy_since of a held lock forward, so a long operation is not
 * taken for a dead one.  Returns 1 still ours, 0 taken over (the lock is
 * then no longer held), -1 on a database error.
 */
int
tenant_lock_refresh(struct db *db, struct tenant_lock *lock)
{
	struct db_param		params[2];
	struct db_result	result;
	uint64_t		affected = 0;
	int			rc = -1;

	db_result_init(&result);
	if (!lock->held)
		return 0;
	params[0] = db_int(lock->tenant_id);
	params[1] = db_text(lock->token);
	if (db_exec(db, "UPDATE tenants SET busy_since = UTC_TIMESTAMP(6) "
	    "WHERE id = ? AND busy_token = ?", params, 2, &affected,
	    NULL) == -1)
		goto out;
	if (affected == 1) {
		rc = 1;
		goto out;
	}
	/* Unchanged within the clock's resolution still counts as ours. */
	if (db_query(db, "SELECT 1 FROM tenants WHERE id = ? AND "
	    "busy_token = ?", params, 2, &result) == -1)
		goto out;
	rc = result.rows == 1 ? 1 : 0;
	if (rc == 0)
		lock->held = 0;
out:
	db_result_release(&result);
	return rc;
}

/*
 * Releases a held lock, matched by its token so a lock taken over by
 * another process is left alone.  Accepts a lock that is not held.
 * Returns 0, or -1 on a database error (the lock then expires by age).
 */
int
tenant_lock_release(struct db *db, struct tenant_lock *lock)
{
	struct db_param	params[2];

	if (lock == NULL || !lock->held)
		return 0;
	params[0] = db_int(lock->tenant_id);
	params[1] = db_text(lock->token);
	if (db_exec(db, "UPDATE tenants SET busy_operation = NULL, "
	    "busy_token = NULL, busy_since = NULL WHERE id = ? AND "
	    "busy_token = ?", params, 2, NULL, NULL) == -1)
		return -1;
	lock->held = 0;
	return 0;
}

/*
 * Locks and loads the row of tenant `tenant_id` inside the caller's
 * transaction (see tenant_lock.h).  Called by provision (update, module
 * change, delete) and lifecycle.  Returns 1, 0 or -1.
 */
int
tenant_lock_row(struct db *db, int64_t tenant_id, struct tenant *t)
{
	struct db_result	result;
	struct db_param		param = db_int(tenant_id);
	int			rc = -1;

	db_result_init(&result);
	if (db_query(db, "SELECT id FROM tenants WHERE id = ? FOR UPDATE",
	    &param, 1, &result) == -1)
		goto out;
	if (result.rows == 0) {
		rc = 0;
		goto out;
	}
	rc = tenant_find_by_id(db, tenant_id, t);
out:
	db_result_release(&result);
	return rc;
}

int
tenant_lock_count(struct db *db, const struct conf *c, const char *operation,
    int64_t *count)
{
	struct db_param		params[2];
	struct db_result	result;
	int			rc = -1;

	db_result_init(&result);
	params[0] = db_text(operation);
	params[1] = db_int((int64_t)c->job_heartbeat_timeout *
	    TAKEOVER_HEARTBEATS);
	/* Its own literal, as t/sql-lint.t wants, not the holder's. */
	if (db_query(db, "SELECT COUNT(*) FROM tenants WHERE "
	    "busy_operation = ? AND "
	    "busy_since >= UTC_TIMESTAMP(6) - INTERVAL ? SECOND",
	    params, 2, &result) == -1)
		goto out;
	*count = db_cell_int(&result, 0, 0, 0);
	rc = 0;
out:
	db_result_release(&result);
	return rc;
}
