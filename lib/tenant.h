/*
 * tenant.h - tenants and their modules in the database, and their JSON.
 *
 * These files know the tables tenants and tenant_modules and nothing of
 * folders or HTTP: provision.h combines them with the tenant folder, and
 * the handlers answer with tenant_to_json().  Three files implement this
 * header, each for its own section below:
 *   tenant.c       one tenant: load, insert, update, modules, delete;
 *   tenant_list.c  pages of tenants: the API's listing (search, orderings,
 *                  offset and keyset pages), lists by ids and by id
 *                  range, and the statistics;
 *   tenant_json.c  the API's JSON object of a tenant.
 * tenant.c and tenant_list.c share the row columns through tenant_row.h.
 *
 * Ownership: struct tenant owns its strings and module list;
 * tenant_release() frees them.  Functions that fill a struct tenant expect
 * one initialised with tenant_init() or released.  A struct tenant_list
 * owns its tenants (tenant_list_release()), a struct tenant_statistics
 * its module counts (tenant_statistics_release()).
 */
#ifndef TENANTD_TENANT_H
#define TENANTD_TENANT_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

#include "validate.h"

struct db;
struct module_catalog;

struct tenant_module {
	char	key[MODULE_KEY_MAX + 1];
	int	enabled;
};

struct tenant {
	int64_t	 id;
	char	*name;
	char	 subdomain[SUBDOMAIN_MAX + 1];
	char	*contact_email;		/* "" when none */
	char	 primary_color[8];
	char	 secondary_color[8];
	char	*logo;			/* "logo.png" under public/, or NULL */
	char	 logo_sha256[65];	/* its SHA-256 in hex when stored
					   (asset_base_url), else "" */
	int	 is_active;
	char	*archived_at;		/* "YYYY-MM-DDTHH:MM:SSZ" or NULL */
	char	*created_at;
	char	*updated_at;
	int64_t	 created_by;		/* user id, 0 when unknown */
	char	 template_version[16];	/* the version its site is on
					   (template_store.h), "" if none */
	int	 deployed;		/* not a column: deploy_state_load()
					   fills it for the JSON */
	struct tenant_module *modules;	/* as stored; sorted like the catalog */
	size_t	 module_count;
};

/* --- one tenant (tenant.c) ----------------------------------------------- */

void	tenant_init(struct tenant *t);
void	tenant_release(struct tenant *t);

/*
 * Loads tenant `id` with its modules.  Returns 1 if found, 0 if not, -1 on a
 * database error.
 */
int	tenant_find_by_id(struct db *db, int64_t id, struct tenant *t);
int	tenant_find_by_subdomain(struct db *db, const char *subdomain,
	    struct tenant *t);

/*
 * Inserts the row and one tenant_modules row per catalog module (enabled
 * when listed in `t->modules` or core).  Must run inside a transaction the
 * caller owns.  A t->id above 0 is the id the row gets (an import keeps
 * the exported one when it is free), else the database picks one.  Sets
 * t->id, created_at and updated_at.  Returns 0, or -1
 * (db_is_duplicate() tells a taken subdomain).
 */
int	tenant_insert(struct db *db, struct tenant *t,
	    const struct module_catalog *cat);

/* Writes name, contact_email, colors, logo and updated_at of `t`.  0 or -1. */
int	tenant_update_fields(struct db *db, struct tenant *t);

/*
 * Enables or disables one module of a tenant (inserting the row if the
 * module was added to the catalog after the tenant was created).  0 or -1.
 */
int	tenant_set_module(struct db *db, int64_t tenant_id, const char *key,
	    int enabled);

/* Deletes the tenant and its module rows.  Returns 1, 0 if absent, or -1. */
int	tenant_delete(struct db *db, int64_t id);

/* Is module `key` enabled for `t`?  Core modules always are. */
int	tenant_module_enabled(const struct tenant *t, const char *key);

/* --- pages of tenants (tenant_list.c) ------------------------------------ */

/* Listing with the API's filters. */
enum tenant_order {
	TENANT_ORDER_CREATED_DESC = 0,	/* default: newest first */
	TENANT_ORDER_CREATED_ASC,
	TENANT_ORDER_NAME_ASC,
	TENANT_ORDER_NAME_DESC,
	TENANT_ORDER_SUBDOMAIN_ASC,
	TENANT_ORDER_SUBDOMAIN_DESC
};

/*
 * A place in a listing, for keyset paging: the ordering's key of one row
 * as text (its name, its subdomain, or its created_at as
 * "YYYY-MM-DD HH:MM:SS.ffffff") and its id, the tiebreaker.  The rows
 * after it in the ordering are found through the ordering's index, however
 * deep the place is.
 */
#define TENANT_POSITION_KEY_MAX	(NAME_MAX_CHARS * 4)
struct tenant_position {
	char	key[TENANT_POSITION_KEY_MAX + 1];
	int64_t	id;
};

struct tenant_query {
	const char	*search;	/* substring of name or subdomain, or NULL */
	int		 is_active;	/* -1: any, 0 or 1 */
	enum tenant_order order;
	int64_t		 offset;
	int64_t		 limit;
	const struct tenant_position *after; /* keyset: rows after this
					      one (offset ignored), or NULL */
};

struct tenant_list {
	struct tenant	*items;
	size_t		 count;
	int64_t		 total;		/* rows matching, ignoring offset/limit;
					   -1 for a keyset page (not counted) */
	struct tenant_position last;	/* of items[count - 1], if any */
	int		 more;		/* rows follow this page */
};

/* Parses "name", "-created_at", ... into `order`: 0, or -1 if unknown. */
int	tenant_order_parse(const char *text, enum tenant_order *order);

/* The API spelling of `order` ("-created_at" for an unknown value). */
const char *tenant_order_name(enum tenant_order order);

/*
 * Fills `list` (with modules) for `q`: a page by offset (list->total
 * counted), or with q->after the page after that place (keyset: no count,
 * list->total -1).  Either way list->last is the place of the page's last
 * row and list->more says whether rows follow.  0 or -1.
 */
int	tenant_list_query(struct db *db, const struct tenant_query *q,
	    struct tenant_list *list);
void	tenant_list_release(struct tenant_list *list);

/*
 * Checks the key of a keyset place for ordering `order`: a name (valid
 * UTF-8, at most TENANT_POSITION_KEY_MAX bytes), a subdomain-shaped text,
 * or a created_at of the form "YYYY-MM-DD HH:MM:SS.ffffff".  1 valid, 0
 * not.  Used on cursors that come back from clients.
 */
int	tenant_position_key_valid(enum tenant_order order, const char *key);

/*
 * Loads the tenants whose ids are among the `count` of `ids` (any order,
 * repeats allowed), with their modules, into `list` in id order.  Ids
 * without a tenant are left out; list->total is the number found.  For
 * bulk changes; runs in the caller's transaction, if any.  0 or -1.
 */
#define TENANT_BY_IDS_MAX	500
int	tenant_list_by_ids(struct db *db, const int64_t *ids, size_t count,
	    struct tenant_list *list);

/*
 * Keyset paging by id, for walks over every tenant (tenantctl fsck):
 * fills `list` (with modules) with up to `limit` tenants whose id is
 * greater than `after_id`, in id order; list->total is the page's count.
 * `limit` is clamped to 1..TENANT_PAGE_AFTER_MAX.  0 or -1.
 */
#define TENANT_PAGE_AFTER_MAX	500
int	tenant_list_after(struct db *db, int64_t after_id, int64_t limit,
	    struct tenant_list *list);

struct tenant_statistics {
	int64_t	total;
	int64_t	active;
	int64_t	archived;
	int64_t	created_last_30_days;
	struct {
		char	key[MODULE_KEY_MAX + 1];
		int64_t	enabled;
	} *modules;
	size_t	module_count;
};

/* Counts for GET /api/tenants/statistics/.  0 or -1; release after. */
int	tenant_statistics_load(struct db *db, const struct module_catalog *cat,
	    struct tenant_statistics *st);
void	tenant_statistics_release(struct tenant_statistics *st);

/* --- JSON (tenant_json.c) ------------------------------------------------ */

/*
 * Writes `t` as the API's JSON object.  `tenant_url_format` turns the
 * subdomain into the tenant's URL; `cat` supplies module names.
 */
int	tenant_to_json(yajl_gen g, const struct tenant *t,
	    const struct module_catalog *cat, const char *tenant_url_format);

/* The same members, into an object the caller opened and will close. */
int	tenant_to_json_members(yajl_gen g, const struct tenant *t,
	    const struct module_catalog *cat, const char *tenant_url_format);

#endif
