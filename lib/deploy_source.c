/*
 * deploy_source.c - the files of a template version outside its web root,
 * updated in place beside public/ (the rules are in deploy_source.h).
 * Called by deploy_tenant() after public/ is swapped; what the tenant
 * changed is judged by deploy_passes.c's deploy_tenant_changed().
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy_record.h"
#include "deploy_source.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "random.h"
#include "tenant.h"

/* A file is replaced through this name in its own directory. */
#define REPLACEMENT_PREFIX	".tenantd-new-"
#define RANDOM_HEX_LEN		16

/*
 * Puts stored file number `i` at `leaf` of `parent` (the tenant's
 * directory), replacing what is there when `replace`: a hard link to the
 * stored file (or a copy, as put_template_file() decides), made under a
 * temporary name and renamed over the old file, so the name always holds
 * a whole file.  Returns 0 or -1 (with src->err set).
 */
static int
put_file(struct deploy_run *src, size_t i, int parent, const char *leaf,
    int replace)
{
	const struct manifest_entry	*e = &src->m->entries[i];
	const char			*from_leaf, *target = leaf;
	char				 temp[NAME_MAX + 1], hex[RANDOM_HEX_LEN + 1];
	struct stat			 st;
	int				 from;

	if ((from = dir_cursor_parent(&src->template_cursor, e->path,
	    &from_leaf)) == -1 || fstatat(from, from_leaf, &st,
	    AT_SYMLINK_NOFOLLOW) == -1)
		return deploy_run_error(src, "stored template file %s: %s; run"
		    " tenantctl fsck", e->path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size)
		return deploy_run_error(src, "stored template file %s does not"
		    " match its manifest; run tenantctl fsck", e->path);
	if (replace) {
		random_hex(hex, RANDOM_HEX_LEN / 2);
		snprintf(temp, sizeof(temp), "%s%s", REPLACEMENT_PREFIX, hex);
		target = temp;
	}
	if (src->link_files && linkat(from, from_leaf, parent, target,
	    0) == 0) {
		deploy_note_written(src, i, &st);
		src->report->files_linked++;
	} else {
		if (src->link_files && errno != EXDEV && errno != EPERM &&
		    errno != EMLINK)
			return deploy_run_error(src, "could not link %s: %s",
			    e->path, strerror(errno));
		if (deploy_copy_template_file(src, i, from, from_leaf, parent,
		    target) == -1)
			return -1;
	}
	if (replace && renameat(parent, target, parent, leaf) == -1) {
		deploy_run_error(src, "could not replace %s: %s", e->path,
		    strerror(errno));
		unlinkat(parent, target, 0);
		src->written[i].valid = 0;
		return -1;
	}
	return 0;
}

/*
 * Brings source file number `i` up to the version: left alone when it is
 * the stored file already, put in place when missing or outdated, kept
 * (and reported) when the tenant changed it and the deploy does not
 * force.  Returns 0 or -1.
 */
static int
update_file(struct deploy_run *src, size_t i, struct dir_cursor *folder)
{
	const struct manifest_entry	*e = &src->m->entries[i];
	struct deploy_report		*report = src->report;
	const char			*leaf, *from_leaf;
	struct stat			 st, stored;
	int				 parent, from, changed;

	if ((parent = dir_cursor_parent(folder, e->path, &leaf)) == -1)
		return deploy_run_error(src, "could not make the directory of "
		    "%s: %s", e->path, strerror(errno));
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			return deploy_run_error(src, "%s: %s", e->path,
			    strerror(errno));
		return put_file(src, i, parent, leaf, 0);
	}
	if (S_ISDIR(st.st_mode)) {
		log_warning("deploy of %s: %s is a directory of the tenant's; "
		    "the template's file is left out", src->t->subdomain,
		    e->path);
		return 0;
	}
	if ((from = dir_cursor_parent(&src->template_cursor, e->path,
	    &from_leaf)) != -1 && fstatat(from, from_leaf, &stored,
	    AT_SYMLINK_NOFOLLOW) == 0 && stored.st_ino == st.st_ino &&
	    stored.st_dev == st.st_dev) {
		deploy_note_written(src, i, &st);
		report->files_linked++;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return put_file(src, i, parent, leaf, 1);
	if ((changed = deploy_tenant_changed(src, e)) == -1)
		return deploy_run_error(src, "cannot read %s: %s", e->path,
		    strerror(errno));
	if (changed && !src->force) {
		if (report->files_kept < DEPLOY_REPORT_MAX_KEPT)
			snprintf(report->kept[report->files_kept],
			    sizeof(report->kept[0]), "%s", e->path);
		report->files_kept++;
		return 0;
	}
	if (changed)
		report->files_replaced++;
	return put_file(src, i, parent, leaf, 1);
}

/*
 * Removes `path`'s empty parent directories below the tenant folder, from
 * the deepest up; a directory that is not empty ends the walk.
 */
static void
remove_empty_parents(int folder, const char *path)
{
	char	dir[MANIFEST_PATH_MAX + 1];
	char	*slash;

	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (unlinkat(folder, dir, AT_REMOVEDIR) == -1)
			return;
	}
}

/*
 * Removes the files the previous version deployed outside the web root
 * that the new one lacks, when they are still as deployed (a file the
 * tenant changed stays), and the directories that leaves empty.  A file
 * that cannot be removed is logged: the deploy itself is done.
 */
static void
remove_dropped(struct deploy_run *src)
{
	const struct deploy_record_entry	*e;
	const char				*leaf;
	struct stat				 st;
	size_t					 i;
	int					 parent;

	for (i = 0; i < src->record.count; i++) {
		e = &src->record.entries[i];
		if (manifest_find(src->m, e->path) != NULL)
			continue;
		if ((parent = dir_cursor_parent(&src->old_cursor, e->path,
		    &leaf)) == -1 || fstatat(parent, leaf, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != e->inode ||
		    (uint64_t)st.st_size != e->size)
			continue;
		if (unlinkat(parent, leaf, 0) == -1) {
			log_warning("deploy of %s: could not remove %s of the "
			    "previous template version: %s",
			    src->t->subdomain, e->path, strerror(errno));
			continue;
		}
		dir_cursor_close(&src->old_cursor);
		remove_empty_parents(src->folder, e->path);
	}
}

/* Puts the source files in place (deploy_source.h). */
int
deploy_source(struct deploy_run *web, const struct manifest *source,
    int tree, int sync)
{
	struct deploy_run	src;
	struct dir_cursor	folder;
	size_t			i;
	int			rc = -1;

	memset(&src, 0, sizeof(src));
	src.svc = web->svc;
	src.t = web->t;
	src.m = source;
	src.version = web->version;
	src.force = web->force;
	src.link_files = web->link_files;
	src.is_source = 1;
	src.area = "";
	src.report = web->report;
	src.err = web->err;
	src.errlen = web->errlen;
	/* Borrowed from the deploy of public/. */
	src.folder = web->folder;
	src.template_dir = tree;
	src.old_public = web->folder;
	src.staging_fd = -1;
	dir_cursor_init(&src.template_cursor, tree, DIR_CURSOR_OPEN);
	dir_cursor_init(&src.old_cursor, web->folder, DIR_CURSOR_OPEN);
	dir_cursor_init(&src.staging_cursor, -1, DIR_CURSOR_MAKE);
	dir_cursor_init(&folder, web->folder, DIR_CURSOR_FILL);
	if (deploy_record_load(src.folder, DEPLOY_SOURCE_RECORD_FILE,
	    src.t->subdomain, &src.record) == -1 ||
	    (src.written = calloc(source->count > 0 ? source->count : 1,
	    sizeof(src.written[0]))) == NULL) {
		deploy_run_error(&src, "out of memory");
		goto out;
	}
	for (i = 0; i < source->count; i++) {
		if (update_file(&src, i, &folder) == -1)
			goto out;
		if (web->progress != NULL && web->progress(web->progress_arg,
		    ++web->done, web->total) != 0) {
			deploy_run_error(&src, "the deploy was cancelled");
			goto out;
		}
	}
	remove_dropped(&src);
	/* The links are metadata: one flush makes them durable. */
	if (sync && syncfs(src.folder) == -1) {
		deploy_run_error(&src, "could not flush the files: %s",
		    strerror(errno));
		goto out;
	}
	if (source->count > 0)
		deploy_record_write(src.folder, DEPLOY_SOURCE_RECORD_FILE,
		    src.t->subdomain, source, src.written, NULL, sync);
	else if (unlinkat(src.folder, DEPLOY_SOURCE_RECORD_FILE, 0) == -1 &&
	    errno != ENOENT)
		log_warning("deploy of %s: could not remove %s: %s",
		    src.t->subdomain, DEPLOY_SOURCE_RECORD_FILE,
		    strerror(errno));
	rc = 0;
out:
	dir_cursor_close(&folder);
	dir_cursor_close(&src.template_cursor);
	dir_cursor_close(&src.old_cursor);
	free(src.written);
	deploy_record_release(&src.record);
	return rc;
}
