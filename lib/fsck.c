/*
 * fsck.c - reconciling tenant rows with tenant folders (see fsck.h for
 * the problems and their repairs).
 *
 * The run has three parts.  First the entries of tenants_dir and
 * archive_dir are listed (names only, sorted), and old staging and trash
 * folders among them are dealt with.  Then every tenant row is examined
 * in id order, a page at a time: where its folder is, and for an active
 * tenant with its folder in place the health check of health.h
 * (config.json against the row, public/ against the template manifest);
 * each folder a row accounts for is marked in the listings.  Last, the
 * unmarked folders are orphans, looked up once more before anything is
 * done to them, since a tenant may have been created meanwhile.
 *
 * Repairs never delete data: folders are moved aside into archive_dir,
 * and only staging and trash folders, which hold copies, are removed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "config_file.h"
#include "db.h"
#include "error.h"
#include "deploy.h"
#include "folder.h"
#include "fsck.h"
#include "health.h"
#include "lifecycle.h"
#include "log.h"
#include "manifest.h"
#include "module.h"
#include "provision.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"
#include "validate.h"

#define DETAIL_MAX		256
#define PUBLIC_STAGING_PREFIX	".public.staging-"
#define PENDING_LOGO_PREFIX	".pending-logo."
#define LOCK_OPERATION		"fsck"

enum problem {
	PROBLEM_MISSING_FOLDER,
	PROBLEM_INTERRUPTED_ARCHIVE,
	PROBLEM_INTERRUPTED_RESTORE,
	PROBLEM_MISSING_ARCHIVED_FOLDER,
	PROBLEM_CONFLICTING_FOLDER,
	PROBLEM_ORPHAN_FOLDER,
	PROBLEM_STALE_CONFIG,
	PROBLEM_UNDEPLOYED_FRONTEND,
	PROBLEM_LEFTOVER,
	PROBLEM_STRAY_LOGO,
	PROBLEM_CHECK_FAILED,
	PROBLEM_MANIFEST,
	PROBLEM_COUNT
};

/* The names fsck.h documents, by enum problem. */
static const char *const problem_names[PROBLEM_COUNT] = {
	"missing folder",
	"interrupted archive",
	"interrupted restore",
	"missing archived folder",
	"conflicting folder",
	"orphan folder",
	"stale config",
	"undeployed frontend",
	"leftover staging folder",
	"stray logo",
	"check failed",
	"template manifest unreadable"
};

/* Names of hidden folders that are debris of an interrupted operation. */
static const char *const leftover_prefixes[] = {
	".staging-",		/* provision_create, fsck */
	".trash-",		/* provision_delete */
	NULL
};

/* One entry of tenants_dir or archive_dir. */
struct listed {
	char	*name;
	int	 leftover;	/* a staging or trash folder */
	int	 seen;		/* a tenant row accounts for it */
};

struct listing {
	struct listed	*items;		/* sorted by name once read */
	size_t		 count;
	size_t		 capacity;
};

/* What one examination of a tenant found. */
struct findings {
	unsigned	where;		/* LIFECYCLE_IN_* */
	int		found[PROBLEM_COUNT];
	int		repaired[PROBLEM_COUNT];
	char		detail[PROBLEM_COUNT][DETAIL_MAX];
};

/* Everything one run works with. */
struct fsck {
	struct service		*svc;
	int			 repair;
	fsck_report_fn		 report;
	void			*report_arg;
	struct fsck_summary	*summary;
	int			 archive_fd;	/* -1: no archive directory */
	time_t			 now;
	struct module_catalog	 catalog;
	const struct manifest	*manifest;	/* never NULL */
	struct manifest		 empty_manifest;
	int			 manifest_ok;
	struct tenant_health	*health;
	struct deploy_report	*deploy_report;
	struct listing		 tenants_listing;
	struct listing		 archive_listing;
	int			 stopped;
};

static void	note(struct findings *f, enum problem p, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* Records problem `p` in `f` with a detail for the report. */
static void
note(struct findings *f, enum problem p, const char *fmt, ...)
{
	va_list	ap;

	f->found[p] = 1;
	f->repaired[p] = 0;
	va_start(ap, fmt);
	vsnprintf(f->detail[p], sizeof(f->detail[p]), fmt, ap);
	va_end(ap);
}

/* Replaces the detail of problem `p` after a repair attempt. */
static void	redetail(struct findings *f, enum problem p, int repaired,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
redetail(struct findings *f, enum problem p, int repaired, const char *fmt,
    ...)
{
	va_list	ap;

	f->repaired[p] = repaired;
	va_start(ap, fmt);
	vsnprintf(f->detail[p], sizeof(f->detail[p]), fmt, ap);
	va_end(ap);
}

/*
 * Hands one problem to the caller's report function and counts it.
 * Returns 0, or -1 when the caller asked to stop.
 */
static int
emit(struct fsck *ctx, int64_t tenant_id, const char *name, enum problem p,
    const char *detail, int repaired)
{
	struct fsck_problem	problem;

	if (ctx->stopped)
		return -1;
	problem.tenant_id = tenant_id;
	problem.name = name;
	problem.problem = problem_names[p];
	problem.detail = detail != NULL ? detail : "";
	problem.repaired = repaired;
	ctx->summary->problems++;
	if (repaired)
		ctx->summary->repaired++;
	if (ctx->report(ctx->report_arg, &problem) != 0) {
		ctx->stopped = 1;
		return -1;
	}
	return 0;
}

/* Reports every problem in `f` of tenant `t`.  Returns 0 or -1. */
static int
emit_findings(struct fsck *ctx, const struct tenant *t,
    const struct findings *f)
{
	size_t	p;

	for (p = 0; p < PROBLEM_COUNT; p++) {
		if (f->found[p] && emit(ctx, t->id, t->subdomain,
		    (enum problem)p, f->detail[p], f->repaired[p]) == -1)
			return -1;
	}
	return 0;
}

/* Does `name` start with one of the leftover prefixes? */
static int
is_leftover_name(const char *name)
{
	size_t	i;

	for (i = 0; leftover_prefixes[i] != NULL; i++)
		if (strncmp(name, leftover_prefixes[i],
		    strlen(leftover_prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Frees a listing's names and array; accepts an empty one. */
static void
listing_release(struct listing *l)
{
	size_t	i;

	for (i = 0; i < l->count; i++)
		free(l->items[i].name);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Appends `name` to `l`.  Returns 0, or -1 if out of memory. */
static int
listing_add(struct listing *l, const char *name, int leftover)
{
	struct listed	*items;
	size_t		 capacity;

	if (l->count == l->capacity) {
		if (l->capacity > SIZE_MAX / 2 / sizeof(*items))
			return -1;
		capacity = l->capacity == 0 ? 256 : l->capacity * 2;
		if ((items = realloc(l->items,
		    capacity * sizeof(*items))) == NULL)
			return -1;
		l->items = items;
		l->capacity = capacity;
	}
	if ((l->items[l->count].name = strdup(name)) == NULL)
		return -1;
	l->items[l->count].leftover = leftover;
	l->items[l->count].seen = 0;
	l->count++;
	return 0;
}

/* qsort/bsearch order of listed entries: by name. */
static int
listed_compare(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name,
	    ((const struct listed *)b)->name);
}

/* Marks folder `name` of `l` as accounted for by a tenant row. */
static void
listing_mark(struct listing *l, const char *name)
{
	struct listed	key, *found;

	if (l->count == 0)
		return;
	key.name = (char *)name;
	found = bsearch(&key, l->items, l->count, sizeof(*l->items),
	    listed_compare);
	if (found != NULL)
		found->seen = 1;
}

/*
 * Is entry `name` of `dirfd` a directory?  Uses readdir's type when it
 * knows.  1, 0, or -1 on an error other than "gone".
 */
static int
entry_is_directory(int dirfd, const char *name, unsigned char type)
{
	struct stat	st;

	if (type != DT_UNKNOWN)
		return type == DT_DIR;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	return S_ISDIR(st.st_mode);
}

/*
 * Lists the directories of `dirfd` into `l`: folders (names not starting
 * with a dot, except lost+found) and leftovers.  Other hidden entries
 * (folders put aside, temporary files) and non-directories are not
 * listed.  Returns 0, or -1 with errno set.
 */
static int
listing_read(struct listing *l, int dirfd)
{
	DIR		*dir = NULL;
	struct dirent	*entry;
	int		 fd = -1, leftover, is_dir, rc = -1, saved;

	if (dirfd == -1)
		return 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL)
		goto out;
	fd = -1;
	for (;;) {
		errno = 0;
		if ((entry = readdir(dir)) == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (entry->d_name[0] == '.') {
			if (!is_leftover_name(entry->d_name))
				continue;
			leftover = 1;
		} else {
			if (strcmp(entry->d_name, "lost+found") == 0)
				continue;
			leftover = 0;
		}
		is_dir = entry_is_directory(dirfd, entry->d_name,
		    entry->d_type);
		if (is_dir == -1)
			goto out;
		if (!is_dir)
			continue;
		if (listing_add(l, entry->d_name, leftover) == -1) {
			errno = ENOMEM;
			goto out;
		}
	}
	if (l->count > 0)
		qsort(l->items, l->count, sizeof(*l->items), listed_compare);
	rc = 0;
out:
	saved = errno;
	if (dir != NULL)
		closedir(dir);
	if (fd != -1)
		close(fd);
	errno = saved;
	return rc;
}

/*
 * How many seconds ago entry `name` of `dirfd` last changed, or -1 when
 * it is gone or cannot be looked at.
 */
static int64_t
entry_age(struct fsck *ctx, int dirfd, const char *name)
{
	struct stat	st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (st.st_mtime >= ctx->now)
		return 0;
	return (int64_t)(ctx->now - st.st_mtime);
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
		age = entry_age(ctx, dirfd, l->items[i].name);
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
		if (emit(ctx, 0, l->items[i].name, PROBLEM_LEFTOVER, detail,
		    repaired) == -1)
			return -1;
	}
	return 0;
}

/*
 * Counts the entries of the directory open on `dir_fd` (which this
 * closes) that `match` picks for tenant `t` and that are unchanged for the
 * grace period, removing them (whole trees) when `remove` is set.  The
 * first one's name goes to `first` (`firstlen` bytes).  Returns the
 * count, or -1 with errno set.
 */
static ssize_t
sweep_old_entries(struct fsck *ctx, int dir_fd,
    int (*match)(const struct tenant *, const char *),
    const struct tenant *t, int remove, char *first, size_t firstlen)
{
	struct listing	 names;
	DIR		*dir;
	struct dirent	*entry;
	int		 saved;
	size_t		 i;
	ssize_t		 count = -1;

	memset(&names, 0, sizeof(names));
	first[0] = '\0';
	if ((dir = fdopendir(dir_fd)) == NULL) {
		saved = errno;
		close(dir_fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((entry = readdir(dir)) == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (!match(t, entry->d_name) || entry_age(ctx, dirfd(dir),
		    entry->d_name) < FSCK_GRACE_SECONDS)
			continue;
		if (listing_add(&names, entry->d_name, 1) == -1) {
			errno = ENOMEM;
			goto out;
		}
	}
	/* Removed after the listing: a directory is not changed mid-read. */
	for (i = 0; remove && i < names.count; i++)
		if (dir_remove_tree(dirfd(dir), names.items[i].name) == -1 &&
		    errno != ENOENT)
			goto out;
	if (names.count > 0)
		snprintf(first, firstlen, "%s", names.items[0].name);
	count = (ssize_t)names.count;
out:
	saved = errno;
	closedir(dir);
	listing_release(&names);
	errno = saved;
	return count;
}

/* A deploy's staging copy of public/ in a tenant folder. */
static int
public_staging_name(const struct tenant *t, const char *name)
{
	return strncmp(name, PUBLIC_STAGING_PREFIX,
	    strlen(PUBLIC_STAGING_PREFIX)) == 0;
}

/*
 * A logo an unfinished update left in tenant `t`'s public/: a logo file
 * name other than the row's logo, or the hidden copy of a replacement
 * (provision.c writes ".pending-logo.*").
 */
static int
stray_logo_name(const struct tenant *t, const char *name)
{
	if (strncmp(name, PENDING_LOGO_PREFIX, strlen(PENDING_LOGO_PREFIX)) == 0)
		return 1;
	return provision_logo_name_valid(name) &&
	    (t->logo == NULL || strcmp(name, t->logo) != 0);
}

/*
 * Counts the old .public.staging-* folders in tenant `t`'s folder,
 * removing them when `remove` is set.  Returns the count, or -1 with
 * errno set.
 */
static ssize_t
tenant_leftovers(struct fsck *ctx, const struct tenant *t, int remove)
{
	char	first[NAME_MAX + 1];
	int	folder;

	if ((folder = folder_open_dir(ctx->svc->tenants_dirfd,
	    t->subdomain)) == -1)
		return -1;
	return sweep_old_entries(ctx, folder, public_staging_name, t, remove,
	    first, sizeof(first));
}

/*
 * Counts the old stray logos (stray_logo_name()) in tenant `t`'s public/,
 * removing them when `remove` is set; the first one's name goes to
 * `first`.  Returns the count (0 without a public/ folder), or -1 with
 * errno set.
 */
static ssize_t
stray_logos(struct fsck *ctx, const struct tenant *t, int remove,
    char *first, size_t firstlen)
{
	int	folder, public, saved;

	first[0] = '\0';
	if ((folder = folder_open_dir(ctx->svc->tenants_dirfd,
	    t->subdomain)) == -1)
		return -1;
	public = folder_open_dir(folder, FOLDER_PUBLIC_DIR);
	saved = errno;
	close(folder);
	if (public == -1) {
		errno = saved;
		return errno == ENOENT ? 0 : -1;
	}
	return sweep_old_entries(ctx, public, stray_logo_name, t, remove,
	    first, firstlen);
}

/*
 * Judges the folder of an active tenant that is in place: config.json,
 * the frontend against the manifest, leftover deploy staging folders and
 * stray logos.
 */
static void
examine_folder(struct fsck *ctx, const struct tenant *t, struct findings *f)
{
	const struct tenant_health	*h = ctx->health;
	char				 stray[NAME_MAX + 1];
	ssize_t				 leftovers, strays;

	if (tenant_health_check_in(ctx->svc->tenants_dirfd, t, &ctx->catalog,
	    ctx->svc->conf->api_url, ctx->manifest, ctx->health) == -1) {
		note(f, PROBLEM_CHECK_FAILED, "could not judge the folder: %s",
		    strerror(errno));
		return;
	}
	if (!h->config_valid)
		note(f, PROBLEM_STALE_CONFIG, "config.json: %s",
		    health_config_state_name(h->config_state));
	if (!h->frontend_deployed)
		note(f, PROBLEM_UNDEPLOYED_FRONTEND, "%zu of %zu template "
		    "files missing under public/, e.g. %s", h->missing_count,
		    h->manifest_files, h->missing_count > 0 ?
		    h->missing_files[0] : "-");
	if ((leftovers = tenant_leftovers(ctx, t, 0)) == -1) {
		if (errno != ENOENT)
			note(f, PROBLEM_CHECK_FAILED, "could not read the "
			    "folder: %s", strerror(errno));
		return;
	}
	if (leftovers > 0)
		note(f, PROBLEM_LEFTOVER, "%zd %s* folder(s) in the tenant "
		    "folder", leftovers, PUBLIC_STAGING_PREFIX);
	if ((strays = stray_logos(ctx, t, 0, stray, sizeof(stray))) == -1)
		note(f, PROBLEM_CHECK_FAILED, "could not read public/: %s",
		    strerror(errno));
	else if (strays > 0)
		note(f, PROBLEM_STRAY_LOGO, "%zd logo file(s) in public/ that "
		    "are not the tenant's logo, e.g. %s (an update that did "
		    "not finish)", strays, stray);
}

/*
 * Examines tenant `t` (see fsck.h for what each place of the folder
 * means), filling `f` and marking the folders the row accounts for.
 */
static void
examine(struct fsck *ctx, const struct tenant *t, struct findings *f)
{
	memset(f, 0, sizeof(*f));
	if (validate_subdomain(t->subdomain, strlen(t->subdomain)) != NULL) {
		note(f, PROBLEM_CHECK_FAILED, "the stored subdomain is not "
		    "valid; its folder is left alone");
		return;
	}
	if (lifecycle_locate(ctx->svc->tenants_dirfd, ctx->archive_fd,
	    t->subdomain, &f->where) == -1) {
		note(f, PROBLEM_CHECK_FAILED, "could not look for the folder: "
		    "%s", strerror(errno));
		return;
	}
	if (f->where & LIFECYCLE_IN_TENANTS)
		listing_mark(&ctx->tenants_listing, t->subdomain);
	if (f->where & LIFECYCLE_IN_ARCHIVE)
		listing_mark(&ctx->archive_listing, t->subdomain);

	if (!t->is_active) {
		if (f->where == 0)
			note(f, PROBLEM_MISSING_ARCHIVED_FOLDER,
			    "archived, but the folder is in neither "
			    "tenants_dir nor archive_dir");
		else if (f->where == LIFECYCLE_IN_TENANTS)
			note(f, PROBLEM_INTERRUPTED_RESTORE, "archived, but "
			    "the folder is in tenants_dir");
		else if (f->where & LIFECYCLE_IN_TENANTS)
			note(f, PROBLEM_CONFLICTING_FOLDER, "archived, with a "
			    "folder in archive_dir and another in tenants_dir");
		return;
	}
	if (f->where == 0) {
		note(f, PROBLEM_MISSING_FOLDER, "active, but the folder is in "
		    "neither tenants_dir nor archive_dir");
		return;
	}
	if (f->where == LIFECYCLE_IN_ARCHIVE) {
		note(f, PROBLEM_INTERRUPTED_ARCHIVE, "active, but the folder "
		    "is in archive_dir");
		return;
	}
	if (f->where & LIFECYCLE_IN_ARCHIVE)
		note(f, PROBLEM_ORPHAN_FOLDER, "archive_dir/%s is left from an "
		    "older tenant; the tenant's folder is in tenants_dir",
		    t->subdomain);
	examine_folder(ctx, t, f);
}

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
	char			 err[DETAIL_MAX];
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
		redetail(f, PROBLEM_MISSING_FOLDER, 0, "folder recreated%s, "
		    "but there is no template manifest to deploy", logo_note);
		goto out;
	}
	if (deploy_tenant(ctx->svc, t, ctx->manifest, 0, NULL, NULL,
	    ctx->deploy_report, err, sizeof(err)) == -1) {
		redetail(f, PROBLEM_MISSING_FOLDER, 0, "folder recreated%s, "
		    "but the deploy failed: %s", logo_note, err);
		goto out;
	}
	redetail(f, PROBLEM_MISSING_FOLDER, 1, "folder recreated and "
	    "deployed%s", logo_note);
	rc = 1;
	goto out;
fail:
	redetail(f, PROBLEM_MISSING_FOLDER, 0, "could not recreate the "
	    "folder: %s", strerror(errno));
out:
	buf_release(&document);
	return rc;
}

/* Moves a folder aside into archive_dir as ".orphan-<name>-<hex>". */
static void
put_aside(struct fsck *ctx, int dirfd, const char *name, const char *where,
    struct findings *f, enum problem p)
{
	char	moved[NAME_MAX + 1];

	if (folder_move_aside(dirfd, name, ctx->archive_fd, ".orphan-",
	    moved, sizeof(moved)) == -1)
		redetail(f, p, 0, "could not move %s/%s aside: %s", where,
		    name, strerror(errno));
	else
		redetail(f, p, 1, "%s/%s moved to archive_dir/%s", where, name,
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
	char			err[DETAIL_MAX];
	size_t			p;
	ssize_t			removed;
	int			rc;

	tenant_init(&t);
	rc = tenant_lock_acquire(ctx->svc->db, ctx->svc->conf, id,
	    LOCK_OPERATION, &lock);
	if (rc != 1) {
		for (p = 0; p < PROBLEM_COUNT; p++)
			if (f->found[p])
				redetail(f, (enum problem)p, 0, "skipped: %s",
				    rc == 0 ? "another deploy, archive or "
				    "restore of the tenant is running" :
				    "could not lock the tenant");
		return;
	}
	if ((rc = tenant_find_by_id(ctx->svc->db, id, &t)) != 1) {
		/* Deleted meanwhile: its folder is the orphan pass's. */
		memset(f, 0, sizeof(*f));
		if (rc == -1)
			note(f, PROBLEM_CHECK_FAILED, "could not reload the "
			    "tenant: %s", db_error(ctx->svc->db));
		goto out;
	}
	examine(ctx, &t, f);

	if (f->found[PROBLEM_MISSING_FOLDER])
		recreate_folder(ctx, &t, f);
	if (f->found[PROBLEM_ORPHAN_FOLDER])
		put_aside(ctx, ctx->archive_fd, t.subdomain, "archive_dir", f,
		    PROBLEM_ORPHAN_FOLDER);
	if (f->found[PROBLEM_CONFLICTING_FOLDER])
		put_aside(ctx, ctx->svc->tenants_dirfd, t.subdomain,
		    "tenants_dir", f, PROBLEM_CONFLICTING_FOLDER);
	if (f->found[PROBLEM_STALE_CONFIG]) {
		if (config_write_atomic_with(ctx->svc, &t, &ctx->catalog) == 0)
			redetail(f, PROBLEM_STALE_CONFIG, 1, "config.json "
			    "rewritten");
		else
			redetail(f, PROBLEM_STALE_CONFIG, 0, "could not "
			    "rewrite config.json: %s", strerror(errno));
	}
	if (f->found[PROBLEM_LEFTOVER]) {
		removed = tenant_leftovers(ctx, &t, 1);
		if (removed >= 0)
			redetail(f, PROBLEM_LEFTOVER, 1, "%zd %s* folder(s) "
			    "removed", removed, PUBLIC_STAGING_PREFIX);
		else
			redetail(f, PROBLEM_LEFTOVER, 0, "could not remove "
			    "them: %s", strerror(errno));
	}
	if (f->found[PROBLEM_STRAY_LOGO]) {
		removed = stray_logos(ctx, &t, 1, err, sizeof(err));
		if (removed >= 0)
			redetail(f, PROBLEM_STRAY_LOGO, 1, "%zd stray logo "
			    "file(s) removed", removed);
		else
			redetail(f, PROBLEM_STRAY_LOGO, 0, "could not remove "
			    "them: %s", strerror(errno));
	}
	if (f->found[PROBLEM_UNDEPLOYED_FRONTEND]) {
		if (deploy_tenant(ctx->svc, &t, ctx->manifest, 0, NULL, NULL,
		    ctx->deploy_report, err, sizeof(err)) == 0)
			redetail(f, PROBLEM_UNDEPLOYED_FRONTEND, 1, "deployed: "
			    "%zu files copied, %zu changed files kept",
			    ctx->deploy_report->files_copied,
			    ctx->deploy_report->files_kept);
		else
			redetail(f, PROBLEM_UNDEPLOYED_FRONTEND, 0, "the "
			    "deploy failed: %s", err);
	}
	if (f->found[PROBLEM_INTERRUPTED_ARCHIVE])
		redetail(f, PROBLEM_INTERRUPTED_ARCHIVE, 0, "appeared while "
		    "checking; run fsck again");
	if (f->found[PROBLEM_INTERRUPTED_RESTORE])
		redetail(f, PROBLEM_INTERRUPTED_RESTORE, 0, "appeared while "
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
	enum lifecycle_status	status;
	char			err[DETAIL_MAX];

	err[0] = '\0';
	if (p == PROBLEM_INTERRUPTED_ARCHIVE)
		status = lifecycle_archive(ctx->svc, id, 0, NULL, err,
		    sizeof(err));
	else
		status = lifecycle_restore(ctx->svc, id, 0, NULL, err,
		    sizeof(err));
	if (status == LIFECYCLE_OK)
		redetail(f, p, 1, "%s completed",
		    p == PROBLEM_INTERRUPTED_ARCHIVE ? "archive" : "restore");
	else if (status == LIFECYCLE_BUSY)
		redetail(f, p, 0, "skipped: %s", err);
	else
		redetail(f, p, 0, "could not complete it: %s", err);
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

/* Examines one tenant row, repairs when asked, and reports. */
static int
check_tenant(struct fsck *ctx, const struct tenant *t)
{
	struct findings	f;
	size_t		p;
	int		any = 0, fixable = 0;

	ctx->summary->checked++;
	examine(ctx, t, &f);
	for (p = 0; p < PROBLEM_COUNT; p++)
		any |= f.found[p];
	if (!any)
		return 0;
	if (ctx->repair) {
		fixable = f.found[PROBLEM_MISSING_FOLDER] ||
		    f.found[PROBLEM_ORPHAN_FOLDER] ||
		    f.found[PROBLEM_CONFLICTING_FOLDER] ||
		    f.found[PROBLEM_STALE_CONFIG] ||
		    f.found[PROBLEM_UNDEPLOYED_FRONTEND] ||
		    f.found[PROBLEM_STRAY_LOGO] ||
		    f.found[PROBLEM_LEFTOVER];
		if (f.found[PROBLEM_INTERRUPTED_ARCHIVE])
			complete_operation(ctx, t->id,
			    PROBLEM_INTERRUPTED_ARCHIVE, &f);
		else if (f.found[PROBLEM_INTERRUPTED_RESTORE]) {
			complete_operation(ctx, t->id,
			    PROBLEM_INTERRUPTED_RESTORE, &f);
			if (f.repaired[PROBLEM_INTERRUPTED_RESTORE])
				repair_after_restore(ctx, t->id, &f);
		} else if (fixable)
			repair_locked(ctx, t->id, &f);
	}
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
		if ((age = entry_age(ctx, dirfd, name)) == -1)
			continue;	/* removed while the check ran */
		memset(&f, 0, sizeof(f));
		note(&f, PROBLEM_ORPHAN_FOLDER, "%s/%s has no tenant", where,
		    name);
		if (ctx->repair && age < FSCK_GRACE_SECONDS)
			redetail(&f, PROBLEM_ORPHAN_FOLDER, 0, "%s/%s has no "
			    "tenant, but changed in the last %d minutes; left "
			    "alone", where, name, FSCK_GRACE_SECONDS / 60);
		else if (ctx->repair)
			put_aside(ctx, dirfd, name, where, &f,
			    PROBLEM_ORPHAN_FOLDER);
		if (emit(ctx, 0, name, PROBLEM_ORPHAN_FOLDER,
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
 * since orphans are moved there), the module catalog, the manifest and
 * the two listings.  Returns 0, or -1 with `err` set.
 */
static int
prepare(struct fsck *ctx, char *err, size_t errlen)
{
	char	manifest_err[DETAIL_MAX];

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
	if (listing_read(&ctx->tenants_listing, ctx->svc->tenants_dirfd) ==
	    -1 || listing_read(&ctx->archive_listing, ctx->archive_fd) == -1) {
		error_set(err, errlen, "cannot list the tenant folders: %s",
		    strerror(errno));
		return -1;
	}

	ctx->manifest = deploy_manifest(ctx->svc, manifest_err,
	    sizeof(manifest_err));
	ctx->manifest_ok = ctx->manifest != NULL;
	if (!ctx->manifest_ok) {
		/* Configs and folders can still be judged without it. */
		ctx->manifest = &ctx->empty_manifest;
		if (emit(ctx, 0, "template", PROBLEM_MANIFEST, manifest_err,
		    0) == -1) {
			error_set(err, errlen, "stopped");
			return -1;
		}
	}
	return 0;
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
	manifest_init(&ctx.empty_manifest);

	if (prepare(&ctx, err, errlen) == -1)
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
	rc = 0;
out:
	if (ctx.archive_fd != -1)
		close(ctx.archive_fd);
	listing_release(&ctx.tenants_listing);
	listing_release(&ctx.archive_listing);
	module_catalog_release(&ctx.catalog);
	manifest_release(&ctx.empty_manifest);
	free(ctx.health);
	free(ctx.deploy_report);
	return rc;
}
