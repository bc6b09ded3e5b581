/*
 * job_kinds.c - the table mapping each job kind to its body, for the
 * runner (job_runner.c).  The bodies live in job_<kind>.c files.
 */
#include <stddef.h>
#include <string.h>

#include "job.h"
#include "job_deploy.h"
#include "job_kinds.h"
#include "job_mail.h"
#include "job_names.h"

static const struct job_kind job_kinds[] = {
	{ JOB_KIND_DEPLOY,	job_deploy_run },
	{ JOB_KIND_BULK_DEPLOY,	job_bulk_deploy_run },
	{ JOB_KIND_ROLLOUT,	job_rollout_run },
	{ JOB_KIND_MAIL,	job_mail_run },
};

/*
 * Looks kind `name` up in the table (see job_kinds.h).  Called by the
 * runner for every job it claims.  Returns the kind, or NULL.
 */
const struct job_kind *
job_kind_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(job_kinds) / sizeof(job_kinds[0]); i++)
		if (strcmp(job_kinds[i].name, name) == 0)
			return &job_kinds[i];
	return NULL;
}
