/*
 * tenant_lock.h - one long operation per tenant at a time.
 *
 * Deploy, archive and restore rebuild or move a tenant's folder; two of them
 * at once would trample each other.  The lock lives in the tenants row
 * (columns busy_operation, busy_token, busy_since) so it holds across
 * workers, job runners and hosts: taking it is one conditional UPDATE.  A
 * lock older than conf->job_heartbeat_timeout * 4 seconds is presumed to
 * belong to a process that died and may be taken over, so a crash never
 * leaves a tenant locked for good.
 *
 * An archive or restore asked for while another operation holds it is
 * refused with RESULT_BUSY (409 "busy", SPEC section 9); a deploy asked for
 * while another deploy is pending joins it (deploy.h).
 *
 * Short changes inside one transaction (PATCH, a module switch, delete,
 * the database part of archive and restore) lock the tenant's row instead,
 * with tenant_lock_row(), so they happen one after the other.
 */
#ifndef TENANTD_TENANT_LOCK_H
#define TENANTD_TENANT_LOCK_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct db;
struct tenant;

#define TENANT_LOCK_TOKEN_HEX	32

struct tenant_lock {
	int64_t	tenant_id;
	char	token[TENANT_LOCK_TOKEN_HEX + 1];
	int	held;
};

/*
 * Takes the lock of tenant `tenant_id` for `operation` ("deploy",
 * "archive", "restore").  Returns 1 when taken, 0 when another operation
 * holds it (or the tenant does not exist), -1 on a database error.  Runs
 * outside any transaction of the caller (it commits by itself).
 */
int	tenant_lock_acquire(struct db *db, const struct conf *c,
	    int64_t tenant_id, const char *operation, struct tenant_lock *lock);

/*
 * The same, retrying every 50 ms for up to `timeout_ms` while another
 * operation holds the lock.  For short changes that must not run during a
 * deploy (a new logo is written into public/, which a deploy swaps away).
 * Returns 1, 0 when still held by another after the wait, or -1.
 */
int	tenant_lock_acquire_wait(struct db *db, const struct conf *c,
	    int64_t tenant_id, const char *operation, struct tenant_lock *lock,
	    int timeout_ms);

/*
 * Which operation ("deploy", "archive", "update", ...) holds the lock of
 * tenant `tenant_id` now, if one does that is not yet old enough to be
 * taken over?  For telling, before work is queued, a conflict (RESULT_BUSY)
 * from work to queue behind.  Returns 1 with the name in `operation`
 * (cut to `operationlen`), 0 when free, or -1 on a database error.
 */
int	tenant_lock_holder(struct db *db, const struct conf *c,
	    int64_t tenant_id, char *operation, size_t operationlen);

/*
 * Proves the lock is still ours and pushes busy_since forward, for
 * operations longer than the takeover age.  Returns 1, 0 if it was taken
 * over, -1 on error.
 */
int	tenant_lock_refresh(struct db *db, struct tenant_lock *lock);

/* Releases the lock if held (only ours: matched by token).  0 or -1. */
int	tenant_lock_release(struct db *db, struct tenant_lock *lock);

/*
 * Locks the row of tenant `tenant_id` until the caller's transaction ends
 * (SELECT ... FOR UPDATE) and loads it into `t` (initialised by the
 * caller).  Returns 1, 0 if there is no such tenant, or -1 on a database
 * error.
 */
int	tenant_lock_row(struct db *db, int64_t tenant_id, struct tenant *t);

/*
 * How many tenants have their lock held for `operation` now (a lock old
 * enough to be taken over does not count), into `*count`.  Reads every
 * tenant row: for a whole-instance check such as a backup's, not per
 * request.  Returns 0 or -1.
 */
int	tenant_lock_count(struct db *db, const struct conf *c,
	    const char *operation, int64_t *count);

#endif
