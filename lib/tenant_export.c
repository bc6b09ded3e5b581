/*
 * tenant_export.c - writes a tenant's archive (tenant_export.h; the format
 * is tenant_archive.h's) with libarchive: pax tar, zstd, written straight
 * to the caller's descriptor, so the archive never sits in memory.
 *
 * Every file is opened below the tenant folder without following a
 * symlink (manifest_file_open_at()) and copied in blocks; its entry is
 * sized by the open file's fstat(), and a file that shrinks while it is
 * read fails the export rather than writing a short entry.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "asset_name.h"
#include "audit.h"
#include "buf.h"
#include "db.h"
#include "deploy_record.h"
#include "domain.h"
#include "error.h"
#include "folder.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "service.h"
#include "template.h"
#include "template_files.h"
#include "template_store.h"
#include "tenant.h"
#include "tenant_archive.h"
#include "tenant_export.h"
#include "tenant_lock.h"

#define COPY_BLOCK	(64 * 1024)
#define ENTRY_PATH_MAX	(MANIFEST_PATH_MAX + 32)

/* One export's archive writer and its scratch space. */
struct export_run {
	struct archive	*a;
	char		 block[COPY_BLOCK];
	char		*err;
	size_t		 errlen;
};

/* Records libarchive's reason for a failed write.  Returns -1. */
static int
write_failed(struct export_run *run, const char *name)
{
	error_set(run->err, run->errlen, "could not write %s to the archive: "
	    "%s", name, archive_error_string(run->a) != NULL ?
	    archive_error_string(run->a) : "unknown error");
	return -1;
}

/*
 * Adds entry `name`, a regular file of `size` bytes, and its header.
 * Returns 0 or -1.
 */
static int
add_header(struct export_run *run, const char *name, int64_t size,
    time_t mtime)
{
	struct archive_entry	*e;
	int			 rc;

	if ((e = archive_entry_new()) == NULL)
		return write_failed(run, name);
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, mtime, 0);
	rc = archive_write_header(run->a, e);
	archive_entry_free(e);
	return rc == ARCHIVE_OK ? 0 : write_failed(run, name);
}

/* Adds entry `name` holding the `len` bytes at `data`.  0 or -1. */
static int
add_bytes(struct export_run *run, const char *name, const void *data,
    size_t len)
{
	if (add_header(run, name, (int64_t)len, time(NULL)) == -1)
		return -1;
	if (len > 0 && archive_write_data(run->a, data, len) != (la_ssize_t)len)
		return write_failed(run, name);
	return 0;
}

/*
 * Adds the regular file `path` below directory `dirfd` as entry
 * "<prefix><path>".  A file that is not there (or no regular file) is
 * skipped.  Returns 0 or -1.
 */
static int
add_file(struct export_run *run, int dirfd, const char *path,
    const char *prefix)
{
	char		name[ENTRY_PATH_MAX];
	struct stat	st;
	off_t		left;
	ssize_t		n;
	int		fd = -1, found, rc = -1;

	if (snprintf(name, sizeof(name), "%s%s", prefix, path) >=
	    (int)sizeof(name)) {
		error_set(run->err, run->errlen, "%s: path too long", path);
		return -1;
	}
	if ((found = manifest_file_open_at(dirfd, path, &fd, &st)) != 1) {
		if (found == 0)
			return 0;
		error_set(run->err, run->errlen, "%s: %s", name,
		    strerror(errno));
		return -1;
	}
	if (add_header(run, name, (int64_t)st.st_size, st.st_mtime) == -1)
		goto out;
	for (left = st.st_size; left > 0; left -= n) {
		n = read(fd, run->block, left < COPY_BLOCK ? (size_t)left :
		    COPY_BLOCK);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			error_set(run->err, run->errlen, "%s: %s", name,
			    n == 0 ? "changed while it was read" :
			    strerror(errno));
			goto out;
		}
		if (archive_write_data(run->a, run->block, (size_t)n) != n) {
			write_failed(run, name);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Is the file at `path` below `dirfd` the manifest's `e` unchanged? */
static int
unchanged(int dirfd, const char *path, const struct manifest_entry *e)
{
	unsigned char	digest[32];
	uint64_t	size;

	return e != NULL && file_sha256_at(dirfd, path, digest, &size) == 0 &&
	    size == e->size && memcmp(digest, e->sha256, sizeof(digest)) == 0;
}

/*
 * Writes tenant.json (tenant_archive.h) for `t` with its `domains` into
 * `out`.  Returns 0 or -1.
 */
static int
render_meta(const struct tenant *t, const struct domain *domains,
    size_t domain_count, int with_template, struct buf *out)
{
	yajl_gen	g;
	size_t		i;
	int		rc = -1;

	if ((g = json_gen_new()) == NULL)
		return -1;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "format", TENANT_ARCHIVE_FORMAT) !=
	    yajl_gen_status_ok || json_gen_kv_int(g, "id", t->id) !=
	    yajl_gen_status_ok || json_gen_key(g, "tenant") !=
	    yajl_gen_status_ok || yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "name", t->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "subdomain", t->subdomain) !=
	    yajl_gen_status_ok || json_gen_kv_string(g, "contact_email",
	    t->contact_email != NULL ? t->contact_email : "") !=
	    yajl_gen_status_ok || json_gen_kv_string(g, "primary_color",
	    t->primary_color) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "secondary_color", t->secondary_color) !=
	    yajl_gen_status_ok || json_gen_key(g, "module_keys") !=
	    yajl_gen_status_ok || yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < t->module_count; i++)
		if (t->modules[i].enabled &&
		    json_gen_string(g, t->modules[i].key) != yajl_gen_status_ok)
			goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "logo", t->logo) != yajl_gen_status_ok ||
	    json_gen_key(g, "domains") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < domain_count; i++)
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_string(g, "domain", domains[i].name) !=
		    yajl_gen_status_ok || json_gen_kv_string(g, "status",
		    domains[i].active ? "active" : "pending") !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "template_version",
	    t->template_version[0] != '\0' ? t->template_version : NULL) !=
	    yajl_gen_status_ok || json_gen_kv_bool(g, "template_embedded",
	    with_template) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		goto out;
	rc = json_gen_to_buf(g, out);
out:
	yajl_gen_free(g);
	return rc;
}

/*
 * Did a deploy make public/ file `own` rather than the tenant: the
 * version's file unchanged (`files`, NULL for none), a file the last
 * deploy wrote as its record `record` says (an HTML file rewritten for
 * asset_base_url included), or a content-named alias of a static file
 * (asset_name.h), whose digest its name starts with?  Returns 1 or 0.
 */
static int
made_by_deploy(const struct manifest_entry *own,
    const struct template_files *files, const struct deploy_record *record)
{
	const struct manifest_entry	*web;
	const struct deploy_record_entry *written;
	char				 original[MANIFEST_PATH_MAX + 1];
	char				 hex[ASSET_NAME_HASH_LEN + 1], digest[65];

	web = files != NULL ? manifest_find(&files->web, own->path) : NULL;
	if (web != NULL && web->size == own->size &&
	    memcmp(web->sha256, own->sha256, sizeof(own->sha256)) == 0)
		return 1;
	written = deploy_record_find(record, own->path);
	if (written != NULL && written->size == own->size &&
	    memcmp(written->sha256, own->sha256, sizeof(own->sha256)) == 0)
		return 1;
	sha256_hex(own->sha256, digest);
	return asset_name_parse(own->path, original, sizeof(original), hex) &&
	    strncmp(digest, hex, strlen(hex)) == 0;
}

/*
 * Adds the tenant's own files from its folder open on `folder` (of
 * tenant `sub`): the files at its top, public/ but for what a deploy made
 * (made_by_deploy()), and the version's files outside public/ the tenant
 * changed.  `files` is the version (NULL: none).  Returns 0 or -1.
 */
static int
add_own_files(struct export_run *run, int folder, const char *sub,
    const struct template_files *files)
{
	static const char *const top[] = TENANT_ARCHIVE_DERIVED_FILES;
	char			path[ENTRY_PATH_MAX];
	struct manifest		public_files;
	struct deploy_record	record;
	size_t			i;
	int			rc = -1;

	manifest_init(&public_files);
	memset(&record, 0, sizeof(record));
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (add_file(run, folder, top[i], TENANT_ARCHIVE_FILES) == -1)
			goto out;
	if (deploy_record_load(folder, DEPLOY_RECORD_FILE, sub, &record) ==
	    -1) {
		error_set(run->err, run->errlen, "out of memory");
		goto out;
	}
	if (manifest_build_at(&public_files, folder, FOLDER_PUBLIC_DIR,
	    run->err, run->errlen) == -1)
		goto out;
	for (i = 0; i < public_files.count; i++) {
		if (made_by_deploy(&public_files.entries[i], files, &record))
			continue;
		snprintf(path, sizeof(path), FOLDER_PUBLIC_DIR "/%s",
		    public_files.entries[i].path);
		if (add_file(run, folder, path, TENANT_ARCHIVE_FILES) == -1)
			goto out;
	}
	for (i = 0; files != NULL && i < files->source.count; i++)
		if (!unchanged(folder, files->source.entries[i].path,
		    &files->source.entries[i]) && add_file(run, folder,
		    files->source.entries[i].path, TENANT_ARCHIVE_FILES) == -1)
			goto out;
	rc = 0;
out:
	deploy_record_release(&record);
	manifest_release(&public_files);
	return rc;
}

/* Adds every file of version `version`, listed in `m`, under template/. */
static int
add_template(struct export_run *run, struct service *svc,
    const char *version, const struct manifest *m)
{
	size_t	i;
	int	store, tree, rc = -1;

	if ((store = template_store_fd(svc)) == -1 ||
	    (tree = template_store_tree(store, version)) == -1) {
		error_set(run->err, run->errlen, "template version %s: %s",
		    version, strerror(errno));
		return -1;
	}
	for (i = 0; i < m->count; i++)
		if (add_file(run, tree, m->entries[i].path,
		    TENANT_ARCHIVE_TEMPLATE) == -1)
			goto out;
	rc = 0;
out:
	close(tree);
	return rc;
}

/*
 * Writes the whole archive of `t`, whose folder is open on `folder`, to
 * `out_fd`.  Returns 0, or -1 with run->err set.
 */
static int
write_archive(struct export_run *run, struct service *svc,
    const struct tenant *t, int folder, int with_template, int out_fd)
{
	const struct template_files	*files = NULL;
	struct domain			*domains = NULL;
	struct buf			 meta;
	size_t				 domain_count = 0;
	int				 rc = -1;

	buf_init(&meta, TENANT_ARCHIVE_META_MAX);
	if (t->template_version[0] != '\0' && (files = template_files_of(svc,
	    t->template_version, run->err, run->errlen)) == NULL)
		goto out;
	if (domain_list(svc->db, t->id, &domains, &domain_count) == -1) {
		db_failure_status(svc->db, "could not list the domains",
		    run->err, run->errlen);
		goto out;
	}
	if (render_meta(t, domains, domain_count, with_template && files !=
	    NULL, &meta) == -1) {
		error_set(run->err, run->errlen, "could not write "
		    TENANT_ARCHIVE_META);
		goto out;
	}
	if ((run->a = archive_write_new()) == NULL ||
	    archive_write_add_filter_zstd(run->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(run->a) != ARCHIVE_OK ||
	    /*
	     * No padding after the zstd stream: libarchive pads the last
	     * block with zeros on a device or on standard output, which
	     * no zstd reader takes for the end of the archive.
	     */
	    archive_write_set_bytes_in_last_block(run->a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(run->a, out_fd) != ARCHIVE_OK) {
		write_failed(run, "the header");
		goto out;
	}
	if (add_bytes(run, TENANT_ARCHIVE_META, meta.data, meta.len) == -1 ||
	    add_own_files(run, folder, t->subdomain, files) == -1)
		goto out;
	if (with_template && files != NULL && add_template(run, svc,
	    t->template_version, &files->manifest) == -1)
		goto out;
	if (archive_write_close(run->a) != ARCHIVE_OK) {
		write_failed(run, "the end");
		goto out;
	}
	rc = 0;
out:
	if (run->a != NULL)
		archive_write_free(run->a);
	run->a = NULL;
	free(domains);
	buf_release(&meta);
	return rc;
}

/* See tenant_export.h. */
enum result
tenant_export(struct service *svc, const struct tenant *t, int with_template,
    int64_t user_id, int out_fd, char *err, size_t errlen)
{
	struct export_run	*run = NULL;
	struct tenant_lock	 lock;
	enum result		 status = RESULT_FAILED;
	int			 folder = -1, locked;

	memset(&lock, 0, sizeof(lock));
	if (t->archived_at != NULL) {
		error_set(err, errlen, "the tenant is archived; restore it "
		    "to export it");
		return RESULT_ARCHIVED;
	}
	if ((locked = tenant_lock_acquire(svc->db, svc->conf, t->id, "export",
	    &lock)) != 1) {
		if (locked == -1)
			return db_failure_status(svc->db,
			    "could not lock the tenant", err, errlen);
		error_set(err, errlen, "another operation is running for "
		    "this tenant");
		return RESULT_BUSY;
	}
	if ((run = calloc(1, sizeof(*run))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	run->err = err;
	run->errlen = errlen;
	if ((folder = folder_open_dir(svc->tenants_dirfd, t->subdomain)) ==
	    -1) {
		folder_failure(t->subdomain, "could not open the tenant folder",
		    err, errlen);
		goto out;
	}
	if (write_archive(run, svc, t, folder, with_template, out_fd) == -1)
		goto out;
	if (audit_record(svc->db, user_id, t->id, "tenant.export",
	    with_template ? "with template" : NULL) == -1) {
		status = db_failure_status(svc->db,
		    "could not record the export", err, errlen);
		goto out;
	}
	status = RESULT_OK;
out:
	if (folder != -1)
		close(folder);
	free(run);
	if (tenant_lock_release(svc->db, &lock) == -1)
		log_error("export of %s: could not release its lock",
		    t->subdomain);
	return status;
}

/* See tenant_export.h. */
int
tenant_export_file_name(const char *sub, long long now, char *out,
    size_t outlen)
{
	struct tm	tm;
	time_t		when = (time_t)now;
	int		n;

	if (gmtime_r(&when, &tm) == NULL)
		return -1;
	n = snprintf(out, outlen, "%s-%04d%02d%02d-%02d%02d%02d.tar.zst", sub,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}
