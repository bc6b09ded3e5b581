/*
 * config_file.h - a tenant's config.json on disk: rendered from the
 * tenant's row and the module catalog (config_render.h) and written into
 * its folder (folder.h) atomically.
 *
 * This sits above config_render and folder and below every module that
 * changes tenants (provision, lifecycle, bulk, fsck), so those can write
 * config.json without depending on each other: provision and lifecycle
 * both used to reach into the other for it.
 *
 * Return convention: 0, or -1 with errno set (ENOMEM when rendering
 * failed, EINVAL for a subdomain that is not valid), except
 * config_file_load_catalog() (see there).
 */
#ifndef TENANTD_CONFIG_FILE_H
#define TENANTD_CONFIG_FILE_H

#include <stddef.h>

#include "result.h"

struct buf;
struct module_catalog;
struct service;
struct tenant;

#define CONFIG_FILE_MAX_BYTES	(1024 * 1024)	/* a rendered config.json */

/*
 * Makes sure the database answers and loads the module catalog `cat`
 * (initialised by the caller), the first step of every change that
 * rewrites config.json.  Returns RESULT_OK, else RESULT_DB_DOWN when the
 * database is unavailable or RESULT_FAILED, with a message in `err`.
 */
enum result config_file_load_catalog(struct service *svc,
	    struct module_catalog *cat, char *err, size_t errlen);

/*
 * Renders `t`'s config.json with catalog `cat` into `out` (reset first;
 * the caller initialises it with a limit of CONFIG_FILE_MAX_BYTES).
 * Returns 0, or -1 with errno ENOMEM.
 */
int	config_file_render(struct service *svc, const struct tenant *t,
	    const struct module_catalog *cat, struct buf *out);

/*
 * Renders `t`'s config.json and writes it atomically into the tenant
 * folder open on `folder`.  Returns 0 or -1 (errno set).
 */
int	config_file_write(struct service *svc, int folder,
	    const struct tenant *t, const struct module_catalog *cat);

/*
 * The same into tenants_dir/<sub>/, with a module catalog the caller
 * already holds, so a change of many tenants loads it once.  Returns 0 or
 * -1 (errno set).
 */
int	config_write_atomic_with(struct service *svc, const struct tenant *t,
	    const struct module_catalog *cat);

#endif
