/*
 * tenant_import.c - a tenant from its archive (see tenant_import.h for the
 * order of operations and what a failure leaves).
 *
 * The archive reader (tenant_archive.h) hands tenant.json and then the
 * files to the sink here.  tenant.json is judged the way a create request
 * is, through the same form and tenant_input_read(); the files go to a
 * hidden unpack directory below tenants_dir, on the tenants' filesystem,
 * so the staged tenant folder takes them as hard links.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "config_file.h"
#include "crash.h"
#include "db.h"
#include "deploy.h"
#include "deploy_copy.h"
#include "domain.h"
#include "domain_link.h"
#include "error.h"
#include "folder.h"
#include "form.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "module.h"
#include "provision.h"
#include "service.h"
#include "template.h"
#include "template_files.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"
#include "tenant_archive.h"
#include "tenant_import.h"
#include "tenant_input.h"

#define UNPACK_FILES	"files"
#define UNPACK_TEMPLATE	"template"

/* Where the bytes of the file being read go. */
enum import_target {
	TARGET_DISCARD,		/* a derived file, or a template not needed */
	TARGET_LOGO,		/* the logo, judged in memory */
	TARGET_FILE		/* a file of the unpack directory */
};

/* One import. */
struct import_run {
	struct service			*svc;
	const char			*as_sub;
	struct tenant_archive_meta	 meta;
	struct module_catalog		 cat;
	struct form			 form;
	struct tenant_input		 in;
	enum result			 status;	/* a sink's refusal */
	int				 unpack;	/* the unpack dir */
	char				 unpack_name[NAME_MAX + 1];
	struct dir_cursor		 files;
	struct dir_cursor		 template;
	int				 template_needed;
	int64_t				 keep_id;	/* the exported id,
							   when free */
	enum import_target		 target;
	int				 fd;		/* TARGET_FILE */
	struct buf			 logo;
	int				 logo_seen;
	const struct template_files	*version_files;
	struct deploy_report		 report;	/* large: not on
							   the stack */
	char				*err;
	size_t				 errlen;
};

/* Records why the sink refuses the archive.  Returns -1. */
static int refused(struct import_run *run, enum result status,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
refused(struct import_run *run, enum result status, const char *fmt, ...)
{
	va_list	ap;

	run->status = status;
	va_start(ap, fmt);
	if (run->errlen > 0)
		vsnprintf(run->err, run->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Reads the tenant's fields from tenant.json into run->in, as a create
 * reads a request (tenant_input_read()), with the logo when it has been
 * read.  Returns 0, or -1 refused.
 */
static int
read_input(struct import_run *run)
{
	struct field_errors	errors;
	enum result		rs;
	char			why[160];

	form_release(&run->form);
	form_init(&run->form);
	memset(&errors, 0, sizeof(errors));
	rs = form_from_json_object(&run->form, run->meta.tenant,
	    &form_default_limits, why, sizeof(why));
	if (rs == RESULT_OK && run->logo_seen)
		rs = form_add(&run->form, "logo", 4, FORM_VALUE_FILE,
		    run->logo.data, run->logo.len, run->meta.logo, NULL, NULL,
		    &form_default_limits, why, sizeof(why));
	if (rs != RESULT_OK)
		return refused(run, rs == RESULT_NO_MEMORY ? rs :
		    RESULT_INVALID, TENANT_ARCHIVE_META ": %s", why);
	if (tenant_input_read(&run->in, TENANT_INPUT_CREATE, &run->form,
	    run->svc->conf, &run->cat, run->svc->mime, &errors) == -1)
		return refused(run, RESULT_INVALID, TENANT_ARCHIVE_META
		    ": tenant.%s: %s", errors.items[0].field,
		    errors.items[0].message);
	return 0;
}

/* Puts `as_sub` in place of the subdomain tenant.json names. */
static int
rename_tenant(struct import_run *run)
{
	const struct json_value	*tenant = run->meta.tenant;
	struct json_value	*v = NULL;
	char			*copy;
	size_t			 i;

	for (i = 0; i < tenant->count; i++)
		if (strcmp(tenant->keys[i], "subdomain") == 0)
			v = tenant->items[i];
	if (v == NULL || v->type != JSON_STRING)
		return refused(run, RESULT_INVALID, TENANT_ARCHIVE_META
		    ": tenant.%s: %s", "subdomain", "must be a string");
	if ((copy = strdup(run->as_sub)) == NULL)
		return refused(run, RESULT_NO_MEMORY, "out of memory");
	free(v->text);
	v->text = copy;
	v->len = strlen(copy);
	return 0;
}

/*
 * Is template version `version` stored here?  Returns 1, 0, or -1 with
 * errno set.
 */
static int
version_stored(struct service *svc, const char *version)
{
	int	store, tree;

	if ((store = template_store_fd(svc)) == -1)
		return -1;
	if ((tree = template_store_tree(store, version)) == -1)
		return errno == ENOENT ? 0 : -1;
	close(tree);
	return 1;
}

/* The sink's `meta`: judges tenant.json before any file is read. */
static int
sink_meta(void *arg, const char *text, size_t len, char *err, size_t errlen)
{
	struct import_run	*run = arg;
	struct tenant		 existing;
	const char		*why;
	size_t			 i;
	int			 found, stored;

	if ((run->status = tenant_archive_meta_parse(&run->meta, text, len,
	    err, errlen)) != RESULT_OK)
		return -1;
	if (run->as_sub != NULL && rename_tenant(run) == -1)
		return -1;
	if (read_input(run) == -1)
		return -1;
	for (i = 0; i < run->meta.domain_count; i++)
		if ((why = domain_name_check(run->meta.domains[i].name,
		    strlen(run->meta.domains[i].name),
		    run->svc->conf->base_domain)) != NULL)
			return refused(run, RESULT_INVALID, TENANT_ARCHIVE_META
			    ": domain %s: %s", run->meta.domains[i].name, why);
	tenant_init(&existing);
	found = tenant_find_by_subdomain(run->svc->db, run->in.subdomain,
	    &existing);
	tenant_release(&existing);
	if (found != 0) {
		run->status = found == 1 ? RESULT_TAKEN :
		    db_failure_status(run->svc->db,
		    "could not look the subdomain up", err, errlen);
		if (found == 1)
			error_set(err, errlen, "subdomain \"%s\" is already "
			    "taken", run->in.subdomain);
		return -1;
	}
	if (run->meta.id > 0) {
		tenant_init(&existing);
		found = tenant_find_by_id(run->svc->db, run->meta.id,
		    &existing);
		tenant_release(&existing);
		if (found == -1) {
			run->status = db_failure_status(run->svc->db,
			    "could not look the id up", err, errlen);
			return -1;
		}
		run->keep_id = found == 0 ? run->meta.id : 0;
	}
	if (run->meta.template_version[0] == '\0')
		return 0;
	if ((stored = version_stored(run->svc, run->meta.template_version)) ==
	    -1)
		return refused(run, RESULT_FAILED, "template store: %s",
		    strerror(errno));
	if (stored == 0 && !run->meta.template_embedded)
		return refused(run, RESULT_CONFLICT, "template version %s is "
		    "not on this instance%s", run->meta.template_version,
		    "; export the tenant with its template (--with-template,"
		    " ?with_template=1) or add the version first");
	run->template_needed = !stored;
	return 0;
}

/*
 * May a tenant's archive carry `path` (relative to files/)?  Its own
 * files live in public/ and, for a template with a web root, beside it;
 * the names the tenant folder keeps for itself are refused.  Returns 1
 * for a file to unpack, 0 for a derived file to skip, -1 refused.
 */
static int
files_path_kind(const char *path)
{
	static const char *const derived[] = TENANT_ARCHIVE_DERIVED_FILES;
	static const char *const reserved[] = TEMPLATE_RESERVED_NAMES;
	size_t	i, first;

	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		if (strcmp(path, derived[i]) == 0)
			return 0;
	first = strcspn(path, "/");
	if (first == strlen(FOLDER_PUBLIC_DIR) &&
	    strncmp(path, FOLDER_PUBLIC_DIR, first) == 0)
		return path[first] == '/' ? 1 : -1;
	if (strncmp(path, ".public.", 8) == 0)
		return -1;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == first &&
		    strncmp(path, reserved[i], first) == 0)
			return -1;
	return 1;
}

/* Creates file `path` below cursor `c` for writing into run->fd. */
static int
create_file(struct import_run *run, struct dir_cursor *c, const char *area,
    const char *path)
{
	const char	*leaf;
	int		 dir;

	if ((dir = dir_cursor_parent(c, path, &leaf)) == -1 ||
	    (run->fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, FOLDER_FILE_MODE)) == -1) {
		if (errno == EEXIST || errno == ENOTDIR)
			return refused(run, RESULT_INVALID, "%s%s: given twice "
			    "or both a file and a directory", area, path);
		return refused(run, RESULT_FAILED, "could not unpack %s%s",
		    area, path);
	}
	run->target = TARGET_FILE;
	return 0;
}

/* The sink's `open`: decides where the file's bytes go. */
static int
sink_open(void *arg, enum tenant_archive_area area, const char *path,
    char *err, size_t errlen)
{
	struct import_run	*run = arg;
	int			 kind;

	run->target = TARGET_DISCARD;
	if (area == TENANT_ARCHIVE_AREA_TEMPLATE)
		return run->template_needed ? create_file(run, &run->template,
		    TENANT_ARCHIVE_TEMPLATE, path) : 0;
	if ((kind = files_path_kind(path)) == -1)
		return refused(run, RESULT_INVALID, TENANT_ARCHIVE_FILES "%s: %s",
		    path, "not a file a tenant folder may hold");
	if (kind == 0)
		return 0;
	if (run->meta.logo[0] != '\0' && strncmp(path, FOLDER_PUBLIC_DIR "/",
	    sizeof(FOLDER_PUBLIC_DIR)) == 0 && strcmp(path +
	    sizeof(FOLDER_PUBLIC_DIR), run->meta.logo) == 0) {
		buf_reset(&run->logo);
		run->logo_seen = 1;
		run->target = TARGET_LOGO;
		return 0;
	}
	return create_file(run, &run->files, TENANT_ARCHIVE_FILES, path);
}

/* The sink's `write`. */
static int
sink_write(void *arg, const void *data, size_t len, char *err, size_t errlen)
{
	struct import_run	*run = arg;
	const char		*p = data;
	ssize_t			 n;

	switch (run->target) {
	case TARGET_DISCARD:
		return 0;
	case TARGET_LOGO:
		if (buf_append(&run->logo, data, len) == -1)
			return refused(run, RESULT_INVALID,
			    "the logo is larger than max_logo_bytes");
		return 0;
	case TARGET_FILE:
		while (len > 0) {
			if ((n = write(run->fd, p, len)) == -1) {
				if (errno == EINTR)
					continue;
				return refused(run, RESULT_FAILED, "could not "
				    "unpack a file: %s", strerror(errno));
			}
			p += n;
			len -= (size_t)n;
		}
		return 0;
	}
	return 0;
}

/* The sink's `close`. */
static int
sink_close(void *arg, char *err, size_t errlen)
{
	struct import_run	*run = arg;
	int			 rc = 0;

	if (run->target == TARGET_FILE && close(run->fd) == -1)
		rc = refused(run, RESULT_FAILED, "could not unpack a file: %s",
		    strerror(errno));
	run->fd = -1;
	run->target = TARGET_DISCARD;
	return rc;
}

/* provision_extra's rows: the tenant's template version and domains. */
static enum result
import_rows(void *arg, struct service *svc, const struct tenant *t, char *err,
    size_t errlen)
{
	struct import_run	*run = arg;
	size_t			 i;

	if (run->meta.template_version[0] != '\0' && template_rows_set_tenant(
	    svc->db, t->id, run->meta.template_version) == -1)
		return db_failure_status(svc->db, "could not record the "
		    "template version", err, errlen);
	for (i = 0; i < run->meta.domain_count; i++)
		if (domain_insert(svc->db, t->id, run->meta.domains[i].name,
		    run->meta.domains[i].active) == -1) {
			if (!db_is_duplicate(svc->db))
				return db_failure_status(svc->db, "could not "
				    "save a domain", err, errlen);
			error_set(err, errlen, "the domain %s belongs to "
			    "another tenant", run->meta.domains[i].name);
			return RESULT_DUPLICATE;
		}
	return RESULT_OK;
}

/*
 * provision_extra's fill: the archive's files into the staged folder, then
 * the template version deployed around them, flushed.  Returns 0, or -1
 * with errno set and the reason in run->err.
 */
static int
import_fill(void *arg, int folder, const struct tenant *t)
{
	struct import_run	*run = arg;
	struct deploy_options	 o;
	struct dir_cursor	 from, to;
	struct manifest		 own;
	size_t			 i;
	int			 from_fd, rc = -1;

	manifest_init(&own);
	if ((from_fd = folder_open_dir(run->unpack, UNPACK_FILES)) == -1) {
		error_set(run->err, run->errlen, "could not read the unpacked "
		    "files: %s", strerror(errno));
		return -1;
	}
	dir_cursor_init(&from, from_fd, DIR_CURSOR_OPEN);
	dir_cursor_init(&to, folder, DIR_CURSOR_FILL);
	if (manifest_build_at(&own, run->unpack, UNPACK_FILES, run->err,
	    run->errlen) == -1)
		goto out;
	for (i = 0; i < own.count; i++)
		if (deploy_copy_carry(&from, &to, own.entries[i].path) == -1) {
			error_set(run->err, run->errlen, "could not place %s: "
			    "%s", own.entries[i].path, strerror(errno));
			goto out;
		}
	if (run->version_files != NULL) {
		memset(&o, 0, sizeof(o));
		o.version = run->meta.template_version;
		if (deploy_tenant_in(run->svc, t, folder, run->version_files,
		    &o, &run->report, run->err, run->errlen) == -1) {
			errno = EIO;
			goto out;
		}
	}
	if (syncfs(folder) == -1) {
		error_set(run->err, run->errlen, "could not flush the tenant "
		    "folder: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	manifest_release(&own);
	dir_cursor_close(&from);
	dir_cursor_close(&to);
	close(from_fd);
	return rc;
}

/*
 * Makes the hidden unpack directory with files/ and template/ in it, and
 * the cursors that write below them.  Returns 0, or -1 with errno set.
 */
static int
unpack_open(struct import_run *run)
{
	int	fd;

	if (folder_hidden_name(run->unpack_name, sizeof(run->unpack_name),
	    ".import-", "archive") == -1 ||
	    mkdirat(run->svc->tenants_dirfd, run->unpack_name, 0700) == -1 ||
	    (run->unpack = folder_open_dir(run->svc->tenants_dirfd,
	    run->unpack_name)) == -1)
		return -1;
	if (mkdirat(run->unpack, UNPACK_FILES, FOLDER_DIR_MODE) == -1 ||
	    mkdirat(run->unpack, UNPACK_TEMPLATE, FOLDER_DIR_MODE) == -1)
		return -1;
	if ((fd = folder_open_dir(run->unpack, UNPACK_FILES)) == -1)
		return -1;
	dir_cursor_init(&run->files, fd, DIR_CURSOR_MAKE);
	if ((fd = folder_open_dir(run->unpack, UNPACK_TEMPLATE)) == -1)
		return -1;
	dir_cursor_init(&run->template, fd, DIR_CURSOR_MAKE);
	return 0;
}

/* Closes and removes what unpack_open() made. */
static void
unpack_remove(struct import_run *run)
{
	if (run->files.base != -1) {
		dir_cursor_close(&run->files);
		close(run->files.base);
	}
	if (run->template.base != -1) {
		dir_cursor_close(&run->template);
		close(run->template.base);
	}
	if (run->unpack != -1)
		close(run->unpack);
	if (run->unpack_name[0] != '\0' && dir_remove_tree(
	    run->svc->tenants_dirfd, run->unpack_name) == -1 &&
	    errno != ENOENT)
		log_error("import: could not remove %s: %s", run->unpack_name,
		    strerror(errno));
}

/* Stores the version the archive carries (step 3 of tenant_import.h). */
static enum result
store_template(struct import_run *run)
{
	struct template_version	 v;
	enum result		 status;
	char			 dir[PATH_MAX];
	int			 added;

	if (snprintf(dir, sizeof(dir), "%s/%s/%s", run->svc->conf->tenants_dir,
	    run->unpack_name, UNPACK_TEMPLATE) >= (int)sizeof(dir)) {
		error_set(run->err, run->errlen, "tenants_dir is too long");
		return RESULT_FAILED;
	}
	memset(&v, 0, sizeof(v));
	if ((status = template_add(run->svc, dir, NULL, 0, &v, &added,
	    run->err, run->errlen)) != RESULT_OK)
		return status;
	if (strcmp(v.version, run->meta.template_version) != 0) {
		error_set(run->err, run->errlen, "the template the archive "
		    "carries is version %s, not %s", v.version,
		    run->meta.template_version);
		return RESULT_INVALID;
	}
	return RESULT_OK;
}

/* Links the active domains of the imported tenant `t`. */
static void
link_domains(struct import_run *run, const struct tenant *t)
{
	size_t	i;

	for (i = 0; i < run->meta.domain_count; i++)
		if (run->meta.domains[i].active && domain_link_set(
		    run->svc->tenants_dirfd, run->meta.domains[i].name,
		    t->subdomain) == -1)
			log_error("import of %s: could not link %s (tenantctl "
			    "fsck --repair does): %s", t->subdomain,
			    run->meta.domains[i].name, strerror(errno));
}

/* Reads the archive of `src` through the sink into `run`. */
static enum result
read_archive(struct import_run *run, const struct tenant_archive_source *src)
{
	struct tenant_archive_sink	sink;
	enum result			status;

	sink.meta = sink_meta;
	sink.open = sink_open;
	sink.write = sink_write;
	sink.close = sink_close;
	sink.arg = run;
	status = tenant_archive_read(src, &sink, run->err, run->errlen);
	if (status != RESULT_OK && run->status != RESULT_OK)
		status = run->status;
	if (status == RESULT_OK && run->meta.logo[0] != '\0' &&
	    !run->logo_seen) {
		error_set(run->err, run->errlen, "the archive lacks "
		    TENANT_ARCHIVE_FILES FOLDER_PUBLIC_DIR "/%s",
		    run->meta.logo);
		status = RESULT_INVALID;
	}
	if (status == RESULT_OK && run->logo_seen && read_input(run) == -1)
		status = run->status;
	return status;
}

/* See tenant_import.h. */
enum result
tenant_import(struct service *svc, const struct tenant_archive_source *src,
    const char *as_sub, int64_t user_id, struct tenant *out, char *err,
    size_t errlen)
{
	struct import_run	*run;
	struct provision_extra	 extra;
	enum result		 status;

	if ((run = calloc(1, sizeof(*run))) == NULL) {
		error_set(err, errlen, "out of memory");
		return RESULT_NO_MEMORY;
	}
	run->svc = svc;
	run->as_sub = as_sub;
	run->err = err;
	run->errlen = errlen;
	run->unpack = run->fd = -1;
	run->files.base = run->template.base = -1;
	tenant_archive_meta_init(&run->meta);
	module_catalog_init(&run->cat);
	form_init(&run->form);
	buf_init(&run->logo, svc->conf->max_logo_bytes);

	if ((status = config_file_load_catalog(svc, &run->cat, err,
	    errlen)) != RESULT_OK)
		goto out;
	if (unpack_open(run) == -1) {
		status = folder_failure("an import", "could not unpack the "
		    "archive", err, errlen);
		goto out;
	}
	if ((status = read_archive(run, src)) != RESULT_OK)
		goto out;
	if (run->template_needed && (status = store_template(run)) !=
	    RESULT_OK)
		goto out;
	crash_point("import.after_unpack");
	status = RESULT_FAILED;
	if (run->meta.template_version[0] != '\0' &&
	    (run->version_files = template_files_of(svc,
	    run->meta.template_version, err, errlen)) == NULL)
		goto out;
	memset(&extra, 0, sizeof(extra));
	extra.rows = import_rows;
	extra.fill = import_fill;
	extra.arg = run;
	extra.audit_action = "tenant.import";
	extra.id = run->keep_id;
	status = provision_create_with(svc, &run->in, user_id, &extra, out,
	    err, errlen);
	if (status == RESULT_OK)
		link_domains(run, out);
out:
	if (run->fd != -1)
		close(run->fd);
	unpack_remove(run);
	buf_release(&run->logo);
	form_release(&run->form);
	module_catalog_release(&run->cat);
	tenant_archive_meta_release(&run->meta);
	free(run);
	return status;
}
