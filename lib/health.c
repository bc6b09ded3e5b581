/*
 * health.c - judging a tenant folder against the database and the template
 * manifest (see health.h), for the health endpoint and `tenantctl fsck`.
 *
 * Nothing here writes: the check opens the folder read-only, one name at a
 * time with O_NOFOLLOW (asset_open_at() for config.json,
 * manifest_file_open_at() for template files, whose names may be dotfiles
 * the asset rule refuses), so a symlink planted in a tenant folder is
 * reported as a missing file instead of being followed.  Files
 * are hashed only when their size matches the manifest, so a healthy
 * folder costs one hash per template file and a damaged one less.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asset.h"
#include "asset_name.h"
#include "buf.h"
#include "conf.h"
#include "config_render.h"
#include "deploy_record.h"
#include "folder.h"
#include "health.h"
#include "json.h"
#include "manifest.h"
#include "template_files.h"
#include "module.h"
#include "service.h"
#include "tenant.h"
#include "validate.h"

/* Names of enum health_config_state, for reports. */
const char *
health_config_state_name(enum health_config_state state)
{
	switch (state) {
	case HEALTH_CONFIG_OK:
		return "ok";
	case HEALTH_CONFIG_NO_FOLDER:
		return "no folder";
	case HEALTH_CONFIG_MISSING:
		return "missing";
	case HEALTH_CONFIG_UNREADABLE:
		return "unreadable";
	case HEALTH_CONFIG_MALFORMED:
		return "malformed";
	case HEALTH_CONFIG_STALE:
		return "stale";
	}
	return "unknown";
}

/* Is errno after a failed openat() "not there" rather than a fault? */
static int
errno_is_absent(int error)
{
	return error == ENOENT || error == ENOTDIR || error == ELOOP ||
	    error == EACCES;
}

/*
 * Records template path `prefix` + `path` (a file of the web root is
 * named by its path in the template) in one of the bounded lists; a path
 * too long for it (a web root and an alias at the limit) is listed cut
 * short.
 */
static void
list_add(char list[][MANIFEST_PATH_MAX + 1], size_t *count,
    const char *prefix, const char *path)
{
	int	n;

	if (*count < HEALTH_MAX_LISTED) {
		n = snprintf(list[*count], MANIFEST_PATH_MAX + 1, "%s%s%s",
		    prefix, prefix[0] != '\0' ? "/" : "", path);
		if (n < 0)
			list[*count][0] = '\0';
	}
	(*count)++;
}

/* Starts a report for `t`: nothing found yet, module counts filled. */
static void
health_start(const struct tenant *t, const struct template_files *files,
    struct tenant_health *out)
{
	size_t i;

	out->archived = 0;
	out->folder_exists = 0;
	out->config_exists = 0;
	out->config_valid = 0;
	out->config_state = HEALTH_CONFIG_NO_FOLDER;
	out->public_exists = 0;
	out->frontend_deployed = 0;
	out->manifest_files = files->web.count + files->source.count;
	out->missing_count = 0;
	out->modified_count = 0;
	out->modules_count = (int64_t)t->module_count;
	out->enabled_modules_count = 0;
	for (i = 0; i < t->module_count; i++)
		if (t->modules[i].enabled)
			out->enabled_modules_count++;
}

/*
 * Lists every file of `m` (named below `prefix`) as missing: there is no
 * folder to look in.
 */
static void
all_missing(const struct manifest *m, const char *prefix,
    struct tenant_health *out)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		list_add(out->missing_files, &out->missing_count, prefix,
		    m->entries[i].path);
}

/*
 * Reads config.json of the folder `folderfd` (see health.h).  Called by
 * the health check and fsck.  Returns 1, 0 or -1.
 */
int
health_read_config(int folderfd, struct buf *out)
{
	struct stat st;
	ssize_t n;
	int fd = -1, rc = -1;

	rc = asset_open_at(folderfd, FOLDER_CONFIG_FILE, &fd, &st);
	if (rc != 1)
		goto out;
	rc = -1;
	if (st.st_size > HEALTH_CONFIG_MAX) {
		errno = EFBIG;
		goto out;
	}
	for (;;) {
		if (buf_grow(out, HEALTH_CONFIG_READ_CHUNK) == -1)
			goto out;
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto out;
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	if (out->len > HEALTH_CONFIG_MAX) {
		errno = EFBIG;
		goto out;
	}
	rc = 1;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * The generated_at of a parsed config.json, exactly as config_render()
 * writes it ("2026-11-26T12:00:00Z").  Returns 0 with *when, or -1.
 */
static int
config_generated_at(const struct json_value *doc, time_t *when)
{
	const struct json_value *stamp;
	const char *end;
	struct tm tm;

	stamp = json_object_get(doc, "generated_at");
	if (stamp == NULL || stamp->type != JSON_STRING || stamp->len != 20)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(stamp->text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	if ((*when = timegm(&tm)) == (time_t)-1)
		return -1;
	return 0;
}

/*
 * Judges config.json of `folderfd`: present, parses, and equal to what
 * config_render() makes of the database state at the file's own
 * generated_at.  Returns 0 with the findings in `out`, or -1 when memory
 * ran out.
 */
static int
check_config(int folderfd, const struct tenant *t,
    const struct module_catalog *cat, const struct conf *conf,
    struct tenant_health *out)
{
	struct buf file, rendered;
	struct json_value *doc = NULL;
	char err[128];
	time_t when;
	int rc = -1, read_rc;

	buf_init(&file, HEALTH_CONFIG_READ_LIMIT);
	buf_init(&rendered, HEALTH_CONFIG_MAX * 2);
	read_rc = health_read_config(folderfd, &file);
	if (read_rc == 0) {
		out->config_state = HEALTH_CONFIG_MISSING;
		rc = 0;
		goto out;
	}
	out->config_exists = 1;
	if (read_rc == -1) {
		if (errno == ENOMEM)
			goto out;
		out->config_state = HEALTH_CONFIG_UNREADABLE;
		rc = 0;
		goto out;
	}
	doc = json_parse(file.data, file.len, err, sizeof(err));
	if (doc == NULL && errno == ENOMEM)
		goto out;
	if (doc == NULL || doc->type != JSON_OBJECT ||
	    config_generated_at(doc, &when) == -1) {
		out->config_state = HEALTH_CONFIG_MALFORMED;
		rc = 0;
		goto out;
	}
	if (config_render(t, cat, conf->api_url, conf->asset_base_url, when,
	    &rendered) == -1)
		goto out;
	if (rendered.len == file.len &&
	    memcmp(rendered.data, file.data, file.len) == 0) {
		out->config_valid = 1;
		out->config_state = HEALTH_CONFIG_OK;
	} else
		out->config_state = HEALTH_CONFIG_STALE;
	rc = 0;
out:
	json_free(doc);
	buf_release(&file);
	buf_release(&rendered);
	return rc;
}

/*
 * What a deploy with asset_base_url left in public/ (deploy_cdn.h): the
 * HTML files as its record lists them, when the record names the same
 * asset_base_url, and the aliases of the static files.
 */
struct cdn_expected {
	const struct deploy_record	*record;	/* NULL: not current */
};

/*
 * Judges the alias of static file `entry` of directory `dirfd`, found
 * there as `file`: present and the same file, else listed (by its own
 * path below `prefix`) as missing or modified.  Returns 0, or -1 on an
 * I/O error (errno set).
 */
static int
check_alias(int dirfd, const struct manifest *m,
    const struct manifest_entry *entry, const struct stat *file,
    const char *prefix, struct tenant_health *out)
{
	char		hex[65], alias[MANIFEST_PATH_MAX + 1];
	struct stat	st;
	int		fd = -1, rc;

	sha256_hex(entry->sha256, hex);
	/* A deploy makes no alias where it cannot (deploy_cdn.c). */
	if (asset_name_alias(entry->path, hex, alias, sizeof(alias)) == -1 ||
	    manifest_find(m, alias) != NULL)
		return 0;
	if ((rc = manifest_file_open_at(dirfd, alias, &fd, &st)) == -1)
		return -1;
	if (rc == 0) {
		list_add(out->missing_files, &out->missing_count, prefix,
		    alias);
		return 0;
	}
	close(fd);
	if (st.st_ino != file->st_ino || st.st_dev != file->st_dev)
		list_add(out->modified_files, &out->modified_count, prefix,
		    alias);
	return 0;
}

/*
 * Compares the directory `dirfd` with every entry of `m`, naming them
 * below `prefix`: missing, or modified (size first, SHA-256 only for
 * equal sizes).  With `cdn` (asset_base_url set), an HTML file must be
 * the one the record lists and an unmodified static file must have its
 * alias.  Returns 0, or -1 on an I/O error (errno set).
 */
static int
check_files(int dirfd, const struct manifest *m, const char *prefix,
    const struct cdn_expected *cdn, struct tenant_health *out)
{
	const struct manifest_entry *entry;
	const struct deploy_record_entry *recorded;
	const unsigned char *expected_digest;
	unsigned char digest[32];
	struct stat st;
	uint64_t size, expected_size;
	size_t i;
	int fd = -1, rc;

	for (i = 0; i < m->count; i++) {
		entry = &m->entries[i];
		rc = manifest_file_open_at(dirfd, entry->path, &fd, &st);
		if (rc == -1)
			return -1;
		if (rc == 0) {
			list_add(out->missing_files, &out->missing_count,
			    prefix, entry->path);
			continue;
		}
		close(fd);
		fd = -1;
		expected_size = entry->size;
		expected_digest = entry->sha256;
		if (cdn != NULL && asset_name_is_html(entry->path)) {
			recorded = cdn->record != NULL ? deploy_record_find(
			    cdn->record, entry->path) : NULL;
			if (recorded == NULL) {
				list_add(out->modified_files,
				    &out->modified_count, prefix, entry->path);
				continue;
			}
			expected_size = recorded->size;
			expected_digest = recorded->sha256;
		}
		if ((uint64_t)st.st_size != expected_size) {
			list_add(out->modified_files, &out->modified_count,
			    prefix, entry->path);
			continue;
		}
		rc = file_sha256_at(dirfd, entry->path, digest, &size);
		if (rc == -1)
			return -1;
		if (rc == 1)
			list_add(out->missing_files, &out->missing_count,
			    prefix, entry->path);
		else if (size != expected_size ||
		    memcmp(digest, expected_digest, sizeof(digest)) != 0)
			list_add(out->modified_files, &out->modified_count,
			    prefix, entry->path);
		else if (cdn != NULL && asset_name_is_static(entry->path) &&
		    check_alias(dirfd, m, entry, &st, prefix, out) == -1)
			return -1;
	}
	return 0;
}

/*
 * Judges the alias of `t`'s logo in public/ (open on `publicfd`) when it
 * has one: there and the logo itself, else listed (below `prefix`) as
 * missing or modified.  Returns 0, or -1 on an I/O error (errno set).
 */
static int
check_logo_alias(int publicfd, const struct tenant *t, const char *prefix,
    struct tenant_health *out)
{
	char		alias[MANIFEST_PATH_MAX + 1];
	struct stat	logo, linked;

	if (!config_render_logo_alias(t, alias, sizeof(alias)) ||
	    fstatat(publicfd, t->logo, &logo, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	if (fstatat(publicfd, alias, &linked, AT_SYMLINK_NOFOLLOW) == -1) {
		if (!errno_is_absent(errno))
			return -1;
		list_add(out->missing_files, &out->missing_count, prefix,
		    alias);
	} else if (linked.st_ino != logo.st_ino ||
	    linked.st_dev != logo.st_dev)
		list_add(out->modified_files, &out->modified_count, prefix,
		    alias);
	return 0;
}

/*
 * Judges public/ (open on `publicfd`, in the tenant folder open on
 * `folderfd`) against the web root of `files`, as a deploy under
 * `asset_base_url` (NULL: none) leaves it.  Returns 0 or -1 (errno set).
 */
static int
check_public(int folderfd, int publicfd, const struct tenant *t,
    const struct template_files *files, const char *asset_base_url,
    struct tenant_health *out)
{
	struct deploy_record	record;
	struct cdn_expected	cdn;
	int			rc;

	if (asset_base_url == NULL)
		return check_files(publicfd, &files->web, files->web_root,
		    NULL, out);
	memset(&record, 0, sizeof(record));
	if (deploy_record_load(folderfd, DEPLOY_RECORD_FILE, t->subdomain,
	    &record) == -1) {
		errno = ENOMEM;
		return -1;
	}
	cdn.record = record.asset_base_url != NULL &&
	    strcmp(record.asset_base_url, asset_base_url) == 0 ? &record : NULL;
	rc = check_files(publicfd, &files->web, files->web_root, &cdn, out);
	deploy_record_release(&record);
	if (rc == 0)
		rc = check_logo_alias(publicfd, t, files->web_root, out);
	return rc;
}

/*
 * Judges folder `t->subdomain` below `parent_dirfd` (see health.h).
 * Called by tenant_health_check() and by fsck.  Returns 0 or -1.
 */
int
tenant_health_check_in(int parent_dirfd, const struct tenant *t,
    const struct module_catalog *cat, const struct conf *conf,
    const struct template_files *files, struct tenant_health *out)
{
	int folderfd = -1, publicfd = -1, rc = -1;

	health_start(t, files, out);
	if (validate_subdomain(t->subdomain, strlen(t->subdomain)) != NULL) {
		errno = EINVAL;
		goto out;
	}
	folderfd = folder_open_dir(parent_dirfd, t->subdomain);
	if (folderfd == -1) {
		if (!errno_is_absent(errno))
			goto out;
		all_missing(&files->web, files->web_root, out);
		all_missing(&files->source, "", out);
		goto judged;
	}
	out->folder_exists = 1;
	if (check_config(folderfd, t, cat, conf, out) == -1 ||
	    check_files(folderfd, &files->source, "", NULL, out) == -1)
		goto out;
	publicfd = folder_open_dir(folderfd, FOLDER_PUBLIC_DIR);
	if (publicfd == -1) {
		if (!errno_is_absent(errno))
			goto out;
		all_missing(&files->web, files->web_root, out);
		goto judged;
	}
	out->public_exists = 1;
	if (check_public(folderfd, publicfd, t, files, conf->asset_base_url,
	    out) == -1)
		goto out;
judged:
	out->frontend_deployed = out->missing_count == 0;
	rc = 0;
out:
	if (publicfd != -1)
		close(publicfd);
	if (folderfd != -1)
		close(folderfd);
	return rc;
}

/*
 * Judges the tenant's own folder: under tenants_dir while active, under
 * archive_dir once archived.  Called by the health handler.  Returns 0 or
 * -1.
 */
int
tenant_health_check(struct service *svc, const struct tenant *t,
    const struct module_catalog *cat, const struct template_files *files,
    struct tenant_health *out)
{
	const struct conf *c = svc->conf;
	int archivefd = -1, rc = -1;

	if (t->archived_at == NULL)
		return tenant_health_check_in(svc->tenants_dirfd, t, cat, c,
		    files, out);
	archivefd = open(c->archive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (archivefd == -1) {
		if (!errno_is_absent(errno))
			return -1;
		health_start(t, files, out);
		all_missing(&files->web, files->web_root, out);
		all_missing(&files->source, "", out);
		out->frontend_deployed = out->missing_count == 0;
		rc = 0;
	} else
		rc = tenant_health_check_in(archivefd, t, cat, c, files, out);
	out->archived = 1;
	if (archivefd != -1)
		close(archivefd);
	return rc;
}

/* All green: folder, valid config.json and every template file there. */
int
tenant_health_ok(const struct tenant_health *h)
{
	return h->folder_exists && h->config_valid && h->frontend_deployed;
}
