/*
 * deploy_passes.c - the passes of a deploy over its staging tree
 * (deploy_passes.h), which deploy_tenant() runs in turn:
 *   scan      list what in the old public/ is the tenant's own (every path
 *             the manifest does not name, and the logo, but the files of
 *             the previous version the new one lacks);
 *   template  link (or copy) each manifest file from the stored version
 *             (template_store.h), or keep the tenant's changed version by
 *             hard-linking it;
 *   carry     hard-link the tenant's own files into the staging tree.
 * With asset_base_url, deploy_cdn.c adds the static files' aliases and
 * rewrites the HTML files after the template pass (deploy_cdn.h); the
 * scan pass leaves the last deploy's aliases behind.
 *
 * Whether the tenant changed a template file is decided without hashing
 * when possible: a file whose identity (size, mtime, inode) still matches
 * the record of the last deploy (deploy_record.h) holds the bytes recorded;
 * any other is hashed and compared with both the recorded and the current
 * template digest (so a template upgrade replaces untouched files).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asset_name.h"
#include "config_render.h"
#include "deploy_passes.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "tenant.h"

#define CARRY_MAX_DEPTH		32
#define CARRY_MAX_ENTRIES	100000

/*
 * Records the deploy's failure message, also in the log with the tenant's
 * subdomain.  Returns -1, so failure paths stay one line.
 */
int
deploy_run_error(struct deploy_run *run, const char *fmt, ...)
{
	va_list	ap;

	if (run->err != NULL && run->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(run->err, run->errlen, fmt, ap);
		va_end(ap);
		log_error("deploy of %s: %s", run->t->subdomain, run->err);
	}
	return -1;
}

/* --- the passes ---------------------------------------------------------- */

/* Is `path` the tenant's logo, which is always the tenant's own? */
static int
is_tenant_logo(const struct deploy_run *run, const char *path)
{
	return !run->is_source && run->t->logo != NULL &&
	    strcmp(run->t->logo, path) == 0;
}

/* Reports one more file done; a non-zero answer cancels.  0 or -1. */
static int
advance(struct deploy_run *run)
{
	run->done++;
	if (run->progress != NULL &&
	    run->progress(run->progress_arg, run->done, run->total) != 0)
		return deploy_run_error(run, "the deploy was cancelled");
	return 0;
}

/* Adds `path` to the list of the tenant's own entries.  0 or -1. */
static int
carry_add(struct deploy_run *run, const char *path, int is_directory)
{
	struct carry_item	*grown;
	size_t			 capacity;

	if (run->carry_count >= CARRY_MAX_ENTRIES)
		return deploy_run_error(run, "%s holds more than %d files of "
		    "the tenant's own", run->is_source ? "the tenant folder" :
		    "public/", CARRY_MAX_ENTRIES);
	if (run->carry_count == run->carry_capacity) {
		capacity = run->carry_capacity == 0 ? 16 :
		    run->carry_capacity * 2;
		grown = reallocarray(run->carry, capacity, sizeof(*grown));
		if (grown == NULL)
			return deploy_run_error(run, "out of memory");
		run->carry = grown;
		run->carry_capacity = capacity;
	}
	if ((run->carry[run->carry_count].path = strdup(path)) == NULL)
		return deploy_run_error(run, "out of memory");
	run->carry[run->carry_count++].is_directory = is_directory;
	if (!is_directory)
		run->carry_files++;
	return 0;
}

/*
 * Is the file at `path` (status `st`) one the last deploy put there, as it
 * put it: a template file the new version no longer has, which goes with
 * the old tree instead of being carried over as the tenant's own?  1 or 0.
 */
static int
previous_template_file(const struct deploy_run *run, const char *path,
    const struct stat *st)
{
	const struct deploy_record_entry	*recorded;

	if ((recorded = deploy_record_find(&run->record, path)) == NULL ||
	    recorded->inode != (uint64_t)st->st_ino)
		return 0;
	return st->st_nlink > 1 || (recorded->size == (uint64_t)st->st_size &&
	    recorded->mtime_ns == stat_mtime_ns(st));
}

/* Is `hex` the start of the lowercase hex form of `digest`?  1 or 0. */
static int
digest_starts(const unsigned char digest[32], const char *hex)
{
	char	full[65];

	sha256_hex(digest, full);
	return strncmp(full, hex, ASSET_NAME_HASH_LEN) == 0;
}

/*
 * Is `path` the content-named alias (asset_name.h) of a file the last
 * deploy's record or the new manifest lists with that digest, or of the
 * tenant's logo: one a deploy with asset_base_url makes (deploy_cdn.h),
 * which goes with the old tree, so after a rollout the old names are
 * gone?  1 or 0.
 */
static int
previous_alias(const struct deploy_run *run, const char *path)
{
	const struct deploy_record_entry	*recorded;
	const struct manifest_entry		*e;
	char					 original[DEPLOY_PATH_MAX + 1];
	char					 logo_alias[DEPLOY_PATH_MAX + 1];
	char					 hex[ASSET_NAME_HASH_LEN + 1];

	if (run->is_source || !asset_name_parse(path, original,
	    sizeof(original), hex))
		return 0;
	if (config_render_logo_alias(run->t, logo_alias,
	    sizeof(logo_alias)) && strcmp(logo_alias, path) == 0)
		return 1;
	if ((recorded = deploy_record_find(&run->record, original)) != NULL &&
	    digest_starts(recorded->sha256, hex))
		return 1;
	return (e = manifest_find(run->m, original)) != NULL &&
	    digest_starts(e->sha256, hex);
}

/*
 * Lists the tenant's own entries of the old public/ below the directory
 * open on `fd` (taken over and closed), whose paths start with `prefix`.
 * Paths the manifest names are the template pass's business and are
 * skipped, with whatever is below them.  Returns 0 or -1.
 */
int
deploy_scan_directory(struct deploy_run *run, int fd, const char *prefix,
    int depth)
{
	char		 path[DEPLOY_PATH_MAX + 1];
	struct dirent	*entry;
	struct stat	 st;
	DIR		*dir;
	size_t		 prefix_len, name_len;
	int		 child, rc = -1;

	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return deploy_run_error(run, "cannot read %s%s: %s", run->area,
		    prefix, strerror(errno));
	}
	prefix_len = strlen(prefix);
	for (;;) {
		errno = 0;
		if ((entry = readdir(dir)) == NULL) {
			if (errno != 0) {
				deploy_run_error(run, "cannot read %s%s:"
				    " %s", run->area, prefix, strerror(errno));
				goto out;
			}
			break;
		}
		if (strcmp(entry->d_name, ".") == 0 ||
		    strcmp(entry->d_name, "..") == 0)
			continue;
		name_len = strlen(entry->d_name);
		if (name_len + 1 > DEPLOY_PATH_MAX - prefix_len) {
			deploy_run_error(run, "%s%s%s: path too long",
			    run->area, prefix, entry->d_name);
			goto out;
		}
		memcpy(path, prefix, prefix_len);
		memcpy(path + prefix_len, entry->d_name, name_len + 1);
		if (manifest_find(run->m, path) != NULL &&
		    !is_tenant_logo(run, path))
			continue;
		if (fstatat(dirfd(dir), entry->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			deploy_run_error(run, "%s%s: %s", run->area, path,
			    strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode) && (previous_template_file(run, path,
		    &st) || previous_alias(run, path)))
			continue;
		if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			if (carry_add(run, path, 0) == -1)
				goto out;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			log_warning("deploy of %s: %s%s is a special file;"
			    " not carried over", run->t->subdomain, run->area,
			    path);
			continue;
		}
		if (depth >= CARRY_MAX_DEPTH) {
			deploy_run_error(run, "%s%s: nested too deeply",
			    run->area, path);
			goto out;
		}
		if (carry_add(run, path, 1) == -1)
			goto out;
		child = folder_open_dir(dirfd(dir), entry->d_name);
		if (child == -1) {
			deploy_run_error(run, "%s%s: %s", run->area, path,
			    strerror(errno));
			goto out;
		}
		path[prefix_len + name_len] = '/';
		path[prefix_len + name_len + 1] = '\0';
		if (deploy_scan_directory(run, child, path, depth + 1) == -1)
			goto out;
	}
	rc = 0;
out:
	closedir(dir);
	return rc;
}

/*
 * Did the tenant change template file `e` in the old tree (deploy_passes.h)?
 * Hashes only when the record cannot vouch for the file.
 */
int
deploy_tenant_changed(struct deploy_run *run, const struct manifest_entry *e)
{
	const struct deploy_record_entry	*recorded;
	const char			*leaf;
	unsigned char			 digest[32];
	struct stat			 st;
	uint64_t			 size;
	int				 parent, rc;

	if (run->old_public == -1)
		return 0;
	if ((parent = dir_cursor_parent(&run->old_cursor, e->path,
	    &leaf)) == -1)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ?
		    0 : -1;
	if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	recorded = deploy_record_find(&run->record, e->path);
	/*
	 * Still the hard link the last deploy made: whatever happened to its
	 * bytes happened to the stored file and every tenant sharing it, so
	 * it is not this tenant's change (fsck repairs the store).
	 */
	if (recorded != NULL && st.st_nlink > 1 &&
	    recorded->inode == (uint64_t)st.st_ino)
		return 0;
	if (recorded != NULL && recorded->size == (uint64_t)st.st_size &&
	    recorded->inode == (uint64_t)st.st_ino &&
	    recorded->mtime_ns == stat_mtime_ns(&st))
		return 0;
	if ((uint64_t)st.st_size != e->size &&
	    (recorded == NULL || recorded->size != (uint64_t)st.st_size))
		return 1;
	if ((rc = file_sha256_at(parent, leaf, digest, &size)) != 0)
		return rc == 1 ? 0 : -1;
	if (memcmp(digest, e->sha256, sizeof(digest)) == 0)
		return 0;
	if (recorded != NULL &&
	    memcmp(digest, recorded->sha256, sizeof(digest)) == 0)
		return 0;
	return 1;
}

/* Notes what template file `i` became, for the record (deploy_passes.h). */
void
deploy_note_written(struct deploy_run *run, size_t i, const struct stat *st)
{
	run->written[i].valid = 1;
	run->written[i].size = (uint64_t)st->st_size;
	run->written[i].inode = (uint64_t)st->st_ino;
	run->written[i].mtime_ns = stat_mtime_ns(st);
	run->report->files_copied++;
}

/* Copies stored file `i` to a file of the tenant's own (deploy_passes.h). */
int
deploy_copy_template_file(struct deploy_run *run, size_t i, int from,
    const char *leaf, int to, const char *to_leaf)
{
	const struct manifest_entry	*e = &run->m->entries[i];
	struct stat			 st;
	uint64_t			 copied;
	int				 src = -1, dst = -1, rc = -1;

	if ((src = openat(from, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		deploy_run_error(run, "template file %s: %s", e->path,
		    strerror(errno));
		goto out;
	}
	if ((dst = openat(to, to_leaf, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, FOLDER_FILE_MODE)) == -1 ||
	    fchmod(dst, FOLDER_FILE_MODE) == -1 ||
	    deploy_copy_contents(src, dst, &copied) == -1 ||
	    fstat(dst, &st) == -1) {
		deploy_run_error(run, "could not write %s%s: %s", run->area,
		    e->path, strerror(errno));
		goto out;
	}
	if (copied != e->size) {
		deploy_run_error(run, "stored template file %s has the wrong "
		    "size; run tenantctl fsck", e->path);
		goto out;
	}
	if (close(dst) == -1) {
		dst = -1;
		deploy_run_error(run, "could not write %s%s: %s", run->area,
		    e->path, strerror(errno));
		goto out;
	}
	dst = -1;
	deploy_note_written(run, i, &st);
	run->report->bytes_copied += copied;
	rc = 0;
out:
	if (src != -1)
		close(src);
	if (dst != -1)
		close(dst);
	return rc;
}

/*
 * Puts template file number `i` into the staging tree: a hard link to
 * the stored version's file (template_files = link), or a copy where
 * linking is refused (another filesystem, a file with too many links) or
 * configured.  The stored file must still be what the manifest says in
 * type and size; its bytes are fsck's business (template_store.h).
 * Returns 0 or -1.
 */
static int
put_template_file(struct deploy_run *run, size_t i)
{
	const struct manifest_entry	*e = &run->m->entries[i];
	const char			*leaf, *to_leaf;
	struct stat			 st;
	int				 from, to;

	if ((from = dir_cursor_parent(&run->template_cursor, e->path,
	    &leaf)) == -1 || fstatat(from, leaf, &st,
	    AT_SYMLINK_NOFOLLOW) == -1)
		return deploy_run_error(run, "stored template file %s: %s; run"
		    " tenantctl fsck", e->path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size)
		return deploy_run_error(run, "stored template file %s does not"
		    " match its manifest; run tenantctl fsck", e->path);
	if ((to = dir_cursor_parent(&run->staging_cursor, e->path,
	    &to_leaf)) == -1)
		return deploy_run_error(run, "could not write %s%s: %s", run->area,
		    e->path, strerror(errno));
	if (run->link_files) {
		if (linkat(from, leaf, to, to_leaf, 0) == 0) {
			deploy_note_written(run, i, &st);
			run->report->files_linked++;
			return 0;
		}
		if (errno != EXDEV && errno != EPERM && errno != EMLINK)
			return deploy_run_error(run, "could not link %s%s:"
			    " %s", run->area, e->path, strerror(errno));
		log_warning("deploy of %s: cannot link %s%s to the "
		    "template store (%s); copying the files instead",
		    run->t->subdomain, run->area, e->path, strerror(errno));
		run->link_files = 0;
	}
	return deploy_copy_template_file(run, i, from, leaf, to, to_leaf);
}

/*
 * The template pass: each manifest file is copied, or kept when the
 * tenant changed it and `force` is off.  Returns 0 or -1.
 */
int
deploy_template(struct deploy_run *run)
{
	struct deploy_report		*report = run->report;
	const struct manifest_entry	*e;
	size_t				 i;
	int				 changed;

	for (i = 0; i < run->m->count; i++) {
		e = &run->m->entries[i];
		if (is_tenant_logo(run, e->path)) {
			if (advance(run) == -1)
				return -1;
			continue;
		}
		if ((changed = deploy_tenant_changed(run, e)) == -1)
			return deploy_run_error(run, "cannot read %s%s:"
			    " %s", run->area, e->path, strerror(errno));
		if (changed && !run->force) {
			if (deploy_copy_carry(&run->old_cursor,
			    &run->staging_cursor, e->path) != 0)
				return deploy_run_error(run, "could not keep "
				    "%s%s: %s", run->area, e->path,
				    strerror(errno));
			if (report->files_kept < DEPLOY_REPORT_MAX_KEPT)
				snprintf(report->kept[report->files_kept],
				    sizeof(report->kept[0]), "%s", e->path);
			report->files_kept++;
		} else {
			if (changed)
				report->files_replaced++;
			if (put_template_file(run, i) == -1)
				return -1;
		}
		if (advance(run) == -1)
			return -1;
	}
	return 0;
}

/*
 * The carry pass: the tenant's own directories are made and files linked
 * into the staging tree.  An entry where the template now has something
 * of another kind is left out with a warning.  Returns 0 or -1.
 */
int
deploy_carry(struct deploy_run *run)
{
	struct carry_item	*item;
	size_t			 i;
	int			 rc;

	for (i = 0; i < run->carry_count; i++) {
		item = &run->carry[i];
		if (item->is_directory) {
			if (dir_cursor_dir(&run->staging_cursor, item->path,
			    strlen(item->path)) == -1 && errno != ENOTDIR)
				return deploy_run_error(run, "could not create "
				    "%s%s: %s", run->area, item->path,
				    strerror(errno));
			continue;
		}
		if ((rc = deploy_copy_carry(&run->old_cursor,
		    &run->staging_cursor, item->path)) == -1)
			return deploy_run_error(run, "could not carry over "
			    "%s%s: %s", run->area, item->path, strerror(errno));
		if (rc == 1)
			log_warning("deploy of %s: %s%s clashes with the "
			    "template; not carried over", run->t->subdomain,
			    run->area, item->path);
		else
			run->report->files_carried++;
		if (advance(run) == -1)
			return -1;
	}
	return 0;
}
