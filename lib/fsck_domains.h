/*
 * fsck_domains.h - fsck of the links of custom domains (domain_link.h)
 * against the rows of `domains`.  Only lib/fsck.c calls it, after the
 * tenants are examined.  The problems (named in fsck.h), each reported
 * with the domain as its name, and their repairs:
 *   "missing domain link": an active domain without its link in
 *       tenants_dir/.domains, or with one pointing elsewhere (it is not
 *       served, or served as another tenant).  Repair: the link is made
 *       again, atomically.
 *   "stray domain link": an entry of .domains no active domain accounts
 *       for (a pending or removed domain, debris of an interrupted
 *       change): it would serve a host nobody verified.  Repair: removed
 *       (it is a link, no data).
 */
#ifndef TENANTD_FSCK_DOMAINS_H
#define TENANTD_FSCK_DOMAINS_H

#include <stddef.h>

struct fsck;

/*
 * Checks the domain links, repairing when ctx->repair is set, and reports
 * every problem through the run's report.  Returns 0, or -1 with `err`
 * set when the report was stopped or the rows or links cannot be read.
 */
int	fsck_domains_check(struct fsck *ctx, char *err, size_t errlen);

#endif
