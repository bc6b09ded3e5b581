/*
 * template_files.c - a stored template version's files split by its web
 * root (struct template_files, template_files.h): what a deploy puts in
 * public/ and beside it, and what health and fsck judge a tenant's
 * folder against.  template_store_load() reads a version from the store
 * (template_store.c) and splits it.  Called by template.c (which keeps
 * loaded versions for the service, template_files_of(); service.c frees
 * them), fsck.c (the default version's files) and t/unit/deploy.c;
 * deploy.c, health.c and fsck read the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "folder.h"
#include "manifest.h"
#include "template_files.h"
#include "template_meta.h"
#include "template_store.h"

/* Empties `f`. */
void
template_files_init(struct template_files *f)
{
	memset(f, 0, sizeof(*f));
	manifest_init(&f->manifest);
	manifest_init(&f->web);
	manifest_init(&f->source);
}

/*
 * Frees `f`: the borrowed lists own only their arrays, the manifest its
 * paths too.
 */
void
template_files_release(struct template_files *f)
{
	free(f->web.entries);
	free(f->source.entries);
	manifest_release(&f->manifest);
	template_files_init(f);
}

/* Is top-level name `name` (`len` bytes) one a tenant folder keeps? */
static int
reserved_top_name(const struct template_files *f, const char *name,
    size_t len)
{
	static const char *const reserved[] = TEMPLATE_RESERVED_NAMES;
	size_t	i;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == len &&
		    memcmp(reserved[i], name, len) == 0)
			return 1;
	if (len == strlen(FOLDER_PUBLIC_DIR) &&
	    memcmp(name, FOLDER_PUBLIC_DIR, len) == 0 &&
	    strcmp(f->web_root, FOLDER_PUBLIC_DIR) != 0)
		return 1;
	return len >= 8 && memcmp(name, ".public.", 8) == 0;
}

/* Appends a borrowed copy of `e`, its path from `offset` on, to `m`. */
static int
borrow_entry(struct manifest *m, const struct manifest_entry *e,
    size_t offset, size_t capacity)
{
	if (m->entries == NULL &&
	    (m->entries = calloc(capacity, sizeof(*m->entries))) == NULL)
		return -1;
	m->entries[m->count] = *e;
	m->entries[m->count].path = e->path + offset;
	m->count++;
	m->total_bytes += e->size;
	return 0;
}

/* Splits a version's files by its web root (template_files.h). */
int
template_files_split(struct template_files *f, char *err, size_t errlen)
{
	const struct manifest_entry	*e;
	const char			*segment;
	size_t				 i, root_len, capacity, top_len;

	root_len = strlen(f->web_root);
	capacity = f->manifest.count > 0 ? f->manifest.count : 1;
	for (segment = f->web_root; root_len > 0; segment++) {
		if (segment[0] == '.') {
			error_set(err, errlen, "web_root %s: a directory "
			    "starting with '.' is never served", f->web_root);
			return -1;
		}
		if ((segment = strchr(segment, '/')) == NULL)
			break;
	}
	for (i = 0; i < f->manifest.count; i++) {
		e = &f->manifest.entries[i];
		if (root_len == 0) {
			if (borrow_entry(&f->web, e, 0, capacity) == -1)
				goto no_memory;
			continue;
		}
		if (strncmp(e->path, f->web_root, root_len) == 0 &&
		    e->path[root_len] == '/') {
			if (borrow_entry(&f->web, e, root_len + 1,
			    capacity) == -1)
				goto no_memory;
			continue;
		}
		top_len = strcspn(e->path, "/");
		if (reserved_top_name(f, e->path, top_len)) {
			error_set(err, errlen, "%s: outside the web root, this "
			    "name is the tenant folder's own", e->path);
			return -1;
		}
		if (top_len == 12 && memcmp(e->path, "package.json", 12) == 0) {
			if (e->path[top_len] == '/') {
				error_set(err, errlen, "%s: package.json must "
				    "be a file", e->path);
				return -1;
			}
			f->package_json = e;
			continue;
		}
		if (borrow_entry(&f->source, e, 0, capacity) == -1)
			goto no_memory;
	}
	if (root_len > 0 && f->web.count == 0) {
		error_set(err, errlen, "web_root %s holds no files",
		    f->web_root);
		return -1;
	}
	return 0;
no_memory:
	error_set(err, errlen, "out of memory");
	return -1;
}

/* Loads a stored version with its split (template_files.h). */
int
template_store_load(int store_fd, const char *version,
    struct template_files *f, char *err, size_t errlen)
{
	struct template_meta	meta;
	int			tree;

	if (template_store_manifest(store_fd, version, &f->manifest, err,
	    errlen) == -1)
		return -1;
	if ((tree = template_store_tree(store_fd, version)) == -1) {
		error_set(err, errlen, "template version %s: cannot open its "
		    "files: %s", version, strerror(errno));
		goto fail;
	}
	if (template_meta_read_at(&meta, tree, err, errlen) == -1) {
		close(tree);
		goto fail;
	}
	close(tree);
	snprintf(f->web_root, sizeof(f->web_root), "%s", meta.web_root);
	if (template_files_split(f, err, errlen) == 0)
		return 0;
fail:
	template_files_release(f);
	return -1;
}
