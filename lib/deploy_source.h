/*
 * deploy_source.h - the files of a template version outside its web root
 * (SPEC 10: with tenantd-template.json's web_root the whole tree is
 * deployed into the tenant folder and only the web root is served).  They
 * go beside public/ in the tenant folder and are never served.
 *
 * deploy_tenant() (deploy.c) runs them in three steps around its own:
 *   build  before public/ is flushed and swapped: ".source.staging-<hex>"
 *          in the tenant folder is filled with the same passes as public/
 *          (links to the stored version, files the tenant changed kept
 *          unless forced, the tenant's own files inside the template's
 *          directories carried over);
 *   swap   after public/ is swapped: each top-level entry is swapped into
 *          place with renameat2(RENAME_EXCHANGE), one at a time.  These
 *          files are not served, so no request sees the steps; a deploy
 *          killed between two swaps is finished by the next one (the
 *          record is written last).  Template files of the previous
 *          version the new one lacks are removed when unchanged, with the
 *          directories they leave empty; the tenant's own files stay;
 *   close  frees what build opened.
 * What was deployed is recorded in DEPLOY_SOURCE_RECORD_FILE, as
 * DEPLOY_RECORD_FILE records public/.
 */
#ifndef TENANTD_DEPLOY_SOURCE_H
#define TENANTD_DEPLOY_SOURCE_H

#include <stddef.h>

#include "deploy_passes.h"

struct manifest;

/* Staging directories of the source files start with this. */
#define DEPLOY_SOURCE_STAGING_PREFIX	".source.staging-"

/*
 * Sets `src` up for the source files `source` of the deploy `web` (whose
 * tenant folder, options, report and messages it shares) and builds their
 * staging tree from the version's whole tree, open on `tree` (the
 * caller's).  Returns 0, or -1 with web->err set.
 */
int	deploy_source_build(struct deploy_run *src, struct deploy_run *web,
	    const struct manifest *source, int tree);

/*
 * Swaps the built entries into the tenant folder, removes what the
 * previous version had and the new one lacks, and writes the record
 * (flushed when `sync`).  Returns 0, or -1 with the message set.
 */
int	deploy_source_swap(struct deploy_run *src, int sync);

/* Removes a staging tree left behind and frees what build opened. */
void	deploy_source_close(struct deploy_run *src);

#endif
