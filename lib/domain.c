/*
 * domain.c - the rows of `domains` and their verification (see
 * domain.h).
 *
 * Every change runs in a transaction with its audit row.  The tenant's
 * row is read FOR UPDATE first, so a domain is never added to a tenant
 * being deleted or archived at the same moment; the unique key on the
 * name settles two tenants racing for one domain.  The DNS look-up of a
 * verification runs outside any transaction (it may take dns_timeout
 * seconds); its result is written only if the row still holds the token
 * that was looked up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "conf.h"
#include "db.h"
#include "dns_txt.h"
#include "domain.h"
#include "domain_link.h"
#include "json.h"
#include "log.h"
#include "random.h"
#include "service.h"
#include "tenant.h"
#include "tenant_lock.h"

/* Times leave the database as the API writes them, in UTC. */
#define DOMAIN_TIMESTAMP(col) \
	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/* The columns row_load() reads. */
#define DOMAIN_COLUMNS \
	"id, tenant_id, name, status = 'active', token, " \
	DOMAIN_TIMESTAMP("created_at") ", " DOMAIN_TIMESTAMP("verified_at")

enum domain_column {
	COL_ID,
	COL_TENANT_ID,
	COL_NAME,
	COL_ACTIVE,
	COL_TOKEN,
	COL_CREATED_AT,
	COL_VERIFIED_AT
};

/*
 * Fills `d` from row `row` of `r` (DOMAIN_COLUMNS).  Returns 0, or -1 for
 * a cell that does not fit.
 */
static int
row_load(const struct db_result *r, size_t row, struct domain *d)
{
	memset(d, 0, sizeof(*d));
	d->id = db_cell_int(r, row, COL_ID, 0);
	d->tenant_id = db_cell_int(r, row, COL_TENANT_ID, 0);
	d->active = db_cell_int(r, row, COL_ACTIVE, 0) == 1;
	if (db_cell_copy(r, row, COL_NAME, d->name, sizeof(d->name),
	    NULL) == -1 ||
	    db_cell_copy(r, row, COL_TOKEN, d->token, sizeof(d->token),
	    NULL) == -1 ||
	    db_cell_copy(r, row, COL_CREATED_AT, d->created_at,
	    sizeof(d->created_at), NULL) == -1 ||
	    db_cell_copy(r, row, COL_VERIFIED_AT, d->verified_at,
	    sizeof(d->verified_at), "") == -1)
		return -1;
	return 0;
}

/*
 * Locks tenant `tenant_id`'s row in the transaction open on svc->db and
 * loads it into `t`, for a change that needs it active (`need_active`)
 * or merely present.  Returns RESULT_OK or the outcome to answer, with
 * `err` set.
 */
static enum result
tenant_check(struct db *db, int64_t tenant_id, int need_active,
    struct tenant *t, char *err, size_t errlen)
{
	int rc = tenant_lock_row(db, tenant_id, t);

	if (rc == -1)
		return db_failure_status(db, "could not read the tenant", err,
		    errlen);
	if (rc == 0) {
		snprintf(err, errlen, "tenant not found");
		return RESULT_NOT_FOUND;
	}
	if (!t->is_active && need_active) {
		snprintf(err, errlen, "the tenant is archived");
		return RESULT_ARCHIVED;
	}
	return RESULT_OK;
}

/*
 * Adds a pending domain (domain.h).  Called by the API and tenantctl.
 */
enum result
domain_add(struct service *svc, int64_t tenant_id, const char *name,
    size_t len, int64_t user_id, struct domain *out, char *err,
    size_t errlen)
{
	static const char sql[] = "INSERT INTO domains (tenant_id, name, "
	    "token, created_at) VALUES (?, ?, ?, UTC_TIMESTAMP(6))";
	struct db *db = svc->db;
	struct db_param p[3];
	struct tenant t;
	const char *why;
	char token[2 * DOMAIN_TOKEN_BYTES + 1], copy[DOMAIN_NAME_MAX + 1];
	enum result rs;
	int found;

	if ((why = domain_name_check(name, len,
	    svc->conf->base_domain)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return RESULT_INVALID;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	random_hex(token, DOMAIN_TOKEN_BYTES);
	tenant_init(&t);
	if (db_begin(db) == -1) {
		rs = db_failure_status(db, "could not add the domain", err,
		    errlen);
		goto out;
	}
	if ((rs = tenant_check(db, tenant_id, 1, &t, err, errlen)) !=
	    RESULT_OK)
		goto fail;
	p[0] = db_int(tenant_id);
	p[1] = db_text(copy);
	p[2] = db_text(token);
	if (db_exec(db, sql, p, 3, NULL, NULL) == -1) {
		if (db_is_duplicate(db)) {
			snprintf(err, errlen, "the domain %s belongs to a "
			    "tenant already", copy);
			rs = RESULT_TAKEN;
		} else
			rs = db_failure_status(db, "could not add the domain",
			    err, errlen);
		goto fail;
	}
	if (audit_record(db, user_id, tenant_id, "domain.add", copy) == -1 ||
	    db_commit(db) == -1) {
		rs = db_failure_status(db, "could not add the domain", err,
		    errlen);
		goto fail;
	}
	if ((found = domain_find(db, tenant_id, copy, out)) == 1)
		rs = RESULT_OK;
	else if (found == 0) {
		snprintf(err, errlen, "the domain was removed meanwhile");
		rs = RESULT_NOT_FOUND;
	} else
		rs = db_failure_status(db, "could not read the domain back",
		    err, errlen);
	goto out;
fail:
	db_rollback(db);
out:
	tenant_release(&t);
	return rs;
}

/* See domain.h.  Called by tenant_import.c. */
int
domain_insert(struct db *db, int64_t tenant_id, const char *name, int active)
{
	static const char sql[] = "INSERT INTO domains (tenant_id, name, "
	    "token, status, created_at, verified_at) VALUES (?, ?, ?, ?, "
	    "UTC_TIMESTAMP(6), IF(? = 'active', UTC_TIMESTAMP(6), NULL))";
	struct db_param p[5];
	char token[2 * DOMAIN_TOKEN_BYTES + 1];
	const char *status = active ? "active" : "pending";

	random_hex(token, DOMAIN_TOKEN_BYTES);
	p[0] = db_int(tenant_id);
	p[1] = db_text(name);
	p[2] = db_text(token);
	p[3] = db_text(status);
	p[4] = db_text(status);
	return db_exec(db, sql, p, 5, NULL, NULL);
}

/* Lists a tenant's domains (domain.h).  Returns 0 or -1. */
int
domain_list(struct db *db, int64_t tenant_id, struct domain **items,
    size_t *count)
{
	static const char sql[] = "SELECT " DOMAIN_COLUMNS " FROM domains "
	    "WHERE tenant_id = ? ORDER BY name";
	struct db_param p[1];
	struct db_result r;
	struct domain *list = NULL;
	size_t i;
	int rc = -1;

	*items = NULL;
	*count = 0;
	db_result_init(&r);
	p[0] = db_int(tenant_id);
	if (db_query(db, sql, p, 1, &r) == -1)
		goto out;
	if (r.rows > 0 && (list = calloc(r.rows, sizeof(*list))) == NULL)
		goto out;
	for (i = 0; i < r.rows; i++)
		if (row_load(&r, i, &list[i]) == -1)
			goto out;
	*items = list;
	*count = r.rows;
	list = NULL;
	rc = 0;
out:
	free(list);
	db_result_release(&r);
	return rc;
}

/* Loads one domain of a tenant (domain.h).  Returns 1, 0 or -1. */
int
domain_find(struct db *db, int64_t tenant_id, const char *name,
    struct domain *out)
{
	static const char sql[] = "SELECT " DOMAIN_COLUMNS " FROM domains "
	    "WHERE tenant_id = ? AND name = ?";
	struct db_param p[2];
	struct db_result r;
	int rc = -1;

	db_result_init(&r);
	p[0] = db_int(tenant_id);
	p[1] = db_text(name);
	if (db_query(db, sql, p, 2, &r) == -1)
		goto out;
	if (r.rows == 0)
		rc = 0;
	else if (row_load(&r, 0, out) == 0)
		rc = 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Reads domain `name` of tenant `tenant_id` into `d` inside the open
 * transaction, the tenant's row locked into `t` (active when
 * `need_active`).  Returns RESULT_OK or the outcome to answer, with `err`
 * set.
 */
static enum result
domain_load(struct db *db, int64_t tenant_id, const char *name,
    int need_active, struct tenant *t, struct domain *d, char *err,
    size_t errlen)
{
	enum result rs;
	int rc;

	if ((rs = tenant_check(db, tenant_id, need_active, t, err, errlen)) !=
	    RESULT_OK)
		return rs;
	if ((rc = domain_find(db, tenant_id, name, d)) == -1)
		return db_failure_status(db, "could not read the domain", err,
		    errlen);
	if (rc == 0) {
		snprintf(err, errlen, "domain not found");
		return RESULT_NOT_FOUND;
	}
	return RESULT_OK;
}

/*
 * Looks up the TXT record of domain `name` of tenant `tenant_id` into
 * `d`, outside any transaction.  Returns RESULT_OK when it holds the
 * token, else the outcome to answer, with `err` set.
 */
static enum result
domain_lookup(struct service *svc, int64_t tenant_id, const char *name,
    struct domain *d, char *err, size_t errlen)
{
	char record[sizeof(DOMAIN_CHALLENGE_LABEL) + DOMAIN_NAME_MAX + 1];
	struct tenant t;
	enum result rs;

	tenant_init(&t);
	if (db_begin(svc->db) == -1) {
		rs = db_failure_status(svc->db, "could not read the domain",
		    err, errlen);
		goto out;
	}
	rs = domain_load(svc->db, tenant_id, name, 1, &t, d, err, errlen);
	db_rollback(svc->db);
	if (rs != RESULT_OK)
		goto out;
	snprintf(record, sizeof(record), "%s.%s", DOMAIN_CHALLENGE_LABEL,
	    d->name);
	switch (dns_txt_check(svc->conf->dns_server, svc->conf->dns_timeout,
	    record, d->token, err, errlen)) {
	case 1:
		rs = RESULT_OK;
		break;
	case 0:
		rs = RESULT_CONFLICT;
		break;
	default:
		rs = RESULT_FAILED;
		break;
	}
out:
	tenant_release(&t);
	return rs;
}

/*
 * Verifies a domain by its TXT record (domain.h): the look-up first, then
 * the row and the link in one transaction.  The link is made before the
 * commit and removed again if the commit fails, so an active row never
 * lacks its link for long and no link outlives a refused change.  Called
 * by the API and tenantctl.
 */
enum result
domain_verify(struct service *svc, int64_t tenant_id, const char *name,
    int64_t user_id, struct domain *out, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE domains SET status = 'active', "
	    "verified_at = UTC_TIMESTAMP(6) WHERE id = ? AND token = ?";
	struct db *db = svc->db;
	struct db_param p[2];
	struct domain looked_up;
	struct tenant t;
	uint64_t affected = 0;
	enum result rs;
	int linked = 0;

	tenant_init(&t);
	if ((rs = domain_lookup(svc, tenant_id, name, &looked_up, err,
	    errlen)) != RESULT_OK)
		goto out;
	if (db_begin(db) == -1) {
		rs = db_failure_status(db, "could not verify the domain", err,
		    errlen);
		goto out;
	}
	if ((rs = domain_load(db, tenant_id, name, 1, &t, out, err,
	    errlen)) != RESULT_OK)
		goto fail;
	/* Removed and added again while the look-up ran: a new token. */
	if (strcmp(out->token, looked_up.token) != 0) {
		snprintf(err, errlen, "the domain got a new token meanwhile; "
		    "publish it and verify again");
		rs = RESULT_CONFLICT;
		goto fail;
	}
	p[0] = db_int(out->id);
	p[1] = db_text(out->token);
	if (db_exec(db, sql, p, 2, &affected, NULL) == -1 ||
	    audit_record(db, user_id, tenant_id, "domain.verify",
	    out->name) == -1) {
		rs = db_failure_status(db, "could not verify the domain", err,
		    errlen);
		goto fail;
	}
	if (domain_link_set(svc->tenants_dirfd, out->name, t.subdomain) == -1) {
		log_error("domain %s: its link: %s", out->name,
		    strerror(errno));
		snprintf(err, errlen, "could not publish the domain");
		rs = RESULT_FAILED;
		goto fail;
	}
	linked = 1;
	if (db_commit(db) == -1) {
		rs = db_failure_status(db, "could not verify the domain", err,
		    errlen);
		goto fail;
	}
	linked = 0;
	if (domain_find(db, tenant_id, name, out) != 1) {
		rs = db_failure_status(db, "could not read the domain back",
		    err, errlen);
		goto out;
	}
	rs = RESULT_OK;
	goto out;
fail:
	db_rollback(db);
	if (linked && !looked_up.active &&
	    domain_link_remove(svc->tenants_dirfd, name) == -1)
		log_error("domain %s: its link stays: %s", name,
		    strerror(errno));
out:
	tenant_release(&t);
	return rs;
}

/*
 * Removes a domain (domain.h): the row and its audit row, and the link
 * before the commit, so a removed domain serves nothing from the moment
 * the removal is answered.  If the commit then fails, the row stays and
 * its link is gone until the domain is verified again (tenantctl fsck
 * reports it).  Called by the API and tenantctl.
 */
enum result
domain_remove(struct service *svc, int64_t tenant_id, const char *name,
    int64_t user_id, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM domains WHERE id = ?";
	struct db *db = svc->db;
	struct db_param p[1];
	struct domain d;
	struct tenant t;
	enum result rs;

	tenant_init(&t);
	if (db_begin(db) == -1) {
		rs = db_failure_status(db, "could not remove the domain", err,
		    errlen);
		goto out;
	}
	if ((rs = domain_load(db, tenant_id, name, 0, &t, &d, err,
	    errlen)) != RESULT_OK)
		goto fail;
	p[0] = db_int(d.id);
	if (db_exec(db, sql, p, 1, NULL, NULL) == -1 ||
	    audit_record(db, user_id, tenant_id, "domain.remove",
	    name) == -1) {
		rs = db_failure_status(db, "could not remove the domain", err,
		    errlen);
		goto fail;
	}
	if (domain_link_remove(svc->tenants_dirfd, d.name) == -1) {
		log_error("domain %s: its link: %s", d.name, strerror(errno));
		snprintf(err, errlen, "could not stop serving the domain");
		rs = RESULT_FAILED;
		goto fail;
	}
	if (db_commit(db) == -1) {
		rs = db_failure_status(db, "could not remove the domain", err,
		    errlen);
		goto fail;
	}
	rs = RESULT_OK;
	goto out;
fail:
	db_rollback(db);
out:
	tenant_release(&t);
	return rs;
}

/*
 * Removes the links of every domain of tenant `tenant_id` (domain.h).
 * Called by provision_delete() before the rows go.  Returns 0 or -1.
 */
int
domain_unlink_tenant(struct service *svc, int64_t tenant_id)
{
	struct domain *items = NULL;
	size_t count = 0, i;
	int rc = 0;

	if (domain_list(svc->db, tenant_id, &items, &count) == -1)
		return -1;
	for (i = 0; i < count; i++)
		if (domain_link_remove(svc->tenants_dirfd,
		    items[i].name) == -1) {
			log_error("domain %s: its link: %s", items[i].name,
			    strerror(errno));
			rc = -1;
		}
	free(items);
	return rc;
}

/*
 * The tenant of an active domain of an active tenant (domain.h).  For
 * the front ends' host look-ups.  Returns 1, 0 or -1.
 */
int
domain_active_tenant(struct db *db, const char *host, int64_t *tenant_id)
{
	static const char sql[] = "SELECT d.tenant_id FROM domains d "
	    "JOIN tenants t ON t.id = d.tenant_id "
	    "WHERE d.name = ? AND d.status = 'active' AND t.is_active = 1";
	struct db_param p[1];
	struct db_result r;
	int rc = -1;

	if (strlen(host) > DOMAIN_NAME_MAX)
		return 0;
	db_result_init(&r);
	p[0] = db_text(host);
	if (db_query(db, sql, p, 1, &r) == -1)
		goto out;
	rc = r.rows > 0;
	if (rc == 1)
		*tenant_id = db_cell_int(&r, 0, 0, 0);
out:
	db_result_release(&r);
	return rc;
}

/*
 * Writes the members of the API's object of a domain (domain.h), for
 * domain_to_json() and tenantctl's listing.  Returns 0 or -1.
 */
int
domain_to_json_members(yajl_gen g, const struct domain *d)
{
	char record[sizeof(DOMAIN_CHALLENGE_LABEL) + DOMAIN_NAME_MAX + 1];

	snprintf(record, sizeof(record), "%s.%s", DOMAIN_CHALLENGE_LABEL,
	    d->name);
	if (json_gen_kv_string(g, "domain", d->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "status", d->active ? "active" :
	    "pending") != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", d->created_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "verified_at", d->verified_at[0] != '\0' ?
	    d->verified_at : NULL) != yajl_gen_status_ok ||
	    json_gen_key(g, "verification") != yajl_gen_status_ok ||
	    yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "type", "dns-txt") != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "name", record) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "value", d->token) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/* Writes the API's object of a domain (domain.h).  Returns 0 or -1. */
int
domain_to_json(yajl_gen g, const struct domain *d)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    domain_to_json_members(g, d) == -1 ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}
