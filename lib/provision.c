/*
 * provision.c - creating, changing and removing tenants: the database rows
 * and the tenant folder kept in agreement (see provision.h for the order of
 * operations).
 *
 * A tenant folder is tenants/<sub>/ with config.json and public/ (holding
 * logo.<ext> when there is a logo).  Every path is one name relative to a
 * directory descriptor: the tenants directory opened at service start, or a
 * folder opened below it with O_NOFOLLOW, so a symlink planted in the tree
 * never redirects a write or a removal.  Subdomains arrive validated, and
 * are checked again here before they become a name.
 *
 * Changes of one tenant are serialised by locking its row (SELECT ... FOR
 * UPDATE) for the whole transaction, which also orders the config.json
 * writes the same way as the commits.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "config_file.h"
#include "config_render.h"
#include "crash.h"
#include "db.h"
#include "domain.h"
#include "error.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "module.h"
#include "provision.h"
#include "service.h"
#include "tenant.h"
#include "tenant_input.h"
#include "tenant_lock.h"
#include "validate.h"

#define WRITE_FAILED		"could not write the tenant folder"
#define LOGO_NAME_MAX		32	/* the tenants.logo column */
#define AUDIT_DETAIL_MAX	128
#define LOGO_LOCK_WAIT_MS	10000	/* how long a logo change waits */

/* Is `sub` shaped like a subdomain, so it is safe as one path name? */
static int
subdomain_valid(const char *sub)
{
	return validate_subdomain(sub, strlen(sub)) == NULL;
}

/* See provision.h. */
int
provision_logo_name_valid(const char *name)
{
	size_t	i, len;

	if (strncmp(name, "logo.", 5) != 0)
		return 0;
	len = strlen(name + 5);
	if (len == 0 || len > 8)
		return 0;
	for (i = 5; name[i] != '\0'; i++)
		if ((name[i] < 'a' || name[i] > 'z') &&
		    (name[i] < '0' || name[i] > '9'))
			return 0;
	return 1;
}

/*
 * Removes the folder of a deleted tenant from whichever place holds it:
 * tenants_dir, else archive_dir (an archived tenant), moved out of sight
 * first (folder_discard()).  A folder in archive_dir next to one in
 * tenants_dir is not this tenant's (an older tenant of the same subdomain
 * left it) and stays for tenantctl fsck.  Returns 0, or -1 with errno set
 * if the folder is still there under its name.
 */
static int
remove_deleted_folder(struct service *svc, const char *sub)
{
	struct stat	st;
	int		archive, rc, saved;

	if (fstatat(svc->tenants_dirfd, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return folder_discard(svc->tenants_dirfd, sub);
	if ((archive = folder_open_archive_dir(svc->conf, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = folder_discard(archive, sub);
	saved = errno;
	close(archive);
	errno = saved;
	return rc;
}

/*
 * Locks and loads tenant `id` inside the caller's transaction
 * (tenant_lock_row()), so that changes of one tenant, and their
 * config.json writes, happen one after the other.  Returns RESULT_OK,
 * NOT_FOUND or the failure.
 */
static enum result
load_locked(struct service *svc, int64_t id, struct tenant *t, char *err,
    size_t errlen)
{
	int	found;

	if ((found = tenant_lock_row(svc->db, id, t)) == 0) {
		error_set(err, errlen, "tenant not found");
		return RESULT_NOT_FOUND;
	}
	if (found == -1)
		return db_failure_status(svc->db,
		    "could not load the tenant", err, errlen);
	if (!subdomain_valid(t->subdomain)) {
		error_set(err, errlen, "the stored subdomain is not valid");
		return RESULT_FAILED;
	}
	return RESULT_OK;
}

/*
 * Reloads tenant `id` (inside the transaction) into `out` for rendering and
 * for the response.  Returns RESULT_OK or the failure.
 */
static enum result
reload(struct service *svc, int64_t id, struct tenant *out, char *err,
    size_t errlen)
{
	int	found;

	tenant_release(out);
	tenant_init(out);
	if ((found = tenant_find_by_id(svc->db, id, out)) == 1)
		return RESULT_OK;
	if (found == 0) {
		error_set(err, errlen, "tenant not found");
		return RESULT_NOT_FOUND;
	}
	return db_failure_status(svc->db, "could not load the tenant", err,
	    errlen);
}

/*
 * Writes the file name "logo.<ext>" for an uploaded logo into `out`.
 * Returns 0, or -1 for an extension that would not make a valid name.
 */
static int
logo_file_name(const char *extension, char out[LOGO_NAME_MAX + 1])
{
	int	written;

	if (extension == NULL)
		return -1;
	written = snprintf(out, LOGO_NAME_MAX + 1, "logo.%s", extension);
	if (written < 0 || written > LOGO_NAME_MAX || !provision_logo_name_valid(out))
		return -1;
	return 0;
}

/*
 * Stores the SHA-256 of an uploaded logo (`len` bytes at `data`) in `t`,
 * for the content-named URL config.json gives it with asset_base_url.
 */
static void
logo_digest(struct tenant *t, const void *data, size_t len)
{
	unsigned char	digest[32];

	crypto_hash_sha256(digest, data, (unsigned long long)len);
	sha256_hex(digest, t->logo_sha256);
}

/*
 * Writes the name of the content-named alias `t`'s logo has in public/
 * while asset_base_url is set (config_render_logo_alias()) into `out`.
 * Returns 1, or 0 when it has none.
 */
static int
logo_alias_wanted(const struct service *svc, const struct tenant *t,
    char *out, size_t outlen)
{
	return svc->conf->asset_base_url != NULL &&
	    config_render_logo_alias(t, out, outlen);
}

/* Duplicates `s` (NULL stays NULL) into *dst.  Returns 0, or -1. */
static int
copy_string(char **dst, const char *s)
{
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

/*
 * Fills `t` (initialised) with the tenant a CREATE input describes,
 * created by `user_id`; its modules are the input's list, all enabled.
 * Returns 0, or -1 if out of memory or the logo type has no valid name.
 */
static int
tenant_from_input(struct tenant *t, const struct tenant_input *in,
    int64_t user_id)
{
	char	logo[LOGO_NAME_MAX + 1];
	size_t	i;

	snprintf(t->subdomain, sizeof(t->subdomain), "%s", in->subdomain);
	snprintf(t->primary_color, sizeof(t->primary_color), "%s",
	    in->primary_color);
	snprintf(t->secondary_color, sizeof(t->secondary_color), "%s",
	    in->secondary_color);
	if (copy_string(&t->name, in->name) == -1 ||
	    copy_string(&t->contact_email, in->contact_email) == -1)
		return -1;
	if (in->logo_data != NULL) {
		if (logo_file_name(in->logo_extension, logo) == -1 ||
		    copy_string(&t->logo, logo) == -1)
			return -1;
		logo_digest(t, in->logo_data, in->logo_len);
	}
	t->is_active = 1;
	t->created_by = user_id;
	if (in->module_count > 0) {
		t->modules = calloc(in->module_count, sizeof(t->modules[0]));
		if (t->modules == NULL)
			return -1;
		for (i = 0; i < in->module_count; i++) {
			snprintf(t->modules[i].key, sizeof(t->modules[i].key),
			    "%s", in->module_keys[i]);
			t->modules[i].enabled = 1;
		}
		t->module_count = in->module_count;
	}
	return 0;
}

/* What fill_extra() hands to an extra's fill: it and the stored tenant. */
struct extra_fill {
	const struct provision_extra	*extra;
	const struct tenant		*t;
};

/* folder_content's fill for a create with an extra fill. */
static int
fill_extra(void *arg, int folder)
{
	struct extra_fill	*f = arg;

	return f->extra->fill(f->extra->arg, folder, f->t);
}

/*
 * Creates a tenant from a validated input (see provision.h): rows and
 * folder, or neither.  Called by the create handler, bulk create and
 * tenantctl.  On success `out` holds the stored tenant.
 */
enum result
provision_create(struct service *svc, const struct tenant_input *in,
    int64_t user_id, struct tenant *out, char *err, size_t errlen)
{
	return provision_create_with(svc, in, user_id, NULL, out, err,
	    errlen);
}

/* See provision.h.  Called by provision_create() and the import. */
enum result
provision_create_with(struct service *svc, const struct tenant_input *in,
    int64_t user_id, const struct provision_extra *extra, struct tenant *out,
    char *err, size_t errlen)
{
	struct extra_fill	 fill;
	struct module_catalog	 cat;
	struct tenant		 t;
	struct folder_content	 content;
	struct buf		 document;
	char			 alias[LOGO_NAME_MAX + 16];
	int			 in_transaction = 0, placed = 0;
	enum result		 status;

	module_catalog_init(&cat);
	tenant_init(&t);
	memset(&content, 0, sizeof(content));
	buf_init(&document, CONFIG_FILE_MAX_BYTES);

	if (!subdomain_valid(in->subdomain)) {
		error_set(err, errlen, "invalid subdomain");
		status = RESULT_INVALID;
		goto out;
	}
	status = config_file_load_catalog(svc, &cat, err, errlen);
	if (status != RESULT_OK)
		goto out;
	status = RESULT_FAILED;
	if (tenant_from_input(&t, in, user_id) == -1) {
		error_set(err, errlen, "could not prepare the tenant");
		goto out;
	}
	if (extra != NULL && extra->id > 0)
		t.id = extra->id;

	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen);
		goto out;
	}
	in_transaction = 1;
	if (tenant_insert(svc->db, &t, &cat) == -1) {
		if (db_is_duplicate(svc->db)) {
			error_set(err, errlen,
			    "subdomain \"%s\" is already taken", t.subdomain);
			status = RESULT_TAKEN;
		} else
			status = db_failure_status(svc->db,
			    "could not save the tenant", err, errlen);
		goto out;
	}
	if (audit_record(svc->db, user_id, t.id, extra != NULL &&
	    extra->audit_action != NULL ? extra->audit_action :
	    "tenant.create", t.subdomain) == -1) {
		status = db_failure_status(svc->db,
		    "could not record the change", err, errlen);
		goto out;
	}
	if (extra != NULL && extra->rows != NULL &&
	    (status = extra->rows(extra->arg, svc, &t, err, errlen)) !=
	    RESULT_OK)
		goto out;
	if ((status = reload(svc, t.id, out, err, errlen)) != RESULT_OK)
		goto out;
	status = RESULT_FAILED;
	crash_point("create.after_insert");

	if (config_file_render(svc, out, &cat, &document) == -1) {
		status = folder_failure(t.subdomain, WRITE_FAILED, err, errlen);
		goto out;
	}
	content.config = document.data;
	content.config_len = document.len;
	if (in->logo_data != NULL && out->logo != NULL) {
		content.logo_name = out->logo;
		content.logo = in->logo_data;
		content.logo_len = in->logo_len;
		if (logo_alias_wanted(svc, out, alias, sizeof(alias)))
			content.logo_alias = alias;
	}
	if (extra != NULL && extra->fill != NULL) {
		fill.extra = extra;
		fill.t = out;
		content.fill = fill_extra;
		content.fill_arg = &fill;
	}
	content.sync = 1;
	content.crash_staged = "create.after_staging";
	content.crash_placed = "create.after_rename";
	if (folder_create_staged(svc->tenants_dirfd, t.subdomain,
	    &content) == -1) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			error_set(err, errlen, "a folder for this subdomain "
			    "already exists; run tenantctl fsck");
			status = RESULT_TAKEN;
		} else
			status = folder_failure(t.subdomain, WRITE_FAILED, err,
			    errlen);
		goto out;
	}
	placed = 1;
	if (fsync(svc->tenants_dirfd) == -1) {
		status = folder_failure(t.subdomain, WRITE_FAILED, err, errlen);
		goto out;
	}
	crash_point("create.before_commit");

	if (db_commit(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not commit the tenant", err, errlen);
		goto out;
	}
	in_transaction = 0;
	placed = 0;
	status = RESULT_OK;
out:
	if (in_transaction)
		db_rollback(svc->db);
	if (placed && folder_discard(svc->tenants_dirfd, t.subdomain) == -1)
		log_error("could not remove the folder of %s: %s",
		    t.subdomain, strerror(errno));
	if (status != RESULT_OK) {
		tenant_release(out);
		tenant_init(out);
	}
	tenant_release(&t);
	buf_release(&document);
	module_catalog_release(&cat);
	return status;
}

/*
 * Fills `changes` (initialised) with the fields tenant_update_fields()
 * writes: those of `before`, replaced by what `in` sends.  Returns 0, or -1
 * if out of memory or the logo type has no valid name.
 */
static int
apply_input(struct tenant *changes, const struct tenant *before,
    const struct tenant_input *in)
{
	char	logo[LOGO_NAME_MAX + 1];

	changes->id = before->id;
	snprintf(changes->subdomain, sizeof(changes->subdomain), "%s",
	    before->subdomain);
	snprintf(changes->primary_color, sizeof(changes->primary_color), "%s",
	    (in->present & TENANT_FIELD_PRIMARY_COLOR) ?
	    in->primary_color : before->primary_color);
	snprintf(changes->secondary_color, sizeof(changes->secondary_color),
	    "%s", (in->present & TENANT_FIELD_SECONDARY_COLOR) ?
	    in->secondary_color : before->secondary_color);
	if (copy_string(&changes->name, (in->present & TENANT_FIELD_NAME) ?
	    in->name : before->name) == -1)
		return -1;
	if (copy_string(&changes->contact_email,
	    (in->present & TENANT_FIELD_EMAIL) ? in->contact_email :
	    before->contact_email != NULL ? before->contact_email : "") == -1)
		return -1;
	if (!(in->present & TENANT_FIELD_LOGO)) {
		memcpy(changes->logo_sha256, before->logo_sha256,
		    sizeof(changes->logo_sha256));
		return copy_string(&changes->logo, before->logo);
	}
	if (in->logo_data == NULL)
		return 0;
	if (logo_file_name(in->logo_extension, logo) == -1)
		return -1;
	logo_digest(changes, in->logo_data, in->logo_len);
	return copy_string(&changes->logo, logo);
}

/* Is `key` in the input's module list? */
static int
input_lists_module(const struct tenant_input *in, const char *key)
{
	size_t	i;

	for (i = 0; i < in->module_count; i++)
		if (strcmp(in->module_keys[i], key) == 0)
			return 1;
	return 0;
}

/* Writes the names of the fields `in` changes, for the audit log. */
static void
describe_input(const struct tenant_input *in, char *out, size_t outlen)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ TENANT_FIELD_NAME, "name" },
		{ TENANT_FIELD_EMAIL, "contact_email" },
		{ TENANT_FIELD_PRIMARY_COLOR, "primary_color" },
		{ TENANT_FIELD_SECONDARY_COLOR, "secondary_color" },
		{ TENANT_FIELD_LOGO, "logo" },
		{ TENANT_FIELD_MODULES, "modules" },
	};
	size_t	i, used = 0;
	int	written;

	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(in->present & names[i].bit))
			continue;
		written = snprintf(out + used, outlen - used, "%s%s",
		    used > 0 ? "," : "", names[i].name);
		if (written < 0 || (size_t)written >= outlen - used)
			return;
		used += (size_t)written;
	}
}

/*
 * Writes `after`'s config.json into `folder` and commits.  When the commit
 * fails, config.json is written again from `before`, the state the rollback
 * returns to, so folder and rows still agree.  Returns the status.
 */
static enum result
commit_with_config(struct service *svc, int folder, const struct tenant *before,
    const struct tenant *after, const struct module_catalog *cat, char *err,
    size_t errlen)
{
	enum result		status;

	if (config_file_write(svc, folder, after, cat) == -1)
		return folder_failure(after->subdomain, WRITE_FAILED, err,
		    errlen);
	crash_point("update.before_commit");
	if (db_commit(svc->db) == 0)
		return RESULT_OK;
	status = db_failure_status(svc->db, "could not commit the change", err,
	    errlen);
	if (config_file_write(svc, folder, before, cat) == -1)
		log_error("could not restore config.json of %s: %s",
		    before->subdomain, strerror(errno));
	return status;
}

/*
 * Opens tenants/<sub>/ for a change.  A missing folder is reported, not
 * recreated: an archived or broken tenant is fsck's business.  Returns the
 * descriptor, or -1 with `err` and `*status` set.
 */
static int
open_tenant_folder(struct service *svc, const char *sub,
    enum result *status, char *err, size_t errlen)
{
	int	folder;

	if ((folder = folder_open_dir(svc->tenants_dirfd, sub)) != -1)
		return folder;
	if (errno == ENOENT) {
		error_set(err, errlen,
		    "the tenant folder is missing; run tenantctl fsck");
		*status = RESULT_FAILED;
	} else
		*status = folder_failure(sub, WRITE_FAILED, err, errlen);
	return -1;
}

/*
 * Takes tenant `id`'s lock for a change of its logo: the logo lives in
 * public/, which a concurrent deploy rebuilds and swaps, so the change
 * waits up to LOGO_LOCK_WAIT_MS for a running deploy to finish.  An
 * unknown tenant is reported at once rather than waited for.  Returns
 * RESULT_OK with `lock` held, or the failure.
 */
static enum result
lock_for_logo(struct service *svc, int64_t id, struct tenant_lock *lock,
    char *err, size_t errlen)
{
	struct db_param		param;
	struct db_result	result;
	int			rc;

	if ((rc = tenant_lock_acquire(svc->db, svc->conf, id, "update",
	    lock)) == 1)
		return RESULT_OK;
	if (rc == -1)
		return db_failure_status(svc->db,
		    "could not lock the tenant", err, errlen);
	db_result_init(&result);
	param = db_int(id);
	rc = db_query(svc->db, "SELECT 1 FROM tenants WHERE id = ?", &param,
	    1, &result);
	if (rc == 0)
		rc = result.rows > 0 ? 1 : 0;
	db_result_release(&result);
	if (rc == 0) {
		error_set(err, errlen, "tenant not found");
		return RESULT_NOT_FOUND;
	}
	if (rc == 1)
		rc = tenant_lock_acquire_wait(svc->db, svc->conf, id, "update",
		    lock, LOGO_LOCK_WAIT_MS);
	if (rc == 1)
		return RESULT_OK;
	if (rc == -1)
		return db_failure_status(svc->db,
		    "could not lock the tenant", err, errlen);
	error_set(err, errlen, "a deploy, archive or restore is running for "
	    "this tenant; try again when it has finished");
	return RESULT_BUSY;
}

/*
 * Applies a validated PATCH input to tenant `id` (see provision.h).  A new
 * logo under a new name is written before config.json refers to it; one
 * under the name already in use goes to a pending file that replaces the
 * old logo only after COMMIT, so a rollback never leaves the new picture
 * behind.  An old logo no longer referred to is unlinked after COMMIT.
 * All of it runs under the tenant's lock when the logo changes.  Called by
 * the PATCH handler.
 */
enum result
provision_update(struct service *svc, int64_t id,
    const struct tenant_input *in, int64_t user_id, struct tenant *out,
    char *err, size_t errlen)
{
	struct module_catalog	 cat;
	struct tenant		 before, changes;
	struct tenant_lock	 lock;
	const struct module_def	*def;
	char			 detail[AUDIT_DETAIL_MAX];
	char			 pending[NAME_MAX + 1] = "";
	char			 new_logo[LOGO_NAME_MAX + 1] = "";
	char			 new_alias[LOGO_NAME_MAX + 16] = "";
	char			 old_alias[LOGO_NAME_MAX + 16];
	int			 folder = -1, public = -1;
	int			 in_transaction = 0, logo_written = 0;
	int			 alias_written = 0;
	size_t			 i;
	enum result		 status;

	module_catalog_init(&cat);
	tenant_init(&before);
	tenant_init(&changes);
	memset(&lock, 0, sizeof(lock));

	status = config_file_load_catalog(svc, &cat, err, errlen);
	if (status != RESULT_OK)
		goto out;
	if ((in->present & TENANT_FIELD_LOGO) && (status = lock_for_logo(svc,
	    id, &lock, err, errlen)) != RESULT_OK)
		goto out;
	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen);
		goto out;
	}
	in_transaction = 1;
	if ((status = load_locked(svc, id, &before, err, errlen)) !=
	    RESULT_OK)
		goto out;
	status = RESULT_FAILED;
	if (apply_input(&changes, &before, in) == -1) {
		error_set(err, errlen, "could not prepare the change");
		goto out;
	}

	if (tenant_update_fields(svc->db, &changes) == -1) {
		status = db_failure_status(svc->db,
		    "could not save the tenant", err, errlen);
		goto out;
	}
	for (i = 0; (in->present & TENANT_FIELD_MODULES) && i < cat.count;
	    i++) {
		def = &cat.modules[i];
		if (tenant_set_module(svc->db, id, def->key, def->is_core ||
		    input_lists_module(in, def->key)) == -1) {
			status = db_failure_status(svc->db,
			    "could not save the modules", err, errlen);
			goto out;
		}
	}
	describe_input(in, detail, sizeof(detail));
	if (audit_record(svc->db, user_id, id, "tenant.update",
	    detail) == -1) {
		status = db_failure_status(svc->db,
		    "could not record the change", err, errlen);
		goto out;
	}
	if ((status = reload(svc, id, out, err, errlen)) != RESULT_OK)
		goto out;
	status = RESULT_FAILED;

	if ((folder = open_tenant_folder(svc, before.subdomain, &status, err,
	    errlen)) == -1)
		goto out;
	if (changes.logo != NULL || before.logo != NULL) {
		public = folder_open_dir(folder, FOLDER_PUBLIC_DIR);
		if (public == -1) {
			status = folder_failure(before.subdomain,
			    WRITE_FAILED, err, errlen);
			goto out;
		}
	}
	if ((in->present & TENANT_FIELD_LOGO) && in->logo_data != NULL &&
	    changes.logo != NULL) {
		snprintf(new_logo, sizeof(new_logo), "%s", changes.logo);
		if (before.logo != NULL && strcmp(before.logo, new_logo) == 0) {
			if (folder_hidden_name(pending, sizeof(pending),
			    ".pending-", new_logo) == -1 ||
			    file_write_atomic(public, pending, in->logo_data,
			    in->logo_len, FOLDER_FILE_MODE) == -1) {
				pending[0] = '\0';
				status = folder_failure(before.subdomain,
				    WRITE_FAILED, err, errlen);
				goto out;
			}
		} else {
			if (file_write_atomic(public, new_logo, in->logo_data,
			    in->logo_len, FOLDER_FILE_MODE) == -1) {
				status = folder_failure(before.subdomain,
				    WRITE_FAILED, err, errlen);
				goto out;
			}
			logo_written = 1;
		}
		/*
		 * The alias config.json will name exists before it does: a
		 * second name of the new file (the pending one until it
		 * replaces the old logo after COMMIT).  One already there has
		 * this content (the name is its digest) and stays.
		 */
		if (logo_alias_wanted(svc, &changes, new_alias,
		    sizeof(new_alias))) {
			if (linkat(public, pending[0] != '\0' ? pending :
			    new_logo, public, new_alias, 0) == 0)
				alias_written = 1;
			else if (errno != EEXIST) {
				status = folder_failure(before.subdomain,
				    WRITE_FAILED, err, errlen);
				goto out;
			}
		}
	}
	crash_point("update.after_logo");

	status = commit_with_config(svc, folder, &before, out, &cat, err,
	    errlen);
	if (status != RESULT_OK)
		goto out;
	in_transaction = 0;
	logo_written = 0;
	alias_written = 0;
	crash_point("update.after_commit");

	if (pending[0] != '\0') {
		if (renameat(public, pending, public, new_logo) == -1)
			log_error("could not put the new logo of %s in place: "
			    "%s", before.subdomain, strerror(errno));
		else {
			pending[0] = '\0';
			if (fsync(public) == -1)
				log_error("could not sync the logo of %s: %s",
				    before.subdomain, strerror(errno));
		}
	}
	if (before.logo != NULL && provision_logo_name_valid(before.logo) &&
	    (changes.logo == NULL || strcmp(before.logo, changes.logo) != 0) &&
	    unlinkat(public, before.logo, 0) == -1 && errno != ENOENT)
		log_error("could not remove the old logo of %s: %s",
		    before.subdomain, strerror(errno));
	/* An old logo's alias goes with it, whatever asset_base_url is now. */
	if (config_render_logo_alias(&before, old_alias, sizeof(old_alias)) &&
	    strcmp(old_alias, new_alias) != 0 && (changes.logo == NULL ||
	    strcmp(changes.logo_sha256, before.logo_sha256) != 0) &&
	    unlinkat(public, old_alias, 0) == -1 && errno != ENOENT)
		log_error("could not remove the old logo alias of %s: %s",
		    before.subdomain, strerror(errno));
out:
	if (in_transaction)
		db_rollback(svc->db);
	if (alias_written && unlinkat(public, new_alias, 0) == -1)
		log_error("could not remove the new logo alias of %s: %s",
		    before.subdomain, strerror(errno));
	if (logo_written && unlinkat(public, new_logo, 0) == -1)
		log_error("could not remove the new logo of %s: %s",
		    before.subdomain, strerror(errno));
	if (pending[0] != '\0' && unlinkat(public, pending, 0) == -1)
		log_error("could not remove %s of %s: %s", pending,
		    before.subdomain, strerror(errno));
	if (tenant_lock_release(svc->db, &lock) == -1)
		log_error("could not release the lock of tenant %lld: %s",
		    (long long)id, db_error(svc->db));
	if (status != RESULT_OK) {
		tenant_release(out);
		tenant_init(out);
	}
	if (public != -1)
		close(public);
	if (folder != -1)
		close(folder);
	tenant_release(&changes);
	tenant_release(&before);
	module_catalog_release(&cat);
	return status;
}

/*
 * Enables or disables module `module_key` of tenant `id` and rewrites its
 * config.json, in one transaction (see provision_set_module()).
 */
static enum result
set_module_once(struct service *svc, int64_t id, const char *module_key,
    int enabled, int64_t user_id, struct tenant *out, char *err,
    size_t errlen)
{
	struct module_catalog	 cat;
	struct tenant		 before;
	const struct module_def	*def;
	char			 detail[AUDIT_DETAIL_MAX];
	int			 folder = -1, in_transaction = 0;
	enum result		 status;

	module_catalog_init(&cat);
	tenant_init(&before);
	enabled = enabled != 0;

	status = config_file_load_catalog(svc, &cat, err, errlen);
	if (status != RESULT_OK)
		goto out;
	status = RESULT_INVALID;
	if (validate_module_key(module_key, strlen(module_key)) != NULL) {
		error_set(err, errlen, "unknown module");
		goto out;
	}
	if ((def = module_catalog_find(&cat, module_key)) == NULL) {
		error_set(err, errlen, "unknown module \"%s\"", module_key);
		goto out;
	}
	if (def->is_core && !enabled) {
		error_set(err, errlen, "core module \"%s\" cannot be disabled",
		    def->key);
		goto out;
	}

	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen);
		goto out;
	}
	in_transaction = 1;
	if ((status = load_locked(svc, id, &before, err, errlen)) !=
	    RESULT_OK)
		goto out;
	if (tenant_set_module(svc->db, id, def->key, enabled) == -1) {
		status = db_failure_status(svc->db,
		    "could not save the module", err, errlen);
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s=%s", def->key,
	    enabled ? "on" : "off");
	if (audit_record(svc->db, user_id, id, "tenant.module",
	    detail) == -1) {
		status = db_failure_status(svc->db,
		    "could not record the change", err, errlen);
		goto out;
	}
	if ((status = reload(svc, id, out, err, errlen)) != RESULT_OK)
		goto out;
	if ((folder = open_tenant_folder(svc, before.subdomain, &status, err,
	    errlen)) == -1)
		goto out;
	status = commit_with_config(svc, folder, &before, out, &cat, err,
	    errlen);
	if (status == RESULT_OK)
		in_transaction = 0;
out:
	if (in_transaction)
		db_rollback(svc->db);
	if (status != RESULT_OK) {
		tenant_release(out);
		tenant_init(out);
	}
	if (folder != -1)
		close(folder);
	tenant_release(&before);
	module_catalog_release(&cat);
	return status;
}

/*
 * Enables or disables module `module_key` of tenant `id` and rewrites its
 * config.json.  Called by the update_module handler.  Core modules cannot
 * be disabled.  A transaction the server aborted (a deadlock, or a Galera
 * certification conflict at COMMIT) is run again from the start: it reads
 * the row afresh, sets the module to the same value, and config.json was
 * put back to the rows the rollback returned to.
 */
enum result
provision_set_module(struct service *svc, int64_t id, const char *module_key,
    int enabled, int64_t user_id, struct tenant *out, char *err,
    size_t errlen)
{
	enum result	status;
	int		runs = 1;

	while ((status = set_module_once(svc, id, module_key, enabled,
	    user_id, out, err, errlen)) == RESULT_DB_DOWN &&
	    db_run_again(svc->db, &runs, "module change of tenant %" PRId64,
	    id))
		;
	return status;
}

/*
 * Deletes tenant `id`: rows (with an audit entry) in one transaction, then
 * the folder, moved out of sight before it is removed.  Called by the
 * DELETE handler and tenantctl.  A folder that cannot be moved after the
 * rows are gone is reported as FAILED with a message saying so.
 */
enum result
provision_delete(struct service *svc, int64_t id, int64_t user_id,
    char *err, size_t errlen)
{
	struct tenant		 t;
	const char		*sub = t.subdomain;
	int			 in_transaction = 0, found;
	enum result		 status = RESULT_FAILED;

	tenant_init(&t);
	if (db_ensure(svc->db) == -1) {
		error_set(err, errlen, "the database is unavailable");
		return RESULT_DB_DOWN;
	}
	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen);
		goto out;
	}
	in_transaction = 1;
	found = tenant_lock_row(svc->db, id, &t);
	if (found == 1 && audit_record(svc->db, user_id, id, "tenant.delete",
	    sub) == -1)
		found = -1;
	/* Its domains stop serving first; their rows go with the tenant's. */
	if (found == 1 && domain_unlink_tenant(svc, id) == -1)
		found = -1;
	if (found == 1)
		found = tenant_delete(svc->db, id);
	if (found == 0) {
		error_set(err, errlen, "tenant not found");
		status = RESULT_NOT_FOUND;
		goto out;
	}
	if (found == -1) {
		status = db_failure_status(svc->db,
		    "could not delete the tenant", err, errlen);
		goto out;
	}
	crash_point("delete.before_commit");
	if (db_commit(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not commit the deletion", err, errlen);
		goto out;
	}
	in_transaction = 0;
	crash_point("delete.after_commit");

	if (!subdomain_valid(sub)) {
		log_error("tenant %lld had an invalid subdomain; its folder "
		    "was left alone", (long long)id);
		status = RESULT_OK;
		goto out;
	}
	if (remove_deleted_folder(svc, sub) == -1) {
		log_error("tenant folder %s: %s", sub, strerror(errno));
		error_set(err, errlen, "the tenant was deleted, but its folder "
		    "could not be removed: %s", strerror(errno));
		goto out;
	}
	status = RESULT_OK;
out:
	if (in_transaction)
		db_rollback(svc->db);
	tenant_release(&t);
	return status;
}
