/*
 * fsck_problem.h - what a run of fsck tells its caller: one struct
 * fsck_problem per problem, handed to the caller's report function as
 * it is found, and the counts of the run.  Kept apart from fsck.h, which
 * offers them with fsck_run(), so that the part of fsck that reports
 * (fsck_scan.c) needs nothing else of fsck.
 */
#ifndef TENANTD_FSCK_PROBLEM_H
#define TENANTD_FSCK_PROBLEM_H

#include <stdint.h>

struct fsck_problem {
	int64_t		 tenant_id;	/* 0 for a folder without a tenant */
	const char	*name;		/* the subdomain, folder name or
					   "template <version>" */
	const char	*problem;	/* one of the names fsck.h lists */
	const char	*detail;	/* for a person; "" when none */
	int		 repaired;
};

/*
 * Called once per problem as it is found (and, with repair, after the
 * attempt).  Returning non-zero stops the run.
 */
typedef int (*fsck_report_fn)(void *arg, const struct fsck_problem *p);

struct fsck_summary {
	int64_t	checked;	/* tenant rows examined */
	int64_t	problems;	/* problems reported */
	int64_t	repaired;	/* of those, repaired */
};

#endif
