/*
 * fsck_store.c - fsck of the template store (fsck_store.h lists the
 * problems and their repairs).
 *
 * The store is small next to the tenants (a few versions of a few
 * thousand files), so every stored file is hashed on every run: a root
 * write into one tenant's hard link changes the stored file's bytes but
 * neither its size (when it overwrites) nor anything a stat shows.
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
#include "log.h"
#include "manifest.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"

/* How long a redeploy waits for a tenant another operation holds. */
#define REDEPLOY_LOCK_WAIT_MS	10000
/* The deepest directory of a version's tree walked for strays. */
#define STRAY_MAX_DEPTH		256
/* A problem that is about no manifest entry. */
#define NO_ENTRY		SIZE_MAX

/* One problem of a stored version, reported after its repair. */
struct store_problem {
	enum problem	 problem;
	size_t		 index;		/* its manifest entry, or NO_ENTRY */
	char		*path;		/* a stray's path in tree/, or NULL */
	int		 is_directory;	/* the stray is a directory */
	int		 restore;	/* the file is to be restored */
	dev_t		 device;	/* the damaged file's identity, */
	ino_t		 inode;		/* 0 when there is no file */
	int		 restored;	/* from `source`, by this run */
	char		 source[SUBDOMAIN_MAX + 32];
	int		 repaired;
	char		 detail[DETAIL_MAX];
};

/* The tenants on a version, loaded once when a repair needs them. */
struct version_tenants {
	int		  loaded;
	int64_t		 *ids;		/* the active ones, by id */
	char		**subdomains;	/* theirs; NULL when not found */
	size_t		  count;
	size_t		  archived;
};

/* One stored version being checked. */
struct version_check {
	char			 version[TEMPLATE_VERSION_LEN + 1];
	char			 label[32];	/* "template <version>" */
	int			 dir;		/* -1: not in the store */
	int			 tree;		/* -1: no tree/ */
	int			 manifest_ok;
	struct manifest		 manifest;
	struct dir_cursor	 check;		/* on tree/, making nothing */
	struct dir_cursor	 restore;	/* on tree/, making dirs */
	struct store_problem	*problems;
	size_t			 count;
	size_t			 capacity;
	int			 hold;		/* this run's holding dir */
	char			 hold_name[NAME_MAX + 1];
	size_t			 restored;	/* files restored by this run */
	struct version_tenants	 tenants;
};

/* The whole check of the store. */
struct store_scan {
	struct fsck		*ctx;
	int			 store;		/* -1: there is no store */
	int			 template_dir;	/* conf's, or -1 */
	struct manifest		 dir_manifest;	/* template_dir's manifest */
	char			 dir_version[TEMPLATE_VERSION_LEN + 1];
	struct template_version	*rows;
	size_t			 row_count;
	struct listing		 versions;	/* <version>/ */
	struct listing		 holds;		/* .repairing-<version>-* */
	struct listing		 debris;	/* .adding-*, .removing-* */
};

/* --- the version under check ---------------------------------------------- */

static void
version_init(struct version_check *vc, const char *version)
{
	memset(vc, 0, sizeof(*vc));
	snprintf(vc->version, sizeof(vc->version), "%s", version);
	snprintf(vc->label, sizeof(vc->label), "template %s", version);
	vc->dir = -1;
	vc->tree = -1;
	vc->hold = -1;
	manifest_init(&vc->manifest);
	dir_cursor_init(&vc->check, -1, 0);
	dir_cursor_init(&vc->restore, -1, 1);
}

static void
version_release(struct version_check *vc)
{
	size_t	i;

	for (i = 0; i < vc->count; i++)
		free(vc->problems[i].path);
	free(vc->problems);
	for (i = 0; i < vc->tenants.count; i++)
		free(vc->tenants.subdomains[i]);
	free(vc->tenants.subdomains);
	free(vc->tenants.ids);
	dir_cursor_close(&vc->check);
	dir_cursor_close(&vc->restore);
	manifest_release(&vc->manifest);
	if (vc->hold != -1)
		close(vc->hold);
	if (vc->tree != -1)
		close(vc->tree);
	if (vc->dir != -1)
		close(vc->dir);
}

/*
 * Adds a problem of kind `p` about manifest entry `index` (NO_ENTRY for
 * none) to `vc`, its detail from `fmt`.  Returns it, or NULL when out of
 * memory.
 */
static struct store_problem *
add_problem(struct version_check *vc, enum problem p, size_t index,
    const char *fmt, ...)
{
	struct store_problem	*grown, *sp;
	size_t			 capacity;
	va_list			 ap;

	if (vc->count == vc->capacity) {
		capacity = vc->capacity == 0 ? 8 : vc->capacity * 2;
		if ((grown = reallocarray(vc->problems, capacity,
		    sizeof(*grown))) == NULL)
			return NULL;
		vc->problems = grown;
		vc->capacity = capacity;
	}
	sp = &vc->problems[vc->count++];
	memset(sp, 0, sizeof(*sp));
	sp->problem = p;
	sp->index = index;
	va_start(ap, fmt);
	vsnprintf(sp->detail, sizeof(sp->detail), fmt, ap);
	va_end(ap);
	return sp;
}

/* Notes that `sp`'s file (or version) was restored from `source`. */
static void
note_restored(struct store_problem *sp, const char *fmt, ...)
{
	va_list	ap;

	sp->restored = 1;
	va_start(ap, fmt);
	vsnprintf(sp->source, sizeof(sp->source), fmt, ap);
	va_end(ap);
}

/* Replaces the detail of `sp` after a repair attempt. */
static void
redetail(struct store_problem *sp, int repaired, const char *fmt, ...)
{
	va_list	ap;

	sp->repaired = repaired;
	va_start(ap, fmt);
	vsnprintf(sp->detail, sizeof(sp->detail), fmt, ap);
	va_end(ap);
}

/* The template path of problem `sp` of `vc`, for its detail. */
static const char *
problem_path(const struct version_check *vc, const struct store_problem *sp)
{
	if (sp->path != NULL)
		return sp->path;
	if (sp->index != NO_ENTRY)
		return vc->manifest.entries[sp->index].path;
	return "";
}

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

/* Is holding directory `name` one of a repair of `version`? */
static int
holds_version(const char *name, const char *version)
{
	char	held[TEMPLATE_VERSION_LEN + 1];

	return template_store_held_version(name, held) &&
	    strcmp(held, version) == 0;
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

/* Inserts the missing row of stored version `vc`, recording in `sp`. */
static void
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
static void
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
static int
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
 * Puts version `vc` back from template_dir, which is that version, for
 * check_missing_version().  Records the outcome in `sp`.
 */
static void
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
