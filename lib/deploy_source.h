/*
 * deploy_source.h - the files of a template version outside its web root
 * (SPEC 10: with tenantd-template.json's web_root the whole tree is
 * deployed into the tenant folder and only the web root is served).  They
 * go beside public/ in the tenant folder and are never served.
 *
 * What requests see, public/, is swapped in one step by deploy.c.  These
 * files are not served, so they are updated in place, each file by
 * itself: after the swap of public/, every file is checked against the
 * version; one already the stored file (the same inode: a rollout leaves
 * the files it does not change alone) costs one fstatat(); a missing one
 * is linked; an outdated one is replaced by a link made under a temporary
 * name and renamed over it; one the tenant changed is kept and reported
 * unless forced.  Template files of the previous version the new one
 * lacks are removed when unchanged, with the directories they leave
 * empty; the tenant's own files stay.  The record
 * (DEPLOY_SOURCE_RECORD_FILE, as DEPLOY_RECORD_FILE records public/) is
 * written last, so a deploy killed half-way is finished by the next one,
 * which trusts no file the record does not vouch for.  No directory is
 * made twice: a rollout of a version that changes a few files costs a
 * stat per file and a link per change, not a tree.
 */
#ifndef TENANTD_DEPLOY_SOURCE_H
#define TENANTD_DEPLOY_SOURCE_H

#include <stddef.h>

#include "deploy_passes.h"

struct manifest;

/*
 * Puts the source files `source` of the deploy `web` (whose tenant
 * folder, options, report and messages it shares) in place from the
 * version's whole tree, open on `tree` (the caller's), and writes the
 * record (flushed when `sync`).  Returns 0, or -1 with web->err set.
 */
int	deploy_source(struct deploy_run *web, const struct manifest *source,
	    int tree, int sync);

#endif
