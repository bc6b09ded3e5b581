/*
 * deploy_passes.h - one deploy's state and its passes, shared by deploy.c
 * (which opens the run, swaps public/ and cleans up) and deploy_passes.c
 * (which fills the staging tree).  Only deploy*.c include this.
 *
 * A struct deploy_run belongs to deploy_tenant(), which opens and closes
 * every descriptor in it; the passes only use them.
 */
#ifndef TENANTD_DEPLOY_PASSES_H
#define TENANTD_DEPLOY_PASSES_H

#include <sys/stat.h>

#include <limits.h>
#include <stddef.h>

#include "deploy_copy.h"
#include "deploy_record.h"
#include "deploy_report.h"

struct manifest;
struct service;
struct tenant;

/* A path of the tenant's own, to carry into the new public/. */
struct carry_item {
	char	*path;
	int	 is_directory;
};

/* Everything one deploy works with. */
struct deploy_run {
	struct service		*svc;
	const struct tenant	*t;
	const struct manifest	*m;
	const char		*version;	/* the stored version deployed */
	int			 force;
	int			 link_files;	/* link, not copy (conf.h) */
	const char		*asset_base_url; /* conf.h; NULL: none, and
						   always for the source
						   files (deploy_cdn.h) */
	int			 is_source;	/* the files outside the web
						   root (deploy_source.c) */
	const char		*area;		/* "public/", or "" for the
						   tenant folder: messages */
	deploy_progress_fn	 progress;
	void			*progress_arg;
	struct deploy_report	*report;
	char			*err;
	size_t			 errlen;

	int			 folder;	/* tenants/<sub> */
	int			 template_dir;	/* the version's stored tree
						   (at its web root) */
	int			 old_public;	/* the tree replaced: public/,
						   or the folder for the source
						   files; -1 when none */
	int			 staging_fd;
	char			 staging[NAME_MAX + 1];
	struct dir_cursor	 template_cursor;
	struct dir_cursor	 old_cursor;
	struct dir_cursor	 staging_cursor;

	struct deploy_record	 record;
	/* Parallel to m->entries: what this deploy wrote. */
	struct deploy_written_file *written;
	/* Parallel to m->entries: 1 for a file given an alias
	   (deploy_cdn.h); NULL without asset_base_url. */
	unsigned char		*aliased;
	struct carry_item	*carry;
	size_t			 carry_count;
	size_t			 carry_files;	/* items that are no directory */
	size_t			 carry_capacity;
	size_t			 done;
	size_t			 total;
};

/*
 * Records the deploy's failure message in run->err, also in the log with
 * the tenant's subdomain.  Returns -1, so failure paths stay one line.
 */
int	deploy_run_error(struct deploy_run *run, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * The scan pass: lists the tenant's own entries of the old public/ below
 * the directory open on `fd` (taken over and closed), whose paths start
 * with `prefix` ("" at the top, `depth` 0), into run->carry.  Returns 0
 * or -1 (with run->err set).
 */
int	deploy_scan_directory(struct deploy_run *run, int fd,
	    const char *prefix, int depth);

/*
 * Did the tenant change template file `e` in the old tree (run->old_cursor)?
 * 1 yes, 0 no (unchanged since it was deployed, still the shared stored
 * file, equal to the template, or absent), -1 on an I/O error.
 */
int	deploy_tenant_changed(struct deploy_run *run,
	    const struct manifest_entry *e);

/*
 * Notes the identity `st` of what template file number `i` became, for
 * the record, and counts it in the report.
 */
void	deploy_note_written(struct deploy_run *run, size_t i,
	    const struct stat *st);

/*
 * Copies stored file `leaf` of directory `from` (template file number
 * `i`) to a new file of the tenant's own, `to_leaf` in `to`, and notes
 * it.  Returns 0 or -1 (with run->err set).
 */
int	deploy_copy_template_file(struct deploy_run *run, size_t i, int from,
	    const char *leaf, int to, const char *to_leaf);

/*
 * The template pass: each manifest file is copied into the staging tree,
 * or kept when the tenant changed it and run->force is off; the copies'
 * identities go to run->written.  Returns 0 or -1 (with run->err set).
 */
int	deploy_template(struct deploy_run *run);

/*
 * The carry pass: the tenant's own directories are made and files linked
 * into the staging tree.  Returns 0 or -1 (with run->err set).
 */
int	deploy_carry(struct deploy_run *run);

#endif
