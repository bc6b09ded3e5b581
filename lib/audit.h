/*
 * audit.h - who did what to which tenant, and when.
 *
 * Each change made through the API or tenantctl appends a row to audit_log
 * inside the same transaction as the change, so the log never claims
 * something that was rolled back.
 */
#ifndef TENANTD_AUDIT_H
#define TENANTD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * Records `action` ("tenant.create", "tenant.module", ...) by `user_id` (0 for
 * tenantctl run without a user) on `tenant_id` (0 for none), with an optional
 * short detail text.  Returns 0 or -1.
 */
int	audit_record(struct db *db, int64_t user_id, int64_t tenant_id,
	    const char *action, const char *detail);

/*
 * The same row for each of the `count` tenants `tenant_ids`, in few
 * statements (a batch's).  Returns 0 or -1.
 */
int	audit_record_many(struct db *db, int64_t user_id,
	    const int64_t *tenant_ids, size_t count, const char *action,
	    const char *detail);

/*
 * The id of the newest audit row into `*id` (0 for none).  Ids grow with
 * time, so a later audit_count_after() finds what was written since.
 * Returns 0 or -1.
 */
int	audit_last_id(struct db *db, int64_t *id);

/*
 * How many audit rows with an id above `after` record one of the
 * NULL-terminated `actions`, into `*count`.  Returns 0 or -1.
 */
int	audit_count_after(struct db *db, int64_t after,
	    const char *const actions[], int64_t *count);

#endif
