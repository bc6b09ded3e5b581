/*
 * job_kinds.h - the table of job kinds: the name a job carries in
 * jobs.kind, and the body that runs it (a job_body_fn, job.h).
 *
 * The kinds, their payloads and their results (JSON objects) are
 * documented beside their bodies:
 *   "deploy"       job_deploy.h   one tenant's site
 *   "bulk_deploy"  job_deploy.h   a list of tenants' sites, in turn
 *   "rollout"      job_deploy.h   tenants to a template version
 *   "mail"         job_mail.h     notifications of tenants
 * A new kind is one line of the table in job_kinds.c plus its body.
 */
#ifndef TENANTD_JOB_KINDS_H
#define TENANTD_JOB_KINDS_H

#include "job.h"

struct job_kind {
	const char	*name;		/* jobs.kind */
	job_body_fn	 run;
};

/*
 * The kind called `name`, or NULL when this build knows no such kind (the
 * runner fails such a job).  The table is static: the pointer stays valid.
 */
const struct job_kind *job_kind_find(const char *name);

#endif
