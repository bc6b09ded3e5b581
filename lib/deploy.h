/*
 * deploy.h - putting a version of the tenant site template into a
 * tenant's folder.
 *
 * A deploy makes tenants/<sub>/public/ hold every file of a stored
 * template version's web root (template_files.h), plus the files that are
 * the tenant's own (its logo, anything not in the template), puts the
 * version's other files beside it (deploy_source.h), and writes
 * tenants/<sub>/package.json (name "<sub>-app") and
 * tenants/<sub>/.env.local (the NEXT_PUBLIC_* values of the original
 * plan).  Nothing outside public/ is ever served.
 *
 * Order of operations, so a tenant site is never seen half deployed:
 *   1. build tenants/<sub>/.public.staging-<hex>/: template files
 *      hard-linked to the stored version's read-only files, so a tenant
 *      shares their blocks and inodes (with template_files = copy, or
 *      where links are refused, copied with copy_file_range(): a reflink
 *      where the filesystem allows); the tenant's own files hard-linked
 *      from the old public/ (copied if links are refused);
 *   2. a file the tenant changed (its bytes differ from the manifest) is
 *      kept and reported, unless `force`, in which case it is replaced;
 *   3. renameat2(RENAME_EXCHANGE) swaps staging and public/ in one step,
 *      then the old tree (now under the staging name) is removed;
 *   4. package.json and .env.local are written atomically.
 * A failure before step 3 removes the staging directory and leaves
 * public/ exactly as it was.
 *
 * deploy_tenant() expects the tenant's lock (tenant_lock.h) to be held;
 * deploy_locked() (deploy_queue.h) takes it around it and is what deploys
 * go through (fsck repairs call deploy_tenant() under their own lock).
 * What a deploy did is a struct deploy_report (deploy_report.h).
 */
#ifndef TENANTD_DEPLOY_H
#define TENANTD_DEPLOY_H

#include <stddef.h>

#include <stdint.h>

#include "deploy_report.h"

struct manifest;
struct template_files;
struct service;
struct tenant;

/* How a deploy is asked for (deploy_tenant(), deploy_locked()). */
struct deploy_options {
	int		 force;		/* replace files the tenant changed */
	const char	*version;	/* the version; deploy_locked(): NULL
					   for the default (template.h) */
	int64_t		 user_id;	/* deploy_locked(): for the audit log,
					   0 for none */
	int		 lock_wait_ms;	/* deploy_locked(): how long to wait
					   for the tenant's lock; 0: not */
	int		 batch;		/* one of many: no flush of the disk;
					   the caller flushes once (syncfs)
					   and then records the version */
	deploy_progress_fn progress;	/* may be NULL */
	void		*progress_arg;
};

/*
 * Deploys stored template version o->version, whose files are `files`
 * (template_files.h, as template_files_of() keeps them), into tenant
 * `t`'s folder: its web root into public/, the other files beside it
 * (deploy_source.h).  Unless o->batch, the new files
 * are flushed to disk before the swap and the folder after it.  Returns 0
 * with `report` filled, or -1 with a message for administrators in `err`
 * (no absolute paths).
 */
int	deploy_tenant(struct service *svc, const struct tenant *t,
	    const struct template_files *files, const struct deploy_options *o,
	    struct deploy_report *report, char *err, size_t errlen);

/*
 * deploy_tenant() into the tenant folder open on `folder` (the caller's)
 * instead of the one its subdomain names: a folder being built under a
 * staging name (bulk create deploys there, before it is placed).
 */
int	deploy_tenant_in(struct service *svc, const struct tenant *t,
	    int folder, const struct template_files *files,
	    const struct deploy_options *o, struct deploy_report *report,
	    char *err, size_t errlen);

/*
 * Sets t->deployed, which the tenant JSON carries so a list can offer
 * "Deploy" or "Redeploy" without a health check per tenant: 1 when `t` is
 * active and its folder holds the record a finished deploy leaves
 * (tenants/<sub>/.deployed), else 0.  An archived tenant's site is
 * offline, so it counts as not deployed.  Costs two system calls; a folder
 * that cannot be examined is logged and counts as not deployed.
 */
void	deploy_state_load(const struct service *svc, struct tenant *t);

#endif
