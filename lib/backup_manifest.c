/*
 * backup_manifest.c - the manifest of a whole-instance backup: written
 * last by `tenantctl backup`, read and checked first by `tenantctl
 * restore` (see backup_manifest.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "backup_manifest.h"
#include "buf.h"
#include "error.h"
#include "folder.h"
#include "json.h"
#include "manifest.h"

#define BACKUP_MANIFEST_MAX	(64 * 1024)

void
backup_manifest_init(struct backup_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->format = BACKUP_FORMAT;
	m->parts[0].name = BACKUP_DATABASE;
	m->parts[1].name = BACKUP_FILES;
}

int
backup_part_measure(int dirfd, struct backup_part *p, char *err,
    size_t errlen)
{
	unsigned char	digest[32];
	int		found;

	found = file_sha256_at(dirfd, p->name, digest, &p->bytes);
	if (found == 1) {
		error_set(err, errlen, "%s is missing", p->name);
		return -1;
	}
	if (found == -1) {
		error_set(err, errlen, "cannot read %s: %s", p->name,
		    strerror(errno));
		return -1;
	}
	sha256_hex(digest, p->sha256);
	return 0;
}

int
backup_manifest_write(int dirfd, const struct backup_manifest *m,
    char *err, size_t errlen)
{
	struct buf	text;
	yajl_gen	g;
	size_t		i;
	int		rc = -1;

	buf_init(&text, BACKUP_MANIFEST_MAX);
	if ((g = json_gen_new()) == NULL ||
	    yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "format", m->format) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "tenantd_version", m->tenantd_version) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "schema_level", m->schema_level) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", m->created_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "tenants_member", m->tenants_member) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "archive_member", m->archive_member) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "parts") != yajl_gen_status_ok ||
	    yajl_gen_map_open(g) != yajl_gen_status_ok)
		goto failed;
	for (i = 0; i < BACKUP_PART_COUNT; i++) {
		if (json_gen_key(g, m->parts[i].name) != yajl_gen_status_ok ||
		    yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "bytes", (long long)m->parts[i].bytes) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "sha256", m->parts[i].sha256) !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto failed;
	}
	if (yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, &text) == -1 || buf_append_char(&text, '\n') == -1)
		goto failed;
	if (file_write_atomic(dirfd, BACKUP_MANIFEST, text.data, text.len,
	    0600) == -1) {
		error_set(err, errlen, "cannot write %s: %s", BACKUP_MANIFEST,
		    strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
failed:
	error_set(err, errlen, "cannot write %s: out of memory",
	    BACKUP_MANIFEST);
out:
	if (g != NULL)
		yajl_gen_free(g);
	buf_release(&text);
	return rc;
}

/*
 * Copies string member `key` of `obj` into `out` (of `size` bytes).
 * Returns 0, or -1 when it is missing, not a string, empty or too long.
 */
static int
member_string(const struct json_value *obj, const char *key, char *out,
    size_t size)
{
	const struct json_value	*v = json_object_get(obj, key);

	if (v == NULL || v->type != JSON_STRING || v->len == 0 ||
	    v->len >= size || memchr(v->text, '\0', v->len) != NULL)
		return -1;
	memcpy(out, v->text, v->len + 1);
	return 0;
}

/* Integer member `key` of `obj` in [min, max] into `*out`: 0, or -1. */
static int
member_int(const struct json_value *obj, const char *key, int64_t min,
    int64_t max, int64_t *out)
{
	const struct json_value	*v = json_object_get(obj, key);

	if (v == NULL || v->type != JSON_NUMBER)
		return -1;
	return json_number_int64(v, min, max, out);
}

/*
 * Whether `path` may name a directory inside the tar: relative, no empty,
 * "." or ".." segment.  1 or 0.
 */
static int
member_path_ok(const char *path)
{
	const char	*seg = path, *end;
	size_t		 len;

	if (path[0] == '/')
		return 0;
	for (;;) {
		end = strchr(seg, '/');
		len = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (end == NULL)
			return 1;
		seg = end + 1;
	}
}

/* Whether `s` is 64 lowercase hex digits: 1 or 0. */
static int
is_sha256_hex(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

/*
 * Fills the parts of `m` from the "parts" object `parts`.  Returns 0, or
 * -1 with a message.
 */
static int
parts_read(const struct json_value *parts, struct backup_manifest *m,
    char *err, size_t errlen)
{
	const struct json_value	*p;
	int64_t			 bytes;
	size_t			 i;

	if (parts == NULL || parts->type != JSON_OBJECT ||
	    parts->count != BACKUP_PART_COUNT) {
		error_set(err, errlen, "%s: \"parts\" must name %d parts",
		    BACKUP_MANIFEST, BACKUP_PART_COUNT);
		return -1;
	}
	for (i = 0; i < BACKUP_PART_COUNT; i++) {
		p = json_object_get(parts, m->parts[i].name);
		if (p == NULL || p->type != JSON_OBJECT ||
		    member_int(p, "bytes", 0, INT64_MAX, &bytes) == -1 ||
		    member_string(p, "sha256", m->parts[i].sha256,
		    sizeof(m->parts[i].sha256)) == -1 ||
		    !is_sha256_hex(m->parts[i].sha256)) {
			error_set(err, errlen, "%s: part %s: needs \"bytes\" "
			    "and \"sha256\"", BACKUP_MANIFEST,
			    m->parts[i].name);
			return -1;
		}
		m->parts[i].bytes = (uint64_t)bytes;
	}
	return 0;
}

int
backup_manifest_read(int dirfd, struct backup_manifest *m, char *err,
    size_t errlen)
{
	struct json_value	*doc = NULL;
	struct buf		 text;
	int64_t			 format, level;
	char			 perr[256];
	int			 fd = -1, rc = -1;

	buf_init(&text, BACKUP_MANIFEST_MAX);
	backup_manifest_init(m);
	fd = openat(dirfd, BACKUP_MANIFEST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			error_set(err, errlen, "no %s: not a complete backup "
			    "(a backup that failed or is still running has "
			    "none)", BACKUP_MANIFEST);
		else
			error_set(err, errlen, "cannot open %s: %s",
			    BACKUP_MANIFEST, strerror(errno));
		goto out;
	}
	if (buf_read_fd(&text, fd) == -1) {
		error_set(err, errlen, "cannot read %s: %s", BACKUP_MANIFEST,
		    errno == ENOBUFS ? "too large" : strerror(errno));
		goto out;
	}
	if ((doc = json_parse(text.data, text.len, perr, sizeof(perr))) ==
	    NULL) {
		error_set(err, errlen, "%s: %s", BACKUP_MANIFEST, perr);
		goto out;
	}
	if (doc->type != JSON_OBJECT ||
	    member_int(doc, "format", 1, INT32_MAX, &format) == -1) {
		error_set(err, errlen, "%s: no \"format\"", BACKUP_MANIFEST);
		goto out;
	}
	if (format != BACKUP_FORMAT) {
		error_set(err, errlen, "%s: format %lld, this tenantctl reads "
		    "format %d", BACKUP_MANIFEST, (long long)format,
		    BACKUP_FORMAT);
		goto out;
	}
	if (member_string(doc, "tenantd_version", m->tenantd_version,
	    sizeof(m->tenantd_version)) == -1 ||
	    member_int(doc, "schema_level", 0, 9999, &level) == -1 ||
	    member_string(doc, "created_at", m->created_at,
	    sizeof(m->created_at)) == -1 ||
	    member_string(doc, "tenants_member", m->tenants_member,
	    sizeof(m->tenants_member)) == -1 ||
	    member_string(doc, "archive_member", m->archive_member,
	    sizeof(m->archive_member)) == -1 ||
	    !member_path_ok(m->tenants_member) ||
	    !member_path_ok(m->archive_member)) {
		error_set(err, errlen, "%s: a member is missing or malformed "
		    "(tenantd_version, schema_level, created_at, "
		    "tenants_member, archive_member)", BACKUP_MANIFEST);
		goto out;
	}
	m->schema_level = (int)level;
	if (parts_read(json_object_get(doc, "parts"), m, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	json_free(doc);
	if (fd != -1)
		close(fd);
	buf_release(&text);
	return rc;
}

int
backup_manifest_verify(int dirfd, const struct backup_manifest *m,
    char *err, size_t errlen)
{
	struct backup_part	found;
	size_t			i;

	for (i = 0; i < BACKUP_PART_COUNT; i++) {
		memset(&found, 0, sizeof(found));
		found.name = m->parts[i].name;
		if (backup_part_measure(dirfd, &found, err, errlen) == -1)
			return -1;
		if (found.bytes != m->parts[i].bytes ||
		    strcmp(found.sha256, m->parts[i].sha256) != 0) {
			error_set(err, errlen, "%s is damaged: %llu bytes, "
			    "SHA-256 %.12s..., the manifest says %llu bytes, "
			    "%.12s...", found.name,
			    (unsigned long long)found.bytes, found.sha256,
			    (unsigned long long)m->parts[i].bytes,
			    m->parts[i].sha256);
			return -1;
		}
	}
	return 0;
}
