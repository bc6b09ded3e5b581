/*
 * deploy_cdn.c - a deploy's work for asset_base_url (see deploy_cdn.h):
 * the aliases of static files, the rewritten HTML files, and knowing
 * both again at the next deploy.
 *
 * The aliases are hard links made inside the staging tree, so they come
 * and go with the swap of public/ like every other file of the deploy;
 * the scan pass (deploy_passes.c) knows the last deploy's by their names.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "asset_html.h"
#include "asset_name.h"
#include "buf.h"
#include "config_render.h"
#include "deploy_cdn.h"
#include "folder.h"
#include "log.h"
#include "manifest.h"
#include "tenant.h"
#include "validate.h"

/* A URL the rewriter writes: base, subdomain, alias path. */
#define CDN_URL_MAX	(ASSET_BASE_URL_MAX + 1 + 64 + 1 + DEPLOY_PATH_MAX)

/* What the rewriter's lookup works with. */
struct cdn_lookup {
	const struct deploy_run	*run;
	char			 path[ASSET_HTML_PATH_MAX + 1];
	char			 url[CDN_URL_MAX + 1];
};

/* The leaf of `path`: after its last '/'. */
static const char *
path_leaf(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/*
 * Writes the alias of manifest entry `e` into `out` (DEPLOY_PATH_MAX + 1
 * bytes).  Returns 0, or -1 with errno set (asset_name_alias()).
 */
static int
entry_alias(const struct manifest_entry *e, char *out)
{
	char	hex[65];

	sha256_hex(e->sha256, hex);
	return asset_name_alias(e->path, hex, out, DEPLOY_PATH_MAX + 1);
}

/*
 * Links the alias of template file number `i`, put into the staging tree
 * by the template pass, beside it.  A name that cannot be an alias
 * (taken, too long, too many links) leaves the file without one, with a
 * warning.  Returns 0 or -1 (with run->err set).
 */
static int
link_alias(struct deploy_run *run, size_t i)
{
	const struct manifest_entry	*e = &run->m->entries[i];
	const char			*leaf;
	char				 alias[DEPLOY_PATH_MAX + 1];
	int				 parent;

	if (entry_alias(e, alias) == -1 || manifest_find(run->m,
	    alias) != NULL) {
		log_warning("deploy of %s: %s%s gets no content-named alias: "
		    "%s", run->t->subdomain, run->area, e->path, errno ==
		    ENAMETOOLONG ? "the name is too long" : "the template has "
		    "a file of that name");
		return 0;
	}
	if ((parent = dir_cursor_parent(&run->staging_cursor, e->path,
	    &leaf)) == -1)
		return deploy_run_error(run, "could not write %s%s: %s",
		    run->area, e->path, strerror(errno));
	if (linkat(parent, leaf, parent, path_leaf(alias), 0) == -1) {
		if (errno != EEXIST && errno != EMLINK)
			return deploy_run_error(run, "could not link %s%s: %s",
			    run->area, alias, strerror(errno));
		log_warning("deploy of %s: %s%s gets no content-named alias: "
		    "%s", run->t->subdomain, run->area, e->path,
		    strerror(errno));
		return 0;
	}
	run->aliased[i] = 1;
	return 0;
}

/* The alias pass (deploy_cdn.h). */
int
deploy_cdn_aliases(struct deploy_run *run)
{
	size_t	i;

	if (run->asset_base_url == NULL)
		return 0;
	for (i = 0; i < run->m->count; i++)
		if (run->written[i].valid &&
		    asset_name_is_static(run->m->entries[i].path) &&
		    link_alias(run, i) == -1)
			return -1;
	return 0;
}

/*
 * The rewriter's lookup: the CDN URL of the alias of web-root file
 * `path`, or NULL when it has none.
 */
static const char *
cdn_url(void *arg, const char *path, size_t len)
{
	struct cdn_lookup		*l = arg;
	const struct deploy_run		*run = l->run;
	const struct manifest_entry	*e;
	char				 alias[DEPLOY_PATH_MAX + 1];
	int				 n;

	if (len >= sizeof(l->path))
		return NULL;
	memcpy(l->path, path, len);
	l->path[len] = '\0';
	if ((e = manifest_find(run->m, l->path)) == NULL ||
	    !run->aliased[e - run->m->entries] || entry_alias(e, alias) == -1)
		return NULL;
	n = snprintf(l->url, sizeof(l->url), "%s/%s/%s", run->asset_base_url,
	    run->t->subdomain, alias);
	if (n < 0 || (size_t)n >= sizeof(l->url))
		return NULL;
	return l->url;
}

/*
 * Rewrites HTML file `i` of the staging tree in place: read from the
 * template's file there, written as a file of the tenant's own under the
 * same name, its identity and digest noted for the record.  Returns 0 or
 * -1 (with run->err set).
 */
static int
render_file(struct deploy_run *run, size_t i, struct cdn_lookup *lookup)
{
	const struct manifest_entry	*e = &run->m->entries[i];
	struct deploy_written_file	*w = &run->written[i];
	const char			*leaf;
	char				 directory[DEPLOY_PATH_MAX + 1];
	struct buf			 html, out;
	struct stat			 st;
	int				 parent, fd = -1, rc = -1;

	buf_init(&html, ASSET_HTML_INPUT_MAX);
	buf_init(&out, 2 * ASSET_HTML_INPUT_MAX);
	snprintf(directory, sizeof(directory), "%.*s",
	    (int)(path_leaf(e->path) - e->path), e->path);
	if (directory[0] != '\0')
		directory[strlen(directory) - 1] = '\0';
	if ((parent = dir_cursor_parent(&run->staging_cursor, e->path,
	    &leaf)) == -1 || manifest_file_open_at(parent, leaf, &fd,
	    &st) != 1 || buf_read_fd(&html, fd) == -1) {
		deploy_run_error(run, "could not read %s%s in the staging "
		    "tree: %s", run->area, e->path, strerror(errno));
		goto out;
	}
	if (asset_html_rewrite(html.data, html.len, directory, cdn_url,
	    lookup, &out) == -1) {
		deploy_run_error(run, "could not rewrite %s%s for "
		    "asset_base_url: %s", run->area, e->path, strerror(errno));
		goto out;
	}
	if (file_write_replace(parent, leaf, out.data, out.len,
	    FOLDER_FILE_MODE) == -1 || fstatat(parent, leaf, &st,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		deploy_run_error(run, "could not write %s%s: %s", run->area,
		    e->path, strerror(errno));
		goto out;
	}
	w->size = (uint64_t)st.st_size;
	w->inode = (uint64_t)st.st_ino;
	w->mtime_ns = stat_mtime_ns(&st);
	w->rendered = 1;
	crypto_hash_sha256(w->sha256, (const unsigned char *)out.data,
	    (unsigned long long)out.len);
	run->report->bytes_copied += out.len;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	buf_release(&html);
	buf_release(&out);
	return rc;
}

/* The render pass (deploy_cdn.h). */
int
deploy_cdn_render(struct deploy_run *run)
{
	struct cdn_lookup	*lookup;
	size_t			 i;
	int			 rc = 0;

	if (run->asset_base_url == NULL)
		return 0;
	if ((lookup = calloc(1, sizeof(*lookup))) == NULL)
		return deploy_run_error(run, "out of memory");
	lookup->run = run;
	for (i = 0; i < run->m->count && rc == 0; i++)
		if (run->written[i].valid &&
		    asset_name_is_html(run->m->entries[i].path))
			rc = render_file(run, i, lookup);
	free(lookup);
	return rc;
}

/* Is template file `i` of the old public/ as this deploy would leave it? */
int
deploy_cdn_file_current(const struct deploy_run *run, size_t i, int parent,
    const struct stat *stored, const struct stat *deployed)
{
	const struct manifest_entry		*e = &run->m->entries[i];
	const struct deploy_record_entry	*recorded;
	char					 alias[DEPLOY_PATH_MAX + 1];
	struct stat				 st;

	/*
	 * A rewritten HTML file is the one the record lists, made from this
	 * version's file: the tenant is on the version deployed (a rollout
	 * whose only change is an HTML file must still redo it).
	 */
	if (run->asset_base_url != NULL && asset_name_is_html(e->path))
		return strcmp(run->t->template_version, run->version) == 0 &&
		    (recorded = deploy_record_find(&run->record,
		    e->path)) != NULL &&
		    recorded->inode == (uint64_t)deployed->st_ino &&
		    recorded->size == (uint64_t)deployed->st_size &&
		    recorded->mtime_ns == stat_mtime_ns(deployed);
	if (stored->st_ino != deployed->st_ino ||
	    stored->st_dev != deployed->st_dev)
		return 0;
	if (run->asset_base_url == NULL || !asset_name_is_static(e->path) ||
	    entry_alias(e, alias) == -1 || manifest_find(run->m, alias) != NULL)
		return 1;
	return fstatat(parent, path_leaf(alias), &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == deployed->st_ino &&
	    st.st_dev == deployed->st_dev;
}

/* The logo's alias beside it in the staging tree (deploy_cdn.h). */
int
deploy_cdn_logo(struct deploy_run *run)
{
	char	alias[DEPLOY_PATH_MAX + 1];

	if (run->asset_base_url == NULL ||
	    !config_render_logo_alias(run->t, alias, sizeof(alias)))
		return 0;
	if (linkat(run->staging_fd, run->t->logo, run->staging_fd, alias,
	    0) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return deploy_run_error(run, "could not link %s%s: %s",
		    run->area, alias, strerror(errno));
	log_warning("deploy of %s: the logo %s%s is missing; it gets no "
	    "content-named alias", run->t->subdomain, run->area, run->t->logo);
	return 0;
}

/* Is the old public/ as this deploy's asset_base_url wants it? */
int
deploy_cdn_public_current(const struct deploy_run *run)
{
	char		alias[DEPLOY_PATH_MAX + 1];
	struct stat	logo, linked;

	if (run->asset_base_url == NULL || run->record.asset_base_url == NULL)
		return run->asset_base_url == run->record.asset_base_url;
	if (strcmp(run->asset_base_url, run->record.asset_base_url) != 0)
		return 0;
	if (!config_render_logo_alias(run->t, alias, sizeof(alias)))
		return 1;
	return fstatat(run->old_public, run->t->logo, &logo,
	    AT_SYMLINK_NOFOLLOW) == 0 && fstatat(run->old_public, alias,
	    &linked, AT_SYMLINK_NOFOLLOW) == 0 &&
	    logo.st_ino == linked.st_ino && logo.st_dev == linked.st_dev;
}
