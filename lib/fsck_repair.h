/*
 * fsck_repair.h - the repairs of `tenantctl fsck --repair` (fsck.h says
 * what each problem's repair is).  Only lib/fsck.c calls them.
 */
#ifndef TENANTD_FSCK_REPAIR_H
#define TENANTD_FSCK_REPAIR_H

#include "fsck_scan.h"

struct tenant;

/*
 * Repairs the problems examination `f` found for tenant `t`: an
 * interrupted archive or restore is completed (and a restored tenant
 * examined and repaired again in the same run), the rest is repaired
 * under fsck's tenant lock after a fresh examination, which replaces `f`.
 * Each problem's detail and repaired flag in `f` say the outcome; a busy
 * tenant keeps its problems with a note.
 */
void	fsck_repair_tenant(struct fsck *ctx, const struct tenant *t,
	    struct findings *f);

/*
 * Moves folder `name` of `dirfd` (`where` names that directory) aside
 * into archive_dir as ".orphan-<name>-<hex>", recording the outcome as
 * problem `p` of `f`.
 */
void	fsck_put_aside(struct fsck *ctx, int dirfd, const char *name,
	    const char *where, struct findings *f, enum problem p);

#endif
