/*
 * template_files.h - a stored template version's files split by its web
 * root: the files a deploy puts into a tenant's public/, those it puts
 * beside it, and the template's package.json (SPEC 10).  The version
 * store on disk is template_store.h; this module reads a version from it
 * (template_store_load()) and splits its manifest.  Used by the deploy
 * (deploy.h), health (health.h), fsck and template.c, which keeps loaded
 * versions for the service (template_files_of(), template.h).
 *
 * Return convention: 0 / -1 with a message in `err` (no absolute paths).
 */
#ifndef TENANTD_TEMPLATE_FILES_H
#define TENANTD_TEMPLATE_FILES_H

#include <stddef.h>

#include "manifest.h"

/*
 * A version's files as deploys and health checks use them.  `web` lists
 * the files of the web root (tenantd-template.json's web_root, SPEC 10),
 * paths relative to it, which go to the tenant's public/ and are served;
 * `source` the others, paths relative to the tenant folder, deployed
 * beside public/ and never served.  Without a web root every file is in
 * `web`.  The template's own package.json at the top of the tree is
 * neither: each tenant gets it customised (project_files.h), so it is
 * `package_json`.  `web` and `source` borrow their entries' paths from
 * `manifest`; template_files_release() frees all three.
 */
struct template_files {
	struct manifest	 manifest;
	char		 web_root[MANIFEST_PATH_MAX + 1];	/* "": none */
	struct manifest	 web;
	struct manifest	 source;
	const struct manifest_entry *package_json;	/* or NULL */
};

/* Names at the top of a tenant folder a template's files may not take. */
#define TEMPLATE_RESERVED_NAMES \
	{ "config.json", ".deployed", ".deployed-source", ".env.local", \
	  ".gate" }

/*
 * Splits f->manifest by f->web_root into f->web, f->source and
 * f->package_json (f's lists empty before).  Refused, with the path named
 * in `err`: a web root that holds no file or has a segment starting with
 * '.' (dotfiles are never served); a file outside it at a name the tenant
 * folder keeps for itself (TEMPLATE_RESERVED_NAMES, "public" unless it is
 * the web root, names starting with ".public."); a
 * package.json at the top that is a directory.  Returns 0, or -1.
 */
int	template_files_split(struct template_files *f, char *err,
	    size_t errlen);

/* Frees what a struct template_files holds and empties it. */
void	template_files_init(struct template_files *f);
void	template_files_release(struct template_files *f);

/*
 * Loads stored version `version` into the empty `f`: its manifest, the
 * web root from the stored tenantd-template.json, and the split.
 * Returns 0, or -1 with `err` set.
 */
int	template_store_load(int store_fd, const char *version,
	    struct template_files *f, char *err, size_t errlen);

#endif
