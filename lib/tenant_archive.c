/*
 * tenant_archive.c - the reader of a tenant's archive and the parser of its
 * tenant.json (see tenant_archive.h for the format and what is refused).
 *
 * libarchive does the tar and zstd work; everything it hands over is
 * judged here before the caller's sink sees it.  Memory stays bounded
 * whatever the archive claims: entries are read in fixed blocks, the
 * bytes are counted as they arrive (a header's size is only used to
 * refuse early), and the names seen are kept as SHA-256 digests in a
 * table of fixed size, so a duplicate is found however long the names.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "manifest.h"
#include "provision.h"
#include "template_store.h"
#include "tenant_archive.h"

#define READ_BLOCK		(64 * 1024)
/* Twice the entries, a power of two: the table of names seen. */
#define SEEN_SLOTS		32768
#define DIGEST_BYTES		32
#define SHOWN_MAX		96	/* of a name in a message */

/* The state of one read. */
struct reader {
	struct archive			*a;
	const struct tenant_archive_sink *sink;
	unsigned char			(*seen)[DIGEST_BYTES];
	unsigned char			*used;
	size_t				 entries;
	uint64_t			 bytes;
	char				*err;
	size_t				 errlen;
};

/*
 * Records `path` as seen.  Returns 0, 1 when it was seen before, or -1
 * when the table is full (never: it holds twice the entries allowed).
 */
static int
seen_add(struct reader *r, const char *path)
{
	unsigned char	digest[DIGEST_BYTES];
	size_t		slot, i;

	crypto_hash_sha256(digest, (const unsigned char *)path, strlen(path));
	memcpy(&slot, digest, sizeof(slot));
	for (i = 0; i < SEEN_SLOTS; i++) {
		slot = (slot + 1) & (SEEN_SLOTS - 1);
		if (!r->used[slot]) {
			r->used[slot] = 1;
			memcpy(r->seen[slot], digest, DIGEST_BYTES);
			return 0;
		}
		if (memcmp(r->seen[slot], digest, DIGEST_BYTES) == 0)
			return 1;
	}
	return -1;
}

/*
 * Why `path` (an entry's name with its area's prefix removed) is no name
 * a file may have in an archive, or NULL when it is fine.
 */
static const char *
path_problem(const char *path)
{
	const char	*segment, *end, *problem;

	if (path[0] == '/')
		return "absolute path";
	for (segment = path;; segment = end + 1) {
		end = strchr(segment, '/');
		if (end == NULL)
			end = segment + strlen(segment);
		if (end - segment == 2 && memcmp(segment, "..", 2) == 0)
			return "\"..\" in the path";
		if ((problem = template_name_check(segment,
		    (size_t)(end - segment))) != NULL)
			return problem;
		if (*end == '\0')
			break;
	}
	return manifest_path_valid(path) ? NULL : "path too long";
}

/*
 * Writes what a message may show of entry name `name` into `out`: at most
 * SHOWN_MAX bytes, every byte that is not printable ASCII as '?', since
 * the name may be anything.
 */
static void
shown_name(const char *name, char out[SHOWN_MAX + 4])
{
	size_t	i;

	for (i = 0; name[i] != '\0' && i < SHOWN_MAX; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	memcpy(out + i, name[i] != '\0' ? "..." : "", name[i] != '\0' ? 4 : 1);
}

/* The kind of a refused entry type, for the message. */
static const char *
type_name(mode_t type)
{
	switch (type) {
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device";
	case AE_IFIFO:
		return "a FIFO";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "an entry of unknown type";
	}
}

/* Refuses the archive with a message; returns RESULT_INVALID. */
static enum result refuse(struct reader *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

static enum result
refuse(struct reader *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	if (r->errlen > 0)
		vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return RESULT_INVALID;
}

/* libarchive's reason for a failed call, as a refusal of the archive. */
static enum result
damaged(struct reader *r)
{
	const char	*why = archive_error_string(r->a);

	if (archive_errno(r->a) == ENOMEM)
		return RESULT_NO_MEMORY;
	error_set(r->err, r->errlen, "damaged archive: %s",
	    why != NULL ? why : "unreadable");
	return RESULT_INVALID;
}

/* Is the archive compressed with zstd and nothing else?  1 or 0. */
static int
zstd_only(struct archive *a)
{
	int	i, count, zstd = 0;

	count = archive_filter_count(a);
	for (i = 0; i < count; i++) {
		if (archive_filter_code(a, i) == ARCHIVE_FILTER_ZSTD)
			zstd++;
		else if (archive_filter_code(a, i) != ARCHIVE_FILTER_NONE)
			return 0;
	}
	return zstd == 1;
}

/*
 * Reads the data of the current entry, `declared` bytes by its header (or
 * -1 when unknown), block by block into `block`: into `meta` for
 * tenant.json, else to the sink.  Returns RESULT_OK or the refusal.
 */
static enum result
read_data(struct reader *r, const char *name, int64_t declared,
    struct buf *meta, char *block)
{
	la_ssize_t	n;

	if (declared > 0 && (uint64_t)declared >
	    TENANT_ARCHIVE_MAX_BYTES - r->bytes)
		return refuse(r, "%s: %s", name, "more than 256 MiB unpacked");
	for (;;) {
		n = archive_read_data(r->a, block, READ_BLOCK);
		if (n < 0)
			return damaged(r);
		if (n == 0)
			return RESULT_OK;
		if ((uint64_t)n > TENANT_ARCHIVE_MAX_BYTES - r->bytes)
			return refuse(r, "%s: %s", name,
			    "more than 256 MiB unpacked");
		r->bytes += (uint64_t)n;
		if (meta != NULL) {
			if (buf_append(meta, block, (size_t)n) == -1)
				return refuse(r, "%s: %s", name,
				    "larger than 1 MiB");
		} else if (r->sink->write(r->sink->arg, block, (size_t)n,
		    r->err, r->errlen) == -1)
			return RESULT_FAILED;
	}
}

/*
 * Judges the entry `e` (the `index`th, from 0) and hands it over.
 * Returns RESULT_OK or the refusal.
 */
static enum result
read_entry(struct reader *r, struct archive_entry *e, size_t index,
    struct buf *meta, char *block)
{
	char			 path[MANIFEST_PATH_MAX + 16];
	char			 shown[SHOWN_MAX + 4];
	const char		*name, *rest, *problem;
	enum tenant_archive_area area;
	mode_t			 type;
	size_t			 len;
	enum result		 status;

	if ((name = archive_entry_pathname_utf8(e)) == NULL &&
	    (name = archive_entry_pathname(e)) == NULL)
		return refuse(r, "an entry without a name");
	shown_name(name, shown);
	if ((len = strlen(name)) >= sizeof(path))
		return refuse(r, "%s: %s", shown, "path too long");
	memcpy(path, name, len + 1);
	type = archive_entry_filetype(e);
	if (archive_entry_hardlink(e) != NULL)
		return refuse(r, "%s: %s", shown, "hard links are not allowed");
	if (type != AE_IFREG && type != AE_IFDIR)
		return refuse(r, "%s: %s is not allowed", shown, type_name(type));
	if (type == AE_IFDIR && len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (path[0] == '/')
		return refuse(r, "%s: %s", shown, "absolute path");
	if (index == 0 && (type != AE_IFREG ||
	    strcmp(path, TENANT_ARCHIVE_META) != 0))
		return refuse(r, "%s: %s", shown,
		    "the first entry must be " TENANT_ARCHIVE_META);
	if (index == 0) {
		if ((status = read_data(r, shown, archive_entry_size_is_set(e) ?
		    archive_entry_size(e) : -1, meta, block)) != RESULT_OK)
			return status;
		if (r->sink->meta(r->sink->arg, meta->data, meta->len, r->err,
		    r->errlen) == -1)
			return RESULT_INVALID;
		return RESULT_OK;
	}
	if (strncmp(path, TENANT_ARCHIVE_FILES,
	    strlen(TENANT_ARCHIVE_FILES)) == 0) {
		area = TENANT_ARCHIVE_AREA_FILES;
		rest = path + strlen(TENANT_ARCHIVE_FILES);
	} else if (strncmp(path, TENANT_ARCHIVE_TEMPLATE,
	    strlen(TENANT_ARCHIVE_TEMPLATE)) == 0) {
		area = TENANT_ARCHIVE_AREA_TEMPLATE;
		rest = path + strlen(TENANT_ARCHIVE_TEMPLATE);
	} else if (type == AE_IFDIR && (strcmp(path, "files") == 0 ||
	    strcmp(path, "template") == 0))
		return RESULT_OK;
	else
		return refuse(r, "%s: %s", shown, strcmp(path,
		    TENANT_ARCHIVE_META) == 0 ? "given twice" :
		    "not under files/ or template/");
	if ((problem = path_problem(rest)) != NULL)
		return refuse(r, "%s: %s", shown, problem);
	switch (seen_add(r, path)) {
	case 0:
		break;
	case 1:
		return refuse(r, "%s: %s", shown, "given twice");
	default:
		return refuse(r, "%s: %s", shown, "too many entries");
	}
	if (type == AE_IFDIR)
		return RESULT_OK;
	if (r->sink->open(r->sink->arg, area, rest, r->err, r->errlen) == -1)
		return RESULT_FAILED;
	status = read_data(r, shown, archive_entry_size_is_set(e) ?
	    archive_entry_size(e) : -1, NULL, block);
	if (r->sink->close(r->sink->arg, r->err, r->errlen) == -1 &&
	    status == RESULT_OK)
		status = RESULT_FAILED;
	return status;
}

/* Reads every entry of the opened archive `r->a`. */
static enum result
read_entries(struct reader *r)
{
	struct archive_entry	*e;
	struct buf		 meta;
	char			*block;
	enum result		 status = RESULT_NO_MEMORY;
	int			 rc;

	buf_init(&meta, TENANT_ARCHIVE_META_MAX);
	if ((block = malloc(READ_BLOCK)) == NULL)
		goto out;
	for (r->entries = 0;; r->entries++) {
		rc = archive_read_next_header(r->a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			status = damaged(r);
			goto out;
		}
		if (!zstd_only(r->a)) {
			error_set(r->err, r->errlen, "not a zstd-compressed "
			    "tar archive");
			status = RESULT_INVALID;
			goto out;
		}
		if (r->entries >= TENANT_ARCHIVE_MAX_ENTRIES) {
			error_set(r->err, r->errlen, "more than %d entries",
			    TENANT_ARCHIVE_MAX_ENTRIES);
			status = RESULT_INVALID;
			goto out;
		}
		status = read_entry(r, e, r->entries, &meta, block);
		if (status != RESULT_OK)
			goto out;
	}
	if (r->entries == 0) {
		error_set(r->err, r->errlen, "empty archive: no "
		    TENANT_ARCHIVE_META);
		status = RESULT_INVALID;
		goto out;
	}
	status = RESULT_OK;
out:
	free(block);
	buf_release(&meta);
	return status;
}

/*
 * Sets up reader `r` for `sink`: a libarchive reader of zstd-compressed
 * tar only, and the table of names.  Returns RESULT_OK or
 * RESULT_NO_MEMORY.
 */
static enum result
reader_init(struct reader *r, const struct tenant_archive_sink *sink,
    char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->sink = sink;
	r->err = err;
	r->errlen = errlen;
	r->seen = calloc(SEEN_SLOTS, sizeof(r->seen[0]));
	r->used = calloc(SEEN_SLOTS, 1);
	r->a = archive_read_new();
	if (r->seen == NULL || r->used == NULL || r->a == NULL ||
	    archive_read_support_filter_zstd(r->a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(r->a) != ARCHIVE_OK) {
		error_set(err, errlen, "out of memory");
		return RESULT_NO_MEMORY;
	}
	return RESULT_OK;
}

/* Frees what reader_init() made. */
static void
reader_release(struct reader *r)
{
	if (r->a != NULL)
		archive_read_free(r->a);
	free(r->seen);
	free(r->used);
}

/* See tenant_archive.h. */
enum result
tenant_archive_read(const struct tenant_archive_source *src,
    const struct tenant_archive_sink *sink, char *err, size_t errlen)
{
	struct reader	r;
	enum result	status;
	int		rc;

	if ((status = reader_init(&r, sink, err, errlen)) != RESULT_OK)
		goto out;
	rc = src->fd != -1 ? archive_read_open_fd(r.a, src->fd, READ_BLOCK) :
	    archive_read_open_memory(r.a, src->data, src->len);
	if (rc != ARCHIVE_OK) {
		status = damaged(&r);
		goto out;
	}
	status = read_entries(&r);
out:
	reader_release(&r);
	return status;
}

/* --- tenant.json ---------------------------------------------------------- */

void
tenant_archive_meta_init(struct tenant_archive_meta *m)
{
	memset(m, 0, sizeof(*m));
}

void
tenant_archive_meta_release(struct tenant_archive_meta *m)
{
	json_free(m->root);
	free(m->domains);
	tenant_archive_meta_init(m);
}

/* Refuses member `key` of tenant.json; returns RESULT_INVALID. */
static enum result
meta_refuse(char *err, size_t errlen, const char *key, const char *why)
{
	error_set(err, errlen, TENANT_ARCHIVE_META ": %s %s", key, why);
	return RESULT_INVALID;
}

/* Reads the "domains" array `v` into m->domains. */
static enum result
meta_domains(struct tenant_archive_meta *m, const struct json_value *v,
    char *err, size_t errlen)
{
	const struct json_value	*name, *status;
	size_t			 i;

	if (v->type != JSON_ARRAY)
		return meta_refuse(err, errlen, "domains", "must be an array");
	if (v->count > TENANT_ARCHIVE_MAX_DOMAINS)
		return meta_refuse(err, errlen, "domains", "holds too many");
	if (v->count == 0)
		return RESULT_OK;
	if ((m->domains = calloc(v->count, sizeof(m->domains[0]))) == NULL)
		return RESULT_NO_MEMORY;
	for (i = 0; i < v->count; i++) {
		if (v->items[i]->type != JSON_OBJECT ||
		    v->items[i]->count != 2 ||
		    (name = json_object_get(v->items[i], "domain")) == NULL ||
		    (status = json_object_get(v->items[i], "status")) == NULL ||
		    name->type != JSON_STRING || status->type != JSON_STRING ||
		    name->len > DOMAIN_NAME_MAX || strlen(name->text) != name->len)
			return meta_refuse(err, errlen, "domains", "must be "
			    "objects {\"domain\": <name>, \"status\": ...}");
		if (strcmp(status->text, "active") != 0 &&
		    strcmp(status->text, "pending") != 0)
			return meta_refuse(err, errlen, "domains",
			    "status must be \"active\" or \"pending\"");
		memcpy(m->domains[i].name, name->text, name->len + 1);
		m->domains[i].active = strcmp(status->text, "active") == 0;
		m->domain_count++;
	}
	return RESULT_OK;
}

/* Reads member `key` of `v`, a string of `max` bytes at most or null. */
static enum result
meta_string(const struct json_value *v, const char *key, char *out,
    size_t max, char *err, size_t errlen)
{
	if (v->type == JSON_NULL) {
		out[0] = '\0';
		return RESULT_OK;
	}
	if (v->type != JSON_STRING || v->len == 0 || v->len > max ||
	    strlen(v->text) != v->len)
		return meta_refuse(err, errlen, key, "must be a name or null");
	memcpy(out, v->text, v->len + 1);
	return RESULT_OK;
}

/* See tenant_archive.h. */
enum result
tenant_archive_meta_parse(struct tenant_archive_meta *m, const char *text,
    size_t len, char *err, size_t errlen)
{
	const struct json_value	*v;
	int64_t			 format;
	size_t			 i;
	enum result		 status;
	char			 parse_err[160];

	if ((m->root = json_parse(text, len, parse_err,
	    sizeof(parse_err))) == NULL) {
		if (errno == ENOMEM)
			return RESULT_NO_MEMORY;
		error_set(err, errlen, TENANT_ARCHIVE_META ": %s", parse_err);
		return RESULT_INVALID;
	}
	if (m->root->type != JSON_OBJECT) {
		error_set(err, errlen, TENANT_ARCHIVE_META " must be an object");
		return RESULT_INVALID;
	}
	for (i = 0; i < m->root->count; i++) {
		v = m->root->items[i];
		if (strcmp(m->root->keys[i], "format") == 0) {
			if (v->type != JSON_NUMBER ||
			    json_number_int64(v, 1, 1000, &format) == -1)
				return meta_refuse(err, errlen, "format",
				    "must be a number");
			if (format != TENANT_ARCHIVE_FORMAT)
				return meta_refuse(err, errlen, "format",
				    "is not 1, the format this tenantd reads");
		} else if (strcmp(m->root->keys[i], "id") == 0) {
			if (v->type != JSON_NUMBER || json_number_int64(v, 1,
			    TENANT_ARCHIVE_MAX_ID, &m->id) == -1)
				return meta_refuse(err, errlen, "id",
				    "must be an integer from 1 to 2^40");
		} else if (strcmp(m->root->keys[i], "tenant") == 0) {
			if (v->type != JSON_OBJECT)
				return meta_refuse(err, errlen, "tenant",
				    "must be an object");
			m->tenant = v;
		} else if (strcmp(m->root->keys[i], "logo") == 0) {
			if ((status = meta_string(v, "logo", m->logo,
			    sizeof(m->logo) - 1, err, errlen)) != RESULT_OK)
				return status;
			if (m->logo[0] != '\0' &&
			    !provision_logo_name_valid(m->logo))
				return meta_refuse(err, errlen, "logo",
				    "must be logo.<extension>");
		} else if (strcmp(m->root->keys[i], "domains") == 0) {
			if ((status = meta_domains(m, v, err, errlen)) !=
			    RESULT_OK)
				return status;
		} else if (strcmp(m->root->keys[i], "template_version") == 0) {
			if ((status = meta_string(v, "template_version",
			    m->template_version,
			    sizeof(m->template_version) - 1, err, errlen)) !=
			    RESULT_OK)
				return status;
			if (m->template_version[0] != '\0' &&
			    !template_version_valid(m->template_version))
				return meta_refuse(err, errlen,
				    "template_version", "is not a version");
		} else if (strcmp(m->root->keys[i], "template_embedded") == 0) {
			if (v->type != JSON_BOOL)
				return meta_refuse(err, errlen,
				    "template_embedded", "must be a boolean");
			m->template_embedded = v->boolean;
		} else {
			char	key[JSON_KEY_EXCERPT_SIZE];

			json_key_excerpt(m->root->keys[i], key);
			return meta_refuse(err, errlen, key,
			    "is not a member of format 1");
		}
	}
	if (json_object_get(m->root, "format") == NULL)
		return meta_refuse(err, errlen, "format", "is missing");
	if (m->tenant == NULL)
		return meta_refuse(err, errlen, "tenant", "is missing");
	if (m->template_embedded && m->template_version[0] == '\0')
		return meta_refuse(err, errlen, "template_embedded",
		    "needs a template_version");
	return RESULT_OK;
}
