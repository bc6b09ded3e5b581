/*
 * job_names.h - the names of the job kinds, as jobs.kind holds them, for
 * the code that queues or looks for jobs of a kind (deploy.c, bulk
 * create, lifecycle.c, notification.c) and for the table of kinds
 * (job_kinds.c).  Only names: the queue (job.h) treats a kind as an
 * opaque string, and what a kind does is job_kinds.h's.  A header of its own so that modules below
 * the job kinds' layer can name a kind without depending on it.
 */
#ifndef TENANTD_JOB_NAMES_H
#define TENANTD_JOB_NAMES_H

#define JOB_KIND_DEPLOY		"deploy"	/* one tenant's site */
#define JOB_KIND_BULK_DEPLOY	"bulk_deploy"	/* a list of tenants' sites */
#define JOB_KIND_ROLLOUT	"rollout"	/* tenants to a template version */
#define JOB_KIND_MAIL		"mail"		/* notifications of tenants */

#endif
