/*
 * config_file.c - rendering a tenant's config.json and writing it into its
 * folder (see config_file.h), for provision, lifecycle, bulk and fsck.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "config_file.h"
#include "config_render.h"
#include "db.h"
#include "error.h"
#include "folder.h"
#include "gate_files.h"
#include "module.h"
#include "service.h"
#include "tenant.h"
#include "validate.h"

/* See config_file.h.  Called by provision and bulk work. */
enum result
config_file_load_catalog(struct service *svc, struct module_catalog *cat,
    char *err, size_t errlen)
{
	if (db_ensure(svc->db) == -1) {
		error_set(err, errlen, "the database is unavailable");
		return RESULT_DB_DOWN;
	}
	if (module_catalog_load(cat, svc->db) == -1)
		return db_failure_status(svc->db, "could not load the modules",
		    err, errlen);
	return RESULT_OK;
}

/* See config_file.h. */
int
config_file_render(struct service *svc, const struct tenant *t,
    const struct module_catalog *cat, struct buf *out)
{
	buf_reset(out);
	if (config_render(t, cat, svc->conf->api_url, svc->conf->asset_base_url,
	    time(NULL), out) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/*
 * Renders `t`'s config.json and writes it into the folder open on
 * `folder`, with the gate files around it in the order gate_files.h
 * explains, and a modification time in a new second (folder.h), since
 * the front ends serve the file themselves.  Used by provision_update
 * and set_module (which keep the folder open) and below.  Returns 0 or -1
 * with errno set.
 */
int
config_file_write(struct service *svc, int folder, const struct tenant *t,
    const struct module_catalog *cat)
{
	struct buf	document;
	int		rc = -1, saved;

	buf_init(&document, CONFIG_FILE_MAX_BYTES);
	if (config_file_render(svc, t, cat, &document) == -1 ||
	    gate_files_withdraw(folder, document.data, document.len) == -1 ||
	    file_write_atomic_newer(folder, FOLDER_CONFIG_FILE, document.data,
	    document.len, FOLDER_FILE_MODE) == -1 ||
	    gate_files_publish(folder, document.data, document.len, 1) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	buf_release(&document);
	errno = saved;
	return rc;
}

/*
 * Writes `t`'s config.json into tenants/<sub>/ atomically, using the module
 * catalog `cat`.  For callers that already hold the catalog (restore,
 * bulk changes, fsck).  Returns 0 or -1 (errno set).
 */
int
config_write_atomic_with(struct service *svc, const struct tenant *t,
    const struct module_catalog *cat)
{
	int	folder = -1, rc = -1, saved;

	if (validate_subdomain(t->subdomain, strlen(t->subdomain)) != NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((folder = folder_open_dir(svc->tenants_dirfd, t->subdomain)) == -1)
		return -1;
	rc = config_file_write(svc, folder, t, cat);
	saved = errno;
	close(folder);
	errno = saved;
	return rc;
}
