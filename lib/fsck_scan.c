/*
 * fsck_scan.c - what fsck looks at (see fsck_scan.h): the listings of
 * tenants_dir and archive_dir, debris old enough to act on (staging and
 * trash folders, a deploy's staging copy of public/, stray logos), and
 * the examination of one tenant row against its folder.
 *
 * An examination finds where the folder is, and for an active tenant
 * with its folder in place runs the health check of health.h (config.json
 * against the row, public/ against the template manifest); each folder a
 * row accounts for is marked in the listings, so that what stays unmarked
 * is an orphan.
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
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "folder.h"
#include "fsck_problem.h"
#include "fsck_scan.h"
#include "gate_files.h"
#include "health.h"
#include "lifecycle.h"
#include "provision.h"
#include "service.h"
#include "log.h"
#include "template.h"
#include "tenant.h"
#include "validate.h"

#define PENDING_LOGO_PREFIX	".pending-logo."

/* Names of hidden folders that are debris of an interrupted operation. */
static const char *const leftover_prefixes[] = {
	".staging-",		/* provision_create, fsck */
	".trash-",		/* provision_delete */
	".import-",		/* tenant_import: an unpacked archive */
	NULL
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
	"stale gate files",
	"check failed",
	"template manifest unreadable",
	"bad stored manifest",
	"missing template file",
	"damaged template file",
	"template file mode",
	"stray template file",
	"template version without row",
	"missing template version",
	"unfinished template repair",
	"missing domain link",
	"stray domain link",
	"stale list counters",
	"stale search trigrams"
};

/*
 * Hands one problem to the caller's report function and counts it.
 * Called by fsck.c and fsck_store.c.  Returns 0, or -1 when the caller
 * asked to stop.
 */
int
fsck_emit(struct fsck *ctx, int64_t tenant_id, const char *name,
    enum problem p, const char *detail, int repaired)
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

/* Records problem `p` in `f` with a detail for the report. */
void
fsck_note(struct findings *f, enum problem p, const char *fmt, ...)
{
	va_list	ap;

	f->found[p] = 1;
	f->repaired[p] = 0;
	va_start(ap, fmt);
	vsnprintf(f->detail[p], sizeof(f->detail[p]), fmt, ap);
	va_end(ap);
}

/* Replaces the detail of problem `p` after a repair attempt. */
void
fsck_redetail(struct findings *f, enum problem p, int repaired,
    const char *fmt, ...)
{
	va_list	ap;

	f->repaired[p] = repaired;
	va_start(ap, fmt);
	vsnprintf(f->detail[p], sizeof(f->detail[p]), fmt, ap);
	va_end(ap);
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
void
fsck_listing_release(struct listing *l)
{
	size_t	i;

	for (i = 0; i < l->count; i++)
		free(l->items[i].name);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Appends `name` to `l`.  Returns 0, or -1 if out of memory. */
int
fsck_listing_add(struct listing *l, const char *name, int leftover)
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

/* Sorts `l` by name, for fsck_listing_find(). */
void
fsck_listing_sort(struct listing *l)
{
	if (l->count > 0)
		qsort(l->items, l->count, sizeof(*l->items), listed_compare);
}

/* The entry `name` of the sorted `l`, or NULL. */
struct listed *
fsck_listing_find(struct listing *l, const char *name)
{
	struct listed	key;

	if (l->count == 0)
		return NULL;
	key.name = (char *)name;
	return bsearch(&key, l->items, l->count, sizeof(*l->items),
	    listed_compare);
}

/* Marks folder `name` of `l` as accounted for by a tenant row. */
static void
listing_mark(struct listing *l, const char *name)
{
	struct listed	*found;

	if ((found = fsck_listing_find(l, name)) != NULL)
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
int
fsck_listing_read(struct listing *l, int dirfd)
{
	DIR		*dir;
	struct dirent	*entry;
	int		 leftover, is_dir, more, rc = -1, saved;

	if (dirfd == -1)
		return 0;
	if ((dir = fsck_dir_stream(dirfd)) == NULL)
		return -1;
	while ((more = fsck_dir_next(dir, &entry)) == 1) {
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
		if (fsck_listing_add(l, entry->d_name, leftover) == -1) {
			errno = ENOMEM;
			goto out;
		}
	}
	if (more == -1)
		goto out;
	fsck_listing_sort(l);
	rc = 0;
out:
	saved = errno;
	closedir(dir);
	errno = saved;
	return rc;
}

/* A directory stream of its own on `dirfd` (fsck_scan.h), or NULL. */
DIR *
fsck_dir_stream(int dirfd)
{
	DIR	*dir;
	int	 fd, saved;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return dir;
}

/* The next entry but "." and ".." (fsck_scan.h).  1, 0 or -1. */
int
fsck_dir_next(DIR *dir, struct dirent **entry)
{
	for (;;) {
		errno = 0;
		if ((*entry = readdir(dir)) == NULL)
			return errno != 0 ? -1 : 0;
		if (strcmp((*entry)->d_name, ".") != 0 &&
		    strcmp((*entry)->d_name, "..") != 0)
			return 1;
	}
}

/*
 * How many seconds ago entry `name` of `dirfd` last changed, or -1 when
 * it is gone or cannot be looked at.
 */
int64_t
fsck_entry_age(struct fsck *ctx, int dirfd, const char *name)
{
	struct stat	st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (st.st_mtime >= ctx->now)
		return 0;
	return (int64_t)(ctx->now - st.st_mtime);
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
	int		 more, saved;
	size_t		 i;
	ssize_t		 count = -1;

	memset(&names, 0, sizeof(names));
	first[0] = '\0';
	dir = fsck_dir_stream(dir_fd);
	saved = errno;
	close(dir_fd);
	if (dir == NULL) {
		errno = saved;
		return -1;
	}
	while ((more = fsck_dir_next(dir, &entry)) == 1) {
		if (!match(t, entry->d_name) || fsck_entry_age(ctx, dirfd(dir),
		    entry->d_name) < FSCK_GRACE_SECONDS)
			continue;
		if (fsck_listing_add(&names, entry->d_name, 1) == -1) {
			errno = ENOMEM;
			goto out;
		}
	}
	if (more == -1)
		goto out;
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
	fsck_listing_release(&names);
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
ssize_t
fsck_tenant_leftovers(struct fsck *ctx, const struct tenant *t, int remove)
{
	char	first[NAME_MAX + 1];
	int	folder;

	if ((folder = folder_open_dir(ctx->svc->tenants_dirfd,
	    t->subdomain)) == -1)
		return -1;
	return sweep_old_entries(ctx, folder, public_staging_name, t, remove,
	    first, sizeof(first));
}

/* See fsck_scan.h.  Called by examine_folder() and the repair. */
int
fsck_gate_files(struct fsck *ctx, const struct tenant *t, int repair,
    size_t *missing, size_t *stray)
{
	struct buf	config;
	int		folder = -1, rc = -1, saved;

	*missing = 0;
	*stray = 0;
	buf_init(&config, HEALTH_CONFIG_READ_LIMIT);
	if ((folder = folder_open_dir(ctx->svc->tenants_dirfd,
	    t->subdomain)) == -1)
		goto out;
	/* No config.json (gone since the health check) enables nothing. */
	if (health_read_config(folder, &config) == -1 ||
	    gate_files_compare(folder, config.data, config.len, missing,
	    stray) == -1)
		goto out;
	if (repair && (*missing > 0 || *stray > 0) &&
	    gate_files_publish(folder, config.data, config.len, 1) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (folder != -1)
		close(folder);
	buf_release(&config);
	errno = saved;
	return rc;
}

/*
 * Counts the old stray logos (stray_logo_name()) in tenant `t`'s public/,
 * removing them when `remove` is set; the first one's name goes to
 * `first`.  Returns the count (0 without a public/ folder), or -1 with
 * errno set.
 */
ssize_t
fsck_stray_logos(struct fsck *ctx, const struct tenant *t, int remove,
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
	size_t				 gate_missing, gate_stray;

	char				 version[16];

	if (tenant_health_check_in(ctx->svc->tenants_dirfd, t, &ctx->catalog,
	    ctx->svc->conf, fsck_files_for(ctx, t, version),
	    ctx->health) == -1) {
		fsck_note(f, PROBLEM_CHECK_FAILED, "could not judge the folder: %s",
		    strerror(errno));
		return;
	}
	if (!h->config_valid)
		fsck_note(f, PROBLEM_STALE_CONFIG, "config.json: %s",
		    health_config_state_name(h->config_state));
	else if (fsck_gate_files(ctx, t, 0, &gate_missing, &gate_stray) == -1)
		fsck_note(f, PROBLEM_CHECK_FAILED, "could not compare the gate "
		    "files with config.json: %s", strerror(errno));
	else if (gate_missing > 0 || gate_stray > 0)
		fsck_note(f, PROBLEM_STALE_GATE, "%zu enabled module(s) without "
		    "a gate file, %zu entr%s of %s/ that config.json does not "
		    "enable", gate_missing, gate_stray, gate_stray == 1 ? "y" :
		    "ies", GATE_FILES_DIR);
	if (!h->frontend_deployed)
		fsck_note(f, PROBLEM_UNDEPLOYED_FRONTEND, "%zu of %zu template "
		    "files missing under public/, e.g. %s", h->missing_count,
		    h->manifest_files, h->missing_count > 0 ?
		    h->missing_files[0] : "-");
	if ((leftovers = fsck_tenant_leftovers(ctx, t, 0)) == -1) {
		if (errno != ENOENT)
			fsck_note(f, PROBLEM_CHECK_FAILED, "could not read the "
			    "folder: %s", strerror(errno));
		return;
	}
	if (leftovers > 0)
		fsck_note(f, PROBLEM_LEFTOVER, "%zd %s* folder(s) in the tenant "
		    "folder", leftovers, PUBLIC_STAGING_PREFIX);
	if ((strays = fsck_stray_logos(ctx, t, 0, stray, sizeof(stray))) == -1)
		fsck_note(f, PROBLEM_CHECK_FAILED, "could not read public/: %s",
		    strerror(errno));
	else if (strays > 0)
		fsck_note(f, PROBLEM_STRAY_LOGO, "%zd logo file(s) in public/ that "
		    "are not the tenant's logo, e.g. %s (an update that did "
		    "not finish)", strays, stray);
}

/*
 * Examines tenant `t` (see fsck.h for what each place of the folder
 * means), filling `f` and marking the folders the row accounts for.
 */
void
fsck_examine(struct fsck *ctx, const struct tenant *t, struct findings *f)
{
	memset(f, 0, sizeof(*f));
	if (validate_subdomain(t->subdomain, strlen(t->subdomain)) != NULL) {
		fsck_note(f, PROBLEM_CHECK_FAILED, "the stored subdomain is not "
		    "valid; its folder is left alone");
		return;
	}
	if (lifecycle_locate(ctx->svc->tenants_dirfd, ctx->archive_fd,
	    t->subdomain, &f->where) == -1) {
		fsck_note(f, PROBLEM_CHECK_FAILED, "could not look for the folder: "
		    "%s", strerror(errno));
		return;
	}
	if (f->where & LIFECYCLE_IN_TENANTS)
		listing_mark(&ctx->tenants_listing, t->subdomain);
	if (f->where & LIFECYCLE_IN_ARCHIVE)
		listing_mark(&ctx->archive_listing, t->subdomain);

	if (!t->is_active) {
		if (f->where == 0)
			fsck_note(f, PROBLEM_MISSING_ARCHIVED_FOLDER,
			    "archived, but the folder is in neither "
			    "tenants_dir nor archive_dir");
		else if (f->where == LIFECYCLE_IN_TENANTS)
			fsck_note(f, PROBLEM_INTERRUPTED_RESTORE, "archived, but "
			    "the folder is in tenants_dir");
		else if (f->where & LIFECYCLE_IN_TENANTS)
			fsck_note(f, PROBLEM_CONFLICTING_FOLDER, "archived, with a "
			    "folder in archive_dir and another in tenants_dir");
		return;
	}
	if (f->where == 0) {
		fsck_note(f, PROBLEM_MISSING_FOLDER, "active, but the folder is in "
		    "neither tenants_dir nor archive_dir");
		return;
	}
	if (f->where == LIFECYCLE_IN_ARCHIVE) {
		fsck_note(f, PROBLEM_INTERRUPTED_ARCHIVE, "active, but the folder "
		    "is in archive_dir");
		return;
	}
	if (f->where & LIFECYCLE_IN_ARCHIVE)
		fsck_note(f, PROBLEM_ORPHAN_FOLDER, "archive_dir/%s is left from an "
		    "older tenant; the tenant's folder is in tenants_dir",
		    t->subdomain);
	examine_folder(ctx, t, f);
}

/* The files a tenant is judged against (fsck_scan.h). */
const struct template_files *
fsck_files_for(struct fsck *ctx, const struct tenant *t, char *version)
{
	const struct template_files	*files;
	char				 err[256];

	if (ctx->manifest_ok && t->template_version[0] != '\0' &&
	    strcmp(t->template_version, ctx->version) != 0) {
		snprintf(version, 16, "%s", t->template_version);
		if ((files = template_files_of(ctx->svc, version, err,
		    sizeof(err))) != NULL)
			return files;
		log_warning("fsck: %s is on template version %s, which cannot "
		    "be read (%s); judged by the default version",
		    t->subdomain, version, err);
	}
	snprintf(version, 16, "%s", ctx->version);
	return ctx->files;
}
