/*
 * deploy_source.c - the files of a template version outside its web root,
 * deployed beside public/ (the steps and their order are in
 * deploy_source.h).  Called by deploy_tenant(); the passes themselves are
 * deploy_passes.c's, run over the tenant folder instead of public/.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
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

#define RANDOM_HEX_LEN		16

/*
 * Lists the tenant's own entries inside the top-level directories the
 * version's source files use, so they are carried into the staging tree
 * (deploy_scan_directory() skips the template's paths).  Returns 0 or -1.
 */
static int
scan_own_files(struct deploy_run *src)
{
	const struct manifest	*m = src->m;
	const char		*path, *slash;
	char			 top[NAME_MAX + 2];
	size_t			 i, len;
	int			 child;

	for (i = 0; i < m->count; i++) {
		path = m->entries[i].path;
		if ((slash = strchr(path, '/')) == NULL)
			continue;
		len = (size_t)(slash - path);
		/* The paths below one directory follow each other. */
		if (i > 0 && strncmp(m->entries[i - 1].path, path, len + 1) == 0)
			continue;
		if (len > NAME_MAX)
			return deploy_run_error(src, "%.*s: name too long",
			    (int)len, path);
		memcpy(top, path, len);
		top[len] = '\0';
		if ((child = folder_open_dir(src->folder, top)) == -1) {
			if (errno == ENOENT || errno == ENOTDIR ||
			    errno == ELOOP)
				continue;
			return deploy_run_error(src, "%s: %s", top,
			    strerror(errno));
		}
		top[len] = '/';
		top[len + 1] = '\0';
		if (deploy_scan_directory(src, child, top, 1) == -1)
			return -1;
	}
	return 0;
}

/* Builds the staging tree of the source files (deploy_source.h). */
int
deploy_source_build(struct deploy_run *src, struct deploy_run *web,
    const struct manifest *source, int tree)
{
	char	hex[RANDOM_HEX_LEN + 1];

	memset(src, 0, sizeof(*src));
	src->svc = web->svc;
	src->t = web->t;
	src->m = source;
	src->version = web->version;
	src->force = web->force;
	src->link_files = web->link_files;
	src->is_source = 1;
	src->area = "";
	src->progress = web->progress;
	src->progress_arg = web->progress_arg;
	src->report = web->report;
	src->err = web->err;
	src->errlen = web->errlen;
	src->done = web->done;
	src->total = web->total;
	/* Borrowed from the deploy of public/: never closed here. */
	src->folder = web->folder;
	src->template_dir = tree;
	src->old_public = web->folder;
	src->staging_fd = -1;
	dir_cursor_init(&src->template_cursor, tree, 0);
	dir_cursor_init(&src->old_cursor, web->folder, 0);
	dir_cursor_init(&src->staging_cursor, -1, 1);
	if (deploy_record_load(src->folder, DEPLOY_SOURCE_RECORD_FILE,
	    src->t->subdomain, &src->record) == -1 ||
	    (src->written = calloc(source->count > 0 ? source->count : 1,
	    sizeof(src->written[0]))) == NULL)
		return deploy_run_error(src, "out of memory");
	if (scan_own_files(src) == -1)
		return -1;
	random_hex(hex, RANDOM_HEX_LEN / 2);
	snprintf(src->staging, sizeof(src->staging), "%s%s",
	    DEPLOY_SOURCE_STAGING_PREFIX, hex);
	if (mkdirat(src->folder, src->staging, FOLDER_DIR_MODE) == -1) {
		src->staging[0] = '\0';
		return deploy_run_error(src, "could not create a staging "
		    "folder in the tenant folder: %s", strerror(errno));
	}
	if ((src->staging_fd = folder_open_dir(src->folder,
	    src->staging)) == -1 || fchmod(src->staging_fd,
	    FOLDER_DIR_MODE) == -1)
		return deploy_run_error(src, "could not prepare the staging "
		    "folder: %s", strerror(errno));
	dir_cursor_init(&src->staging_cursor, src->staging_fd, 1);
	if (deploy_template(src) == -1 || deploy_carry(src) == -1)
		return -1;
	web->done = src->done;
	return 0;
}

/*
 * Reads the names at the top of the staging tree into a new array
 * `*names` (each and the array the caller's) of `*count`.  Returns 0 or
 * -1 (errno set).
 */
static int
staged_names(int staging_fd, char ***names, size_t *count)
{
	struct dirent	*entry;
	DIR		*dir;
	char		**grown;
	size_t		 capacity = 0;
	int		 fd, rc = -1;

	*names = NULL;
	*count = 0;
	if ((fd = openat(staging_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((entry = readdir(dir)) == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		if (*count == capacity) {
			capacity = capacity == 0 ? 16 : capacity * 2;
			if ((grown = reallocarray(*names, capacity,
			    sizeof(*grown))) == NULL)
				goto out;
			*names = grown;
		}
		if (((*names)[*count] = strdup(entry->d_name)) == NULL)
			goto out;
		(*count)++;
	}
	rc = 0;
out:
	closedir(dir);
	return rc;
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

/* Swaps the staged entries in and records them (deploy_source.h). */
int
deploy_source_swap(struct deploy_run *src, int sync)
{
	char	**names = NULL;
	size_t	  count = 0, i;
	int	  rc = -1;

	if (staged_names(src->staging_fd, &names, &count) == -1) {
		deploy_run_error(src, "cannot read the staging folder: %s",
		    strerror(errno));
		goto out;
	}
	dir_cursor_close(&src->old_cursor);
	for (i = 0; i < count; i++) {
		if (renameat2(src->staging_fd, names[i], src->folder, names[i],
		    RENAME_EXCHANGE) == 0)
			continue;
		if (errno == ENOENT && renameat2(src->staging_fd, names[i],
		    src->folder, names[i], RENAME_NOREPLACE) == 0)
			continue;
		deploy_run_error(src, "could not put %s in place: %s",
		    names[i], strerror(errno));
		goto out;
	}
	remove_dropped(src);
	if (src->m->count > 0)
		deploy_record_write(src->folder, DEPLOY_SOURCE_RECORD_FILE,
		    src->t->subdomain, src->m, src->written, sync);
	else if (unlinkat(src->folder, DEPLOY_SOURCE_RECORD_FILE, 0) == -1 &&
	    errno != ENOENT)
		log_warning("deploy of %s: could not remove %s: %s",
		    src->t->subdomain, DEPLOY_SOURCE_RECORD_FILE,
		    strerror(errno));
	rc = 0;
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Removes the staging tree (holding the replaced entries) and frees. */
void
deploy_source_close(struct deploy_run *src)
{
	size_t	i;

	dir_cursor_close(&src->template_cursor);
	dir_cursor_close(&src->old_cursor);
	dir_cursor_close(&src->staging_cursor);
	if (src->staging_fd != -1)
		close(src->staging_fd);
	src->staging_fd = -1;
	if (src->staging[0] != '\0' && src->folder != -1 &&
	    dir_remove_tree(src->folder, src->staging) == -1 && errno != ENOENT)
		log_error("deploy of %s: could not remove %s: %s",
		    src->t->subdomain, src->staging, strerror(errno));
	src->staging[0] = '\0';
	for (i = 0; i < src->carry_count; i++)
		free(src->carry[i].path);
	free(src->carry);
	src->carry = NULL;
	src->carry_count = 0;
	free(src->written);
	src->written = NULL;
	deploy_record_release(&src->record);
}
