/*
 * bulk.h - creating many tenants at once, and switching one module of many
 * tenants at once.  The logic behind POST /api/tenants/bulk-create/,
 * POST /api/tenants/bulk-update-modules/, `tenantctl bulk-create` and
 * `tenantctl bulk-modules`; nothing here knows HTTP.
 *
 * Bulk create, in order:
 *
 *   1. Validate every item with tenant_input_read(), as POST /api/tenants/
 *      would (a "logo" key is a field error: logos are uploaded one tenant
 *      at a time).  A subdomain that an earlier item of the batch already
 *      uses is an error of the later item.  Subdomains already taken are
 *      found with one query per BULK_LOOKUP_CHUNK items.  With
 *      skip_present (tenantctl), a taken subdomain whose tenant has the
 *      same name, e-mail, colors and enabled modules as the item is not an
 *      error but "skipped, already present", so a re-run creates nothing
 *      twice.
 *   2. Stop there for a dry run, or when `atomic` and anything failed.
 *   3. Create the valid items in chunks of `chunk_size`.  Per chunk:
 *        BEGIN (atomic: once, for all chunks);
 *        one multi-row INSERT of the tenant rows; one SELECT for their ids;
 *        multi-row INSERTs of their tenant_modules rows;
 *        per tenant, tenants/.staging-<sub>-<hex>/ with public/ and
 *        config.json and, for an item that asked for a deploy, its site
 *        deployed there from the default template version (links to
 *        the template store, deploy.h), renamed to tenants/<sub> (never
 *        over an existing entry); a tenant whose folder fails is an error
 *        of its item and its row is deleted again (atomic: everything is
 *        undone);
 *        one multi-row INSERT of the audit rows; one UPDATE recording
 *        the template version of the deployed ones;
 *        syncfs() of the tenants filesystem, so the folders are on disk
 *        before the rows they belong to;
 *        COMMIT (atomic: after the last chunk).
 *      A failure before COMMIT rolls the rows back and removes the folders
 *      placed so far.  A crash between placing folders and COMMIT leaves
 *      folders without rows, which `tenantctl fsck` reports and moves
 *      aside, as for a single create.  A subdomain taken by a concurrent
 *      create between the check and the INSERT makes the INSERT fail as a
 *      duplicate: the chunk is rolled back, the taken items become errors
 *      ("subdomain_taken") and the rest of the chunk is tried again
 *      (atomic: the whole batch fails).
 *   4. Queue one JOB_KIND_BULK_DEPLOY job (job_names.h) for the created
 *      items that asked for a deploy and were not deployed as their
 *      folder was built (no default template version, a failed deploy),
 *      unless `deploy` is 0.  Usually there are none: no job.
 *
 * Bulk module change: the ids are checked and locked (SELECT ... FOR
 * UPDATE, in id order), the module rows written with multi-row INSERT ...
 * ON DUPLICATE KEY UPDATE, one audit row per tenant, then config.json of
 * every active tenant rewritten atomically before COMMIT; if a write or
 * the COMMIT fails, the configs already written are written again from
 * the old rows.  Archived tenants get their rows changed only: their
 * folder is in archive_dir, and restoring writes config.json from the row.
 * The per-worker config cache is keyed on the file's identity, so every
 * worker serves the new file at once.
 *
 * An item that is not created says why with an enum result.
 * What the API calls each reason (its "code") is src/'s to say:
 * bulk_report_to_json() takes the mapping as a function, so lib/ writes
 * the report's shape, shared by the API and tenantctl's report file,
 * without holding any API code string.
 *
 * The work is split by job: bulk_validate.c (the catalog, item checks,
 * repeats, taken subdomains), bulk_rows.c (the chunked INSERTs and
 * lookups), bulk_create.c (chunks, folders, rollback, deploy queueing),
 * bulk_report.c (the report and its JSON), bulk_modules.c (module
 * changes) and bulk_csv.c (CSV files as bulk requests); what only they
 * share is in bulk_internal.h.
 *
 * Return convention: enum result (result.h); on failure `err` holds a
 * message safe to show to an administrator.  An item not created says why
 * with one too: RESULT_FAILED (a disk or database error, or rolled back),
 * RESULT_INVALID (not a valid tenant), RESULT_DUPLICATE (an earlier item
 * of the batch has its subdomain), RESULT_TAKEN (an existing tenant has
 * it).
 */
#ifndef TENANTD_BULK_H
#define TENANTD_BULK_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "result.h"
#include "validate.h"

struct buf;
struct db;
struct field_errors;
struct json_value;
struct service;

#define BULK_CHUNK_DEFAULT	200	/* tenants per INSERT and transaction */
#define BULK_CHUNK_MAX		500
#define BULK_LOOKUP_CHUNK	200	/* subdomains per existence query */
#define BULK_IDS_CHUNK		500	/* ids per statement, module changes */
#define BULK_MODULE_WORDS	4	/* catalogs of up to 256 modules */

enum bulk_item_state {
	BULK_ITEM_PENDING,	/* valid, not created (yet, or rolled back) */
	BULK_ITEM_CREATED,
	BULK_ITEM_SKIPPED,	/* already present with the same data */
	BULK_ITEM_ERROR
};

struct bulk_item {
	const struct json_value *data;	/* the item as sent (borrowed) */
	enum bulk_item_state state;
	int64_t		 id;		/* created or skipped: the tenant */
	int		 deploy;	/* the item's own "deploy" option */
	int		 placed;	/* folder in place, rows uncommitted */
	int		 deployed;	/* its site deployed as it was built */
	char		 subdomain[SUBDOMAIN_MAX + 1]; /* "" if not valid */
	char		*name;
	char		*contact_email;
	char		 primary_color[8];
	char		 secondary_color[8];
	uint64_t	 modules[BULK_MODULE_WORDS]; /* catalog index bits */
	enum result	 reason;	/* error: why */
	char		*error;		/* error: the message */
	struct field_errors *fields;	/* error: per field, or NULL */
};

struct bulk_report {
	struct bulk_item *items;
	size_t		 count;
	size_t		 created;
	size_t		 skipped;
	size_t		 errors;
	size_t		 pending;	/* valid but not created */
	size_t		 deployed;	/* created with their site deployed */
	int		 dry_run;
	int		 stopped;	/* the progress callback said stop */
	int		 rolled_back;	/* atomic: a failure undid everything */
	int64_t		 deploy_job_id;	/* 0 when none was queued */
};

/*
 * Called after each chunk with the items settled so far and the number to
 * create; returning non-zero stops before the next chunk (atomic: undoes
 * everything).
 */
typedef int (*bulk_progress_fn)(void *arg, size_t done, size_t total);

struct bulk_create_options {
	int		 atomic;
	int		 deploy;	/* deploy the sites (see step 3) */
	int		 dry_run;	/* validate only */
	int		 skip_present;	/* identical present tenants: skip */
	size_t		 chunk_size;	/* 0: BULK_CHUNK_DEFAULT */
	int64_t		 user_id;	/* creator, 0 for tenantctl */
	bulk_progress_fn progress;	/* may be NULL */
	void		*progress_arg;
};

void	bulk_report_init(struct bulk_report *r);
void	bulk_report_release(struct bulk_report *r);

/*
 * Creates the tenants of JSON array `tenants` (objects in the shape of
 * POST /api/tenants/) as described above, filling `report` (initialised)
 * item by item.  Returns RESULT_OK whenever the report is meaningful, also
 * when items failed; RESULT_DB_DOWN or RESULT_FAILED (with `err`) when
 * nothing could be done at all.
 */
enum result bulk_create(struct service *svc,
	    const struct json_value *tenants,
	    const struct bulk_create_options *o, struct bulk_report *report,
	    char *err, size_t errlen);

/* The API's code for an item error: never NULL, a static string. */
typedef const char *(*bulk_item_code_fn)(enum result reason);

/*
 * Writes `r` as the API's report object: {success, created_count,
 * created_tenants: [{id, name, subdomain}], skipped_count,
 * not_created_count, error_count, errors: [{index, data, code, error,
 * fields}], deployed_count, deploy_job_id, dry_run, rolled_back,
 * interrupted}, each
 * error's "code" being item_code(its reason).  With a `code` (not NULL)
 * the object is an error answer and starts with "error": `message` and
 * "code": `code`, like every other one.  Returns 0, or -1 if the generator
 * failed.
 */
int	bulk_report_to_json(yajl_gen g, const struct bulk_report *r,
	    bulk_item_code_fn item_code, const char *code,
	    const char *message);

/* Does the report count as a success (no error, nothing left out)? */
int	bulk_report_success(const struct bulk_report *r);

struct bulk_modules_result {
	int64_t	*updated_ids;		/* sorted */
	size_t	 updated_count;
	int64_t	*not_found;		/* sorted */
	size_t	 not_found_count;
};

void	bulk_modules_result_init(struct bulk_modules_result *res);
void	bulk_modules_result_release(struct bulk_modules_result *res);

/*
 * Sets module `module_key` of the tenants among the `count` of `ids`
 * (positive; repeats collapse) to `enabled` in one transaction, as
 * described above, recorded as done by `user_id`.  Ids without a tenant go
 * to res->not_found.  Returns RESULT_OK, RESULT_NOT_FOUND (no module of
 * that key), RESULT_INVALID (disabling a core module), RESULT_DB_DOWN or
 * RESULT_FAILED (nothing changed; `err` says why).
 */
enum result bulk_update_modules(struct service *svc, const int64_t *ids,
	    size_t count, const char *module_key, int enabled, int64_t user_id,
	    struct bulk_modules_result *res, char *err, size_t errlen);

/*
 * Writes {"updated", "updated_ids", "not_found"} for `res`.  0 or -1.
 */
int	bulk_modules_result_to_json(yajl_gen g,
	    const struct bulk_modules_result *res);

/*
 * The next ids of all tenants after `after_id`, at most `max` of them, in
 * order, for `tenantctl bulk-modules --all`.  Returns the number written
 * to `ids` (0 at the end), or -1.
 */
long	bulk_next_ids(struct db *db, int64_t after_id, int64_t *ids,
	    size_t max);

/*
 * Turns CSV text with a header row into the API's JSON shape,
 * {"tenants": [{...}, ...]}, appended to `out`.  Columns: name, subdomain,
 * contact_email, primary_color, secondary_color, module_keys (keys
 * separated by ';' or '|'); name and subdomain are required, the others
 * may be left out, and an empty cell leaves the field out.  Returns 0, or
 * -1 with a message naming the line in `err`.
 */
int	bulk_csv_to_json(const char *data, size_t len, struct buf *out,
	    char *err, size_t errlen);

#endif
