/*
 * fsck_domains.c - the links of active custom domains against their rows
 * (see fsck_domains.h).
 *
 * The active domains are read in one query, ordered by name (the column's
 * binary collation is strcmp()'s order), so each entry of .domains is
 * looked up among them by bisection.  A link younger than
 * FSCK_GRACE_SECONDS is left alone: a verify makes it before it commits.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "domain.h"
#include "domain_link.h"
#include "error.h"
#include "folder.h"
#include "fsck_domains.h"
#include "fsck_scan.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"

enum active_column {
	COL_NAME,
	COL_TENANT_ID,
	COL_SUBDOMAIN
};

/*
 * The row of active domain `name` in `r` (ordered by name), or -1 when
 * none is.
 */
static long
active_row(const struct db_result *r, const char *name)
{
	size_t	lo = 0, hi = r->rows, mid;
	int	cmp;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(name, db_cell(r, mid, COL_NAME));
		if (cmp == 0)
			return (long)mid;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/*
 * Makes the link of domain `name` of tenant `tenant_id` again, while the
 * tenant's row is locked and the domain is still active: a removal holds
 * the same lock while it takes the link away and deletes the row, so a
 * domain being removed is never linked again here.  Returns 1 (linked), 0
 * (no longer an active domain of the tenant) or -1 with errno set.
 */
static int
relink(struct fsck *ctx, int64_t tenant_id, const char *name,
    const char *subdomain)
{
	struct db *db = ctx->svc->db;
	struct domain d;
	struct tenant t;
	int rc = -1;

	tenant_init(&t);
	if (db_begin(db) == -1) {
		errno = EIO;
		goto out;
	}
	if (tenant_lock_row(db, tenant_id, &t) == 1 &&
	    domain_find(db, tenant_id, name, &d) == 1 && d.active &&
	    strcmp(t.subdomain, subdomain) == 0)
		rc = domain_link_set(ctx->svc->tenants_dirfd, name,
		    subdomain) == 0 ? 1 : -1;
	else
		rc = 0;
	db_rollback(db);
out:
	tenant_release(&t);
	return rc;
}

/*
 * Reports (and with repair, remakes) the link of every active domain of
 * `r` that is missing or points elsewhere.  Returns 0, or -1 when the
 * report asked to stop.
 */
static int
check_links(struct fsck *ctx, const struct db_result *r)
{
	char	sub[SUBDOMAIN_MAX + 1], detail[DETAIL_MAX];
	const char *name, *want;
	size_t	i;
	int	rc, repaired;

	for (i = 0; i < r->rows; i++) {
		name = db_cell(r, i, COL_NAME);
		want = db_cell(r, i, COL_SUBDOMAIN);
		rc = domain_link_subdomain(ctx->svc->tenants_dirfd, name, sub);
		if (rc == 1 && strcmp(sub, want) == 0)
			continue;
		if (rc == 1)
			snprintf(detail, sizeof(detail), "the link points at "
			    "%s, not %s", sub, want);
		else
			snprintf(detail, sizeof(detail), "no link to %s%s%s",
			    want, rc == -1 ? ": " : "",
			    rc == -1 ? strerror(errno) : "");
		repaired = 0;
		if (ctx->repair) {
			rc = relink(ctx, db_cell_int(r, i, COL_TENANT_ID, 0),
			    name, want);
			repaired = rc == 1;
			snprintf(detail + strlen(detail),
			    sizeof(detail) - strlen(detail), "%s%s",
			    rc == 1 ? "; linked" : rc == 0 ?
			    "; no longer active, left alone" :
			    "; not repaired: ", rc == -1 ? strerror(errno) : "");
		}
		if (fsck_emit(ctx, db_cell_int(r, i, COL_TENANT_ID, 0), name,
		    PROBLEM_DOMAIN_LINK_MISSING, detail, repaired) == -1)
			return -1;
	}
	return 0;
}

/*
 * Reports (and with repair, removes) every entry of .domains, open on
 * `dfd`, that no active domain of `r` accounts for.  Returns 0, or -1
 * with errno set (0 when the report asked to stop).
 */
static int
check_strays(struct fsck *ctx, int dfd, const struct db_result *r)
{
	struct dirent *entry;
	struct stat st;
	char detail[DETAIL_MAX];
	DIR *dir;
	int more, repaired, rc = -1, saved;

	if ((dir = fsck_dir_stream(dfd)) == NULL)
		return -1;
	while ((more = fsck_dir_next(dir, &entry)) == 1) {
		if (active_row(r, entry->d_name) != -1)
			continue;
		/* A verify in progress links before it commits. */
		if (fstatat(dfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    0 && ctx->now - st.st_mtime < FSCK_GRACE_SECONDS)
			continue;
		snprintf(detail, sizeof(detail), "%s/%.200s: no active domain",
		    DOMAIN_LINK_DIR, entry->d_name);
		repaired = 0;
		if (ctx->repair) {
			repaired = unlinkat(dfd, entry->d_name, 0) == 0;
			snprintf(detail + strlen(detail),
			    sizeof(detail) - strlen(detail), "%s%s",
			    repaired ? "; removed" : "; not repaired: ",
			    repaired ? "" : strerror(errno));
		}
		if (fsck_emit(ctx, 0, entry->d_name, PROBLEM_DOMAIN_LINK_STRAY,
		    detail, repaired) == -1) {
			errno = 0;
			goto out;
		}
	}
	if (more == 0)
		rc = 0;
out:
	saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

/*
 * Checks the domain links (fsck_domains.h).  Called by fsck_run().
 * Returns 0 or -1 with `err` set.
 */
int
fsck_domains_check(struct fsck *ctx, char *err, size_t errlen)
{
	static const char sql[] = "SELECT d.name, t.id, t.subdomain "
	    "FROM domains d JOIN tenants t ON t.id = d.tenant_id "
	    "WHERE d.status = 'active' ORDER BY d.name";
	struct db_result r;
	int dfd = -1, rc = -1;

	db_result_init(&r);
	if (db_query(ctx->svc->db, sql, NULL, 0, &r) == -1) {
		db_failure_describe(ctx->svc->db, "cannot read the domains",
		    err, errlen);
		goto out;
	}
	if (check_links(ctx, &r) == -1) {
		error_set(err, errlen, "stopped");
		goto out;
	}
	dfd = folder_open_dir(ctx->svc->tenants_dirfd, DOMAIN_LINK_DIR);
	if (dfd == -1 && errno != ENOENT) {
		error_set(err, errlen, "cannot open %s: %s", DOMAIN_LINK_DIR,
		    strerror(errno));
		goto out;
	}
	if (dfd != -1 && check_strays(ctx, dfd, &r) == -1) {
		if (errno == 0)
			error_set(err, errlen, "stopped");
		else
			error_set(err, errlen, "cannot list %s: %s",
			    DOMAIN_LINK_DIR, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (dfd != -1)
		close(dfd);
	db_result_release(&r);
	return rc;
}
