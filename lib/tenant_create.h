/*
 * tenant_create.h - creating a tenant and deploying its site: the one
 * path of POST /api/tenants/ and `tenantctl tenant create`.
 *
 * The tenant is created by provision_create() (rows and folder together,
 * audited "tenant.create"); then, unless in->deploy is 0 (the API's
 * deploy=false, tenantctl's --no-deploy), its site is deployed in one of
 * two ways:
 *   TENANT_CREATE_QUEUE  a "deploy" job is queued for the job runners, and
 *                        the caller answers at once with the job's id (the
 *                        API);
 *   TENANT_CREATE_NOW    deploy_locked() deploys it before returning
 *                        (tenantctl).
 * Either way the deploy is audited "tenant.deploy" for the same user.  A
 * deploy that could not be queued, or failed, leaves the tenant created
 * all the same: `tenantctl fsck` reports its undeployed site and a deploy
 * finishes it.
 */
#ifndef TENANTD_TENANT_CREATE_H
#define TENANTD_TENANT_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include "deploy_queue.h"
#include "provision.h"

struct service;
struct tenant;
struct tenant_input;

enum tenant_create_mode {
	TENANT_CREATE_QUEUE,
	TENANT_CREATE_NOW
};

/* How tenant_create() deploys the new tenant's site, and how that went. */
struct tenant_create_site {
	/* Set by the caller. */
	enum tenant_create_mode	 mode;
	/*
	 * Called once the tenant exists, before its deploy is queued or run
	 * (tenantctl prints the new tenant there, before a deploy that may
	 * take a while); non-zero skips the deploy.  May be NULL.
	 */
	int			(*created)(void *arg, struct tenant *t);
	void			*created_arg;
	struct deploy_report	*report;	/* NOW: receives the report;
						   not NULL */
	/* Set by tenant_create(). */
	int64_t			 job_id;	/* QUEUE: the job, 0 if none */
	enum result		 status;	/* NOW: how the deploy went */
	char			 error[512];	/* NOW: why, unless OK */
};

/*
 * Creates a tenant from validated input `in` on behalf of `user_id` (0:
 * none), as provision_create() does, then deploys its site as `site` says.
 * Returns provision_create()'s status, with `out` holding the tenant and
 * `err` the reason of a failure; the deploy's outcome is in `site` (only
 * when RESULT_OK).
 */
enum result tenant_create(struct service *svc,
	    const struct tenant_input *in, int64_t user_id,
	    struct tenant_create_site *site, struct tenant *out, char *err,
	    size_t errlen);

#endif
