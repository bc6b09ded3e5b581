/*
 * tenant_archive.h - the archive of one tenant (SPEC 13): its format, and
 * the reader that refuses whatever a hostile archive may hold.
 *
 * An archive is a tar (POSIX pax) compressed with zstd, whose entries are,
 * in this order:
 *
 *     tenant.json          the tenant: TENANT_ARCHIVE_FORMAT, its fields,
 *                          enabled modules, logo, domains, template version
 *     files/<path>         the tenant's own files, <path> relative to its
 *                          folder: config.json, package.json, .env.local,
 *                          public/<logo> and every file of public/ or of
 *                          the template's files outside it that is not the
 *                          template version's file unchanged
 *     template/<path>      with --with-template only: every file of the
 *                          template version, <path> as its manifest names
 *                          it, so an instance that lacks the version can
 *                          store it
 *
 * tenant.json:
 *
 *     {"format": 1,
 *      "id": 7,                            (the exported row's id)
 *      "tenant": {"name": "Acme", "subdomain": "acme",
 *                 "contact_email": "", "primary_color": "#3498db",
 *                 "secondary_color": "#2ecc71",
 *                 "module_keys": ["employees", "wallet"]},
 *      "logo": "logo.png",                 (or null)
 *      "domains": [{"domain": "hr.acme.com", "status": "active"}],
 *      "template_version": "0123456789ab", (or null: never deployed)
 *      "template_embedded": false}
 *
 * "tenant" is what a create request sends (tenant_input.h checks it the
 * same way); "module_keys" are the enabled modules.  An import keeps "id"
 * when no tenant of the instance has it, so config.json comes back the
 * same.
 *
 * The reader takes the archive in one pass with bounded memory: tenant.json
 * (at most TENANT_ARCHIVE_META_MAX bytes) is collected and handed to the
 * caller before any other entry, so the caller validates it first; every
 * other file is streamed to the caller's sink block by block.  Refused,
 * with a message naming the entry: a first entry other than tenant.json,
 * a name outside files/ and template/, an absolute path, "..", ".", an
 * empty segment or any other name manifest_path_valid() refuses, a
 * symlink, hard link, device, FIFO or socket, an entry given twice, more
 * than TENANT_ARCHIVE_MAX_ENTRIES entries, more than
 * TENANT_ARCHIVE_MAX_BYTES unpacked (counted as the bytes are read, never
 * taken from a header), a compression other than zstd, and whatever
 * libarchive finds damaged or truncated.  Directory entries are accepted
 * and skipped (a file's directories are made for it).
 *
 * Return convention: enum result: RESULT_OK; RESULT_INVALID with the
 * problem in `err` (a 400); RESULT_NO_MEMORY; RESULT_FAILED when the
 * sink failed (its message in `err`).
 */
#ifndef TENANTD_TENANT_ARCHIVE_H
#define TENANTD_TENANT_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "domain_name.h"
#include "result.h"

#define TENANT_ARCHIVE_FORMAT		1
#define TENANT_ARCHIVE_META		"tenant.json"
#define TENANT_ARCHIVE_FILES		"files/"
#define TENANT_ARCHIVE_TEMPLATE		"template/"
#define TENANT_ARCHIVE_MAX_ENTRIES	10000
#define TENANT_ARCHIVE_MAX_BYTES	((uint64_t)256 * 1024 * 1024)
#define TENANT_ARCHIVE_META_MAX		(1024 * 1024)
#define TENANT_ARCHIVE_MAX_DOMAINS	100
/*
 * The largest "id" accepted: an import that keeps it moves the instance's
 * id counter past it, so an archive must not push the counter near the
 * column's end (nor past the integers JavaScript holds exactly).
 */
#define TENANT_ARCHIVE_MAX_ID		((int64_t)1 << 40)

/*
 * The files at the top of a tenant folder an archive carries in files/:
 * derived from the row and the template, so an import renders them anew.
 */
#define TENANT_ARCHIVE_DERIVED_FILES \
	{ "config.json", "package.json", ".env.local" }

struct json_value;

enum tenant_archive_area {
	TENANT_ARCHIVE_AREA_FILES,	/* files/ */
	TENANT_ARCHIVE_AREA_TEMPLATE	/* template/ */
};

/*
 * Where the reader hands what it reads; each function returns 0, or -1
 * with a message in `err` (which stops the read).  `meta` gets tenant.json
 * whole; `open` starts a file at `path` (relative to its area, valid by
 * manifest_path_valid()), `write` gives it its bytes in order, `close`
 * ends it.
 */
struct tenant_archive_sink {
	int	(*meta)(void *arg, const char *text, size_t len, char *err,
		    size_t errlen);
	int	(*open)(void *arg, enum tenant_archive_area area,
		    const char *path, char *err, size_t errlen);
	int	(*write)(void *arg, const void *data, size_t len, char *err,
		    size_t errlen);
	int	(*close)(void *arg, char *err, size_t errlen);
	void	*arg;
};

/* Where an archive is read from: an open descriptor, or bytes in memory. */
struct tenant_archive_source {
	int		 fd;		/* -1: read `data` */
	const void	*data;
	size_t		 len;
};

/*
 * Reads the archive of `src` (a descriptor is read from where it stands),
 * handing it to `sink`.  See above.
 */
enum result tenant_archive_read(const struct tenant_archive_source *src,
	    const struct tenant_archive_sink *sink, char *err, size_t errlen);

/* One custom domain of tenant.json. */
struct tenant_archive_domain {
	char	name[DOMAIN_NAME_MAX + 1];
	int	active;
};

/*
 * tenant.json as read.  Ownership: `root` is the parsed tree (json_free()
 * in tenant_archive_meta_release()); `tenant` points into it; `domains`
 * is the struct's own array.
 */
struct tenant_archive_meta {
	struct json_value		*root;
	int64_t				 id;		/* 0: none given */
	const struct json_value		*tenant;	/* the "tenant" object */
	char				 logo[33];	/* "" for none */
	char				 template_version[16]; /* "" for none */
	int				 template_embedded;
	struct tenant_archive_domain	*domains;
	size_t				 domain_count;
};

void	tenant_archive_meta_init(struct tenant_archive_meta *m);
void	tenant_archive_meta_release(struct tenant_archive_meta *m);

/*
 * Parses tenant.json (`len` bytes at `text`) into `m` (initialised),
 * checking the format version, the type of every member and that no
 * unknown member is there; the "tenant" object's fields are left to
 * tenant_input_read().  Returns RESULT_OK, RESULT_INVALID with the problem
 * in `err`, or RESULT_NO_MEMORY.
 */
enum result tenant_archive_meta_parse(struct tenant_archive_meta *m,
	    const char *text, size_t len, char *err, size_t errlen);

#endif
