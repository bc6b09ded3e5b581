/*
 * deploy_cdn.h - what a deploy does for tenantd.conf's asset_base_url
 * (SPEC 12), between the passes of deploy_passes.h:
 *
 *   - each static file of the web root (asset_name_is_static()) put into
 *     the staging tree from the template gets its content-named alias
 *     (asset_name.h) beside it: a hard link to the same file, so no
 *     block is written and an alias never names other content;
 *   - each HTML file of the web root put there from the template is then
 *     replaced by a file of the tenant's own, rewritten by
 *     asset_html_rewrite(): its <link>, <script> and <img> references to
 *     aliased files become <asset_base_url>/<sub>/<alias>.  It is recorded
 *     with the digest of what it holds (deploy_record.h), so the next
 *     deploy knows it as the deploy's, not as the tenant's change;
 *   - the aliases of the last deploy are the deploy's, never carried over
 *     as the tenant's own files (the scan pass of deploy_passes.c knows
 *     them): after a rollout the old names are gone.
 *
 * The tenant's logo, a file of its own, gets its alias the same way
 * (config_render_logo_alias(): the digest is stored with the tenant), so
 * config.json can name it on the CDN.
 *
 * A template file the tenant changed (kept) gets no alias and keeps its
 * plain same-origin reference.  Module imports inside JavaScript stay as
 * the template wrote them (relative), so the modules an entry script
 * imports load from the CDN under their plain names; README.md says why
 * there is no import map.
 */
#ifndef TENANTD_DEPLOY_CDN_H
#define TENANTD_DEPLOY_CDN_H

#include <sys/stat.h>

#include <stddef.h>

#include "deploy_passes.h"

/*
 * The alias pass, after the template pass when run->asset_base_url is
 * set: each static file the template pass put into the staging tree gets
 * its alias beside it.  A name that cannot be an alias (taken, too long,
 * too many links) leaves the file without one, with a warning.  Returns
 * 0, or -1 (with run->err set).
 */
int	deploy_cdn_aliases(struct deploy_run *run);

/*
 * The render pass: the HTML files the template pass put into the staging
 * tree are rewritten (see above).  Returns 0, or -1 (with run->err set).
 */
int	deploy_cdn_render(struct deploy_run *run);

/*
 * After the carry pass: the alias of the tenant's logo, when it has one,
 * beside the logo carried into the staging tree.  Returns 0, or -1 (with
 * run->err set).
 */
int	deploy_cdn_logo(struct deploy_run *run);

/*
 * Is template file `i` of the old public/, `deployed` (found in directory
 * `parent`), as a deploy under the current asset_base_url left it, given
 * that `stored` is the version's file: an HTML file rewritten for
 * asset_base_url the one the record names while the tenant stays on its
 * version, any other the stored file itself, with its alias beside it
 * when it gets one?  1 or 0.
 */
int	deploy_cdn_file_current(const struct deploy_run *run, size_t i,
	    int parent, const struct stat *stored,
	    const struct stat *deployed);

/*
 * Is the old public/ as this deploy's asset_base_url wants it, besides
 * the template files (deploy_cdn_file_current()): the record of the last
 * deploy naming the same setting (both none included), and the logo's
 * alias there when it has one?  1 or 0.
 */
int	deploy_cdn_public_current(const struct deploy_run *run);

#endif
