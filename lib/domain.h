/*
 * domain.h - the custom domains of tenants (SPEC 11): the rows of table
 * `domains`, each change with its audit row in one transaction, the
 * verification by a DNS TXT record, and the question the front ends ask
 * of a Host: which tenant, if any, does this active domain serve?
 *
 * A domain is added "pending" with a random token; verify looks up the
 * TXT record _tenantd-challenge.<domain> and makes it "active" when the
 * record holds the token.  A domain of an archived tenant keeps its row
 * and status but serves nothing until the tenant is restored
 * (domain_active_tenant() asks for an active tenant, and its link in
 * tenants_dir dangles, see domain_link.h); deleting the tenant deletes
 * its domains (the foreign key cascades) and their links.
 *
 * Ownership: struct domain holds no pointers; a list from domain_list()
 * is one array the caller frees with free().
 */
#ifndef TENANTD_DOMAIN_H
#define TENANTD_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "domain_name.h"
#include "result.h"

struct db;
struct service;

/* The name of the TXT record is this label, a dot and the domain. */
#define DOMAIN_CHALLENGE_LABEL	"_tenantd-challenge"
/* Random bytes of a token; it is written as twice as many hex digits. */
#define DOMAIN_TOKEN_BYTES	16

struct domain {
	int64_t	 id;
	int64_t	 tenant_id;
	char	 name[DOMAIN_NAME_MAX + 1];
	int	 active;			/* 0: pending */
	char	 token[2 * DOMAIN_TOKEN_BYTES + 1];
	char	 created_at[32];		/* "YYYY-MM-DDTHH:MM:SSZ" */
	char	 verified_at[32];		/* the same, or "" */
};

/*
 * Adds domain `name` (`len` bytes, unchecked) to tenant `tenant_id` as
 * pending with a new token, audited "domain.add" as `user_id`, and fills
 * `out`.  Returns RESULT_OK; RESULT_INVALID (`err`: what the name breaks,
 * domain_name.h); RESULT_NOT_FOUND (no such tenant); RESULT_ARCHIVED;
 * RESULT_TAKEN (a tenant, this one included, has the name);
 * RESULT_DB_DOWN or RESULT_FAILED.
 */
enum result domain_add(struct service *svc, int64_t tenant_id,
	    const char *name, size_t len, int64_t user_id, struct domain *out,
	    char *err, size_t errlen);

/*
 * Inserts domain `name` (valid by domain_name_check()) of tenant
 * `tenant_id` with a new token, "active" (verified now) or pending, in
 * the caller's transaction: an import brings a tenant's domains along
 * (tenant_import.h), audited by the import itself.  Its link is the
 * caller's to set after the commit.  Returns 0, or -1 (db_is_duplicate():
 * another tenant holds it).
 */
int	domain_insert(struct db *db, int64_t tenant_id, const char *name,
	    int active);

/*
 * The domains of tenant `tenant_id` by name into *items (an array the
 * caller frees, NULL when none) and *count.  Returns 0 or -1.
 */
int	domain_list(struct db *db, int64_t tenant_id, struct domain **items,
	    size_t *count);

/*
 * Loads domain `name` of tenant `tenant_id` into `out`.  Returns 1, 0
 * (not found, also when another tenant has it) or -1.
 */
int	domain_find(struct db *db, int64_t tenant_id, const char *name,
	    struct domain *out);

/*
 * Verifies domain `name` of tenant `tenant_id`: looks up its TXT record
 * (dns_txt.h, with dns_server and dns_timeout of svc->conf) and, when it
 * holds the token, makes the domain active, audited "domain.verify", and
 * links it (domain_link.h): it is served from then on.  An active
 * domain is looked up again too (and stays active if it still matches).
 * `out` is the domain afterwards.  Returns RESULT_OK; RESULT_CONFLICT
 * when the record does not hold the token (`err` says what was found;
 * nothing changed); RESULT_NOT_FOUND (no such tenant or domain, `err`
 * says which); RESULT_ARCHIVED; RESULT_FAILED (also when the look-up
 * cannot be made) or RESULT_DB_DOWN.
 */
enum result domain_verify(struct service *svc, int64_t tenant_id,
	    const char *name, int64_t user_id, struct domain *out, char *err,
	    size_t errlen);

/*
 * Removes domain `name` of tenant `tenant_id` and its link, audited
 * "domain.remove".  Returns RESULT_OK, RESULT_NOT_FOUND (`err` says
 * which), RESULT_DB_DOWN or RESULT_FAILED.
 */
enum result domain_remove(struct service *svc, int64_t tenant_id,
	    const char *name, int64_t user_id, char *err, size_t errlen);

/*
 * Removes the links of all domains of tenant `tenant_id`, for its
 * deletion (the rows go with the tenant's).  Returns 0 or -1 (a link
 * that could not be removed is logged).
 */
int	domain_unlink_tenant(struct service *svc, int64_t tenant_id);

/*
 * The tenant a request for `host` (a Host header without its port,
 * compared exactly: the caller lower-cases it) is for, when `host` is an
 * active domain of an active tenant.  For the front ends' questions: the
 * site, config, assets and gate through a custom domain, and GET
 * /api/domains/check.  Returns 1 with *tenant_id set, 0 when `host` is
 * no such domain, -1 on a database error.
 */
int	domain_active_tenant(struct db *db, const char *host,
	    int64_t *tenant_id);

/*
 * Writes `d` as the API's object: {domain, status, created_at,
 * verified_at, verification: {type, name, value}}.  Returns 0 or -1.
 */
int	domain_to_json(yajl_gen g, const struct domain *d);

/* The members of that object alone, for a listing.  Returns 0 or -1. */
int	domain_to_json_members(yajl_gen g, const struct domain *d);

#endif
