/*
 * job_deploy.h - the bodies of the deploy job kinds, both through
 * deploy_locked() (deploy.h), listed in job_kinds.c's table.
 *
 *   "deploy"       payload {"force": bool} ("force" may be absent),
 *                  tenant_id set: deploys that tenant.  Result:
 *                  deploy_report_json()'s report.  A tenant busy with
 *                  another operation, or a database error, sends the job
 *                  back to the queue uncounted.
 *   "bulk_deploy"  payload {"tenant_ids": [id, ...], "force": bool},
 *                  tenant_id NULL: deploys each listed tenant in turn;
 *                  progress is the share of tenants done; a tenant that
 *                  fails is listed and the others go on.  Result: success,
 *                  total, deployed, failed_count, failures [{tenant_id,
 *                  subdomain, error}] (the first 100).
 */
#ifndef TENANTD_JOB_DEPLOY_H
#define TENANTD_JOB_DEPLOY_H

#include "job.h"

enum job_outcome job_deploy_run(struct job_context *ctx);
enum job_outcome job_bulk_deploy_run(struct job_context *ctx);

#endif
