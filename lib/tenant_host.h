/*
 * tenant_host.h - which tenant, if any, a host name serves.
 *
 * A TLS front end asks before it takes a certificate for a name a client
 * sent (GET /api/domains/check, Caddy's on-demand "ask"), so the answer
 * must be cheap and must never let a made-up name through: a host is
 * served when it is <sub>.<base_domain> of an active tenant, or an active
 * custom domain of one (SPEC 11, domain_active_tenant()).
 */
#ifndef TENANTD_TENANT_HOST_H
#define TENANTD_TENANT_HOST_H

#include <stddef.h>

struct conf;
struct db;

/*
 * Does `host` (`len` bytes, a host name validate_hostname() accepts) name
 * the site of an active (not archived) tenant: one label under
 * c->base_domain, not reserved, whose tenant row is active, or any other
 * name that is an active custom domain of an active tenant?  One indexed
 * query, and none for a name that cannot be a tenant's.  Returns 1, 0 when
 * it names none, or -1 on a database error.
 */
int	tenant_host_active(struct db *db, const struct conf *c,
	    const char *host, size_t len);

#endif
