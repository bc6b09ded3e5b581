/*
 * fsck_store.c - fsck of the template store, the check (fsck_store.h
 * lists the problems and their repairs): lists the store's versions,
 * holding directories and debris, reads each version's manifest, judges
 * every stored file against it and looks for strays, and compares the
 * versions with their rows.  fsck.c calls fsck_store_check(); when
 * repairing, the check calls the repairs in fsck_store_repair.c.
 *
 * The store is small next to the tenants (a few versions of a few
 * thousand files), so every stored file is hashed on every run: a root
 * write into one tenant's hard link changes the stored file's bytes but
 * neither its size (when it overwrites) nor anything a stat shows.
 *
 * How a damaged file is repaired: see fsck_store_repair.c.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
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
#include "fsck_store.h"
#include "fsck_store_internal.h"
#include "log.h"
#include "manifest.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"

/* The deepest directory of a version's tree walked for strays. */
#define STRAY_MAX_DEPTH		256

/* --- the report of a version --------------------------------------------- */

/* Reports every problem of `vc`.  Returns 0, or -1 when stopped. */
static int
emit_version(struct store_scan *sc, struct version_check *vc)
{
	size_t	i;

	for (i = 0; i < vc->count; i++)
		if (fsck_emit(sc->ctx, 0, vc->label, vc->problems[i].problem,
		    vc->problems[i].detail, vc->problems[i].repaired) == -1)
			return -1;
	return 0;
}

/* --- the listing of the store ------------------------------------------- */

/*
 * Lists the directories of the store that fsck knows: versions, holding
 * directories and the debris of adds and removes; anything else is not
 * the store's and is left alone.  Returns 0, or -1 with errno set.
 */
static int
list_store(struct store_scan *sc)
{
	DIR		*dir;
	struct dirent	*entry;
	struct stat	 st;
	char		 version[TEMPLATE_VERSION_LEN + 1];
	int		 more, rc = -1, saved;

	if (sc->store == -1)
		return 0;
	if ((dir = fsck_dir_stream(sc->store)) == NULL)
		return -1;
	while ((more = fsck_dir_next(dir, &entry)) == 1) {
		if (fstatat(sc->store, entry->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			goto out;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (template_version_valid(entry->d_name))
			rc = fsck_listing_add(&sc->versions, entry->d_name, 0);
		else if (template_store_held_version(entry->d_name, version))
			rc = fsck_listing_add(&sc->holds, entry->d_name, 1);
		else if (strncmp(entry->d_name, TEMPLATE_STORE_ADDING_PREFIX,
		    strlen(TEMPLATE_STORE_ADDING_PREFIX)) == 0 ||
		    strncmp(entry->d_name, TEMPLATE_STORE_REMOVING_PREFIX,
		    strlen(TEMPLATE_STORE_REMOVING_PREFIX)) == 0)
			rc = fsck_listing_add(&sc->debris, entry->d_name, 1);
		else
			continue;
		if (rc == -1) {
			errno = ENOMEM;
			goto out;
		}
		rc = -1;
	}
	if (more == -1)
		goto out;
	fsck_listing_sort(&sc->versions);
	fsck_listing_sort(&sc->holds);
	rc = 0;
out:
	saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

/* The row of `version`, or NULL. */
static const struct template_version *
version_row(const struct store_scan *sc, const char *version)
{
	size_t	i;

	for (i = 0; i < sc->row_count; i++)
		if (strcmp(sc->rows[i].version, version) == 0)
			return &sc->rows[i];
	return NULL;
}

/* --- checking a version ------------------------------------------------- */

/*
 * Finds the first manifest entry at or after `prefix` (binary search on
 * the sorted paths) and says whether it lies below it: is directory
 * `prefix` ("dir/") on the way to a listed file?
 */
static int
listed_below(const struct manifest *m, const char *prefix)
{
	size_t	low = 0, high = m->count, middle;

	while (low < high) {
		middle = low + (high - low) / 2;
		if (strcmp(m->entries[middle].path, prefix) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	return low < m->count &&
	    strncmp(m->entries[low].path, prefix, strlen(prefix)) == 0;
}

/*
 * Adds a "stray template file" problem for every entry below the tree
 * directory open on `fd` (the caller's), whose path in the tree is
 * `prefix` ("" or "dir/"), that no manifest path is or lies below.
 * Returns 0, or -1 with errno set.
 */
static int
walk_strays(struct version_check *vc, int fd, const char *prefix, int depth)
{
	struct store_problem	*sp;
	struct dirent		*entry;
	struct stat		 st;
	DIR			*dir;
	char			 path[MANIFEST_PATH_MAX + 2];
	int			 child, walked, more, rc = -1, saved;

	if ((dir = fsck_dir_stream(fd)) == NULL)
		return -1;
	while ((more = fsck_dir_next(dir, &entry)) == 1) {
		if (fstatat(dirfd(dir), entry->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT)
				continue;
			goto out;
		}
		/* Longer than any listed path: a stray whatever it is. */
		if (snprintf(path, sizeof(path), "%s%s%s", prefix,
		    entry->d_name, S_ISDIR(st.st_mode) ? "/" : "") >=
		    (int)sizeof(path) - 1)
			path[sizeof(path) - 2] = '\0';
		if (S_ISDIR(st.st_mode) ? listed_below(&vc->manifest, path) :
		    manifest_find(&vc->manifest, path) != NULL) {
			if (!S_ISDIR(st.st_mode))
				continue;
			if (depth >= STRAY_MAX_DEPTH) {
				errno = ELOOP;
				goto out;
			}
			if ((child = folder_open_dir(dirfd(dir),
			    entry->d_name)) == -1)
				goto out;
			walked = walk_strays(vc, child, path, depth + 1);
			saved = errno;
			close(child);
			errno = saved;
			if (walked == -1)
				goto out;
			continue;
		}
		if ((sp = add_problem(vc, PROBLEM_STORE_STRAY_FILE, NO_ENTRY,
		    "%s: not in the manifest", path)) == NULL ||
		    (sp->path = strdup(path)) == NULL) {
			errno = ENOMEM;
			goto out;
		}
		sp->is_directory = S_ISDIR(st.st_mode);
	}
	if (more == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

/*
 * Judges every listed file of `vc` and looks for strays, adding a
 * problem for each.  Returns 0, or -1 when out of memory.
 */
static int
judge_files(struct version_check *vc)
{
	const struct manifest_entry	*e;
	struct store_problem		*sp = NULL;
	struct stat			 st;
	size_t				 i;
	int				 state, saved;

	for (i = 0; i < vc->manifest.count; i++) {
		e = &vc->manifest.entries[i];
		memset(&st, 0, sizeof(st));
		state = vc->tree == -1 ? TEMPLATE_FILE_MISSING :
		    template_store_check_file(&vc->check, e, &st);
		saved = errno;
		switch (state) {
		case TEMPLATE_FILE_GOOD:
			continue;
		case TEMPLATE_FILE_MISSING:
			sp = add_problem(vc, PROBLEM_STORE_MISSING_FILE, i,
			    "%s: missing", e->path);
			break;
		case TEMPLATE_FILE_NOT_REGULAR:
			sp = add_problem(vc, PROBLEM_STORE_MISSING_FILE, i,
			    "%s: not a regular file (a symlink, directory or "
			    "device is in its place)", e->path);
			break;
		case TEMPLATE_FILE_DAMAGED:
			if ((uint64_t)st.st_size != e->size)
				sp = add_problem(vc, PROBLEM_STORE_DAMAGED_FILE,
				    i, "%s: %lld bytes, the manifest lists "
				    "%llu", e->path, (long long)st.st_size,
				    (unsigned long long)e->size);
			else
				sp = add_problem(vc, PROBLEM_STORE_DAMAGED_FILE,
				    i, "%s: its SHA-256 is not the manifest's",
				    e->path);
			break;
		case TEMPLATE_FILE_MODE:
			sp = add_problem(vc, PROBLEM_STORE_FILE_MODE, i,
			    "%s: mode %04o, not %04o", e->path,
			    (unsigned)(st.st_mode & 07777),
			    TEMPLATE_STORE_FILE_MODE);
			break;
		default:
			sp = add_problem(vc, PROBLEM_CHECK_FAILED, i,
			    "%s: cannot read it: %s", e->path, strerror(saved));
			break;
		}
		if (sp == NULL)
			return -1;
		sp->restore = state == TEMPLATE_FILE_MISSING ||
		    state == TEMPLATE_FILE_NOT_REGULAR ||
		    state == TEMPLATE_FILE_DAMAGED;
		if (S_ISREG(st.st_mode)) {
			sp->device = st.st_dev;
			sp->inode = st.st_ino;
		}
	}
	if (vc->tree == -1)
		return 0;
	if (walk_strays(vc, vc->tree, "", 0) == -1) {
		if (errno == ENOMEM)
			return -1;
		if (add_problem(vc, PROBLEM_CHECK_FAILED, NO_ENTRY, "tree/: "
		    "cannot look for files the manifest does not list: %s",
		    strerror(errno)) == NULL)
			return -1;
	}
	return 0;
}

/*
 * Reads `vc`'s manifest; one that cannot be read or does not name the
 * version is a problem, rewritten from template_dir's when repairing and
 * that is the version.  Sets vc->manifest_ok.  Returns 0, or -1 when out
 * of memory.
 */
static int
read_manifest(struct store_scan *sc, struct version_check *vc)
{
	struct store_problem	*sp;
	char			 err[DETAIL_MAX];

	if (template_store_manifest(sc->store, vc->version, &vc->manifest, err,
	    sizeof(err)) == 0) {
		vc->manifest_ok = 1;
		return 0;
	}
	if ((sp = add_problem(vc, PROBLEM_STORE_MANIFEST, NO_ENTRY, "%s: %s",
	    TEMPLATE_STORE_MANIFEST, err)) == NULL)
		return -1;
	if (!sc->ctx->repair)
		return 0;
	if (strcmp(sc->dir_version, vc->version) != 0) {
		redetail(sp, 0, "%s: %s; no copy of it (template_dir is "
		    "another version); add the template again with tenantctl "
		    "template add", TEMPLATE_STORE_MANIFEST, err);
		return 0;
	}
	if (template_store_write_manifest(sc->store, vc->version,
	    &sc->dir_manifest) == -1 || template_store_manifest(sc->store,
	    vc->version, &vc->manifest, err, sizeof(err)) == -1) {
		redetail(sp, 0, "%s: could not rewrite it: %s",
		    TEMPLATE_STORE_MANIFEST, strerror(errno));
		return 0;
	}
	redetail(sp, 1, "%s: rewritten from template_dir's",
	    TEMPLATE_STORE_MANIFEST);
	vc->manifest_ok = 1;
	return 0;
}

/*
 * Ends the check of `vc`: redeploys its tenants after restores (and
 * those an earlier run left, finish_repair()), removes a holding
 * directory this run made without holding anything in it, reports every
 * problem and releases `vc`.  Returns 0, or -1 when stopped or out of
 * memory (`err` set).
 */
static int
conclude(struct store_scan *sc, struct version_check *vc, char *err,
    size_t errlen)
{
	int	rc = -1;

	if (finish_repair(sc, vc) == -1) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	/* Made for a restore that found no good copy: it holds nothing. */
	if (vc->hold != -1 && vc->restored == 0 && dir_remove_tree(sc->store,
	    vc->hold_name) == -1)
		log_warning("fsck: could not remove %s from the template "
		    "store: %s", vc->hold_name, strerror(errno));
	if (emit_version(sc, vc) == -1) {
		error_set(err, errlen, "stopped");
		goto out;
	}
	rc = 0;
out:
	version_release(vc);
	return rc;
}

/*
 * Checks stored version `version` (a directory of the store), repairs
 * it when asked and reports.  Returns 0, or -1 when stopped or out of
 * memory (`err` set).
 */
static int
check_version(struct store_scan *sc, const char *version, char *err,
    size_t errlen)
{
	struct version_check	vc;
	int			rowless;

	version_init(&vc, version);
	/* First, so that it is problems[0]. */
	rowless = version_row(sc, version) == NULL;
	if (rowless && add_problem(&vc, PROBLEM_STORE_NO_ROW, NO_ENTRY,
	    "no row of template_versions names it") == NULL)
		goto nomem;
	if ((vc.dir = folder_open_dir(sc->store, version)) == -1) {
		if (add_problem(&vc, PROBLEM_CHECK_FAILED, NO_ENTRY, "cannot "
		    "open it: %s", strerror(errno)) == NULL)
			goto nomem;
		return conclude(sc, &vc, err, errlen);
	}
	if (read_manifest(sc, &vc) == -1)
		goto nomem;
	if ((vc.tree = folder_open_dir(vc.dir, TEMPLATE_STORE_TREE)) == -1 &&
	    errno == ENOENT && sc->ctx->repair && vc.manifest_ok &&
	    mkdirat(vc.dir, TEMPLATE_STORE_TREE, FOLDER_DIR_MODE) == 0)
		vc.tree = folder_open_dir(vc.dir, TEMPLATE_STORE_TREE);
	dir_cursor_init(&vc.check, vc.tree, 0);
	dir_cursor_init(&vc.restore, vc.tree, 1);
	if (vc.manifest_ok && judge_files(&vc) == -1)
		goto nomem;
	if (rowless && sc->ctx->repair)
		insert_row(sc, &vc, &vc.problems[0]);
	if (sc->ctx->repair && vc.manifest_ok)
		repair_files(sc, &vc);
	return conclude(sc, &vc, err, errlen);
nomem:
	version_release(&vc);
	error_set(err, errlen, "out of memory");
	return -1;
}

/*
 * Reports a row whose version is not in the store, restoring it from
 * template_dir when that is the version and repairing, then redeploying
 * its tenants so they share its files again.  Also reports the holding
 * directories of the version.  Returns 0, or -1 when stopped or out of
 * memory (`err` set).
 */
static int
check_missing_version(struct store_scan *sc, const char *version, char *err,
    size_t errlen)
{
	struct version_check	 vc;
	struct store_problem	*sp;

	version_init(&vc, version);
	if ((sp = add_problem(&vc, PROBLEM_STORE_NO_VERSION, NO_ENTRY, "a row "
	    "names it, but it is not in the template store")) == NULL) {
		version_release(&vc);
		error_set(err, errlen, "out of memory");
		return -1;
	}
	if (sc->ctx->repair && strcmp(sc->dir_version, version) != 0)
		redetail(sp, 0, "a row names it, but it is not in the template "
		    "store, and template_dir is another version; add the "
		    "template again with tenantctl template add");
	else if (sc->ctx->repair)
		restore_version(sc, &vc, sp);
	return conclude(sc, &vc, err, errlen);
}

/*
 * Reports the holding directories of versions that are neither in the
 * store nor in the rows, one report per version.  Returns 0, or -1 when
 * stopped or out of memory.
 */
static int
check_lost_holds(struct store_scan *sc, char *err, size_t errlen)
{
	struct version_check	vc;
	char			version[TEMPLATE_VERSION_LEN + 1];
	char			last[TEMPLATE_VERSION_LEN + 1] = "";
	size_t			i;

	for (i = 0; i < sc->holds.count; i++) {
		/* Sorted by name, one version's holding dirs are together. */
		if (!template_store_held_version(sc->holds.items[i].name,
		    version) || strcmp(version, last) == 0 ||
		    fsck_listing_find(&sc->versions, version) != NULL ||
		    version_row(sc, version) != NULL)
			continue;
		snprintf(last, sizeof(last), "%s", version);
		version_init(&vc, version);
		if (conclude(sc, &vc, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * Reports the .adding-* and .removing-* directories unchanged for the
 * grace period (younger ones may be an add or remove in progress),
 * removing them when repairing.  Returns 0, or -1 when stopped.
 */
static int
check_debris(struct store_scan *sc, char *err, size_t errlen)
{
	struct fsck	*ctx = sc->ctx;
	char		 detail[DETAIL_MAX];
	const char	*name;
	size_t		 i;
	int64_t		 age;
	int		 repaired;

	for (i = 0; i < sc->debris.count; i++) {
		name = sc->debris.items[i].name;
		if ((age = fsck_entry_age(ctx, sc->store, name)) == -1 ||
		    age < FSCK_GRACE_SECONDS)
			continue;
		repaired = 0;
		snprintf(detail, sizeof(detail), "in the template store, "
		    "unchanged for %lld minutes", (long long)(age / 60));
		if (ctx->repair) {
			if (dir_remove_tree(sc->store, name) == 0 ||
			    errno == ENOENT)
				repaired = 1;
			else
				snprintf(detail, sizeof(detail), "in the "
				    "template store: could not remove it: %s",
				    strerror(errno));
		}
		if (fsck_emit(ctx, 0, name, PROBLEM_LEFTOVER, detail,
		    repaired) == -1) {
			error_set(err, errlen, "stopped");
			return -1;
		}
	}
	return 0;
}

/*
 * Opens what the check needs: the store (not made: a missing store is
 * only a problem when rows name versions), template_dir and its version,
 * the rows and the listing.  Returns 0, or -1 with `err` set.
 */
static int
scan_open(struct store_scan *sc, char *err, size_t errlen)
{
	const struct conf	*c = sc->ctx->svc->conf;
	char			 why[DETAIL_MAX];

	sc->store = template_store_open(sc->ctx->svc->tenants_dirfd, 0);
	if (sc->store == -1 && errno != ENOENT) {
		error_set(err, errlen, "cannot open the template store: %s",
		    strerror(errno));
		return -1;
	}
	/* Without a usable template_dir, restores look in the tenants. */
	if (c->template_dir != NULL && (sc->template_dir = open(c->template_dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		log_warning("fsck: cannot open template_dir: %s",
		    strerror(errno));
	if (c->template_dir != NULL && c->template_manifest != NULL &&
	    (manifest_read(&sc->dir_manifest, c->template_manifest, why,
	    sizeof(why)) == -1 || template_version_of(&sc->dir_manifest,
	    sc->dir_version) == -1)) {
		log_warning("fsck: cannot read template_dir's manifest: %s",
		    why);
		sc->dir_version[0] = '\0';
	}
	if (template_rows_list(sc->ctx->svc->db, &sc->rows,
	    &sc->row_count) == -1) {
		error_set(err, errlen, "cannot list the template versions: %s",
		    db_error(sc->ctx->svc->db));
		return -1;
	}
	if (list_store(sc) == -1) {
		error_set(err, errlen, "cannot list the template store: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Checks the template store (fsck_store.h).  0, or -1 with `err` set. */
int
fsck_store_check(struct fsck *ctx, char *err, size_t errlen)
{
	struct store_scan	sc;
	size_t			i;
	int			rc = -1;

	memset(&sc, 0, sizeof(sc));
	sc.ctx = ctx;
	sc.store = -1;
	sc.template_dir = -1;
	manifest_init(&sc.dir_manifest);
	if (scan_open(&sc, err, errlen) == -1 ||
	    check_debris(&sc, err, errlen) == -1)
		goto out;
	for (i = 0; i < sc.versions.count; i++)
		if (check_version(&sc, sc.versions.items[i].name, err,
		    errlen) == -1)
			goto out;
	for (i = 0; i < sc.row_count; i++)
		if (fsck_listing_find(&sc.versions,
		    sc.rows[i].version) == NULL &&
		    check_missing_version(&sc, sc.rows[i].version, err,
		    errlen) == -1)
			goto out;
	if (check_lost_holds(&sc, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	fsck_listing_release(&sc.versions);
	fsck_listing_release(&sc.holds);
	fsck_listing_release(&sc.debris);
	free(sc.rows);
	manifest_release(&sc.dir_manifest);
	if (sc.template_dir != -1)
		close(sc.template_dir);
	if (sc.store != -1)
		close(sc.store);
	return rc;
}
