/*
 * ctl_domain.h - tenantctl's custom domain commands, on top of
 * lib/domain.c: the same rule, rows, audit rows, DNS look-up and links as
 * the API.
 */
#ifndef TENANTD_CTL_DOMAIN_H
#define TENANTD_CTL_DOMAIN_H

#include "ctl_common.h"

/*
 * tenant domain add|list|verify|remove ID|SUBDOMAIN [DOMAIN] [--json]:
 *   add      adds DOMAIN, pending, and prints the TXT record to create;
 *   list     lists the tenant's domains: domain, status, verified_at,
 *            TXT record name and value;
 *   verify   looks the TXT record up; the domain is active (and served)
 *            when it holds the token, else CLI_FAILED saying what the DNS
 *            holds;
 *   remove   removes DOMAIN; it is served no more.
 * Returns CLI_OK, CLI_FAILED or CLI_USAGE after a message.
 */
int	ctl_tenant_domain(struct cli *cli, const struct cli_options *o);

#endif
