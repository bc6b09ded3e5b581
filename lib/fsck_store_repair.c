/*
 * fsck_store_repair.c - the repairs of fsck of the template store (the
 * check, fsck_store.c, finds the problems and calls these when
 * repairing): restoring files from template_dir or a tenant's good copy,
 * redeploying the tenants on a version so that they are linked to the
 * restored files, the mode and strays of stored files, re-inserting a
 * missing row and restoring a missing version.  fsck_store_internal.h
 * declares what fsck_store.c calls.
 *
 * A damaged file is never repaired in place, which would change the
 * bytes under every tenant at once and could not be checked first: a
 * good copy is written beside it, checked and renamed over it
 * (template_store_restore_file()), and the tenants on the version are
 * redeployed so that their links move to the new inode.  Until they are,
 * the damaged inode keeps a link in a holding directory, which is what
 * lets a deploy tell it from a change of the tenant's own (see
 * template_store.h) and what tells a later run that tenants are still to
 * be redeployed if this one could not finish.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "deploy.h"
#include "deploy_copy.h"
#include "deploy_queue.h"
#include "error.h"
#include "folder.h"
#include "fsck_scan.h"
#include "fsck_store_internal.h"
#include "manifest.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"

/* How long a redeploy waits for a tenant another operation holds. */
#define REDEPLOY_LOCK_WAIT_MS	10000

/* --- the holding directories --------------------------------------------- */

/* Is holding directory `name` one of a repair of `version`? */
static int
holds_version(const char *name, const char *version)
{
	char	held[TEMPLATE_VERSION_LEN + 1];

	return template_store_held_version(name, held) &&
	    strcmp(held, version) == 0;
}

/* --- the tenants on a version ------------------------------------------- */

/*
 * Loads the tenants on `vc`'s version (ids and subdomains) the first
 * time a repair needs them.  Returns 0, or -1 with `err` set.
 */
static int
load_tenants(struct store_scan *sc, struct version_check *vc, char *err,
    size_t errlen)
{
	struct version_tenants	*vt = &vc->tenants;
	struct tenant		 t;
	size_t			 i;
	int			 rc;

	if (vt->loaded)
		return 0;
	if (template_rows_tenants_on(sc->ctx->svc->db, vc->version, &vt->ids,
	    &vt->count, &vt->archived) == -1) {
		error_set(err, errlen, "cannot list the tenants on it: %s",
		    db_error(sc->ctx->svc->db));
		return -1;
	}
	if (vt->count > 0 && (vt->subdomains = calloc(vt->count,
	    sizeof(*vt->subdomains))) == NULL) {
		error_set(err, errlen, "out of memory");
		return -1;
	}
	tenant_init(&t);
	for (i = 0; i < vt->count; i++) {
		rc = tenant_find_by_id(sc->ctx->svc->db, vt->ids[i], &t);
		if (rc == -1) {
			tenant_release(&t);
			error_set(err, errlen, "cannot load tenant %lld: %s",
			    (long long)vt->ids[i], db_error(sc->ctx->svc->db));
			return -1;
		}
		if (rc == 1 && (vt->subdomains[i] = strdup(t.subdomain)) ==
		    NULL) {
			tenant_release(&t);
			error_set(err, errlen, "out of memory");
			return -1;
		}
		tenant_release(&t);
	}
	vt->loaded = 1;
	return 0;
}

/*
 * Redeploys every active tenant on `vc`'s version, so that links to
 * files this or an earlier run replaced move to the good ones; a tenant
 * busy with another operation is waited for a while.  What happened goes
 * to `outcome`.  Returns 1 when every one was redeployed, else 0.
 */
static int
redeploy_tenants(struct store_scan *sc, struct version_check *vc,
    char *outcome, size_t len)
{
	struct deploy_options	o;
	struct tenant		t;
	char			err[DETAIL_MAX], first[DETAIL_MAX] = "";
	char			archived[128] = "";
	size_t			i, failed = 0;
	enum result		status;

	if (load_tenants(sc, vc, err, sizeof(err)) == -1) {
		snprintf(outcome, len, "tenants not redeployed: %.200s", err);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.version = vc->version;
	o.lock_wait_ms = REDEPLOY_LOCK_WAIT_MS;
	tenant_init(&t);
	for (i = 0; i < vc->tenants.count; i++) {
		status = deploy_locked(sc->ctx->svc, vc->tenants.ids[i], &o, &t,
		    sc->ctx->deploy_report, err, sizeof(err));
		/* Deleted or archived meanwhile: nothing of it is served. */
		if (status != RESULT_OK && status != RESULT_NOT_FOUND &&
		    status != RESULT_ARCHIVED) {
			if (failed++ == 0)
				snprintf(first, sizeof(first), "%s: %.160s",
				    vc->tenants.subdomains[i] != NULL ?
				    vc->tenants.subdomains[i] : "?", err);
		}
		tenant_release(&t);
	}
	if (vc->tenants.archived > 0)
		snprintf(archived, sizeof(archived), "; %zu archived tenants "
		    "not redeployed (after a restore, deploy them with "
		    "--force)", vc->tenants.archived);
	if (failed == 0) {
		snprintf(outcome, len, "%zu tenants redeployed%s",
		    vc->tenants.count, archived);
		return 1;
	}
	snprintf(outcome, len, "%zu of %zu tenants not redeployed (%.120s); "
	    "run tenantctl fsck --repair again%s", failed, vc->tenants.count,
	    first, archived);
	return 0;
}

/* --- restoring files ---------------------------------------------------- */

/*
 * Restores problem `sp`'s file from `path` below directory `base` when
 * it is a file of its own (not the damaged inode) of the listed size;
 * its bytes are checked on the copy.  Returns 1 restored, 0 not a good
 * copy, -1 on an error writing the store (errno set).
 */
static int
try_source(struct version_check *vc, struct store_problem *sp, int base)
{
	const struct manifest_entry	*e = &vc->manifest.entries[sp->index];
	struct stat			 st;
	int				 fd, rc, saved;

	if (manifest_file_open_at(base, e->path, &fd, &st) != 1)
		return 0;
	if ((sp->inode != 0 && st.st_dev == sp->device &&
	    st.st_ino == sp->inode) || (uint64_t)st.st_size != e->size) {
		close(fd);
		return 0;
	}
	rc = template_store_restore_file(&vc->restore, e, sp->index, fd,
	    vc->hold);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/*
 * Restores problem `sp`'s file from a good copy: template_dir's first,
 * then any active tenant's on the version.  Records the outcome in `sp`
 * (its redeploy is still to come).  Returns 1 restored, else 0.
 */
static int
restore_file(struct store_scan *sc, struct version_check *vc,
    struct store_problem *sp)
{
	const char	*path = problem_path(vc, sp);
	char		 err[DETAIL_MAX];
	size_t		 i;
	int		 folder, public, rc;

	if (vc->hold == -1 && (vc->hold = template_store_hold(sc->store,
	    vc->version, vc->hold_name, sizeof(vc->hold_name))) == -1) {
		redetail(sp, 0, "%s: could not make a holding directory: %s",
		    path, strerror(errno));
		return 0;
	}
	if (sc->template_dir != -1) {
		if ((rc = try_source(vc, sp, sc->template_dir)) == 1) {
			note_restored(sp, "template_dir");
			return 1;
		}
		if (rc == -1)
			goto failed;
	}
	if (load_tenants(sc, vc, err, sizeof(err)) == -1) {
		redetail(sp, 0, "%s: %s", path, err);
		return 0;
	}
	for (i = 0; i < vc->tenants.count; i++) {
		if (vc->tenants.subdomains[i] == NULL ||
		    (folder = folder_open_dir(sc->ctx->svc->tenants_dirfd,
		    vc->tenants.subdomains[i])) == -1)
			continue;
		public = folder_open_dir(folder, FOLDER_PUBLIC_DIR);
		close(folder);
		if (public == -1)
			continue;
		rc = try_source(vc, sp, public);
		close(public);
		if (rc == 1) {
			note_restored(sp, "tenant %s's copy",
			    vc->tenants.subdomains[i]);
			return 1;
		}
		if (rc == -1)
			goto failed;
	}
	redetail(sp, 0, "%s: no good copy in template_dir or any tenant on the "
	    "version; add the template again with tenantctl template add, "
	    "then run tenantctl fsck --repair", path);
	return 0;
failed:
	redetail(sp, 0, "%s: could not restore it: %s", path, strerror(errno));
	return 0;
}

/* --- the repairs of a version ------------------------------------------ */

/* Inserts the missing row of stored version `vc`, recording in `sp`. */
void
insert_row(struct store_scan *sc, struct version_check *vc,
    struct store_problem *sp)
{
	struct template_version	v;
	char			err[DETAIL_MAX];
	int			inserted;

	memset(&v, 0, sizeof(v));
	snprintf(v.version, sizeof(v.version), "%s", vc->version);
	if (!vc->manifest_ok || vc->tree == -1) {
		redetail(sp, 0, "no row names it; without a good manifest and "
		    "tree/ none is made");
		return;
	}
	if (template_version_meta_at(vc->tree, &v, err, sizeof(err)) == -1) {
		redetail(sp, 0, "no row names it; none is made: %s", err);
		return;
	}
	v.files = (int64_t)vc->manifest.count;
	v.bytes = (int64_t)vc->manifest.total_bytes;
	snprintf(v.source, sizeof(v.source), "added");
	if (template_rows_insert(sc->ctx->svc->db, &v, 0, &inserted) == -1) {
		redetail(sp, 0, "no row names it; could not insert one: %s",
		    db_error(sc->ctx->svc->db));
		return;
	}
	redetail(sp, 1, "no row named it; inserted from its manifest");
}

/*
 * The repairs of the problems judge_files() found in `vc`, except the
 * redeploy that follows restored files.
 */
void
repair_files(struct store_scan *sc, struct version_check *vc)
{
	struct store_problem	*sp;
	const char		*leaf;
	size_t			 i;
	int			 parent, rc;

	for (i = 0; i < vc->count; i++) {
		sp = &vc->problems[i];
		switch (sp->problem) {
		case PROBLEM_STORE_FILE_MODE:
			if (template_store_chmod_file(&vc->check,
			    &vc->manifest.entries[sp->index]) == 0)
				redetail(sp, 1, "%s: mode %04o again",
				    problem_path(vc, sp),
				    TEMPLATE_STORE_FILE_MODE);
			else
				redetail(sp, 0, "%s: could not change its "
				    "mode: %s", problem_path(vc, sp),
				    strerror(errno));
			break;
		case PROBLEM_STORE_STRAY_FILE:
			/* A directory's path ends with '/', not its name. */
			if (sp->is_directory)
				sp->path[strlen(sp->path) - 1] = '\0';
			if ((parent = dir_cursor_parent(&vc->check, sp->path,
			    &leaf)) == -1)
				rc = -1;
			else if (sp->is_directory)
				rc = dir_remove_tree(parent, leaf);
			else
				rc = unlinkat(parent, leaf, 0);
			if (rc == 0 || errno == ENOENT)
				redetail(sp, 1, "%s: removed", sp->path);
			else
				redetail(sp, 0, "%s: could not remove it: %s",
				    sp->path, strerror(errno));
			break;
		default:
			if (sp->restore && restore_file(sc, vc, sp))
				vc->restored++;
			break;
		}
	}
}

/*
 * Redeploys the tenants on `vc`'s version when this run restored files
 * of it or an earlier one left holding directories (`held` of them,
 * each reported as a problem), then removes the holding directories once
 * every tenant is redeployed.  The restored files' problems are repaired
 * only then.  Returns 0, or -1 when out of memory.
 */
int
finish_repair(struct store_scan *sc, struct version_check *vc)
{
	struct store_problem	*sp;
	char			 outcome[DETAIL_MAX];
	size_t			 i, held = 0;
	int			 all;

	for (i = 0; i < sc->holds.count; i++) {
		if (!holds_version(sc->holds.items[i].name, vc->version))
			continue;
		held++;
		if (add_problem(vc, PROBLEM_STORE_UNFINISHED_REPAIR, NO_ENTRY,
		    "%s: files of the version were restored, but not every "
		    "tenant on it was redeployed since",
		    sc->holds.items[i].name) == NULL)
			return -1;
	}
	if (!sc->ctx->repair || (vc->restored == 0 && held == 0))
		return 0;
	if (vc->dir == -1) {
		/* Nothing to redeploy to; the holding directories wait. */
		for (i = 0; i < vc->count; i++)
			if (vc->problems[i].problem ==
			    PROBLEM_STORE_UNFINISHED_REPAIR)
				redetail(&vc->problems[i], 0, "the version is "
				    "not in the store; add it again with "
				    "tenantctl template add, then run tenantctl "
				    "fsck --repair");
		return 0;
	}
	all = redeploy_tenants(sc, vc, outcome, sizeof(outcome));
	for (i = 0; all && i < sc->holds.count; i++)
		if (holds_version(sc->holds.items[i].name, vc->version) &&
		    dir_remove_tree(sc->store, sc->holds.items[i].name) == -1 &&
		    errno != ENOENT)
			all = 0;
	if (all && vc->hold != -1 && dir_remove_tree(sc->store,
	    vc->hold_name) == -1 && errno != ENOENT)
		all = 0;
	for (i = 0; i < vc->count; i++) {
		sp = &vc->problems[i];
		if (sp->problem == PROBLEM_STORE_UNFINISHED_REPAIR)
			redetail(sp, all, "%s", outcome);
		else if (sp->restored && sp->index != NO_ENTRY)
			redetail(sp, all, "%s: restored from %s; %s",
			    problem_path(vc, sp), sp->source, outcome);
		else if (sp->restored)
			redetail(sp, all, "restored from %s; %s", sp->source,
			    outcome);
	}
	return 0;
}

/*
 * Puts version `vc` back from template_dir, which is that version, for
 * check_missing_version().  Records the outcome in `sp`.
 */
void
restore_version(struct store_scan *sc, struct version_check *vc,
    struct store_problem *sp)
{
	char	why[DETAIL_MAX];

	if (sc->store == -1 && (sc->store = template_store_open(
	    sc->ctx->svc->tenants_dirfd, 1)) == -1) {
		redetail(sp, 0, "could not make the template store: %s",
		    strerror(errno));
		return;
	}
	if (template_store_add(sc->store, sc->ctx->svc->conf->template_dir,
	    &sc->dir_manifest, vc->version, why, sizeof(why)) == -1) {
		redetail(sp, 0, "could not restore it from template_dir: %s",
		    why);
		return;
	}
	if ((vc->dir = folder_open_dir(sc->store, vc->version)) == -1) {
		redetail(sp, 0, "restored from template_dir, but cannot open "
		    "it: %s", strerror(errno));
		return;
	}
	note_restored(sp, "template_dir");
	vc->restored = 1;
}
