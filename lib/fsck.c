/*
 * fsck.c - reconciling tenant rows with tenant folders (see fsck.h for
 * the problems and their repairs): the run and its report.  What a
 * problem is lives in fsck_scan.c, how it is repaired in fsck_repair.c,
 * the template store's check and repairs in fsck_store.c.
 *
 * The run has four parts.  First the entries of tenants_dir and
 * archive_dir are listed (names only, sorted).  Then the template store
 * is checked (and repaired) against its manifests and rows, so that the
 * tenants are judged against whole versions, and old staging and trash
 * folders are dealt with.  Then every tenant row is examined
 * in id order, a page at a time: where its folder is, and for an active
 * tenant with its folder in place the health check of health.h
 * (config.json against the row, public/ against the template manifest);
 * each folder a row accounts for is marked in the listings.  With repair,
 * a tenant's problems are repaired before they are reported.  Last, the
 * unmarked folders are orphans, looked up once more before anything is
 * done to them, since a tenant may have been created meanwhile.  Then the
 * links of custom domains are checked against their rows
 * (fsck_domains.c), and the list's counters and trigrams against full
 * counts of the rows (list_index.c).
 *
 * Repairs never delete data: folders are moved aside into archive_dir,
 * and only staging and trash folders, which hold copies, are removed (and
 * in the template store, files no manifest lists: a version is exactly
 * its manifest).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "deploy.h"
#include "error.h"
#include "folder.h"
#include "fsck.h"
#include "fsck_domains.h"
#include "fsck_repair.h"
#include "fsck_scan.h"
#include "fsck_store.h"
#include "health.h"
#include "list_index.h"
#include "manifest.h"
#include "template.h"
#include "template_store.h"
#include "module.h"
#include "service.h"
#include "tenant.h"

/* Reports every problem in `f` of tenant `t`.  Returns 0 or -1. */
static int
emit_findings(struct fsck *ctx, const struct tenant *t,
    const struct findings *f)
{
	size_t	p;

	for (p = 0; p < PROBLEM_COUNT; p++) {
		if (f->found[p] && fsck_emit(ctx, t->id, t->subdomain,
		    (enum problem)p, f->detail[p], f->repaired[p]) == -1)
			return -1;
	}
	return 0;
}

/*
 * Reports the old staging and trash folders of a listing (`where` names
 * the directory), removing them when repairing.  Returns 0, or -1 when
 * the report was stopped.
 */
static int
check_leftovers(struct fsck *ctx, struct listing *l, int dirfd,
    const char *where)
{
	char	detail[DETAIL_MAX];
	size_t	i;
	int64_t	age;
	int	repaired;

	for (i = 0; i < l->count; i++) {
		if (!l->items[i].leftover)
			continue;
		age = fsck_entry_age(ctx, dirfd, l->items[i].name);
		if (age < FSCK_GRACE_SECONDS)
			continue;
		repaired = 0;
		snprintf(detail, sizeof(detail), "in %s, unchanged for %lld "
		    "minutes", where, (long long)(age / 60));
		if (ctx->repair) {
			if (dir_remove_tree(dirfd, l->items[i].name) == 0 ||
			    errno == ENOENT)
				repaired = 1;
			else
				snprintf(detail, sizeof(detail), "in %s: could "
				    "not remove it: %s", where,
				    strerror(errno));
		}
		if (fsck_emit(ctx, 0, l->items[i].name, PROBLEM_LEFTOVER,
		    detail, repaired) == -1)
			return -1;
	}
	return 0;
}

/* Examines one tenant row, repairs when asked, and reports. */
static int
check_tenant(struct fsck *ctx, const struct tenant *t)
{
	struct findings	f;
	size_t		p;
	int		any = 0;

	ctx->summary->checked++;
	fsck_examine(ctx, t, &f);
	for (p = 0; p < PROBLEM_COUNT; p++)
		any |= f.found[p];
	if (!any)
		return 0;
	if (ctx->repair)
		fsck_repair_tenant(ctx, t, &f);
	return emit_findings(ctx, t, &f);
}

/*
 * Reports the folders of listing `l` no tenant row accounted for, after
 * looking each up once more, and moves those older than the grace period
 * aside when repairing.  Returns 0, or -1 (stopped, or a database error
 * with `err` set).
 */
static int
check_orphans(struct fsck *ctx, struct listing *l, int dirfd,
    const char *where, char *err, size_t errlen)
{
	struct findings	 f;
	struct tenant	 t;
	const char	*name;
	size_t		 i;
	int64_t		 age;
	int		 found;

	tenant_init(&t);
	for (i = 0; i < l->count; i++) {
		if (l->items[i].leftover || l->items[i].seen)
			continue;
		name = l->items[i].name;
		found = tenant_find_by_subdomain(ctx->svc->db, name, &t);
		tenant_release(&t);
		if (found == -1) {
			error_set(err, errlen, "cannot look up tenant %s: %s",
			    name, db_error(ctx->svc->db));
			return -1;
		}
		if (found == 1)
			continue;	/* created while the check ran */
		if ((age = fsck_entry_age(ctx, dirfd, name)) == -1)
			continue;	/* removed while the check ran */
		memset(&f, 0, sizeof(f));
		fsck_note(&f, PROBLEM_ORPHAN_FOLDER, "%s/%s has no tenant", where,
		    name);
		if (ctx->repair && age < FSCK_GRACE_SECONDS)
			fsck_redetail(&f, PROBLEM_ORPHAN_FOLDER, 0, "%s/%s has no "
			    "tenant, but changed in the last %d minutes; left "
			    "alone", where, name, FSCK_GRACE_SECONDS / 60);
		else if (ctx->repair)
			fsck_put_aside(ctx, dirfd, name, where, &f,
			    PROBLEM_ORPHAN_FOLDER);
		if (fsck_emit(ctx, 0, name, PROBLEM_ORPHAN_FOLDER,
		    f.detail[PROBLEM_ORPHAN_FOLDER],
		    f.repaired[PROBLEM_ORPHAN_FOLDER]) == -1)
			return -1;
	}
	return 0;
}

/*
 * Walks every tenant row in id order, a page at a time.  Returns 0, or -1
 * with `err` set.
 */
static int
check_all_tenants(struct fsck *ctx, char *err, size_t errlen)
{
	struct tenant_list	list;
	int64_t			after = 0;
	size_t			i;
	int			rc = -1;

	memset(&list, 0, sizeof(list));
	for (;;) {
		if (tenant_list_after(ctx->svc->db, after,
		    TENANT_PAGE_AFTER_MAX, &list) == -1) {
			error_set(err, errlen, "cannot list tenants: %s",
			    db_error(ctx->svc->db));
			goto out;
		}
		for (i = 0; i < list.count; i++)
			if (check_tenant(ctx, &list.items[i]) == -1)
				goto stopped;
		if (list.count < TENANT_PAGE_AFTER_MAX)
			break;
		after = list.items[list.count - 1].id;
		tenant_list_release(&list);
	}
	rc = 0;
	goto out;
stopped:
	error_set(err, errlen, "stopped");
out:
	tenant_list_release(&list);
	return rc;
}

/*
 * Opens what a run needs: the archive directory (created when repairing,
 * since orphans are moved there), the module catalog and the two
 * listings.  Returns 0, or -1 with `err` set.
 */
static int
prepare(struct fsck *ctx, char *err, size_t errlen)
{
	ctx->archive_fd = folder_open_archive_dir(ctx->svc->conf,
	    ctx->repair);
	if (ctx->archive_fd == -1 && errno != ENOENT) {
		error_set(err, errlen, "cannot open archive_dir: %s",
		    strerror(errno));
		return -1;
	}
	if (ctx->archive_fd == -1 && ctx->repair) {
		error_set(err, errlen, "cannot create archive_dir: %s",
		    strerror(errno));
		return -1;
	}
	if (db_ensure(ctx->svc->db) == -1 ||
	    module_catalog_load(&ctx->catalog, ctx->svc->db) == -1) {
		error_set(err, errlen, "cannot load the module catalog: %s",
		    db_error(ctx->svc->db));
		return -1;
	}
	if ((ctx->health = calloc(1, sizeof(*ctx->health))) == NULL ||
	    (ctx->deploy_report = calloc(1,
	    sizeof(*ctx->deploy_report))) == NULL) {
		error_set(err, errlen, "out of memory");
		return -1;
	}
	if (fsck_listing_read(&ctx->tenants_listing, ctx->svc->tenants_dirfd) ==
	    -1 || fsck_listing_read(&ctx->archive_listing, ctx->archive_fd) == -1) {
		error_set(err, errlen, "cannot list the tenant folders: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Checks the template store, then reads the default version's manifest,
 * which the tenants are judged against.  The default is asked for first,
 * since that stores template_dir with its row when it changed, which the
 * store's check would otherwise find without one.  Returns 0, or -1 with
 * `err` set.
 */
static int
check_templates(struct fsck *ctx, char *err, size_t errlen)
{
	char	manifest_err[DETAIL_MAX];
	int	have_default;

	have_default = template_default(ctx->svc, ctx->version, manifest_err,
	    sizeof(manifest_err)) == RESULT_OK;
	if (fsck_store_check(ctx, err, errlen) == -1)
		return -1;
	ctx->files = &ctx->default_files;
	ctx->manifest_ok = have_default &&
	    template_store_load(template_store_fd(ctx->svc), ctx->version,
	    &ctx->default_files, manifest_err, sizeof(manifest_err)) == 0;
	if (!ctx->manifest_ok) {
		/* Configs and folders can still be judged without it. */
		ctx->version[0] = '\0';
		if (fsck_emit(ctx, 0, "template", PROBLEM_MANIFEST,
		    manifest_err, 0) == -1) {
			error_set(err, errlen, "stopped");
			return -1;
		}
	}
	return 0;
}

/* Is anything off in `d`? */
static int
drifted(const struct list_index_drift *d)
{
	return d->counts != 0 || d->trigrams_missing != 0 ||
	    d->trigrams_extra != 0;
}

/*
 * Checks the list's counters and trigrams against full counts of the
 * rows (list_index.h) and reports each kind that is off.  With repair,
 * one rebuild repairs both, which counts as repaired when a second check
 * finds nothing off.  Returns 0, or -1 with `err` set when the report was
 * stopped or the first check failed.
 */
static int
check_list_index(struct fsck *ctx, char *err, size_t errlen)
{
	struct list_index_drift found, left;
	char detail[DETAIL_MAX];
	int repaired = 0, rc = -1;

	if (list_index_check(ctx->svc->db, &found) == -1) {
		error_set(err, errlen, "cannot check the list's counters");
		goto out;
	}
	if (ctx->repair && drifted(&found) &&
	    list_index_rebuild(ctx->svc->db) == 0 &&
	    list_index_check(ctx->svc->db, &left) == 0)
		repaired = !drifted(&left);
	snprintf(detail, sizeof(detail), "%lld counter rows off",
	    (long long)found.counts);
	if (found.counts != 0 && fsck_emit(ctx, 0, "tenant_counts",
	    PROBLEM_LIST_COUNTS, detail, repaired) == -1) {
		error_set(err, errlen, "stopped");
		goto out;
	}
	snprintf(detail, sizeof(detail), "%lld missing, %lld extra",
	    (long long)found.trigrams_missing,
	    (long long)found.trigrams_extra);
	if ((found.trigrams_missing != 0 || found.trigrams_extra != 0) &&
	    fsck_emit(ctx, 0, "tenant_trigrams", PROBLEM_LIST_TRIGRAMS,
	    detail, repaired) == -1) {
		error_set(err, errlen, "stopped");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/*
 * Runs fsck (see fsck.h).  Called by `tenantctl fsck`.  Returns 0 when
 * the run went through, -1 with `err` set when it could not.
 */
int
fsck_run(struct service *svc, int repair, fsck_report_fn report,
    void *report_arg, struct fsck_summary *summary, char *err,
    size_t errlen)
{
	struct fsck	ctx;
	int		rc = -1;

	memset(&ctx, 0, sizeof(ctx));
	memset(summary, 0, sizeof(*summary));
	ctx.svc = svc;
	ctx.repair = repair != 0;
	ctx.report = report;
	ctx.report_arg = report_arg;
	ctx.summary = summary;
	ctx.archive_fd = -1;
	ctx.now = time(NULL);
	module_catalog_init(&ctx.catalog);
	template_files_init(&ctx.default_files);

	if (prepare(&ctx, err, errlen) == -1 ||
	    check_templates(&ctx, err, errlen) == -1)
		goto out;
	if (check_leftovers(&ctx, &ctx.tenants_listing, svc->tenants_dirfd,
	    "tenants_dir") == -1 || check_leftovers(&ctx,
	    &ctx.archive_listing, ctx.archive_fd, "archive_dir") == -1) {
		error_set(err, errlen, "stopped");
		goto out;
	}
	if (check_all_tenants(&ctx, err, errlen) == -1)
		goto out;
	if (check_orphans(&ctx, &ctx.tenants_listing, svc->tenants_dirfd,
	    "tenants_dir", err, errlen) == -1 ||
	    check_orphans(&ctx, &ctx.archive_listing, ctx.archive_fd,
	    "archive_dir", err, errlen) == -1) {
		if (ctx.stopped)
			error_set(err, errlen, "stopped");
		goto out;
	}
	if (fsck_domains_check(&ctx, err, errlen) == -1 ||
	    check_list_index(&ctx, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	if (ctx.archive_fd != -1)
		close(ctx.archive_fd);
	fsck_listing_release(&ctx.tenants_listing);
	fsck_listing_release(&ctx.archive_listing);
	module_catalog_release(&ctx.catalog);
	template_files_release(&ctx.default_files);
	free(ctx.health);
	free(ctx.deploy_report);
	return rc;
}
