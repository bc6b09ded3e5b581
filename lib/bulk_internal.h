/*
 * bulk_internal.h - what the bulk*.c files share and nobody else uses: the
 * state of one bulk create, module bit sets, and the steps one file does
 * for another (see bulk.h for the order of operations).  Not a public
 * interface: callers outside lib/bulk*.c use bulk.h.
 */
#ifndef TENANTD_BULK_INTERNAL_H
#define TENANTD_BULK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bulk.h"
#include "module.h"

struct buf;
struct db;
struct db_param;
struct tenant_input;

#define BULK_MESSAGE_MAX	256	/* one item's or one chunk's message */
#define BULK_MODULE_BITS	(BULK_MODULE_WORDS * 64)

/* What one bulk create works with. */
struct bulk_run {
	struct service			*svc;
	const struct bulk_create_options *o;
	struct bulk_report		*r;
	struct module_catalog		 cat;
	struct tenant_module		*scratch_modules; /* for rendering */
	size_t				 chunk;
	int				 in_transaction;	/* atomic */
	char				*err;
	size_t				 errlen;
	/*
	 * The template version folders are deployed with as they are
	 * built (deploy); NULL files: none, a bulk_deploy job does it.
	 */
	const struct template_files	*files;
	char				 version[16];
	struct deploy_report		*deploy_report;	/* scratch */
};

/* Sets bit `index` of a module bitmap. */
static inline void
bulk_module_bit_set(uint64_t bits[BULK_MODULE_WORDS], size_t index)
{
	bits[index / 64] |= (uint64_t)1 << (index % 64);
}

/* Is bit `index` of a module bitmap set? */
static inline int
bulk_module_bit_get(const uint64_t bits[BULK_MODULE_WORDS], size_t index)
{
	return (bits[index / 64] >> (index % 64)) & 1;
}

/* --- bulk_report.c: item outcomes ---------------------------------------- */

/*
 * Records a field message on `item`, allocating its field list on first
 * use.  A failed allocation loses the message, never the item's error.
 */
void	bulk_item_add_field(struct bulk_item *item, const char *field,
	    const char *message);

/*
 * Marks `item` as an error for `reason` with a message, plus a message for
 * `field` when it is not NULL.  An item that is an error already keeps
 * its first reason and message and only gains the field message.
 */
void	bulk_item_fail(struct bulk_item *item, enum result reason,
	    const char *field, const char *field_message, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* Counts the items of `r` by state into its counters. */
void	bulk_report_count(struct bulk_report *r);

/* --- bulk_validate.c: the checks before anything is written ------------- */

/*
 * Makes sure the database answers and loads the module catalog, which must
 * fit the module bit sets.  Returns RESULT_OK or the failure (with `err`).
 */
enum result bulk_load_catalog(struct service *svc,
	    struct module_catalog *cat, char *err, size_t errlen);

/*
 * Validates `item` (its JSON in item->data) as a create request would be,
 * using `in` as scratch space.  Returns 0 (the item is pending or marked
 * as an error), or -1 when memory ran out.
 */
int	bulk_validate_item(struct bulk_run *run, struct bulk_item *item,
	    struct tenant_input *in);

/*
 * Marks every item whose subdomain an earlier item of the batch already
 * has as a duplicate.  Returns 0, or -1 if out of memory.
 */
int	bulk_mark_duplicates(struct bulk_report *r);

/*
 * Looks up which of the `count` pending items `members` have a subdomain
 * that is taken, with one query, and marks them: skipped when
 * skip_present and the tenant is the same, else RESULT_TAKEN.
 * `*marked` counts them.  Returns RESULT_OK or the database failure.
 */
enum result bulk_check_taken(struct bulk_run *run, const size_t *members,
	    size_t count, size_t *marked);

/*
 * Checks the subdomains of all pending items against the tenants table,
 * BULK_LOOKUP_CHUNK at a time.  Returns RESULT_OK or the failure.
 */
enum result bulk_check_existing(struct bulk_run *run);

/* --- bulk_rows.c: the statements of one chunk (0 or -1 each) ------------ */

/* The tenant rows of `members`, one INSERT (db_errno() tells why not). */
int	bulk_insert_rows(struct bulk_run *run, const size_t *members,
	    size_t count);

/* Reads back the ids of the rows just inserted for `members`. */
int	bulk_select_ids(struct bulk_run *run, const size_t *members,
	    size_t count);

/* One tenant_modules row per catalog module for each of `members`. */
int	bulk_insert_modules(struct bulk_run *run, const size_t *members,
	    size_t count);

/* One "tenant.create" audit row per item of `members` still pending. */
int	bulk_insert_audit(struct bulk_run *run, const size_t *members,
	    size_t count);

/*
 * One INSERT INTO audit_log of `rows` rows, each `row`: a literal such as
 * "(?,?,'tenant.create',?,UTC_TIMESTAMP(6))" naming the action, its three
 * markers bound from `params` (user or NULL, tenant, detail; 3 * `rows`
 * of them).  `sql` is the caller's scratch buffer.  The audit rows of
 * bulk create and of bulk module changes.
 */
int	bulk_exec_audit(struct db *db, struct buf *sql, const char *row,
	    const struct db_param *params, size_t rows);

/* Deletes the tenant rows `ids` (their module rows cascade). */
int	bulk_delete_rows(struct bulk_run *run, const int64_t *ids,
	    size_t id_count);

#endif
