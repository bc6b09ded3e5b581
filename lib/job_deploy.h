/*
 * job_deploy.h - the bodies of the deploy job kinds, all through
 * deploy_locked() (deploy_queue.h), listed in job_kinds.c's table.
 *   "deploy"       payload {"force": bool} ("force" may be absent),
 *                  tenant_id set: deploys that tenant to the default
 *                  template version.  Result: deploy_report_json()'s
 *                  report.  A tenant busy with another operation, or a
 *                  database error, sends the job back to the queue
 *                  uncounted.
 *   "bulk_deploy"  payload {"tenant_ids": [id, ...], "force": bool,
 *                  "version": "..." (optional: the default)}, tenant_id
 *                  NULL: deploys each listed tenant in turn; progress is
 *                  the share of tenants done; a tenant that fails is
 *                  listed and the others go on.
 *   "rollout"      the same with "version" required: moves the tenants
 *                  to that version (POST /api/templates/{version}/rollout/,
 *                  tenantctl template rollout).
 * Both bulk kinds make their tenants durable in batches, one flush of the
 * disk per batch, before recording their version, and stop when
 * cancelled (job.h): done tenants stay on the version, the others where
 * they were.  Result: success, version, total, deployed, failed_count,
 * failures [{tenant_id, subdomain, error}], kept_count, kept [{tenant_id,
 * subdomain, files_kept, files}] (tenants whose changed files were kept
 * because force was not asked; the first 100, 20 paths each), cancelled.
 */
#ifndef TENANTD_JOB_DEPLOY_H
#define TENANTD_JOB_DEPLOY_H

#include "job.h"

enum job_outcome job_deploy_run(struct job_context *ctx);
enum job_outcome job_bulk_deploy_run(struct job_context *ctx);
enum job_outcome job_rollout_run(struct job_context *ctx);

#endif
