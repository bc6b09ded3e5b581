/*
 * bulk_create.c - bulk create, chunk by chunk (see bulk.h for the order of
 * operations and what a failure at each step leaves behind): the chunk's
 * transaction and retries, the tenant folders with their sites deployed
 * as they are built, rollback, progress, and queueing the deploy of what
 * could not be deployed so.
 *
 * Folders are built under staging names and renamed into place one by
 * one, without an fsync per file: one syncfs() per chunk puts them all on
 * disk before the chunk commits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "bulk.h"
#include "bulk_internal.h"
#include "config_file.h"
#include "crash.h"
#include "db.h"
#include "deploy.h"
#include "error.h"
#include "folder.h"
#include "job.h"
#include "job_names.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "notification.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "tenant.h"
#include "tenant_input.h"

#define BULK_RETRIES		3	/* chunk retries after a conflict */
#define BULK_PAYLOAD_MAX	(16 * 1024 * 1024)

#define DB_ER_LOCK_WAIT_TIMEOUT	1205

/*
 * Fills `t` (not owning anything: its strings point into `item` and the
 * run's scratch module list) with the tenant `item` describes, as
 * config_render() needs it.
 */
static void
item_as_tenant(struct bulk_run *run, const struct bulk_item *item,
    struct tenant *t)
{
	size_t	i;

	memset(t, 0, sizeof(*t));
	t->id = item->id;
	t->name = item->name;
	t->contact_email = item->contact_email;
	memcpy(t->subdomain, item->subdomain, sizeof(t->subdomain));
	memcpy(t->primary_color, item->primary_color,
	    sizeof(t->primary_color));
	memcpy(t->secondary_color, item->secondary_color,
	    sizeof(t->secondary_color));
	t->is_active = 1;
	for (i = 0; i < run->cat.count; i++) {
		snprintf(run->scratch_modules[i].key,
		    sizeof(run->scratch_modules[i].key), "%s",
		    run->cat.modules[i].key);
		run->scratch_modules[i].enabled = run->cat.modules[i].is_core ||
		    bulk_module_bit_get(item->modules, i);
	}
	t->modules = run->scratch_modules;
	t->module_count = run->cat.count;
}

/*
 * Builds the folder of `item` (public/ and config.json) under a staging
 * name and renames it to tenants/<sub>, never over an existing entry
 * (folder_create_staged(), without an fsync per file: the chunk's
 * syncfs() makes the folders durable).  Returns 0, or -1 with errno set
 * (EEXIST or ENOTEMPTY when the name is taken); nothing is left behind on
 * failure.
 */
/* What deploy_in_folder() needs: the run and the item's tenant. */
struct folder_deploy {
	struct bulk_run		*run;
	struct bulk_item	*item;
	const struct tenant	*t;
};

/*
 * folder_create_staged()'s fill: deploys the run's template version into
 * the staged folder of an item that asked for a deploy, as part of the
 * chunk's batch (no flush: the chunk's syncfs() covers it).  A failure is
 * logged and leaves the item to the bulk_deploy job queued after the run:
 * the folder is placed all the same.  Returns 0.
 */
static int
deploy_in_folder(void *arg, int folder)
{
	struct folder_deploy	*fd = arg;
	struct deploy_options	 o;
	char			 err[256];

	memset(&o, 0, sizeof(o));
	o.version = fd->run->version;
	o.user_id = fd->run->o->user_id;
	o.batch = 1;
	if (deploy_tenant_in(fd->run->svc, fd->t, folder, fd->run->files, &o,
	    fd->run->deploy_report, err, sizeof(err)) == 0)
		fd->item->deployed = 1;
	else
		log_warning("bulk create: %s is created without its site, "
		    "which a deploy job makes: %s", fd->item->subdomain, err);
	return 0;
}

/*
 * Builds the folder of `item` (public/ and config.json, and its site when
 * the run deploys: deploy_in_folder()) under a staging name and renames
 * it to tenants/<sub>, never over an existing entry
 * (folder_create_staged(), without an fsync per file: the chunk's
 * syncfs() makes the folders durable).  Returns 0, or -1 with errno set
 * (EEXIST or ENOTEMPTY when the name is taken); nothing is left behind on
 * failure.
 */
static int
place_folder(struct bulk_run *run, struct bulk_item *item,
    struct buf *document)
{
	struct tenant		t;
	struct folder_content	content;
	struct folder_deploy	deploy;

	item_as_tenant(run, item, &t);
	if (config_file_render(run->svc, &t, &run->cat, document) == -1)
		return -1;
	memset(&content, 0, sizeof(content));
	content.config = document->data;
	content.config_len = document->len;
	content.crash_staged = "bulk.after_staging";
	content.crash_placed = "bulk.after_rename";
	item->deployed = 0;
	if (run->files != NULL && item->deploy) {
		deploy.run = run;
		deploy.item = item;
		deploy.t = &t;
		content.fill = deploy_in_folder;
		content.fill_arg = &deploy;
	}
	return folder_create_staged(run->svc->tenants_dirfd, item->subdomain,
	    &content);
}

/*
 * Records the template version of the items of `members` whose site was
 * deployed as their folder was built, in the chunk's transaction, after
 * queueing their ready e-mails (one statement for the chunk): a chunk
 * rolled back queues none.  Returns 0 or -1.
 */
static int
record_versions(struct bulk_run *run, const size_t *members, size_t count)
{
	int64_t	*ids;
	size_t	 i, n = 0;
	int	 rc;

	if (run->files == NULL)
		return 0;
	if ((ids = calloc(count > 0 ? count : 1, sizeof(*ids))) == NULL)
		return -1;
	for (i = 0; i < count; i++)
		if (run->r->items[members[i]].state == BULK_ITEM_PENDING &&
		    run->r->items[members[i]].deployed)
			ids[n++] = run->r->items[members[i]].id;
	rc = notification_queue_first_deploy(run->svc->db, run->svc->conf,
	    ids, n) == -1 || template_rows_set_tenants(run->svc->db, ids, n,
	    run->version) == -1 ? -1 : 0;
	free(ids);
	return rc;
}

/*
 * Moves tenants/<sub> of an item whose rows were rolled back out of sight
 * and removes it.  Failures are logged: the folder is then an orphan for
 * tenantctl fsck.
 */
static void
remove_folder(struct bulk_run *run, const char *sub)
{
	if (folder_discard(run->svc->tenants_dirfd, sub) == -1)
		log_error("could not remove the folder of %s: %s", sub,
		    strerror(errno));
}

/*
 * Undoes the uncommitted part of a chunk (or, atomic, of the whole batch):
 * rolls back, removes the folders placed, and marks the items of
 * `members` that were on their way with `message` (NULL: they go back to
 * pending, as in an atomic batch that something else made fail).
 */
static void
undo(struct bulk_run *run, const size_t *members, size_t count,
    const char *message)
{
	struct bulk_item	*item;
	size_t			 i;

	db_rollback(run->svc->db);
	run->in_transaction = 0;
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (item->state != BULK_ITEM_PENDING)
			continue;
		if (item->placed)
			remove_folder(run, item->subdomain);
		item->placed = 0;
		item->id = 0;
		if (message != NULL)
			bulk_item_fail(item, RESULT_FAILED, NULL, NULL,
			    "%s", message);
	}
}

/*
 * Rolls a whole atomic batch back after a failure: every item on its way
 * goes back to pending, folders are removed, and the report says so.
 */
static void
undo_atomic(struct bulk_run *run)
{
	size_t	i;

	db_rollback(run->svc->db);
	run->in_transaction = 0;
	for (i = 0; i < run->r->count; i++) {
		if (run->r->items[i].state != BULK_ITEM_PENDING)
			continue;
		if (run->r->items[i].placed)
			remove_folder(run, run->r->items[i].subdomain);
		run->r->items[i].placed = 0;
		run->r->items[i].id = 0;
	}
	run->r->rolled_back = 1;
}

/*
 * Handles a failed INSERT of a chunk's rows: a duplicate (a concurrent
 * create took a subdomain) marks the taken items and drops them from
 * `members`, a deadlock or lock timeout is worth another try.  Called
 * after the rollback.  Returns 1 to try again, 0 to give up.
 */
static int
insert_conflict(struct bulk_run *run, size_t *members, size_t *count,
    int duplicate)
{
	size_t	i, kept = 0, marked = 0;

	if (!duplicate)
		return 1;
	if (bulk_check_taken(run, members, *count, &marked) != RESULT_OK ||
	    marked == 0)
		return 0;
	for (i = 0; i < *count; i++)
		if (run->r->items[members[i]].state == BULK_ITEM_PENDING)
			members[kept++] = members[i];
	*count = kept;
	return 1;
}

/*
 * Creates the pending items among `waiting` (`n` of them) as one chunk (see
 * bulk.h).  Non-atomic: the chunk is committed, or its items become
 * errors.  Atomic: the rows stay in the batch's transaction.  Returns 0,
 * or -1 when the run must stop (the database failed, or an atomic batch
 * failed; the report says what happened).
 */
static int
create_chunk(struct bulk_run *run, const size_t *waiting, size_t n)
{
	struct db		*db = run->svc->db;
	struct bulk_item	*item;
	struct buf		 document;
	size_t			*members = NULL;
	int64_t			*failed_ids = NULL;
	char			 message[BULK_MESSAGE_MAX];
	size_t			 count = 0, i, failed = 0, tries = 0;
	unsigned int		 code;
	int			 atomic = run->o->atomic, duplicate, rc = -1;

	buf_init(&document, CONFIG_FILE_MAX_BYTES);
	if ((members = calloc(n, sizeof(*members))) == NULL ||
	    (failed_ids = calloc(n, sizeof(*failed_ids))) == NULL) {
		snprintf(message, sizeof(message), "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (run->r->items[waiting[i]].state == BULK_ITEM_PENDING)
			members[count++] = waiting[i];

	for (;;) {
		if (count == 0) {
			rc = 0;
			goto out;
		}
		if (!atomic && db_begin(db) == -1) {
			snprintf(message, sizeof(message),
			    "could not start a transaction");
			goto fail;
		}
		if (bulk_insert_rows(run, members, count) == 0)
			break;
		code = db_errno(db);
		duplicate = db_is_duplicate(db);
		log_debug("bulk create: chunk insert failed: %s",
		    db_error(db));
		if (atomic) {
			undo_atomic(run);
			if (duplicate)
				insert_conflict(run, members, &count, 1);
			snprintf(message, sizeof(message),
			    "could not save the tenants");
			goto fail;
		}
		db_rollback(db);
		if ((duplicate || db_is_deadlock(db) ||
		    code == DB_ER_LOCK_WAIT_TIMEOUT) && tries < BULK_RETRIES &&
		    insert_conflict(run, members, &count, duplicate)) {
			tries++;
			continue;
		}
		snprintf(message, sizeof(message), "could not save the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}

	if (bulk_select_ids(run, members, count) == -1 ||
	    bulk_insert_modules(run, members, count) == -1) {
		snprintf(message, sizeof(message), "could not save the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}
	crash_point("bulk.after_insert");
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (place_folder(run, item, &document) == 0) {
			item->placed = 1;
			continue;
		}
		failed_ids[failed++] = item->id;
		if (errno == EEXIST || errno == ENOTEMPTY)
			bulk_item_fail(item, RESULT_FAILED, "subdomain",
			    "a folder with this name exists", "a folder for "
			    "subdomain \"%s\" already exists; run tenantctl "
			    "fsck", item->subdomain);
		else
			bulk_item_fail(item, RESULT_FAILED, NULL, NULL,
			    "could not write the tenant folder: %s",
			    strerror(errno));
		if (atomic) {
			undo_atomic(run);
			rc = -1;
			goto out;
		}
	}
	if (bulk_delete_rows(run, failed_ids, failed) == -1 ||
	    bulk_insert_audit(run, members, count) == -1 ||
	    record_versions(run, members, count) == -1) {
		snprintf(message, sizeof(message), "could not save the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}
	if (atomic) {
		rc = 0;
		goto out;
	}
	if (syncfs(run->svc->tenants_dirfd) == -1) {
		snprintf(message, sizeof(message), "could not write the tenant "
		    "folders: %s", strerror(errno));
		goto fail;
	}
	crash_point("bulk.before_commit");
	if (db_commit(db) == -1) {
		snprintf(message, sizeof(message), "could not commit the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (item->state != BULK_ITEM_PENDING)
			continue;
		item->state = BULK_ITEM_CREATED;
		item->placed = 0;
	}
	rc = 0;
	goto out;
fail:
	log_error("bulk create: %s", message);
	if (atomic) {
		undo_atomic(run);
		error_set(run->err, run->errlen, "%s", message);
	} else
		undo(run, members, count, message);
out:
	buf_release(&document);
	free(failed_ids);
	free(members);
	return rc;
}

/*
 * Queues the JOB_KIND_BULK_DEPLOY job for the created items that asked for
 * a deploy and were not deployed as they were built.  A job that cannot
 * be queued is logged: the tenants exist all the same and tenantctl fsck
 * reports their undeployed frontends.
 */
static void
queue_deploy(struct bulk_run *run)
{
	struct buf	 payload;
	yajl_gen	 g = NULL;
	size_t		 i, ids = 0;

	buf_init(&payload, BULK_PAYLOAD_MAX);
	if ((g = json_gen_new()) == NULL)
		goto fail;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_key(g, "tenant_ids") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto fail;
	for (i = 0; i < run->r->count; i++) {
		if (run->r->items[i].state != BULK_ITEM_CREATED ||
		    !run->r->items[i].deploy || run->r->items[i].deployed)
			continue;
		if (yajl_gen_integer(g, run->r->items[i].id) !=
		    yajl_gen_status_ok)
			goto fail;
		ids++;
	}
	if (ids == 0)
		goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "force", 0) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, &payload) == -1)
		goto fail;
	if (db_ensure(run->svc->db) == -1 || job_enqueue(run->svc->db,
	    JOB_KIND_BULK_DEPLOY, 0, payload.data, run->o->user_id,
	    &run->r->deploy_job_id) == -1)
		goto fail;
	goto out;
fail:
	run->r->deploy_job_id = 0;
	log_warning("%zu tenants were created, but their deploy could not be "
	    "queued: %s", ids, db_error(run->svc->db));
out:
	if (g != NULL)
		yajl_gen_free(g);
	buf_release(&payload);
}

/*
 * Creates every pending item, chunk by chunk, reporting progress after
 * each and stopping when asked.  Returns RESULT_OK, or the failure of an
 * atomic batch that undid everything for a reason no item is to blame
 * for.
 */
static enum result
create_all(struct bulk_run *run)
{
	struct bulk_report	*r = run->r;
	size_t			*waiting = NULL;
	size_t			 total = 0, start, n, i, done = 0;
	int			 atomic = run->o->atomic;
	enum result		 status = RESULT_FAILED;

	if ((waiting = calloc(r->count > 0 ? r->count : 1,
	    sizeof(*waiting))) == NULL) {
		error_set(run->err, run->errlen, "out of memory");
		return RESULT_FAILED;
	}
	for (i = 0; i < r->count; i++)
		if (r->items[i].state == BULK_ITEM_PENDING)
			waiting[total++] = i;
	if (total == 0) {
		status = RESULT_OK;
		goto out;
	}
	if (atomic) {
		if (db_begin(run->svc->db) == -1) {
			status = db_failure_status(run->svc->db,
			    "could not start a transaction", run->err,
			    run->errlen);
			goto out;
		}
		run->in_transaction = 1;
	}
	for (start = 0; start < total; start += n) {
		n = total - start < run->chunk ? total - start : run->chunk;
		if (create_chunk(run, waiting + start, n) == -1)
			break;
		done = start + n;
		if (run->o->progress != NULL &&
		    run->o->progress(run->o->progress_arg, done, total) != 0) {
			if (done < total)
				r->stopped = 1;
			break;
		}
	}
	if (atomic && run->in_transaction) {
		crash_point("bulk.atomic_before_commit");
		if (r->stopped)
			undo_atomic(run);
		else if (syncfs(run->svc->tenants_dirfd) == -1) {
			error_set(run->err, run->errlen, "could not write the "
			    "tenant folders: %s", strerror(errno));
			undo_atomic(run);
		} else if (db_commit(run->svc->db) == -1) {
			error_set(run->err, run->errlen, "could not commit the "
			    "tenants");
			undo_atomic(run);
		} else {
			run->in_transaction = 0;
			for (i = 0; i < total; i++) {
				r->items[waiting[i]].state = BULK_ITEM_CREATED;
				r->items[waiting[i]].placed = 0;
			}
		}
	}
	status = RESULT_OK;
	if (atomic && r->rolled_back && !r->stopped) {
		/* No item to blame: the batch failed as a whole. */
		for (i = 0; i < r->count; i++)
			if (r->items[i].state == BULK_ITEM_ERROR)
				break;
		if (i == r->count)
			status = db_unavailable(run->svc->db) ? RESULT_DB_DOWN :
			    RESULT_FAILED;
	}
out:
	free(waiting);
	return status;
}
/*
 * Chooses the template version the run deploys folders with as it builds
 * them: the default (template.h).  When there is none to be had, the
 * folders are built without their site and the bulk_deploy job queued
 * after the run deploys them (and says why).
 */
static void
choose_version(struct bulk_run *run)
{
	char	err[256];

	if (template_default(run->svc, run->version, err,
	    sizeof(err)) != RESULT_OK ||
	    (run->files = template_files_of(run->svc, run->version, err,
	    sizeof(err))) == NULL) {
		log_warning("bulk create: sites are left to a deploy job: %s",
		    err);
		run->files = NULL;
		return;
	}
	/* The report holds 100 paths: too large for a stack frame. */
	if ((run->deploy_report = calloc(1,
	    sizeof(*run->deploy_report))) == NULL)
		run->files = NULL;
}

/*
 * Creates the tenants of `tenants` (see bulk.h).  Called by the
 * bulk-create handler and tenantctl bulk-create.
 */
enum result
bulk_create(struct service *svc, const struct json_value *tenants,
    const struct bulk_create_options *o, struct bulk_report *report,
    char *err, size_t errlen)
{
	struct bulk_run		 run;
	struct tenant_input	*in = NULL;
	size_t			 i;
	enum result		 status;

	memset(&run, 0, sizeof(run));
	module_catalog_init(&run.cat);
	run.svc = svc;
	run.o = o;
	run.r = report;
	run.err = err;
	run.errlen = errlen;
	run.chunk = o->chunk_size == 0 ? BULK_CHUNK_DEFAULT : o->chunk_size;
	if (run.chunk > BULK_CHUNK_MAX)
		run.chunk = BULK_CHUNK_MAX;
	report->dry_run = o->dry_run;

	if (tenants == NULL || tenants->type != JSON_ARRAY) {
		error_set(err, errlen, "tenants must be a JSON array");
		status = RESULT_FAILED;
		goto out;
	}
	if ((status = bulk_load_catalog(svc, &run.cat, err, errlen)) !=
	    RESULT_OK)
		goto out;
	status = RESULT_FAILED;
	if ((in = malloc(sizeof(*in))) == NULL ||
	    (run.scratch_modules = calloc(run.cat.count + 1,
	    sizeof(*run.scratch_modules))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if (tenants->count > 0 && (report->items = calloc(tenants->count,
	    sizeof(*report->items))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	report->count = tenants->count;
	for (i = 0; i < report->count; i++) {
		report->items[i].data = tenants->items[i];
		if (bulk_validate_item(&run, &report->items[i], in) == -1) {
			error_set(err, errlen, "out of memory");
			goto out;
		}
	}
	if (bulk_mark_duplicates(report) == -1) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if ((status = bulk_check_existing(&run)) != RESULT_OK)
		goto out;
	bulk_report_count(report);
	if (o->dry_run || (o->atomic && report->errors > 0))
		goto out;
	if (o->deploy)
		choose_version(&run);
	status = create_all(&run);
	bulk_report_count(report);
	if (status == RESULT_OK && o->deploy && report->created > 0)
		queue_deploy(&run);
	if (status == RESULT_OK && report->created == 0 &&
	    db_unavailable(svc->db)) {
		error_set(err, errlen, "the database is unavailable");
		status = RESULT_DB_DOWN;
	}
out:
	if (run.in_transaction)
		undo_atomic(&run);
	bulk_report_count(report);
	free(run.scratch_modules);
	free(run.deploy_report);
	free(in);
	module_catalog_release(&run.cat);
	return status;
}
