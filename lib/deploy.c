/*
 * deploy.c - copying the tenant site template into a tenant's folder (the
 * order of operations is in deploy.h), whether a tenant's site is
 * deployed, and the per-process cache of the template manifest.
 *
 * A deploy opens its run here, has the passes of deploy_passes.c fill one
 * staging directory next to public/ (copies by deploy_copy.c), swaps it
 * in with renameat2(RENAME_EXCHANGE), then writes the record of what it
 * wrote (deploy_record.c) and the project files (project_files.c).
 * Staging trees left by a deploy that was killed are removed first: the
 * tenant's lock says no other deploy can be using them.
 *
 * Every path is opened relative to a directory descriptor without
 * following symlinks.  Messages name paths relative to the tenant folder
 * or the template, never absolute ones.
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

#include "conf.h"
#include "buf.h"
#include "crash.h"
#include "deploy.h"
#include "deploy_cdn.h"
#include "deploy_passes.h"
#include "deploy_source.h"
#include "error.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "package_json.h"
#include "project_files.h"
#include "random.h"
#include "service.h"
#include "template.h"
#include "template_files.h"
#include "template_store.h"
#include "tenant.h"
#include "validate.h"

#define STAGING_PREFIX		".public.staging-"
#define OLD_PREFIX		".public.old-"
#define RANDOM_HEX_LEN		16

/*
 * Replaces public/ by the staging tree in one step.  Without
 * RENAME_EXCHANGE (some filesystems lack it) the old public/ is renamed
 * aside first, leaving a moment without public/ but never a mixed one.
 * On success `old_name` names the old tree to remove ("" when there was
 * none).  Returns 0, or -1 with errno set and nothing moved.
 */
static int
swap_public(struct deploy_run *run, char *old_name, size_t old_len)
{
	char	hex[RANDOM_HEX_LEN + 1];
	int	saved;

	old_name[0] = '\0';
	if (run->old_public == -1) {
		if (renameat2(run->folder, run->staging, run->folder,
		    FOLDER_PUBLIC_DIR, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		return renameat(run->folder, run->staging, run->folder,
		    FOLDER_PUBLIC_DIR);
	}
	if (renameat2(run->folder, run->staging, run->folder, FOLDER_PUBLIC_DIR,
	    RENAME_EXCHANGE) == 0) {
		snprintf(old_name, old_len, "%s", run->staging);
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	random_hex(hex, RANDOM_HEX_LEN / 2);
	snprintf(old_name, old_len, "%s%s", OLD_PREFIX, hex);
	if (renameat(run->folder, FOLDER_PUBLIC_DIR, run->folder,
	    old_name) == -1)
		goto fail;
	if (renameat(run->folder, run->staging, run->folder,
	    FOLDER_PUBLIC_DIR) == 0)
		return 0;
	saved = errno;
	if (renameat(run->folder, old_name, run->folder,
	    FOLDER_PUBLIC_DIR) == -1)
		log_error("deploy of %s: public/ is left as %s: %s",
		    run->t->subdomain, old_name, strerror(errno));
	errno = saved;
fail:
	old_name[0] = '\0';
	return -1;
}

/*
 * Removes staging and old trees that a deploy killed half-way left in the
 * tenant folder.  Whoever holds the tenant's lock owns these names, so
 * what is there now belongs to a deploy that is gone.  An old tree with no
 * public/ beside it is the live site of a deploy killed between its two
 * renames (filesystems without RENAME_EXCHANGE): it is put back, not
 * removed.  A failure is logged only; tenantctl fsck removes what stays.
 */
static void
remove_leftovers(struct deploy_run *run)
{
	struct dirent	*entry;
	struct stat	 st;
	DIR		*dir;
	int		 fd;

	if ((fd = openat(run->folder, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, STAGING_PREFIX,
		    strlen(STAGING_PREFIX)) != 0 &&
		    strncmp(entry->d_name, OLD_PREFIX, strlen(OLD_PREFIX)) != 0)
			continue;
		if (strncmp(entry->d_name, OLD_PREFIX,
		    strlen(OLD_PREFIX)) == 0 && fstatat(run->folder,
		    FOLDER_PUBLIC_DIR, &st, AT_SYMLINK_NOFOLLOW) == -1 &&
		    errno == ENOENT) {
			if (renameat(run->folder, entry->d_name, run->folder,
			    FOLDER_PUBLIC_DIR) == -1)
				log_warning("deploy of %s: could not put %s "
				    "back as public/: %s", run->t->subdomain,
				    entry->d_name, strerror(errno));
			else
				log_warning("deploy of %s: put public/ back "
				    "from %s, left by an interrupted deploy",
				    run->t->subdomain, entry->d_name);
			continue;
		}
		if (dir_remove_tree(run->folder, entry->d_name) == -1)
			log_warning("deploy of %s: could not remove the leftover"
			    " %s: %s", run->t->subdomain, entry->d_name,
			    strerror(errno));
		else
			log_info("deploy of %s: removed %s, left by an "
			    "interrupted deploy", run->t->subdomain,
			    entry->d_name);
	}
	closedir(dir);
}

/*
 * Opens directory `path` ('/'-separated, "" for `base` itself) below
 * `base`, no segment followed through a symlink.  Returns a descriptor
 * of its own, or -1 with errno set.
 */
static int
open_path_dir(int base, const char *path)
{
	struct dir_cursor	cursor;
	int			fd;

	if (path[0] == '\0')
		return openat(base, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir_cursor_init(&cursor, base, DIR_CURSOR_OPEN);
	if (dir_cursor_dir(&cursor, path, strlen(path)) == -1)
		return -1;
	fd = cursor.fd;		/* taken over from the cursor */
	return fd;
}

/*
 * Opens what the run needs: the tenant folder (`folder` when not -1, else
 * by the subdomain; cleared of leftovers), the version's stored tree
 * (`*tree`, the caller's) and its web root, the old public/ (if any), and
 * loads the record.  Returns 0 or -1.
 */
static int
run_open(struct deploy_run *run, int folder, const char *web_root, int *tree)
{
	int	store;

	if (validate_subdomain(run->t->subdomain,
	    strlen(run->t->subdomain)) != NULL)
		return deploy_run_error(run, "invalid subdomain");
	run->folder = folder != -1 ? dup(folder) :
	    folder_open_dir(run->svc->tenants_dirfd, run->t->subdomain);
	if (run->folder == -1 && errno == ENOENT)
		return deploy_run_error(run, "the tenant folder is missing; "
		    "run tenantctl fsck");
	if (run->folder == -1)
		return deploy_run_error(run, "cannot open the tenant folder: "
		    "%s", strerror(errno));
	if ((store = template_store_fd(run->svc)) == -1 ||
	    (*tree = template_store_tree(store, run->version)) == -1 ||
	    (run->template_dir = open_path_dir(*tree, web_root)) == -1)
		return deploy_run_error(run, "cannot open template version %s "
		    "in the template store: %s", run->version, strerror(errno));
	remove_leftovers(run);
	run->old_public = folder_open_dir(run->folder, FOLDER_PUBLIC_DIR);
	if (run->old_public == -1 && errno != ENOENT)
		return deploy_run_error(run, "cannot open public/: %s",
		    strerror(errno));
	run->written = calloc(run->m->count > 0 ? run->m->count : 1,
	    sizeof(run->written[0]));
	if (run->written == NULL)
		return deploy_run_error(run, "out of memory");
	if (run->asset_base_url != NULL && (run->aliased = calloc(
	    run->m->count > 0 ? run->m->count : 1, 1)) == NULL)
		return deploy_run_error(run, "out of memory");
	if (run->old_public != -1 && deploy_record_load(run->folder,
	    DEPLOY_RECORD_FILE, run->t->subdomain, &run->record) == -1)
		return deploy_run_error(run, "out of memory");
	dir_cursor_init(&run->template_cursor, run->template_dir,
	    DIR_CURSOR_OPEN);
	dir_cursor_init(&run->old_cursor, run->old_public, DIR_CURSOR_OPEN);
	return 0;
}

/*
 * Reads the version's own package.json (at the top of the stored tree
 * `tree`) into `out`, at most PACKAGE_JSON_INPUT_MAX bytes.  Returns 0 or
 * -1 with errno set.
 */
static int
read_template_package(int tree, struct buf *out)
{
	struct stat	st;
	int		fd = -1, rc;

	if ((rc = manifest_file_open_at(tree, PACKAGE_JSON_FILE, &fd,
	    &st)) != 1) {
		if (rc == 0)
			errno = ENOENT;
		return -1;
	}
	rc = buf_read_fd(out, fd);
	close(fd);
	return rc;
}

/* Makes the staging directory next to public/.  Returns 0 or -1. */
static int
staging_create(struct deploy_run *run)
{
	char	hex[RANDOM_HEX_LEN + 1];

	random_hex(hex, RANDOM_HEX_LEN / 2);
	snprintf(run->staging, sizeof(run->staging), "%s%s", STAGING_PREFIX,
	    hex);
	if (mkdirat(run->folder, run->staging, FOLDER_DIR_MODE) == -1) {
		run->staging[0] = '\0';
		return deploy_run_error(run, "could not create a staging "
		    "folder in the tenant folder: %s", strerror(errno));
	}
	run->staging_fd = folder_open_dir(run->folder, run->staging);
	if (run->staging_fd == -1 ||
	    fchmod(run->staging_fd, FOLDER_DIR_MODE) == -1)
		return deploy_run_error(run, "could not prepare the staging "
		    "folder: %s", strerror(errno));
	dir_cursor_init(&run->staging_cursor, run->staging_fd, DIR_CURSOR_MAKE);
	return 0;
}

/*
 * Is public/ already the version's web root, every template file the
 * stored file itself (template_files = link) and nothing of a previous
 * version left, all as the current asset_base_url wants it (the HTML
 * files rewritten for it, the aliases there: deploy_cdn.h)?  Then a
 * rollout has nothing to swap there: 1, with the files' identities in
 * run->written, else 0.  Costs two stats per file (three with an alias).
 */
static int
public_is_current(struct deploy_run *run)
{
	const struct manifest_entry	*e;
	const char			*leaf;
	struct stat			 stored, deployed;
	size_t				 i;
	int				 parent;

	if (run->old_public == -1 || !run->link_files ||
	    run->record.count != run->m->count ||
	    !deploy_cdn_public_current(run))
		return 0;
	for (i = 0; i < run->m->count; i++) {
		e = &run->m->entries[i];
		if ((run->t->logo != NULL &&
		    strcmp(run->t->logo, e->path) == 0) ||
		    deploy_record_find(&run->record, e->path) == NULL ||
		    (parent = dir_cursor_parent(&run->template_cursor, e->path,
		    &leaf)) == -1 || fstatat(parent, leaf, &stored,
		    AT_SYMLINK_NOFOLLOW) == -1 ||
		    (parent = dir_cursor_parent(&run->old_cursor, e->path,
		    &leaf)) == -1 || fstatat(parent, leaf, &deployed,
		    AT_SYMLINK_NOFOLLOW) == -1 ||
		    !deploy_cdn_file_current(run, i, parent, &stored,
		    &deployed))
			goto stale;
		run->written[i].valid = 1;
		run->written[i].size = (uint64_t)deployed.st_size;
		run->written[i].inode = (uint64_t)deployed.st_ino;
		run->written[i].mtime_ns = stat_mtime_ns(&deployed);
		if (run->aliased != NULL)
			run->aliased[i] = 1;
	}
	run->report->files_copied += run->m->count;
	run->report->files_linked += run->m->count;
	run->done += run->m->count + run->carry_files;
	return 1;
stale:
	memset(run->written, 0, run->m->count * sizeof(run->written[0]));
	return 0;
}

/*
 * Builds the new public/ in a staging directory (the template, kept and
 * carried files), flushes it unless `batch`, and swaps it in (see
 * deploy.h).  Returns 0 or -1; before the swap a failure leaves public/
 * as it was.
 */
static int
replace_public(struct deploy_run *run, int batch)
{
	char	old_name[NAME_MAX + 1] = "";

	if (staging_create(run) == -1 || deploy_template(run) == -1 ||
	    deploy_cdn_aliases(run) == -1 || deploy_cdn_render(run) == -1 ||
	    deploy_carry(run) == -1 || deploy_cdn_logo(run) == -1)
		return -1;
	/*
	 * One flush of the filesystem instead of an fsync per file; a batch
	 * makes one for all its tenants.
	 */
	if (!batch && syncfs(run->staging_fd) == -1)
		return deploy_run_error(run, "could not flush the new files: "
		    "%s", strerror(errno));
	crash_point("deploy.after_staging");
	/* The old record describes files about to go away. */
	if (unlinkat(run->folder, DEPLOY_RECORD_FILE, 0) == -1 &&
	    errno != ENOENT)
		return deploy_run_error(run, "could not remove %s: %s",
		    DEPLOY_RECORD_FILE, strerror(errno));
	if (swap_public(run, old_name, sizeof(old_name)) == -1)
		return deploy_run_error(run, "could not put the new public/ "
		    "in place: %s", strerror(errno));
	run->staging[0] = '\0';
	crash_point("deploy.after_swap");
	if (old_name[0] != '\0' && dir_remove_tree(run->folder,
	    old_name) == -1)
		log_error("deploy of %s: could not remove the old public/ (%s):"
		    " %s", run->t->subdomain, old_name, strerror(errno));
	if (!batch && fsync(run->folder) == -1)
		log_warning("deploy of %s: could not sync the tenant folder: "
		    "%s", run->t->subdomain, strerror(errno));
	return 0;
}

/* Closes and frees what run_open() and the passes left. */
static void
run_close(struct deploy_run *run)
{
	size_t	i;

	dir_cursor_close(&run->template_cursor);
	dir_cursor_close(&run->old_cursor);
	dir_cursor_close(&run->staging_cursor);
	if (run->staging_fd != -1)
		close(run->staging_fd);
	if (run->old_public != -1)
		close(run->old_public);
	if (run->template_dir != -1)
		close(run->template_dir);
	if (run->folder != -1)
		close(run->folder);
	for (i = 0; i < run->carry_count; i++)
		free(run->carry[i].path);
	free(run->carry);
	free(run->written);
	free(run->aliased);
	deploy_record_release(&run->record);
}

/*
 * Deploys the template of `m` into tenant `t`'s folder (see deploy.h for
 * the order of operations).  Called by deploy_locked() and fsck repairs,
 * with the tenant's lock held.  Returns 0 with `report` filled, or -1 with
 * a message in `err`; before the swap a failure leaves public/ as it was
 * and removes the staging directory.
 */
int
deploy_tenant(struct service *svc, const struct tenant *t,
    const struct template_files *files, const struct deploy_options *o,
    struct deploy_report *report, char *err, size_t errlen)
{
	return deploy_tenant_in(svc, t, -1, files, o, report, err, errlen);
}

/*
 * deploy_tenant() into the tenant folder open on `folder` (-1: the one
 * named by the subdomain), for a folder not in place yet.
 */
int
deploy_tenant_in(struct service *svc, const struct tenant *t, int folder,
    const struct template_files *files, const struct deploy_options *o,
    struct deploy_report *report, char *err, size_t errlen)
{
	const struct manifest	*m = &files->web;
	struct deploy_run	run;
	struct buf		package;
	int			scan_fd, tree = -1, rc = -1;
	int			with_source, public_current;

	memset(report, 0, sizeof(*report));
	snprintf(report->template_version, sizeof(report->template_version),
	    "%s", o->version);
	memset(&run, 0, sizeof(run));
	run.svc = svc;
	run.t = t;
	run.m = m;
	run.version = o->version;
	run.force = o->force;
	run.link_files = svc->conf->template_files == CONF_TEMPLATE_FILES_LINK;
	run.asset_base_url = svc->conf->asset_base_url;
	run.progress = o->progress;
	run.progress_arg = o->progress_arg;
	run.report = report;
	run.err = err;
	run.errlen = errlen;
	run.folder = run.template_dir = run.old_public = run.staging_fd = -1;
	dir_cursor_init(&run.template_cursor, -1, DIR_CURSOR_OPEN);
	dir_cursor_init(&run.old_cursor, -1, DIR_CURSOR_OPEN);
	dir_cursor_init(&run.staging_cursor, -1, DIR_CURSOR_MAKE);
	buf_init(&package, PACKAGE_JSON_INPUT_MAX);

	if (run_open(&run, folder, files->web_root, &tree) == -1)
		goto out;
	/* The files outside the web root, or those of an earlier version. */
	with_source = files->source.count > 0 || faccessat(run.folder,
	    DEPLOY_SOURCE_RECORD_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (run.old_public != -1) {
		if ((scan_fd = openat(run.old_public, ".", O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC)) == -1) {
			deploy_run_error(&run, "cannot read public/: %s",
			    strerror(errno));
			goto out;
		}
		if (deploy_scan_directory(&run, scan_fd, "", 0) == -1)
			goto out;
	}
	run.total = m->count + run.carry_files + files->source.count;
	if (files->package_json != NULL && read_template_package(tree,
	    &package) == -1) {
		deploy_run_error(&run, "cannot read the template's "
		    "package.json: %s", strerror(errno));
		goto out;
	}
	if ((public_current = public_is_current(&run)) == 0 &&
	    replace_public(&run, o->batch) == -1)
		goto out;
	if (with_source && deploy_source(&run, &files->source, tree,
	    !o->batch) == -1)
		goto out;
	crash_point("deploy.before_record");
	if (!public_current)
		deploy_record_write(run.folder, DEPLOY_RECORD_FILE,
		    t->subdomain, m, run.written, run.asset_base_url,
		    !o->batch);
	if (project_files_write(run.folder, t, svc->conf->api_url,
	    files->package_json != NULL ? package.data : NULL, package.len,
	    !o->batch) == -1) {
		deploy_run_error(&run, "public/ was deployed, but package.json "
		    "or .env.local could not be written: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (run.staging[0] != '\0' && run.folder != -1) {
		dir_cursor_close(&run.staging_cursor);
		if (dir_remove_tree(run.folder, run.staging) == -1 &&
		    errno != ENOENT)
			log_error("deploy of %s: could not remove %s: %s",
			    t->subdomain, run.staging, strerror(errno));
	}
	run_close(&run);
	if (tree != -1)
		close(tree);
	buf_release(&package);
	return rc;
}

/*
 * Fills t->deployed from the deploy record in the tenant's folder (see
 * deploy.h).  The folder is opened without following a symlink, like
 * every other access to it.
 */
void
deploy_state_load(const struct service *svc, struct tenant *t)
{
	struct stat	st;
	int		folder = -1;

	t->deployed = 0;
	if (!t->is_active || validate_subdomain(t->subdomain,
	    strlen(t->subdomain)) != NULL)
		goto out;
	folder = folder_open_dir(svc->tenants_dirfd, t->subdomain);
	if (folder == -1) {
		if (errno != ENOENT)
			log_warning("%s: cannot open the tenant folder: %s",
			    t->subdomain, strerror(errno));
		goto out;
	}
	if (fstatat(folder, DEPLOY_RECORD_FILE, &st,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			log_warning("%s: cannot examine %s: %s", t->subdomain,
			    DEPLOY_RECORD_FILE, strerror(errno));
		goto out;
	}
	t->deployed = S_ISREG(st.st_mode);
out:
	if (folder != -1)
		close(folder);
}
