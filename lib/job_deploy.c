/*
 * job_deploy.c - the body of the "deploy" job (its payload and result are
 * in job_deploy.h): the tenant is deployed through deploy_locked(), the
 * one locked deploy, with the job's progress handed down to the copying.
 * The jobs of many tenants are job_bulk_deploy.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "db.h"
#include "deploy.h"
#include "deploy_queue.h"
#include "job.h"
#include "job_deploy.h"
#include "json.h"
#include "log.h"
#include "service.h"
#include "template.h"
#include "template_rows.h"
#include "template_store.h"
#include "tenant.h"

/*
 * Reads {"force": bool} from a deploy payload; "force" may be absent.
 * Returns 0, or -1 for anything else.
 */
static int
deploy_payload_read(const char *payload, int *force)
{
	struct json_value *v = NULL;
	const struct json_value *f;
	char err[128];
	int rc = -1;

	*force = 0;
	if (payload == NULL)
		return 0;
	if ((v = json_parse(payload, strlen(payload), err,
	    sizeof(err))) == NULL || v->type != JSON_OBJECT)
		goto out;
	if ((f = json_object_get(v, "force")) != NULL) {
		if (f->type != JSON_BOOL)
			goto out;
		*force = f->boolean;
	}
	rc = 0;
out:
	json_free(v);
	return rc;
}

/*
 * Runs a "deploy" job through deploy_locked(), recording progress: a
 * tenant busy with another operation, or a database error, sends the job
 * back to the queue uncounted.  Called by the runner through the kinds
 * table.  Returns the outcome, with the report (deploy_report_json()) in
 * ctx->result or the reason in ctx->message.
 */
enum job_outcome
job_deploy_run(struct job_context *ctx)
{
	const struct job *j = ctx->job;
	struct deploy_options o;
	struct tenant t;
	struct deploy_report *report = NULL;
	yajl_gen g = NULL;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int force;

	tenant_init(&t);
	if (deploy_payload_read(j->payload, &force) == -1) {
		snprintf(ctx->message, ctx->messagelen, "invalid job payload");
		goto out;
	}
	/* The report holds 100 paths: too large for a stack frame. */
	if ((report = calloc(1, sizeof(*report))) == NULL) {
		snprintf(ctx->message, ctx->messagelen, "out of memory");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.force = force;
	o.user_id = j->created_by;
	o.progress = ctx->progress;
	o.progress_arg = ctx->progress_arg;
	switch (deploy_locked(ctx->svc, j->tenant_id, &o, &t, report,
	    ctx->message, ctx->messagelen)) {
	case RESULT_OK:
		break;
	case RESULT_FAILED:
		if (*ctx->cancelled) {
			snprintf(ctx->message, ctx->messagelen, "cancelled");
			outcome = JOB_OUTCOME_CANCELLED;
		}
		goto out;
	case RESULT_BUSY:
		log_debug("job %" PRId64 ": tenant %" PRId64 " is busy; "
		    "requeued", j->id, j->tenant_id);
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	case RESULT_DB_DOWN:
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	default:	/* not found, archived, failed: not worth a retry */
		goto out;
	}
	if ((g = json_gen_new()) == NULL ||
	    deploy_report_json(ctx->svc->conf, &t, report, g) == -1 ||
	    json_gen_to_buf(g, ctx->result) == -1) {
		snprintf(ctx->message, ctx->messagelen,
		    "could not build the result");
		goto out;
	}
	outcome = JOB_OUTCOME_DONE;
out:
	if (g != NULL)
		yajl_gen_free(g);
	free(report);
	tenant_release(&t);
	return outcome;
}
