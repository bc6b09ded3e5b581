/*
 * fsck_scan.h - what the parts of fsck share: the run's state, the
 * problems one examination of a tenant finds, the listings of
 * tenants_dir and archive_dir, and the examination itself.  Only
 * lib/fsck*.c include it; fsck.h is the interface (and names the
 * problems this enumerates).
 *
 * fsck.c runs the check, fsck_repair.c repairs what an examination
 * found, fsck_store.c checks (and repairs) the template store, and
 * fsck_scan.c looks and reports: it lists the directories, finds old
 * debris, examines one tenant and hands each problem to the report.  A
 * struct findings is filled by fsck_examine(), updated by the repairs
 * through fsck_redetail(), and reported by fsck.c.
 */
#ifndef TENANTD_FSCK_SCAN_H
#define TENANTD_FSCK_SCAN_H

#include <sys/types.h>

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "manifest.h"
#include "template_files.h"
#include "module.h"

struct deploy_report;
struct fsck_problem;
struct fsck_summary;
struct service;
struct tenant;
struct tenant_health;

/*
 * How long a folder without a tenant, or a staging, trash or stray logo
 * leftover, must be unchanged before fsck acts on it (fsck.h).
 */
#define FSCK_GRACE_SECONDS	600

#define DETAIL_MAX		256
#define PUBLIC_STAGING_PREFIX	".public.staging-"

/* The problems fsck.h documents; fsck.c holds their names. */
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
	PROBLEM_STALE_GATE,
	PROBLEM_CHECK_FAILED,
	PROBLEM_MANIFEST,
	PROBLEM_STORE_MANIFEST,		/* the store's (fsck_store.c) */
	PROBLEM_STORE_MISSING_FILE,
	PROBLEM_STORE_DAMAGED_FILE,
	PROBLEM_STORE_FILE_MODE,
	PROBLEM_STORE_STRAY_FILE,
	PROBLEM_STORE_NO_ROW,
	PROBLEM_STORE_NO_VERSION,
	PROBLEM_STORE_UNFINISHED_REPAIR,
	PROBLEM_DOMAIN_LINK_MISSING,	/* custom domains' (fsck_domains.c) */
	PROBLEM_DOMAIN_LINK_STRAY,
	PROBLEM_LIST_COUNTS,		/* the list's (list_index.h) */
	PROBLEM_LIST_TRIGRAMS,
	PROBLEM_COUNT
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

/*
 * Everything one run works with.  fsck_run() owns it and everything it
 * points to except `svc`, `report_arg` and `summary`, which are the
 * caller's.
 */
struct fsck {
	struct service		*svc;
	int			 repair;
	int			(*report)(void *, const struct fsck_problem *);
	void			*report_arg;
	struct fsck_summary	*summary;
	int			 archive_fd;	/* -1: no archive directory */
	time_t			 now;
	struct module_catalog	 catalog;
	const struct template_files *files;	/* the default version's
						   (or empty); never NULL */
	struct template_files	 default_files;	/* owned */
	char			 version[16];	/* the default version */
	int			 manifest_ok;
	struct tenant_health	*health;
	struct deploy_report	*deploy_report;
	struct listing		 tenants_listing;
	struct listing		 archive_listing;
	int			 stopped;
};

/*
 * Hands one problem to the run's report function and counts it in the
 * summary: `tenant_id` (0 for none) and `name` say whose it is.  Returns
 * 0, or -1 when the report asked to stop (and every later call is -1).
 */
int	fsck_emit(struct fsck *ctx, int64_t tenant_id, const char *name,
	    enum problem p, const char *detail, int repaired);

/* Records problem `p` in `f` with a detail for the report. */
void	fsck_note(struct findings *f, enum problem p, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Replaces the detail of problem `p` after a repair attempt. */
void	fsck_redetail(struct findings *f, enum problem p, int repaired,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Lists the directories of `dirfd` into `l` (nothing when `dirfd` is -1):
 * folders (names not starting with a dot, except lost+found) and staging
 * and trash leftovers, sorted by name.  Returns 0, or -1 with errno set.
 * fsck_listing_release() frees what it added; it accepts an empty
 * listing.
 */
int	fsck_listing_read(struct listing *l, int dirfd);
void	fsck_listing_release(struct listing *l);

/*
 * Appends `name` to `l` (a copy), not seen yet.  Returns 0, or -1 when out
 * of memory.  fsck_listing_sort() orders `l` by name for
 * fsck_listing_find(), which returns the entry `name` or NULL.
 */
int	fsck_listing_add(struct listing *l, const char *name, int leftover);
void	fsck_listing_sort(struct listing *l);
struct listed *fsck_listing_find(struct listing *l, const char *name);

/*
 * Opens a directory stream on a descriptor of its own of the directory
 * open on `dirfd` (which stays the caller's).  Returns it (closedir() it),
 * or NULL with errno set.
 */
DIR	*fsck_dir_stream(int dirfd);

/*
 * Reads the next entry of `dir` other than "." and "..".  Returns 1 with
 * *entry set, 0 at the end, or -1 with errno set.
 */
int	fsck_dir_next(DIR *dir, struct dirent **entry);

/*
 * How many seconds ago entry `name` of `dirfd` last changed, or -1 when
 * it is gone or cannot be looked at.
 */
int64_t	fsck_entry_age(struct fsck *ctx, int dirfd, const char *name);

/*
 * Count the old .public.staging-* folders in tenant `t`'s folder, and the
 * old stray logos in its public/ (the first one's name to `first`),
 * removing them when `remove` is set.  Return the count (stray logos: 0
 * without a public/ folder), or -1 with errno set.
 */
ssize_t	fsck_tenant_leftovers(struct fsck *ctx, const struct tenant *t,
	    int remove);
ssize_t	fsck_stray_logos(struct fsck *ctx, const struct tenant *t,
	    int remove, char *first, size_t firstlen);

/*
 * Compares tenant `t`'s gate files (gate_files.h) with the modules its
 * config.json on disk enables, into *missing and *stray; with `repair`,
 * then publishes them from config.json when they differ (the counts are
 * what it fixed).  Returns 0, or -1 with errno set.
 */
int	fsck_gate_files(struct fsck *ctx, const struct tenant *t, int repair,
	    size_t *missing, size_t *stray);

/*
 * Examines tenant `t` (see fsck.h for what each place of the folder
 * means), replacing `f` with what it found and marking the folders the
 * row accounts for in ctx's listings.
 */
void	fsck_examine(struct fsck *ctx, const struct tenant *t,
	    struct findings *f);

/*
 * The files of the version tenant `t`'s folder is judged and repaired
 * against: its own version's (template.h), or the default's for a tenant
 * without one or whose version cannot be read (logged).  Writes the
 * version into `version` (16 bytes).  The pointer is valid until the next
 * call.
 */
const struct template_files *fsck_files_for(struct fsck *ctx,
	    const struct tenant *t, char *version);

#endif
