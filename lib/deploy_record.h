/*
 * deploy_record.h - tenants/<sub>/.deployed, the record of the last deploy.
 *
 * After each deploy the record lists every file written from the template
 * with its digest and the size, mtime and inode it had then.  The next
 * deploy trusts a file whose identity still matches to hold those bytes,
 * and hashes any other (deploy.h).  Its presence also says a tenant's site
 * is deployed (deploy_state_load()).
 *
 * Ownership: struct deploy_record owns its entries; deploy_record_release()
 * frees them.
 */
#ifndef TENANTD_DEPLOY_RECORD_H
#define TENANTD_DEPLOY_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

/*
 * The records' names in the tenant folder: of public/, and of the files
 * outside the web root (deploy_source.c).
 */
#define DEPLOY_RECORD_FILE	".deployed"
#define DEPLOY_SOURCE_RECORD_FILE ".deployed-source"

/* One template file as the last deploy wrote it. */
struct deploy_record_entry {
	char		*path;		/* the record's */
	unsigned char	sha256[32];
	uint64_t	size;
	uint64_t	inode;
	int64_t		mtime_ns;
};

/*
 * A record, sorted by path like the manifest; zeroed is empty.  A deploy
 * with tenantd.conf's asset_base_url set (SPEC 12) records it: its HTML
 * files were rewritten for it and its static files have aliases
 * (asset_name.h), so a deploy under another setting must redo them.
 */
struct deploy_record {
	struct deploy_record_entry	*entries;
	size_t				 count;
	char				*asset_base_url; /* NULL: none */
};

/*
 * The identity of a file a deploy wrote, for the next record.  A file
 * the deploy rendered from the template's (an HTML file rewritten for
 * asset_base_url) is recorded with the digest of what it holds,
 * `sha256`, instead of the template's.
 */
struct deploy_written_file {
	int		valid;		/* 0: not written, left out */
	uint64_t	size;
	uint64_t	inode;
	int64_t		mtime_ns;
	int		rendered;	/* 1: `sha256` is the digest */
	unsigned char	sha256[32];
};

/* Frees the entries of a record and leaves it empty. */
void	deploy_record_release(struct deploy_record *r);

/* The record's entry for template path `path`, or NULL. */
const struct deploy_record_entry *deploy_record_find(
	    const struct deploy_record *r, const char *path);

/*
 * Loads record `name` (DEPLOY_RECORD_FILE or DEPLOY_SOURCE_RECORD_FILE)
 * of the tenant folder open on `folder` into the empty `r`.  A missing,
 * unreadable or malformed record only costs hashing, so it is logged
 * (naming `subdomain`) and left empty.  Returns 0, or -1 if
 * out of memory.
 */
int	deploy_record_load(int folder, const char *name,
	    const char *subdomain, struct deploy_record *r);

/*
 * Writes record `name` of a deploy of manifest `m` atomically into the
 * tenant folder open on `folder`: the files whose `written` entry (parallel to
 * m->entries) is valid, and `asset_base_url` when not NULL; flushed to
 * disk when `sync`, else the caller flushes.  A failure is logged only:
 * the next deploy then hashes instead of trusting the record.
 */
void	deploy_record_write(int folder, const char *name,
	    const char *subdomain,
	    const struct manifest *m,
	    const struct deploy_written_file *written,
	    const char *asset_base_url, int sync);

#endif
