/*
 * provision.h - creating, changing and removing tenants: database rows and
 * the tenant folder together.
 *
 * A tenant is its row in `tenants` plus its folder tenants/<sub>/ holding
 * config.json and public/.  The functions here keep the two in agreement:
 *
 * Create:  validate; BEGIN; insert rows; build the folder in a staging
 *          directory (tenants/.staging-<sub>-<random>) with config.json and
 *          the logo; rename it into place (never over an existing folder);
 *          COMMIT.  Any failure before COMMIT rolls back the rows and
 *          removes whatever was written.  A crash between the rename and
 *          COMMIT leaves a folder without a row, which `tenantctl fsck`
 *          reports and removes.
 * Update:  BEGIN; update rows; write the new logo (if any) and config.json
 *          atomically (temp file, fsync, rename); COMMIT.  If the folder
 *          cannot be written the transaction is rolled back and the old
 *          config.json is untouched.  A change of the logo first takes the
 *          tenant's lock (tenant_lock.h), waiting up to 10 s for a running
 *          deploy, which would otherwise swap the new logo away.
 * Delete:  BEGIN; delete rows; COMMIT; then rename the folder to
 *          tenants/.trash-<sub>-<random> and remove it, so a half-removed
 *          folder is never visible under the tenant's name.  An archived
 *          tenant's folder is removed from archive_dir the same way.
 *
 * Paths are always built from a validated subdomain under the directory
 * opened at service start, with openat() and O_NOFOLLOW.  The file-system
 * steps are folder.h's (the staged build is folder_create_staged(), shared
 * with bulk create and fsck); config.json is written through
 * config_file.h.
 *
 * Return convention: enum result (result.h); on failure `err` holds a
 * message safe to show to an administrator (no secrets, no full paths).
 * The failures: RESULT_NOT_FOUND (no tenant of that id), RESULT_TAKEN (the
 * subdomain is taken), RESULT_INVALID (refused input, e.g. disabling a
 * core module), RESULT_BUSY (a deploy, archive or restore runs),
 * RESULT_DB_DOWN, RESULT_FAILED (disk or database error, rolled back).
 */
#ifndef TENANTD_PROVISION_H
#define TENANTD_PROVISION_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct service;
struct tenant;
struct tenant_input;

/*
 * Creates a tenant from a validated input, recording `user_id` as its
 * creator.  On success `out` holds the stored tenant.
 */
enum result provision_create(struct service *svc,
	    const struct tenant_input *in, int64_t user_id, struct tenant *out,
	    char *err, size_t errlen);

/*
 * What an import (tenant_import.h) adds to a create; every member may be
 * NULL.  `rows` runs in the create's transaction once the tenant's row
 * is in (`t` holds its id): more rows of the tenant (its domains, its
 * template version); it returns RESULT_OK or a failure with `err` set.
 * `fill` adds to the staged folder (folder_content's fill) for the
 * stored tenant `t`: 0, or -1 with errno set, which removes the folder
 * and fails the create.  `audit_action` replaces "tenant.create".  `id`,
 * when above 0, is the id the row gets (the caller found it free).
 */
struct provision_extra {
	enum result	(*rows)(void *arg, struct service *svc,
			    const struct tenant *t, char *err, size_t errlen);
	int		(*fill)(void *arg, int folder, const struct tenant *t);
	void		*arg;
	const char	*audit_action;
	int64_t		 id;
};

/*
 * provision_create() with `extra` (NULL: none): rows and folder of the
 * tenant, plus what `extra` adds, or none of them.
 */
enum result provision_create_with(struct service *svc,
	    const struct tenant_input *in, int64_t user_id,
	    const struct provision_extra *extra, struct tenant *out,
	    char *err, size_t errlen);

/* Applies a validated PATCH input to tenant `id`; `out` gets the result. */
enum result provision_update(struct service *svc, int64_t id,
	    const struct tenant_input *in, int64_t user_id, struct tenant *out,
	    char *err, size_t errlen);

/* Enables or disables one module and rewrites config.json. */
enum result provision_set_module(struct service *svc, int64_t id,
	    const char *module_key, int enabled, int64_t user_id,
	    struct tenant *out, char *err, size_t errlen);

/* Deletes tenant `id`: rows first, then the folder. */
enum result provision_delete(struct service *svc, int64_t id,
	    int64_t user_id, char *err, size_t errlen);

/*
 * Is `name` a logo file name as provisioning makes them: "logo." and an
 * extension of 1 to 8 characters [a-z0-9]?  Checked before a name read
 * from the database is used as a path.  Returns 1 or 0.
 */
int	provision_logo_name_valid(const char *name);

#endif
