/*
 * tenant_create.c - a tenant created, then its site deployed (queued as a
 * job or run now): what the API's create and `tenantctl tenant create`
 * share, so they cannot drift apart.
 */
#include <string.h>

#include "db.h"
#include "deploy_queue.h"
#include "log.h"
#include "provision.h"
#include "service.h"
#include "tenant.h"
#include "tenant_create.h"
#include "tenant_input.h"

/*
 * Runs the deploy of new tenant `t` before returning, under its lock,
 * recorded for `user_id`, into `site`.
 */
static void
deploy_now(struct service *svc, const struct tenant *t, int64_t user_id,
    struct tenant_create_site *site)
{
	struct deploy_options	o;
	struct tenant		deployed;

	memset(&o, 0, sizeof(o));
	o.user_id = user_id;
	tenant_init(&deployed);
	site->status = deploy_locked(svc, t->id, &o, &deployed, site->report,
	    site->error, sizeof(site->error));
	tenant_release(&deployed);
}

/*
 * Creates the tenant and deploys its site (see tenant_create.h).  Called
 * by the create handler and tenantctl's tenant create.  Returns
 * provision_create()'s status.
 */
enum result
tenant_create(struct service *svc, const struct tenant_input *in,
    int64_t user_id, struct tenant_create_site *site, struct tenant *out,
    char *err, size_t errlen)
{
	enum result status;

	site->job_id = 0;
	site->status = RESULT_FAILED;
	site->error[0] = '\0';
	status = provision_create(svc, in, user_id, out, err, errlen);
	if (status != RESULT_OK)
		return status;
	if (site->created != NULL && site->created(site->created_arg,
	    out) != 0)
		return status;
	if (!in->deploy)
		return status;
	switch (site->mode) {
	case TENANT_CREATE_QUEUE:
		/* The tenant stays without its job: fsck reports it. */
		if (deploy_queue_job(svc->db, out->id, 0, user_id,
		    &site->job_id) == -1) {
			log_warning("tenant %s was created, but its deploy "
			    "could not be queued: %s", out->subdomain,
			    db_error(svc->db));
			site->job_id = 0;
		}
		break;
	case TENANT_CREATE_NOW:
		deploy_now(svc, out, user_id, site);
		break;
	}
	return status;
}
