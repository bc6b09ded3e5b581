/*
 * tenant_host.c - the host name -> tenant decision of tenant_host.h.
 */
#include <string.h>

#include "conf.h"
#include "db.h"
#include "domain.h"
#include "gate.h"
#include "tenant_host.h"
#include "validate.h"

/*
 * Finds the tenant host `host` names (see tenant_host.h).  Called by the
 * on-demand TLS check.  Returns 1, 0 or -1.
 */
int
tenant_host_active(struct db *db, const struct conf *c, const char *host,
    size_t len)
{
	char name[HOSTNAME_MAX + 1], subdomain[SUBDOMAIN_MAX + 1];
	struct db_result result;
	struct db_param param;
	int64_t tenant_id;
	int rc = -1;

	db_result_init(&result);
	if (validate_hostname(host, len) != NULL) {
		rc = 0;
		goto out;
	}
	memcpy(name, host, len);
	name[len] = '\0';
	/* Any other name may be a tenant's own, verified domain. */
	if (!gate_host_subdomain(name, c->base_domain, subdomain,
	    sizeof(subdomain))) {
		rc = domain_active_tenant(db, name, &tenant_id);
		goto out;
	}
	if (conf_is_reserved(c, subdomain)) {
		rc = 0;
		goto out;
	}
	/* The (subdomain, is_active) index answers it. */
	param = db_text(subdomain);
	if (db_query(db, "SELECT 1 FROM tenants WHERE subdomain = ? AND "
	    "is_active = 1", &param, 1, &result) == -1)
		goto out;
	rc = result.rows > 0 ? 1 : 0;
out:
	db_result_release(&result);
	return rc;
}
