/*
 * ctl_domain.c - tenantctl tenant domain add|list|verify|remove (see
 * ctl_domain.h).  The work is lib/domain.c's, as for the API; changes are
 * audited with no user (tenantctl run by the operator).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "ctl_common.h"
#include "ctl_domain.h"
#include "ctl_tenant.h"
#include "db.h"
#include "domain.h"
#include "json.h"
#include "tenant.h"

/* Room for the message of a domain operation (a DNS answer quoted). */
#define CTL_DOMAIN_ERR_MAX	600

/* One line of the listing: domain, status, verified_at, TXT name, value. */
static void
domain_line(const void *item)
{
	const struct domain *d = item;

	printf("%s\t%s\t%s\t%s.%s\t%s\n", d->name,
	    d->active ? "active" : "pending",
	    d->verified_at[0] != '\0' ? d->verified_at : "-",
	    DOMAIN_CHALLENGE_LABEL, d->name, d->token);
}

/* The members of one domain's JSON object, for ctl_listing_print(). */
static int
domain_members(yajl_gen g, const void *item)
{
	return domain_to_json_members(g, item);
}

/* Prints one domain as the listing does (one item).  CLI_OK or FAILED. */
static int
domain_print(const struct cli_options *o, const struct domain *d)
{
	return ctl_listing_print(o, d, 1, sizeof(*d), domain_members,
	    domain_line);
}

/* Says why a domain operation failed.  Returns CLI_FAILED. */
static int
domain_failed(const char *what, const char *name, enum result rs,
    const char *err)
{
	if (rs == RESULT_TAKEN)
		complain("%s", err);
	else
		complain("cannot %s %s: %s", what, name,
		    err[0] != '\0' ? err : "failed");
	return CLI_FAILED;
}

/* tenant domain ACTION ID|SUBDOMAIN [DOMAIN] [--json]. */
int
ctl_tenant_domain(struct cli *cli, const struct cli_options *o)
{
	struct domain *items = NULL, d;
	struct tenant t;
	const char *action = o->args[0], *name = NULL;
	enum result rs;
	char err[CTL_DOMAIN_ERR_MAX];
	size_t count = 0;
	int rc = CLI_USAGE, needs_name;

	tenant_init(&t);
	needs_name = strcmp(action, "list") != 0;
	if ((strcmp(action, "list") != 0 && strcmp(action, "add") != 0 &&
	    strcmp(action, "verify") != 0 && strcmp(action, "remove") != 0) ||
	    o->arg_count < 2 || o->arg_count != (needs_name ? 3 : 2)) {
		complain("usage: tenant domain add|verify|remove ID|SUBDOMAIN "
		    "DOMAIN, or tenant domain list ID|SUBDOMAIN");
		goto out;
	}
	rc = CLI_FAILED;
	if (needs_name)
		name = o->args[2];
	if (ctl_tenant_lookup(cli, o->args[1], &t) != 1)
		goto out;
	err[0] = '\0';
	if (strcmp(action, "list") == 0) {
		if (domain_list(cli->svc.db, t.id, &items, &count) == -1) {
			complain("cannot list the domains: %s",
			    db_error(cli->svc.db));
			goto out;
		}
		rc = ctl_listing_print(o, items, count, sizeof(*items),
		    domain_members, domain_line);
	} else if (strcmp(action, "add") == 0) {
		rs = domain_add(&cli->svc, t.id, name, strlen(name), 0, &d, err,
		    sizeof(err));
		rc = rs == RESULT_OK ? domain_print(o, &d) :
		    domain_failed("add", name, rs, err);
	} else if (strcmp(action, "verify") == 0) {
		rs = domain_verify(&cli->svc, t.id, name, 0, &d, err,
		    sizeof(err));
		rc = rs == RESULT_OK ? domain_print(o, &d) :
		    domain_failed("verify", name, rs, err);
	} else {
		rs = domain_remove(&cli->svc, t.id, name, 0, err, sizeof(err));
		if (rs == RESULT_OK) {
			printf("removed %s\n", name);
			rc = CLI_OK;
		} else
			rc = domain_failed("remove", name, rs, err);
	}
out:
	free(items);
	tenant_release(&t);
	return rc;
}
