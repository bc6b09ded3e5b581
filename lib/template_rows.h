/*
 * template_rows.h - the rows of template versions (table template_versions,
 * migration 0003) and each tenant's version (tenants.template_version):
 * which versions exist, which one is the default for new tenants and how
 * many tenants each one serves.  The files are the store's
 * (template_store.h).
 *
 * Return convention: 0 / -1 with db_error() of the connection; lookups 1
 * (found), 0 (not found) or -1.
 */
#ifndef TENANTD_TEMPLATE_ROWS_H
#define TENANTD_TEMPLATE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

struct db;

/* The most versions a listing returns; the store is pruned with remove. */
#define TEMPLATE_ROWS_MAX	1000

/* One version as stored, with the number of tenants on it. */
struct template_version {
	char		version[16];	/* TEMPLATE_VERSION_LEN hex digits */
	char		name[101];	/* tenantd-template.json's, or "" */
	char		web_root[1025];	/* "" for the whole tree */
	int64_t		files;
	int64_t		bytes;
	char		source[16];	/* "template_dir" or "added" */
	int		is_default;
	char		created_at[32];	/* "YYYY-MM-DDTHH:MM:SSZ" */
	int64_t		tenants;	/* tenants whose site is on it */
};

/*
 * Inserts version `v` unless a row for it exists (then nothing changes).
 * *inserted is 1 when this call made the row.  With `make_default` a new
 * row becomes the default.  Returns 0 or -1.
 */
int	template_rows_insert(struct db *db, const struct template_version *v,
	    int make_default, int *inserted);

/* Loads version `version` into `out`.  1, 0 or -1. */
int	template_rows_find(struct db *db, const char *version,
	    struct template_version *out);

/*
 * Lists every version, newest first, into a new array `*out` (the caller
 * frees it) of `*count`.  Returns 0 or -1.
 */
int	template_rows_list(struct db *db, struct template_version **out,
	    size_t *count);

/* The default version into `version` (16 bytes).  1, 0 (none) or -1. */
int	template_rows_default(struct db *db, char *version);

/* Makes `version` the default in one transaction.  1, 0 (no such) or -1. */
int	template_rows_set_default(struct db *db, const char *version);

/*
 * Deletes the row of `version` unless it is the default or a tenant is
 * on it.  Returns 1 deleted, 0 not found, 2 refused (in use), or -1.
 */
int	template_rows_delete(struct db *db, const char *version);

/* Records that tenant `tenant_id`'s site is on `version`.  0 or -1. */
int	template_rows_set_tenant(struct db *db, int64_t tenant_id,
	    const char *version);

/* The same for the `count` tenants `ids` (a batch).  0 or -1. */
int	template_rows_set_tenants(struct db *db, const int64_t *ids,
	    size_t count, const char *version);

/*
 * Chooses the tenants of a rollout to `version` into a new array `*ids`
 * (the caller frees it) of `*count`: active tenants, not on `version`
 * already unless `include_current`; with `percent` below 100 only those
 * whose id falls in the first `percent` of 100 buckets of a hash salted
 * with the version, so 10 then 50 grows the same group.  Returns 0 or -1.
 */
int	template_rows_rollout_tenants(struct db *db, const char *version,
	    int percent, int include_current, int64_t **ids, size_t *count);

/*
 * The tenants whose site is on `version`: the active ones' ids into a new
 * array `*ids` (the caller frees it) of `*count`, in id order, and how
 * many archived ones there are into *archived.  Used by fsck to redeploy
 * a version's tenants after restoring its files.  Returns 0 or -1.
 */
int	template_rows_tenants_on(struct db *db, const char *version,
	    int64_t **ids, size_t *count, size_t *archived);

/*
 * Writes the members of version `v` as the API shows it (inside an
 * object the caller opens): version, name, web_root, files, bytes,
 * source, created_at, is_default, tenants.  Returns 0 or -1.
 */
int	template_version_json(yajl_gen g, const struct template_version *v);

#endif
