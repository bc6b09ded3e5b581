/*
 * deploy_report.h - what a deploy did, and how it reports its progress.
 *
 * deploy_tenant() (deploy.h) fills a struct deploy_report; the deploy API
 * answers it as JSON and deploy jobs store it as their result.
 */
#ifndef TENANTD_DEPLOY_REPORT_H
#define TENANTD_DEPLOY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "manifest.h"

struct conf;
struct tenant;

#define DEPLOY_REPORT_MAX_KEPT	100

struct deploy_report {
	size_t	files_copied;		/* template files put in place */
	size_t	files_linked;		/* of those, links to the store */
	size_t	files_kept;		/* changed by the tenant, kept */
	size_t	files_replaced;		/* changed by the tenant, replaced */
	size_t	files_carried;		/* the tenant's own files carried over */
	uint64_t bytes_copied;		/* bytes of the copies (links: 0) */
	char	template_version[16];	/* the version deployed */
	char	kept[DEPLOY_REPORT_MAX_KEPT][MANIFEST_PATH_MAX + 1]; /* first kept */
};

/*
 * Called after each file with the number done and the total, so a job can
 * record progress.  Returning non-zero cancels the deploy (it is rolled
 * back as a failure).
 */
typedef int (*deploy_progress_fn)(void *arg, size_t done, size_t total);

/*
 * Writes the report of a deploy of tenant `t` as a JSON object into `g`:
 * {"success": true, "tenant_url", "template_version", "files_copied",
 * "files_linked", "bytes_copied", "files_kept", "kept" (the first
 * DEPLOY_REPORT_MAX_KEPT paths), "files_replaced", "files_carried"}.  The
 * deploy API answers it and deploy jobs store it.
 * Returns 0 or -1.
 */
int	deploy_report_json(const struct conf *c, const struct tenant *t,
	    const struct deploy_report *report, yajl_gen g);

#endif
