/*
 * list_index.h - the counters and trigrams behind the tenant list and its
 * statistics (etc/migrations/0007_list_index.sql), checked against the
 * rows they describe and rebuilt from them, for tenantctl fsck.
 *
 * Triggers keep them in step with every change of a tenant or module
 * row, so a difference means something went around the triggers: a
 * migration run while tenantd wrote, a restored backup of some tables
 * only, a hand-made change with triggers dropped.
 */
#ifndef TENANTD_LIST_INDEX_H
#define TENANTD_LIST_INDEX_H

#include <stdint.h>

struct db;

struct list_index_drift {
	int64_t	counts;		/* counter rows off from a full count */
	int64_t	trigrams_missing;	/* a name's trigram without its row */
	int64_t	trigrams_extra;		/* rows no name accounts for */
};

/*
 * Counts, in `drift`, how far the counters and trigrams are from what the
 * tenant and module rows give: full scans of tenants, tenant_modules and
 * tenant_trigrams.  Returns 0 or -1.
 */
int	list_index_check(struct db *db, struct list_index_drift *drift);

/*
 * Rebuilds the counters and trigrams from the tenant and module rows in
 * one transaction (the statements that filled them in migration 0007).
 * Concurrent changes of tenants wait for it, or one side fails with a
 * deadlock error and may be run again.  Returns 0 or -1.
 */
int	list_index_rebuild(struct db *db);

#endif
