/*
 * fsck_repair.c - the repairs of `tenantctl fsck --repair` (fsck.h lists
 * them).
 *
 * Each repair of a tenant runs under fsck's own tenant lock on a fresh
 * examination, so it acts on what is there now, not on what the report
 * pass saw; an interrupted archive or restore is completed by running the
 * operation again, which takes its own lock.  Repairs never delete data:
 * folders are moved aside into archive_dir, and only debris that holds
 * copies or uploads never accepted is removed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config_file.h"
#include "db.h"
#include "deploy.h"
#include "folder.h"
#include "fsck_repair.h"
#include "lifecycle.h"
#include "log.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"

#define LOCK_OPERATION		"fsck"

/*
 * Builds a new tenants_dir/<sub> for an active tenant whose folder is
 * gone: config.json and an empty public/ in a staging folder renamed into
 * place, then a deploy of the template.  The logo, if there was one, is
 * lost with the folder.  Returns 1 repaired, 0 not (detail set).
 */
static int
recreate_folder(struct fsck *ctx, const struct tenant *t, struct findings *f)
{
	struct buf		 document;
	struct folder_content	 content;
	struct deploy_options	 o;
	const struct template_files *files;
	char			 err[DETAIL_MAX], version[16];
	const char		*logo_note = t->logo != NULL ?
				    " (its logo file was lost with it)" : "";
	int			 tenants = ctx->svc->tenants_dirfd, rc = 0;

	buf_init(&document, CONFIG_FILE_MAX_BYTES);
	if (config_file_render(ctx->svc, t, &ctx->catalog, &document) == -1)
		goto fail;
	memset(&content, 0, sizeof(content));
	content.config = document.data;
	content.config_len = document.len;
	content.sync = 1;
	if (folder_create_staged(tenants, t->subdomain, &content) == -1)
		goto fail;
	if (fsync(tenants) == -1)
		goto fail;
	log_info("fsck: recreated the folder of %s", t->subdomain);

	if (!ctx->manifest_ok) {
		fsck_redetail(f, PROBLEM_MISSING_FOLDER, 0, "folder recreated%s, "
		    "but there is no template manifest to deploy", logo_note);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	files = fsck_files_for(ctx, t, version);
	o.version = version;
	if (deploy_tenant(ctx->svc, t, files, &o, ctx->deploy_report, err,
	    sizeof(err)) == -1) {
		fsck_redetail(f, PROBLEM_MISSING_FOLDER, 0, "folder recreated%s, "
		    "but the deploy failed: %s", logo_note, err);
		goto out;
	}
	fsck_redetail(f, PROBLEM_MISSING_FOLDER, 1, "folder recreated and "
	    "deployed%s", logo_note);
	rc = 1;
	goto out;
fail:
	fsck_redetail(f, PROBLEM_MISSING_FOLDER, 0, "could not recreate the "
	    "folder: %s", strerror(errno));
out:
	buf_release(&document);
	return rc;
}

/* Moves a folder aside into archive_dir as ".orphan-<name>-<hex>". */
void
fsck_put_aside(struct fsck *ctx, int dirfd, const char *name,
    const char *where, struct findings *f, enum problem p)
{
	char	moved[NAME_MAX + 1];

	if (folder_move_aside(dirfd, name, ctx->archive_fd, ".orphan-",
	    moved, sizeof(moved)) == -1)
		fsck_redetail(f, p, 0, "could not move %s/%s aside: %s", where,
		    name, strerror(errno));
	else
		fsck_redetail(f, p, 1, "%s/%s moved to archive_dir/%s", where, name,
		    moved);
}

/*
 * The repairs done under fsck's own tenant lock, on a fresh examination
 * of tenant `id`: folder, config.json, frontend, leftovers and folders in
 * the way.  `f` is replaced by what the fresh examination found, with the
 * outcome of each repair.  Busy tenants keep `f` with a note.
 */
static void
repair_locked(struct fsck *ctx, int64_t id, struct findings *f)
{
	struct tenant_lock	lock;
	struct tenant		t;
	struct deploy_options	o;
	const struct template_files *files;
	char			err[DETAIL_MAX], version[16];
	size_t			p;
	ssize_t			removed;
	size_t			missing, stray;
	int			rc;

	tenant_init(&t);
	rc = tenant_lock_acquire(ctx->svc->db, ctx->svc->conf, id,
	    LOCK_OPERATION, &lock);
	if (rc != 1) {
		for (p = 0; p < PROBLEM_COUNT; p++)
			if (f->found[p])
				fsck_redetail(f, (enum problem)p, 0, "skipped: %s",
				    rc == 0 ? "another deploy, archive or "
				    "restore of the tenant is running" :
				    "could not lock the tenant");
		return;
	}
	if ((rc = tenant_find_by_id(ctx->svc->db, id, &t)) != 1) {
		/* Deleted meanwhile: its folder is the orphan pass's. */
		memset(f, 0, sizeof(*f));
		if (rc == -1)
			fsck_note(f, PROBLEM_CHECK_FAILED, "could not reload the "
			    "tenant: %s", db_error(ctx->svc->db));
		goto out;
	}
	fsck_examine(ctx, &t, f);

	if (f->found[PROBLEM_MISSING_FOLDER])
		recreate_folder(ctx, &t, f);
	if (f->found[PROBLEM_ORPHAN_FOLDER])
		fsck_put_aside(ctx, ctx->archive_fd, t.subdomain,
		    "archive_dir", f, PROBLEM_ORPHAN_FOLDER);
	if (f->found[PROBLEM_CONFLICTING_FOLDER])
		fsck_put_aside(ctx, ctx->svc->tenants_dirfd, t.subdomain,
		    "tenants_dir", f, PROBLEM_CONFLICTING_FOLDER);
	if (f->found[PROBLEM_STALE_CONFIG]) {
		if (config_write_atomic_with(ctx->svc, &t, &ctx->catalog) == 0)
			fsck_redetail(f, PROBLEM_STALE_CONFIG, 1, "config.json "
			    "rewritten");
		else
			fsck_redetail(f, PROBLEM_STALE_CONFIG, 0, "could not "
			    "rewrite config.json: %s", strerror(errno));
	}
	if (f->found[PROBLEM_STALE_GATE]) {
		if (fsck_gate_files(ctx, &t, 1, &missing, &stray) == 0)
			fsck_redetail(f, PROBLEM_STALE_GATE, 1, "gate files "
			    "published from config.json: %zu added, %zu "
			    "removed", missing, stray);
		else
			fsck_redetail(f, PROBLEM_STALE_GATE, 0, "could not "
			    "publish the gate files: %s", strerror(errno));
	}
	if (f->found[PROBLEM_LEFTOVER]) {
		removed = fsck_tenant_leftovers(ctx, &t, 1);
		if (removed >= 0)
			fsck_redetail(f, PROBLEM_LEFTOVER, 1, "%zd %s* folder(s) "
			    "removed", removed, PUBLIC_STAGING_PREFIX);
		else
			fsck_redetail(f, PROBLEM_LEFTOVER, 0, "could not remove "
			    "them: %s", strerror(errno));
	}
	if (f->found[PROBLEM_STRAY_LOGO]) {
		removed = fsck_stray_logos(ctx, &t, 1, err, sizeof(err));
		if (removed >= 0)
			fsck_redetail(f, PROBLEM_STRAY_LOGO, 1, "%zd stray logo "
			    "file(s) removed", removed);
		else
			fsck_redetail(f, PROBLEM_STRAY_LOGO, 0, "could not remove "
			    "them: %s", strerror(errno));
	}
	if (f->found[PROBLEM_UNDEPLOYED_FRONTEND]) {
		memset(&o, 0, sizeof(o));
		files = fsck_files_for(ctx, &t, version);
		o.version = version;
		if (deploy_tenant(ctx->svc, &t, files, &o, ctx->deploy_report, err,
		    sizeof(err)) == 0)
			fsck_redetail(f, PROBLEM_UNDEPLOYED_FRONTEND, 1, "deployed: "
			    "%zu files copied, %zu changed files kept",
			    ctx->deploy_report->files_copied,
			    ctx->deploy_report->files_kept);
		else
			fsck_redetail(f, PROBLEM_UNDEPLOYED_FRONTEND, 0, "the "
			    "deploy failed: %s", err);
	}
	if (f->found[PROBLEM_INTERRUPTED_ARCHIVE])
		fsck_redetail(f, PROBLEM_INTERRUPTED_ARCHIVE, 0, "appeared while "
		    "checking; run fsck again");
	if (f->found[PROBLEM_INTERRUPTED_RESTORE])
		fsck_redetail(f, PROBLEM_INTERRUPTED_RESTORE, 0, "appeared while "
		    "checking; run fsck again");
out:
	if (tenant_lock_release(ctx->svc->db, &lock) == -1)
		log_warning("could not release the lock of tenant %lld",
		    (long long)id);
	tenant_release(&t);
}

/*
 * Completes an interrupted archive or restore by running the operation
 * again (it takes its own lock).  Records the outcome in `f`.
 */
static void
complete_operation(struct fsck *ctx, int64_t id, enum problem p,
    struct findings *f)
{
	enum result		status;
	char			err[DETAIL_MAX];

	err[0] = '\0';
	if (p == PROBLEM_INTERRUPTED_ARCHIVE)
		status = lifecycle_archive(ctx->svc, id, 0, NULL, err,
		    sizeof(err));
	else
		status = lifecycle_restore(ctx->svc, id, 0, NULL, err,
		    sizeof(err));
	if (status == RESULT_OK)
		fsck_redetail(f, p, 1, "%s completed",
		    p == PROBLEM_INTERRUPTED_ARCHIVE ? "archive" : "restore");
	else if (status == RESULT_BUSY)
		fsck_redetail(f, p, 0, "skipped: %s", err);
	else
		fsck_redetail(f, p, 0, "could not complete it: %s", err);
}

/*
 * A completed restore puts the folder back as it was archived, so what
 * was wrong with it then (a frontend never deployed, say) shows only now:
 * examines and repairs the restored tenant in the same run and adds those
 * findings to `f`.
 */
static void
repair_after_restore(struct fsck *ctx, int64_t id, struct findings *f)
{
	struct findings	after;
	size_t		p;

	memset(&after, 0, sizeof(after));
	repair_locked(ctx, id, &after);
	for (p = 0; p < PROBLEM_COUNT; p++) {
		if (!after.found[p] || p == PROBLEM_INTERRUPTED_RESTORE)
			continue;
		f->found[p] = 1;
		f->repaired[p] = after.repaired[p];
		memcpy(f->detail[p], after.detail[p], sizeof(f->detail[p]));
	}
}

/*
 * Repairs what the examination `f` of tenant `t` found, recording the
 * outcome of each repair in `f` (see fsck_repair.h).
 */
void
fsck_repair_tenant(struct fsck *ctx, const struct tenant *t,
    struct findings *f)
{
	int	fixable;

	fixable = f->found[PROBLEM_MISSING_FOLDER] ||
	    f->found[PROBLEM_ORPHAN_FOLDER] ||
	    f->found[PROBLEM_CONFLICTING_FOLDER] ||
	    f->found[PROBLEM_STALE_CONFIG] ||
	    f->found[PROBLEM_UNDEPLOYED_FRONTEND] ||
	    f->found[PROBLEM_STRAY_LOGO] ||
	    f->found[PROBLEM_STALE_GATE] ||
	    f->found[PROBLEM_LEFTOVER];
	if (f->found[PROBLEM_INTERRUPTED_ARCHIVE])
		complete_operation(ctx, t->id, PROBLEM_INTERRUPTED_ARCHIVE, f);
	else if (f->found[PROBLEM_INTERRUPTED_RESTORE]) {
		complete_operation(ctx, t->id, PROBLEM_INTERRUPTED_RESTORE, f);
		if (f->repaired[PROBLEM_INTERRUPTED_RESTORE])
			repair_after_restore(ctx, t->id, f);
	} else if (fixable)
		repair_locked(ctx, t->id, f);
}
