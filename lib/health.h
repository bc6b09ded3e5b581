/*
 * health.h - is a tenant's folder what the database and the template say
 * it should be?
 *
 * A health check looks at one tenant folder (tenants/<sub>/, or
 * archive/<sub>/ for an archived tenant) and answers, without changing
 * anything:
 *   - does the folder exist, does it hold config.json;
 *   - is config.json valid: it parses, and its bytes equal what
 *     config_render() produces from the tenant's database state for the
 *     generated_at the file itself carries, so a stale or hand-edited
 *     config.json is caught;
 *   - is the frontend deployed: every file of the tenant's template
 *     version is present, those of its web root under public/, the others
 *     beside it (template_files.h), a file the tenant changed counting as
 *     present and listed as modified (sizes are compared first, SHA-256
 *     only when the sizes match); files are named by their template path.
 *     With asset_base_url (deploy_cdn.h) the HTML files of the web root
 *     must be the ones the last deploy rewrote for that setting (their
 *     digests are in its record; any other is listed as modified), and
 *     each unmodified static file must have its content-named alias, the
 *     same file (one missing is listed as missing, by its own path), and
 *     so must the logo when its digest is stored;
 *   - how many module rows the tenant has and how many are enabled.
 * GET /api/tenants/{id}/health/ formats the result as JSON; `tenantctl
 * fsck` runs it over every tenant with one module catalog.
 *
 * Ownership: struct tenant_health holds no pointers; it is filled in
 * place and needs no release.  It is large (the path lists), so callers
 * keep it on the heap or in a static.
 */
#ifndef TENANTD_HEALTH_H
#define TENANTD_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

struct buf;
struct conf;
struct manifest;
struct template_files;
struct module_catalog;
struct service;
struct tenant;

/* How many missing and how many modified paths are listed. */
#define HEALTH_MAX_LISTED	100

/* Largest config.json a health check (and the config endpoint) reads. */
#define HEALTH_CONFIG_MAX	(1024 * 1024)
/* health_read_config() reads in steps of this many bytes... */
#define HEALTH_CONFIG_READ_CHUNK	(64 * 1024)
/* ...so its buffer's limit must leave room for one step more. */
#define HEALTH_CONFIG_READ_LIMIT	(HEALTH_CONFIG_MAX + \
	HEALTH_CONFIG_READ_CHUNK)

/* Why config_valid is 0 (or HEALTH_CONFIG_OK when it is 1). */
enum health_config_state {
	HEALTH_CONFIG_OK = 0,
	HEALTH_CONFIG_NO_FOLDER,	/* the folder itself is missing */
	HEALTH_CONFIG_MISSING,		/* no config.json */
	HEALTH_CONFIG_UNREADABLE,	/* not a regular file, too large, I/O */
	HEALTH_CONFIG_MALFORMED,	/* not JSON, or no usable generated_at */
	HEALTH_CONFIG_STALE		/* parses, but differs from the DB */
};

struct tenant_health {
	int	archived;		/* judged in archive_dir */
	int	folder_exists;
	int	config_exists;
	int	config_valid;
	enum health_config_state config_state;
	int	public_exists;		/* public/ is a directory */
	int	frontend_deployed;	/* every manifest file present */
	int64_t	modules_count;		/* the tenant's module rows */
	int64_t	enabled_modules_count;	/* of those, enabled */
	size_t	manifest_files;		/* files the version deploys */
	size_t	missing_count;		/* all missing files ... */
	size_t	modified_count;		/* ... and all modified ones */
	/* The first HEALTH_MAX_LISTED of each, in manifest order. */
	char	missing_files[HEALTH_MAX_LISTED][MANIFEST_PATH_MAX + 1];
	char	modified_files[HEALTH_MAX_LISTED][MANIFEST_PATH_MAX + 1];
};

/* Human-readable name of a config state ("stale", "missing", ...). */
const char *health_config_state_name(enum health_config_state state);

/*
 * Judges the folder `t->subdomain` under the directory `parent_dirfd`
 * against the tenant's database state `t` (with its module rows, as
 * tenant_find_by_id() loads them), the module catalog `cat`, tenantd.conf
 * `conf` (the api_url config.json carries, asset_base_url) and the files
 * of its template version.  For callers that
 * already know where the folder is (fsck judges a folder found in either
 * place).  Sets out->archived to 0; the caller may set it.  Returns 0 with
 * `out` filled (a missing folder or file is a finding, not an error), or
 * -1 on an I/O error other than "not there" (errno set).
 */
int	tenant_health_check_in(int parent_dirfd, const struct tenant *t,
	    const struct module_catalog *cat, const struct conf *conf,
	    const struct template_files *files, struct tenant_health *out);

/*
 * The check of the tenant's own folder: tenants_dir/<sub> for an active
 * tenant, archive_dir/<sub> (and out->archived = 1) for an archived one
 * (t->archived_at set).  `cat` and `files` as above.  Returns 0 or -1 (errno
 * set).
 */
int	tenant_health_check(struct service *svc, const struct tenant *t,
	    const struct module_catalog *cat,
	    const struct template_files *files, struct tenant_health *out);

/* Is everything green (folder, config valid, frontend deployed)?  1 or 0. */
int	tenant_health_ok(const struct tenant_health *h);

/*
 * Reads config.json of the tenant folder open on `folderfd`, opened
 * without following a symlink and only when it is a regular file of at
 * most HEALTH_CONFIG_MAX bytes, into `out` (initialised by the caller
 * with a limit of HEALTH_CONFIG_READ_LIMIT).  Returns 1 read, 0 not there
 * (or not a regular file), -1 unreadable (errno set; EFBIG when too
 * large).
 */
int	health_read_config(int folderfd, struct buf *out);

#endif
