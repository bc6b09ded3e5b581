/*
 * fsck_store_internal.h - what the fsck_store*.c files share and nobody
 * else uses: the state of the check of the template store (struct
 * store_scan), the version under check and its problems (struct
 * version_check, struct store_problem), and the functions one file calls
 * in another.  Not a public interface: callers outside lib/fsck_store*.c
 * use fsck_store.h.
 *
 * The calls go one way: fsck_store.c (the check) calls
 * fsck_store_repair.c (the repairs), and both call fsck_store_version.c
 * (the record of a version and its problems).
 */
#ifndef TENANTD_FSCK_STORE_INTERNAL_H
#define TENANTD_FSCK_STORE_INTERNAL_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "fsck_scan.h"
#include "manifest.h"
#include "template_rows.h"
#include "template_store.h"
#include "validate.h"

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

/* --- fsck_store_version.c: the version under check and its problems ----- */

/* Sets up `vc` for stored version `version`, nothing open. */
void	version_init(struct version_check *vc, const char *version);

/* Closes and frees what `vc` holds (not `vc` itself). */
void	version_release(struct version_check *vc);

/*
 * Adds a problem of kind `p` about manifest entry `index` (NO_ENTRY for
 * none) to `vc`, its detail from `fmt`.  Returns it, or NULL when out of
 * memory.
 */
struct store_problem *add_problem(struct version_check *vc,
	    enum problem p, size_t index, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Notes that `sp`'s file (or version) was restored from `source`. */
void	note_restored(struct store_problem *sp, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Replaces the detail of `sp` after a repair attempt. */
void	redetail(struct store_problem *sp, int repaired, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* The template path of problem `sp` of `vc`, for its detail. */
const char *problem_path(const struct version_check *vc,
	    const struct store_problem *sp);

/* --- fsck_store_repair.c: the repairs (called by fsck_store.c) ---------- */

/* Inserts the missing row of stored version `vc`, recording in `sp`. */
void	insert_row(struct store_scan *sc, struct version_check *vc,
	    struct store_problem *sp);

/*
 * The repairs of the problems the check found in `vc`'s files (mode,
 * strays, restores), except the redeploy that follows restored files.
 */
void	repair_files(struct store_scan *sc, struct version_check *vc);

/*
 * Reports the holding directories of `vc`'s version and, when
 * repairing, redeploys its tenants after restores and removes them.
 * Returns 0, or -1 when out of memory.
 */
int	finish_repair(struct store_scan *sc, struct version_check *vc);

/*
 * Puts version `vc`, which is not in the store, back from template_dir.
 * Records the outcome in `sp`.
 */
void	restore_version(struct store_scan *sc, struct version_check *vc,
	    struct store_problem *sp);

#endif /* TENANTD_FSCK_STORE_INTERNAL_H */
