/*
 * tenant_row.h - the columns of a tenant row and how a result holding them
 * becomes struct tenants: shared by tenant.c (one tenant) and
 * tenant_list.c (pages of tenants), the two files that read the tables
 * tenants and tenant_modules.  Everyone else goes through tenant.h.
 *
 * Timestamps are formatted by the server as "YYYY-MM-DDTHH:MM:SSZ" (the
 * connection works in UTC), so they reach the JSON unchanged.
 */
#ifndef TENANTD_TENANT_ROW_H
#define TENANTD_TENANT_ROW_H

#include <stddef.h>

struct db_result;
struct tenant;
struct tenant_list;

#define TENANT_TIMESTAMP(col) \
	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/*
 * The columns every tenant SELECT returns, in the order of enum
 * tenant_column, from "tenants t".  A query may add its own columns after
 * them, from TENANT_COL_COUNT on.
 */
#define TENANT_COLUMNS \
	"t.id, t.name, t.subdomain, t.contact_email, t.primary_color, " \
	"t.secondary_color, t.logo, t.is_active, " \
	TENANT_TIMESTAMP("t.archived_at") ", " \
	TENANT_TIMESTAMP("t.created_at") ", " \
	TENANT_TIMESTAMP("t.updated_at") ", t.created_by, t.template_version, " \
	"t.logo_sha256"

enum tenant_column {
	TENANT_COL_ID,
	TENANT_COL_NAME,
	TENANT_COL_SUBDOMAIN,
	TENANT_COL_CONTACT_EMAIL,
	TENANT_COL_PRIMARY_COLOR,
	TENANT_COL_SECONDARY_COLOR,
	TENANT_COL_LOGO,
	TENANT_COL_IS_ACTIVE,
	TENANT_COL_ARCHIVED_AT,
	TENANT_COL_CREATED_AT,
	TENANT_COL_UPDATED_AT,
	TENANT_COL_CREATED_BY,
	TENANT_COL_TEMPLATE_VERSION,
	TENANT_COL_LOGO_SHA256,
	TENANT_COL_COUNT
};

/*
 * Module rows of tenants, ordered like the catalog (sort_order, key).
 * Columns: tenant_id, module_key, is_enabled.  A query puts its WHERE
 * between the two.
 */
#define TENANT_MODULE_SELECT \
	"SELECT tm.tenant_id, tm.module_key, tm.is_enabled " \
	"FROM tenant_modules tm " \
	"LEFT JOIN module_definitions md ON md.module_key = tm.module_key "
#define TENANT_MODULE_ORDER \
	" ORDER BY tm.tenant_id, md.sort_order, tm.module_key"

/*
 * Fills `list` (empty) with the first `rows` rows of `r`, a result with
 * TENANT_COLUMNS, leaving modules and list->total to the caller.  Returns
 * 0, or -1 (a row that breaks the schema, or memory); `list` then holds
 * what was read, for tenant_list_release().
 */
int	tenant_rows_load(struct tenant_list *list, const struct db_result *r,
	    size_t rows);

/*
 * Distributes module rows (TENANT_MODULE_SELECT's columns) over the
 * `count` tenants of `items`, replacing their module lists.  Rows of
 * tenants not in `items` are ignored.  Returns 0 or -1.
 */
int	tenant_modules_attach(struct tenant *items, size_t count,
	    const struct db_result *r);

#endif
