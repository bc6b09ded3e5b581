/*
 * bulk.c - bulk create and bulk module changes (see bulk.h for the order
 * of operations and what a failure at each step leaves behind).
 *
 * The work per tenant is what provision.c does for one, regrouped so that
 * the database sees a few statements per chunk instead of a few per
 * tenant: multi-row INSERTs for tenants, tenant_modules and audit_log, and
 * "IN (?,...)" lookups whose number of markers is rounded up to a few
 * fixed sizes (the extra markers repeat the last value) so the statement
 * cache holds a handful of variants.  SQL text is assembled only from
 * constant fragments and runs of parameter markers.
 *
 * Folders are built under staging names and renamed into place one by
 * one, without an fsync per file: one syncfs() per chunk puts them all on
 * disk before the chunk commits.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "audit.h"
#include "buf.h"
#include "bulk.h"
#include "conf.h"
#include "config_file.h"
#include "crash.h"
#include "csv.h"
#include "db.h"
#include "error.h"
#include "folder.h"
#include "form.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "service.h"
#include "sql.h"
#include "tenant.h"
#include "tenant_input.h"
#include "validate.h"

#define BULK_MESSAGE_MAX	256
#define BULK_SQL_MAX		(256 * 1024)
#define BULK_MODULE_ROWS_MAX	2000	/* rows per tenant_modules INSERT */
#define BULK_RETRIES		3	/* chunk retries after a conflict */
#define BULK_PAYLOAD_MAX	(16 * 1024 * 1024)
#define BULK_MODULE_BITS	(BULK_MODULE_WORDS * 64)
#define BULK_ITEM_FIELDS_MAX	256	/* fields of one item */

#define DB_ER_LOCK_WAIT_TIMEOUT	1205
#define DB_ER_LOCK_DEADLOCK	1213

/* What one bulk create works with. */
struct bulk_run {
	struct service			*svc;
	const struct bulk_create_options *o;
	struct bulk_report		*r;
	struct module_catalog		 cat;
	struct tenant_module		*scratch_modules; /* for rendering */
	size_t				 chunk;
	int				 in_transaction;	/* atomic */
	char				*err;
	size_t				 errlen;
};

static void	item_fail(struct bulk_item *item, const char *code,
		    const char *field, const char *field_message,
		    const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/* Sets up an empty report; allocates nothing. */
void
bulk_report_init(struct bulk_report *r)
{
	memset(r, 0, sizeof(*r));
}

/* Frees the items of `r` and empties it.  Accepts NULL. */
void
bulk_report_release(struct bulk_report *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->count; i++) {
		free(r->items[i].name);
		free(r->items[i].contact_email);
		free(r->items[i].error);
		free(r->items[i].fields);
	}
	free(r->items);
	bulk_report_init(r);
}

/*
 * Records a field message on `item`, allocating its field list on first
 * use.  A failed allocation loses the message, never the item's error.
 */
static void
item_add_field(struct bulk_item *item, const char *field, const char *message)
{
	if (item->fields == NULL &&
	    (item->fields = calloc(1, sizeof(*item->fields))) == NULL)
		return;
	field_errors_add(item->fields, field, "%s", message);
}

/*
 * Marks `item` as an error with `code` and a message, plus a message for
 * `field` when it is not NULL.  An item that is an error already keeps
 * its first code and message and only gains the field message.
 */
static void
item_fail(struct bulk_item *item, const char *code, const char *field,
    const char *field_message, const char *fmt, ...)
{
	char	message[BULK_MESSAGE_MAX];
	va_list	ap;

	if (field != NULL)
		item_add_field(item, field, field_message);
	if (item->state == BULK_ITEM_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	item->state = BULK_ITEM_ERROR;
	item->code = code;
	item->id = 0;
	item->placed = 0;
	free(item->error);
	item->error = strdup(message);
}

/*
 * Makes sure the database answers and loads the module catalog
 * (config_file_load_catalog()), which must fit the module bit sets.
 * Returns BULK_OK or the failure.
 */
static enum bulk_status
load_catalog(struct service *svc, struct module_catalog *cat, char *err,
    size_t errlen)
{
	enum bulk_status	status;

	status = config_file_load_catalog(svc, cat, err, errlen, BULK_DB_DOWN,
	    BULK_FAILED);
	if (status != BULK_OK)
		return status;
	if (cat->count > BULK_MODULE_BITS) {
		error_set(err, errlen, "the module catalog has more than %d "
		    "modules", BULK_MODULE_BITS);
		return BULK_FAILED;
	}
	return BULK_OK;
}

/* --- validation ---------------------------------------------------------- */

/* Sets bit `index` of a module bitmap. */
static void
module_bit_set(uint64_t bits[BULK_MODULE_WORDS], size_t index)
{
	bits[index / 64] |= (uint64_t)1 << (index % 64);
}

/* Is bit `index` of a module bitmap set? */
static int
module_bit_get(const uint64_t bits[BULK_MODULE_WORDS], size_t index)
{
	return (bits[index / 64] >> (index % 64)) & 1;
}

/*
 * Keeps the validated fields of `in` in `item`, compactly: a batch may
 * hold many thousand items.  Returns 0, or -1 if out of memory.
 */
static int
item_keep_input(struct bulk_item *item, const struct tenant_input *in,
    const struct module_catalog *cat)
{
	size_t	i, j;

	snprintf(item->subdomain, sizeof(item->subdomain), "%s",
	    in->subdomain);
	snprintf(item->primary_color, sizeof(item->primary_color), "%s",
	    in->primary_color);
	snprintf(item->secondary_color, sizeof(item->secondary_color), "%s",
	    in->secondary_color);
	if ((item->name = strdup(in->name)) == NULL ||
	    (item->contact_email = strdup(in->contact_email)) == NULL)
		return -1;
	for (i = 0; i < in->module_count; i++)
		for (j = 0; j < cat->count; j++)
			if (strcmp(in->module_keys[i],
			    cat->modules[j].key) == 0)
				module_bit_set(item->modules, j);
	item->deploy = in->deploy;
	return 0;
}

/*
 * Validates item `item` (its JSON in item->data) as a create request
 * would be.  Returns 0 (the item is valid or marked as an error), or -1
 * when memory ran out.
 */
static int
validate_item(struct bulk_run *run, struct bulk_item *item,
    struct tenant_input *in)
{
	struct form_limits	limits = form_default_limits;
	struct field_errors	errors;
	struct form		form;
	enum form_status	fs;
	char			message[BULK_MESSAGE_MAX];
	size_t			i;
	int			rc = -1;

	form_init(&form);
	memset(&errors, 0, sizeof(errors));
	limits.max_fields = BULK_ITEM_FIELDS_MAX;
	if (item->data->type != JSON_OBJECT) {
		item_fail(item, "validation_failed", NULL, NULL,
		    "must be a JSON object, not %s",
		    json_type_name(item->data->type));
		rc = 0;
		goto out;
	}
	fs = form_from_json_object(&form, item->data, &limits, message,
	    sizeof(message));
	if (fs == FORM_NO_MEMORY)
		goto out;
	if (fs != FORM_OK) {
		item_fail(item, "validation_failed", NULL, NULL, "%s", message);
		rc = 0;
		goto out;
	}
	if (form_get(&form, "logo") != NULL)
		field_errors_add(&errors, "logo", "is not supported in bulk "
		    "requests; upload it with PATCH /api/tenants/{id}/");
	if (tenant_input_read(in, TENANT_INPUT_CREATE, &form, run->svc->conf,
	    &run->cat, NULL, &errors) == -1 || errors.count > 0) {
		/* A valid subdomain still counts for duplicates. */
		if (in->present & TENANT_FIELD_SUBDOMAIN)
			snprintf(item->subdomain, sizeof(item->subdomain), "%s",
			    in->subdomain);
		item_fail(item, "validation_failed", NULL, NULL,
		    "invalid tenant data");
		for (i = 0; i < errors.count; i++)
			item_add_field(item, errors.items[i].field,
			    errors.items[i].message);
		rc = 0;
		goto out;
	}
	if (item_keep_input(item, in, &run->cat) == -1)
		goto out;
	item->state = BULK_ITEM_PENDING;
	rc = 0;
out:
	form_release(&form);
	return rc;
}

/* A subdomain and the item it belongs to, for finding repeats. */
struct subdomain_ref {
	const char	*subdomain;
	size_t		 index;
};

/* qsort() order of subdomain_refs: by subdomain, then by position. */
static int
subdomain_ref_compare(const void *a, const void *b)
{
	const struct subdomain_ref *x = a, *y = b;
	int	c;

	if ((c = strcmp(x->subdomain, y->subdomain)) != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Marks every item whose subdomain an earlier item of the batch already
 * has as a "duplicate" error: sorting keeps this O(n log n) for files of
 * any size.  Returns 0, or -1 if out of memory.
 */
static int
mark_duplicates(struct bulk_report *r)
{
	struct subdomain_ref	*refs;
	char			 message[BULK_MESSAGE_MAX];
	size_t			 i, n = 0, first = 0;

	if (r->count == 0)
		return 0;
	if ((refs = calloc(r->count, sizeof(*refs))) == NULL)
		return -1;
	for (i = 0; i < r->count; i++) {
		if (r->items[i].subdomain[0] == '\0')
			continue;
		refs[n].subdomain = r->items[i].subdomain;
		refs[n].index = i;
		n++;
	}
	qsort(refs, n, sizeof(*refs), subdomain_ref_compare);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(refs[i].subdomain,
		    refs[i - 1].subdomain) != 0) {
			first = refs[i].index;
			continue;
		}
		snprintf(message, sizeof(message), "is already used by item "
		    "%zu of this batch", first);
		item_fail(&r->items[refs[i].index], "duplicate", "subdomain",
		    message, "subdomain \"%s\" appears more than once in this "
		    "batch", refs[i].subdomain);
	}
	free(refs);
	return 0;
}

/*
 * Does the existing tenant of row group [first, end) of `res` (columns id,
 * subdomain, name, contact_email, primary_color, secondary_color,
 * enabled module_key) hold the same data as `item`?
 */
static int
same_tenant(const struct bulk_item *item, const struct db_result *res,
    size_t first, size_t end, const struct module_catalog *cat)
{
	uint64_t	 bits[BULK_MODULE_WORDS];
	const char	*name, *email, *primary, *secondary, *key;
	size_t		 row, i;

	name = db_cell(res, first, 2);
	email = db_cell(res, first, 3);
	primary = db_cell(res, first, 4);
	secondary = db_cell(res, first, 5);
	if (name == NULL || strcmp(name, item->name) != 0 ||
	    strcmp(email != NULL ? email : "", item->contact_email) != 0 ||
	    primary == NULL || strcasecmp(primary, item->primary_color) != 0 ||
	    secondary == NULL ||
	    strcasecmp(secondary, item->secondary_color) != 0)
		return 0;
	memset(bits, 0, sizeof(bits));
	for (row = first; row < end; row++) {
		if ((key = db_cell(res, row, 6)) == NULL)
			continue;
		for (i = 0; i < cat->count; i++)
			if (strcmp(cat->modules[i].key, key) == 0)
				module_bit_set(bits, i);
	}
	return memcmp(bits, item->modules, sizeof(bits)) == 0;
}

/*
 * Looks up which of the `count` pending items `members` have a subdomain
 * that is taken, with one query, and marks them: skipped when
 * skip_present and the tenant is the same, else "subdomain_taken".
 * `*marked` counts them.  Returns BULK_OK or the database failure.
 */
static enum bulk_status
check_taken(struct bulk_run *run, const size_t *members, size_t count,
    size_t *marked)
{
	static const char head[] = "SELECT t.id, t.subdomain, t.name, "
	    "t.contact_email, t.primary_color, t.secondary_color, "
	    "tm.module_key FROM tenants t LEFT JOIN tenant_modules tm "
	    "ON tm.tenant_id = t.id AND tm.is_enabled = 1 "
	    "WHERE t.subdomain IN (";
	static const char tail[] = ") ORDER BY t.id";
	struct bulk_item	*item;
	struct db_param		*params = NULL;
	struct db_result	 res;
	struct buf		 sql;
	const char		*sub;
	size_t			 slots, i, row, end;
	int64_t			 id;
	enum bulk_status	 status = BULK_FAILED;

	*marked = 0;
	db_result_init(&res);
	buf_init(&sql, BULK_SQL_MAX);
	if (count == 0)
		return BULK_OK;
	slots = sql_in_list_slots(count);
	if ((params = calloc(slots, sizeof(*params))) == NULL) {
		error_set(run->err, run->errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < slots; i++)
		params[i] = db_text(run->r->items[members[i < count ? i :
		    count - 1]].subdomain);
	if (sql_repeat(&sql, head, "?", slots, tail) == -1) {
		error_set(run->err, run->errlen, "out of memory");
		goto out;
	}
	if (db_query(run->svc->db, sql.data, params, slots, &res) == -1) {
		status = db_failure_status(run->svc->db,
		    "could not look up the subdomains", run->err, run->errlen,
		    BULK_DB_DOWN, BULK_FAILED);
		goto out;
	}
	for (row = 0; row < res.rows; row = end) {
		id = db_cell_int(&res, row, 0, 0);
		for (end = row + 1; end < res.rows &&
		    db_cell_int(&res, end, 0, 0) == id; end++)
			continue;
		if ((sub = db_cell(&res, row, 1)) == NULL)
			continue;
		for (i = 0; i < count; i++) {
			item = &run->r->items[members[i]];
			if (item->state != BULK_ITEM_PENDING ||
			    strcmp(item->subdomain, sub) != 0)
				continue;
			(*marked)++;
			if (run->o->skip_present &&
			    same_tenant(item, &res, row, end, &run->cat)) {
				item->state = BULK_ITEM_SKIPPED;
				item->id = id;
				continue;
			}
			item_fail(item, "subdomain_taken", "subdomain",
			    "is already taken", "subdomain \"%s\" is already "
			    "taken", sub);
		}
	}
	status = BULK_OK;
out:
	db_result_release(&res);
	buf_release(&sql);
	free(params);
	return status;
}

/*
 * Checks the subdomains of all pending items against the tenants table,
 * BULK_LOOKUP_CHUNK at a time.  Returns BULK_OK or the failure.
 */
static enum bulk_status
check_existing(struct bulk_run *run)
{
	size_t			 members[BULK_LOOKUP_CHUNK];
	size_t			 i, n = 0, marked;
	enum bulk_status	 status;

	for (i = 0; i < run->r->count; i++) {
		if (run->r->items[i].state != BULK_ITEM_PENDING)
			continue;
		members[n++] = i;
		if (n < BULK_LOOKUP_CHUNK && i + 1 < run->r->count)
			continue;
		if ((status = check_taken(run, members, n, &marked)) !=
		    BULK_OK)
			return status;
		n = 0;
	}
	if (n > 0)
		return check_taken(run, members, n, &marked);
	return BULK_OK;
}

/* --- creating a chunk ---------------------------------------------------- */

/*
 * Inserts the rows of the `count` items `members` with one statement.
 * Returns 0 or -1 (db_errno() tells a duplicate or a deadlock).
 */
static int
insert_rows(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] = "INSERT INTO tenants (name, subdomain, "
	    "contact_email, primary_color, secondary_color, is_active, "
	    "created_by, created_at, updated_at) VALUES ";
	static const char row[] =
	    "(?,?,?,?,?,1,?,UTC_TIMESTAMP(6),UTC_TIMESTAMP(6))";
	const struct bulk_item	*item;
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 i;
	int			 rc = -1;

	buf_init(&sql, BULK_SQL_MAX);
	if ((params = calloc(count * 6, sizeof(*params))) == NULL ||
	    sql_repeat(&sql, head, row, count, "") == -1)
		goto out;
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		params[i * 6] = db_text(item->name);
		params[i * 6 + 1] = db_text(item->subdomain);
		params[i * 6 + 2] = db_text(item->contact_email);
		params[i * 6 + 3] = db_text(item->primary_color);
		params[i * 6 + 4] = db_text(item->secondary_color);
		params[i * 6 + 5] = run->o->user_id > 0 ?
		    db_int(run->o->user_id) : db_null();
	}
	rc = db_exec(run->svc->db, sql.data, params, count * 6, NULL, NULL);
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Reads back the ids of the rows just inserted for `members`, by
 * subdomain (ids of a multi-row INSERT need not be consecutive).  Returns
 * 0, or -1 (also when a row is missing).
 */
static int
select_ids(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] =
	    "SELECT id, subdomain FROM tenants WHERE subdomain IN (";
	struct db_param		*params = NULL;
	struct db_result	 res;
	struct buf		 sql;
	struct bulk_item	*item;
	const char		*sub;
	size_t			 slots, i, row, found = 0;
	int			 rc = -1;

	db_result_init(&res);
	buf_init(&sql, BULK_SQL_MAX);
	slots = sql_in_list_slots(count);
	if ((params = calloc(slots, sizeof(*params))) == NULL ||
	    sql_repeat(&sql, head, "?", slots, ")") == -1)
		goto out;
	for (i = 0; i < slots; i++)
		params[i] = db_text(run->r->items[members[i < count ? i :
		    count - 1]].subdomain);
	if (db_query(run->svc->db, sql.data, params, slots, &res) == -1)
		goto out;
	for (row = 0; row < res.rows; row++) {
		if ((sub = db_cell(&res, row, 1)) == NULL)
			continue;
		for (i = 0; i < count; i++) {
			item = &run->r->items[members[i]];
			if (item->id == 0 &&
			    strcmp(item->subdomain, sub) == 0) {
				item->id = db_cell_int(&res, row, 0, 0);
				found++;
				break;
			}
		}
	}
	if (found != count) {
		log_error("bulk create: %zu of %zu new rows not found", count -
		    found, count);
		goto out;
	}
	rc = 0;
out:
	db_result_release(&res);
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Inserts one tenant_modules row per catalog module for each of
 * `members`, enabled as the item says (core modules always),
 * BULK_MODULE_ROWS_MAX rows per statement.  Returns 0 or -1.
 */
static int
insert_modules(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled) VALUES ";
	const struct bulk_item	*item;
	const struct module_catalog *cat = &run->cat;
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 total, done, rows, k, n;
	int			 rc = -1;

	buf_init(&sql, BULK_SQL_MAX);
	if (cat->count == 0)
		return 0;
	total = count * cat->count;
	if ((params = calloc(BULK_MODULE_ROWS_MAX * 3,
	    sizeof(*params))) == NULL)
		goto out;
	for (done = 0; done < total; done += rows) {
		rows = total - done < BULK_MODULE_ROWS_MAX ? total - done :
		    BULK_MODULE_ROWS_MAX;
		for (k = 0; k < rows; k++) {
			n = done + k;
			item = &run->r->items[members[n / cat->count]];
			params[k * 3] = db_int(item->id);
			params[k * 3 + 1] =
			    db_text(cat->modules[n % cat->count].key);
			params[k * 3 + 2] = db_int(
			    cat->modules[n % cat->count].is_core ||
			    module_bit_get(item->modules, n % cat->count));
		}
		if (sql_repeat(&sql, head, "(?,?,?)", rows, "") == -1 ||
		    db_exec(run->svc->db, sql.data, params, rows * 3, NULL,
		    NULL) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Appends one audit row "tenant.create" per created item of `members`
 * with one statement.  Returns 0 or -1.
 */
static int
insert_audit(struct bulk_run *run, const size_t *members, size_t count)
{
	static const char head[] = "INSERT INTO audit_log "
	    "(user_id, tenant_id, action, detail, created_at) VALUES ";
	static const char row[] = "(?,?,'tenant.create',?,UTC_TIMESTAMP(6))";
	const struct bulk_item	*item;
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 i, rows = 0;
	int			 rc = -1;

	buf_init(&sql, BULK_SQL_MAX);
	if ((params = calloc(count * 3, sizeof(*params))) == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (item->state != BULK_ITEM_PENDING || item->id == 0)
			continue;
		params[rows * 3] = run->o->user_id > 0 ?
		    db_int(run->o->user_id) : db_null();
		params[rows * 3 + 1] = db_int(item->id);
		params[rows * 3 + 2] = db_text(item->subdomain);
		rows++;
	}
	if (rows == 0) {
		rc = 0;
		goto out;
	}
	if (sql_repeat(&sql, head, row, rows, "") == -1)
		goto out;
	rc = db_exec(run->svc->db, sql.data, params, rows * 3, NULL, NULL);
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Deletes the rows `ids` of items that became errors after their rows were
 * inserted (a folder failed), in the chunk's transaction.
 * Their module rows go with them (ON DELETE CASCADE).  Returns 0 or -1.
 */
static int
delete_failed_rows(struct bulk_run *run, const int64_t *ids, size_t id_count)
{
	static const char head[] = "DELETE FROM tenants WHERE id IN (";
	struct db_param	*params = NULL;
	struct buf	 sql;
	size_t		 i;
	int		 rc = -1;

	buf_init(&sql, BULK_SQL_MAX);
	if (id_count == 0)
		return 0;
	if ((params = calloc(id_count, sizeof(*params))) == NULL ||
	    sql_repeat(&sql, head, "?", id_count, ")") == -1)
		goto out;
	for (i = 0; i < id_count; i++)
		params[i] = db_int(ids[i]);
	rc = db_exec(run->svc->db, sql.data, params, id_count, NULL, NULL);
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Fills `t` (not owning anything: its strings point into `item` and the
 * run's scratch module list) with the tenant `item` describes, as
 * config_render() needs it.
 */
static void
item_as_tenant(struct bulk_run *run, const struct bulk_item *item,
    struct tenant *t)
{
	size_t	i;

	memset(t, 0, sizeof(*t));
	t->id = item->id;
	t->name = item->name;
	t->contact_email = item->contact_email;
	memcpy(t->subdomain, item->subdomain, sizeof(t->subdomain));
	memcpy(t->primary_color, item->primary_color,
	    sizeof(t->primary_color));
	memcpy(t->secondary_color, item->secondary_color,
	    sizeof(t->secondary_color));
	t->is_active = 1;
	for (i = 0; i < run->cat.count; i++) {
		snprintf(run->scratch_modules[i].key,
		    sizeof(run->scratch_modules[i].key), "%s",
		    run->cat.modules[i].key);
		run->scratch_modules[i].enabled = run->cat.modules[i].is_core ||
		    module_bit_get(item->modules, i);
	}
	t->modules = run->scratch_modules;
	t->module_count = run->cat.count;
}

/*
 * Builds the folder of `item` (public/ and config.json) under a staging
 * name and renames it to tenants/<sub>, never over an existing entry
 * (folder_create_staged(), without an fsync per file: the chunk's
 * syncfs() makes the folders durable).  Returns 0, or -1 with errno set
 * (EEXIST or ENOTEMPTY when the name is taken); nothing is left behind on
 * failure.
 */
static int
place_folder(struct bulk_run *run, const struct bulk_item *item,
    struct buf *document)
{
	struct tenant		t;
	struct folder_content	content;

	item_as_tenant(run, item, &t);
	if (config_file_render(run->svc, &t, &run->cat, document) == -1)
		return -1;
	memset(&content, 0, sizeof(content));
	content.config = document->data;
	content.config_len = document->len;
	content.crash_staged = "bulk.after_staging";
	content.crash_placed = "bulk.after_rename";
	return folder_create_staged(run->svc->tenants_dirfd, item->subdomain,
	    &content);
}

/*
 * Moves tenants/<sub> of an item whose rows were rolled back out of sight
 * and removes it.  Failures are logged: the folder is then an orphan for
 * tenantctl fsck.
 */
static void
remove_folder(struct bulk_run *run, const char *sub)
{
	if (folder_discard(run->svc->tenants_dirfd, sub) == -1)
		log_error("could not remove the folder of %s: %s", sub,
		    strerror(errno));
}

/*
 * Undoes the uncommitted part of a chunk (or, atomic, of the whole batch):
 * rolls back, removes the folders placed, and marks the items of
 * `members` that were on their way with `message` (NULL: they go back to
 * pending, as in an atomic batch that something else made fail).
 */
static void
undo(struct bulk_run *run, const size_t *members, size_t count,
    const char *message)
{
	struct bulk_item	*item;
	size_t			 i;

	db_rollback(run->svc->db);
	run->in_transaction = 0;
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (item->state != BULK_ITEM_PENDING)
			continue;
		if (item->placed)
			remove_folder(run, item->subdomain);
		item->placed = 0;
		item->id = 0;
		if (message != NULL)
			item_fail(item, "failed", NULL, NULL, "%s", message);
	}
}

/*
 * Rolls a whole atomic batch back after a failure: every item on its way
 * goes back to pending, folders are removed, and the report says so.
 */
static void
undo_atomic(struct bulk_run *run)
{
	size_t	i;

	db_rollback(run->svc->db);
	run->in_transaction = 0;
	for (i = 0; i < run->r->count; i++) {
		if (run->r->items[i].state != BULK_ITEM_PENDING)
			continue;
		if (run->r->items[i].placed)
			remove_folder(run, run->r->items[i].subdomain);
		run->r->items[i].placed = 0;
		run->r->items[i].id = 0;
	}
	run->r->rolled_back = 1;
}

/*
 * Handles a failed INSERT of a chunk's rows: a duplicate (a concurrent
 * create took a subdomain) marks the taken items and drops them from
 * `members`, a deadlock or lock timeout is worth another try.  Called
 * after the rollback.  Returns 1 to try again, 0 to give up.
 */
static int
insert_conflict(struct bulk_run *run, size_t *members, size_t *count,
    int duplicate)
{
	size_t	i, kept = 0, marked = 0;

	if (!duplicate)
		return 1;
	if (check_taken(run, members, *count, &marked) != BULK_OK ||
	    marked == 0)
		return 0;
	for (i = 0; i < *count; i++)
		if (run->r->items[members[i]].state == BULK_ITEM_PENDING)
			members[kept++] = members[i];
	*count = kept;
	return 1;
}

/*
 * Creates the pending items among `waiting` (`n` of them) as one chunk (see
 * bulk.h).  Non-atomic: the chunk is committed, or its items become
 * errors.  Atomic: the rows stay in the batch's transaction.  Returns 0,
 * or -1 when the run must stop (the database failed, or an atomic batch
 * failed; the report says what happened).
 */
static int
create_chunk(struct bulk_run *run, const size_t *waiting, size_t n)
{
	struct db		*db = run->svc->db;
	struct bulk_item	*item;
	struct buf		 document;
	size_t			*members = NULL;
	int64_t			*failed_ids = NULL;
	char			 message[BULK_MESSAGE_MAX];
	size_t			 count = 0, i, failed = 0, tries = 0;
	unsigned int		 code;
	int			 atomic = run->o->atomic, duplicate, rc = -1;

	buf_init(&document, CONFIG_FILE_MAX_BYTES);
	if ((members = calloc(n, sizeof(*members))) == NULL ||
	    (failed_ids = calloc(n, sizeof(*failed_ids))) == NULL) {
		snprintf(message, sizeof(message), "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (run->r->items[waiting[i]].state == BULK_ITEM_PENDING)
			members[count++] = waiting[i];

	for (;;) {
		if (count == 0) {
			rc = 0;
			goto out;
		}
		if (!atomic && db_begin(db) == -1) {
			snprintf(message, sizeof(message),
			    "could not start a transaction");
			goto fail;
		}
		if (insert_rows(run, members, count) == 0)
			break;
		code = db_errno(db);
		duplicate = db_is_duplicate(db);
		log_debug("bulk create: chunk insert failed: %s",
		    db_error(db));
		if (atomic) {
			undo_atomic(run);
			if (duplicate)
				insert_conflict(run, members, &count, 1);
			snprintf(message, sizeof(message),
			    "could not save the tenants");
			goto fail;
		}
		db_rollback(db);
		if ((duplicate || code == DB_ER_LOCK_DEADLOCK ||
		    code == DB_ER_LOCK_WAIT_TIMEOUT) && tries < BULK_RETRIES &&
		    insert_conflict(run, members, &count, duplicate)) {
			tries++;
			continue;
		}
		snprintf(message, sizeof(message), "could not save the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}

	if (select_ids(run, members, count) == -1 ||
	    insert_modules(run, members, count) == -1) {
		snprintf(message, sizeof(message), "could not save the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}
	crash_point("bulk.after_insert");
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (place_folder(run, item, &document) == 0) {
			item->placed = 1;
			continue;
		}
		failed_ids[failed++] = item->id;
		if (errno == EEXIST || errno == ENOTEMPTY)
			item_fail(item, "failed", "subdomain", "a folder with "
			    "this name exists", "a folder for subdomain \"%s\" "
			    "already exists; run tenantctl fsck",
			    item->subdomain);
		else
			item_fail(item, "failed", NULL, NULL, "could not write "
			    "the tenant folder: %s", strerror(errno));
		if (atomic) {
			undo_atomic(run);
			rc = -1;
			goto out;
		}
	}
	if (delete_failed_rows(run, failed_ids, failed) == -1 ||
	    insert_audit(run, members, count) == -1) {
		snprintf(message, sizeof(message), "could not save the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}
	if (atomic) {
		rc = 0;
		goto out;
	}
	if (syncfs(run->svc->tenants_dirfd) == -1) {
		snprintf(message, sizeof(message), "could not write the tenant "
		    "folders: %s", strerror(errno));
		goto fail;
	}
	crash_point("bulk.before_commit");
	if (db_commit(db) == -1) {
		snprintf(message, sizeof(message), "could not commit the "
		    "tenants%s", db_unavailable(db) ?
		    ": the database is unavailable" : "");
		goto fail;
	}
	for (i = 0; i < count; i++) {
		item = &run->r->items[members[i]];
		if (item->state != BULK_ITEM_PENDING)
			continue;
		item->state = BULK_ITEM_CREATED;
		item->placed = 0;
	}
	rc = 0;
	goto out;
fail:
	log_error("bulk create: %s", message);
	if (atomic) {
		undo_atomic(run);
		error_set(run->err, run->errlen, "%s", message);
	} else
		undo(run, members, count, message);
out:
	buf_release(&document);
	free(failed_ids);
	free(members);
	return rc;
}

/*
 * Queues the "bulk_deploy" job for the created items that asked for a
 * deploy.  A job that cannot be queued is logged: the tenants exist all
 * the same and tenantctl fsck reports their undeployed frontends.
 */
static void
queue_deploy(struct bulk_run *run)
{
	struct buf	 payload;
	yajl_gen	 g = NULL;
	size_t		 i, ids = 0;

	buf_init(&payload, BULK_PAYLOAD_MAX);
	if ((g = json_gen_new()) == NULL)
		goto fail;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_key(g, "tenant_ids") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto fail;
	for (i = 0; i < run->r->count; i++) {
		if (run->r->items[i].state != BULK_ITEM_CREATED ||
		    !run->r->items[i].deploy)
			continue;
		if (yajl_gen_integer(g, run->r->items[i].id) !=
		    yajl_gen_status_ok)
			goto fail;
		ids++;
	}
	if (ids == 0)
		goto out;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "force", 0) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    json_gen_to_buf(g, &payload) == -1)
		goto fail;
	if (db_ensure(run->svc->db) == -1 || job_enqueue(run->svc->db,
	    "bulk_deploy", 0, payload.data, run->o->user_id,
	    &run->r->deploy_job_id) == -1)
		goto fail;
	goto out;
fail:
	run->r->deploy_job_id = 0;
	log_warning("%zu tenants were created, but their deploy could not be "
	    "queued: %s", ids, db_error(run->svc->db));
out:
	if (g != NULL)
		yajl_gen_free(g);
	buf_release(&payload);
}

/*
 * Creates every pending item, chunk by chunk, reporting progress after
 * each and stopping when asked.  Returns BULK_OK, or the failure of an
 * atomic batch that undid everything for a reason no item is to blame
 * for.
 */
static enum bulk_status
create_all(struct bulk_run *run)
{
	struct bulk_report	*r = run->r;
	size_t			*waiting = NULL;
	size_t			 total = 0, start, n, i, done = 0;
	int			 atomic = run->o->atomic;
	enum bulk_status	 status = BULK_FAILED;

	if ((waiting = calloc(r->count > 0 ? r->count : 1,
	    sizeof(*waiting))) == NULL) {
		error_set(run->err, run->errlen, "out of memory");
		return BULK_FAILED;
	}
	for (i = 0; i < r->count; i++)
		if (r->items[i].state == BULK_ITEM_PENDING)
			waiting[total++] = i;
	if (total == 0) {
		status = BULK_OK;
		goto out;
	}
	if (atomic) {
		if (db_begin(run->svc->db) == -1) {
			status = db_failure_status(run->svc->db,
			    "could not start a transaction", run->err,
			    run->errlen, BULK_DB_DOWN, BULK_FAILED);
			goto out;
		}
		run->in_transaction = 1;
	}
	for (start = 0; start < total; start += n) {
		n = total - start < run->chunk ? total - start : run->chunk;
		if (create_chunk(run, waiting + start, n) == -1)
			break;
		done = start + n;
		if (run->o->progress != NULL &&
		    run->o->progress(run->o->progress_arg, done, total) != 0) {
			if (done < total)
				r->stopped = 1;
			break;
		}
	}
	if (atomic && run->in_transaction) {
		crash_point("bulk.atomic_before_commit");
		if (r->stopped)
			undo_atomic(run);
		else if (syncfs(run->svc->tenants_dirfd) == -1) {
			error_set(run->err, run->errlen, "could not write the "
			    "tenant folders: %s", strerror(errno));
			undo_atomic(run);
		} else if (db_commit(run->svc->db) == -1) {
			error_set(run->err, run->errlen, "could not commit the "
			    "tenants");
			undo_atomic(run);
		} else {
			run->in_transaction = 0;
			for (i = 0; i < total; i++) {
				r->items[waiting[i]].state = BULK_ITEM_CREATED;
				r->items[waiting[i]].placed = 0;
			}
		}
	}
	status = BULK_OK;
	if (atomic && r->rolled_back && !r->stopped) {
		/* No item to blame: the batch failed as a whole. */
		for (i = 0; i < r->count; i++)
			if (r->items[i].state == BULK_ITEM_ERROR)
				break;
		if (i == r->count)
			status = db_unavailable(run->svc->db) ? BULK_DB_DOWN :
			    BULK_FAILED;
	}
out:
	free(waiting);
	return status;
}

/* Counts the items of `r` by state. */
static void
count_items(struct bulk_report *r)
{
	size_t	i;

	r->created = r->skipped = r->errors = r->pending = 0;
	for (i = 0; i < r->count; i++) {
		switch (r->items[i].state) {
		case BULK_ITEM_PENDING:
			r->pending++;
			break;
		case BULK_ITEM_CREATED:
			r->created++;
			break;
		case BULK_ITEM_SKIPPED:
			r->skipped++;
			break;
		case BULK_ITEM_ERROR:
			r->errors++;
			break;
		}
	}
}

/*
 * Creates the tenants of `tenants` (see bulk.h).  Called by the
 * bulk-create handler and tenantctl bulk-create.
 */
enum bulk_status
bulk_create(struct service *svc, const struct json_value *tenants,
    const struct bulk_create_options *o, struct bulk_report *report,
    char *err, size_t errlen)
{
	struct bulk_run		 run;
	struct tenant_input	*in = NULL;
	size_t			 i;
	enum bulk_status	 status;

	memset(&run, 0, sizeof(run));
	module_catalog_init(&run.cat);
	run.svc = svc;
	run.o = o;
	run.r = report;
	run.err = err;
	run.errlen = errlen;
	run.chunk = o->chunk_size == 0 ? BULK_CHUNK_DEFAULT : o->chunk_size;
	if (run.chunk > BULK_CHUNK_MAX)
		run.chunk = BULK_CHUNK_MAX;
	report->dry_run = o->dry_run;

	if (tenants == NULL || tenants->type != JSON_ARRAY) {
		error_set(err, errlen, "tenants must be a JSON array");
		status = BULK_FAILED;
		goto out;
	}
	if ((status = load_catalog(svc, &run.cat, err, errlen)) != BULK_OK)
		goto out;
	status = BULK_FAILED;
	if ((in = malloc(sizeof(*in))) == NULL ||
	    (run.scratch_modules = calloc(run.cat.count + 1,
	    sizeof(*run.scratch_modules))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if (tenants->count > 0 && (report->items = calloc(tenants->count,
	    sizeof(*report->items))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	report->count = tenants->count;
	for (i = 0; i < report->count; i++) {
		report->items[i].data = tenants->items[i];
		if (validate_item(&run, &report->items[i], in) == -1) {
			error_set(err, errlen, "out of memory");
			goto out;
		}
	}
	if (mark_duplicates(report) == -1) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if ((status = check_existing(&run)) != BULK_OK)
		goto out;
	count_items(report);
	if (o->dry_run || (o->atomic && report->errors > 0))
		goto out;
	status = create_all(&run);
	count_items(report);
	if (status == BULK_OK && o->deploy && report->created > 0)
		queue_deploy(&run);
	if (status == BULK_OK && report->created == 0 &&
	    db_unavailable(svc->db)) {
		error_set(err, errlen, "the database is unavailable");
		status = BULK_DB_DOWN;
	}
out:
	if (run.in_transaction)
		undo_atomic(&run);
	count_items(report);
	free(run.scratch_modules);
	free(in);
	module_catalog_release(&run.cat);
	return status;
}

/* --- the report ---------------------------------------------------------- */

/* Writes one entry of "errors": {index, data, code, error, fields}. */
static int
gen_item_error(yajl_gen g, const struct bulk_item *item, size_t index)
{
	size_t	i;

	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "index", (long long)index) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "data") != yajl_gen_status_ok ||
	    (item->data != NULL ? json_gen_value(g, item->data) :
	    yajl_gen_null(g)) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "code", item->code != NULL ? item->code :
	    "failed") != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "error", item->error != NULL ? item->error :
	    "failed") != yajl_gen_status_ok ||
	    json_gen_key(g, "fields") != yajl_gen_status_ok ||
	    yajl_gen_map_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; item->fields != NULL && i < item->fields->count; i++)
		if (json_gen_kv_string(g, item->fields->items[i].field,
		    item->fields->items[i].message) != yajl_gen_status_ok)
			return -1;
	if (yajl_gen_map_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * Is the report a success: nothing failed, nothing left out, not a dry
 * run that found problems?
 */
int
bulk_report_success(const struct bulk_report *r)
{
	return r->errors == 0 && (r->dry_run || r->pending == 0) &&
	    !r->stopped && !r->rolled_back;
}

/*
 * Writes the report object, headed by "error" and "code" when `code` is
 * given (see bulk.h).  Returns 0 or -1.
 */
int
bulk_report_to_json(yajl_gen g, const struct bulk_report *r,
    const char *code, const char *message)
{
	const struct bulk_item	*item;
	size_t			 i;

	if (yajl_gen_map_open(g) != yajl_gen_status_ok)
		return -1;
	if (code != NULL &&
	    (json_gen_kv_string(g, "error", message) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "code", code) != yajl_gen_status_ok))
		return -1;
	if (json_gen_kv_bool(g, "success", bulk_report_success(r)) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "created_count", (long long)r->created) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "created_tenants") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; i < r->count; i++) {
		item = &r->items[i];
		if (item->state != BULK_ITEM_CREATED)
			continue;
		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_int(g, "id", (long long)item->id) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "name", item->name) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "subdomain", item->subdomain) !=
		    yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			return -1;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "skipped_count", (long long)r->skipped) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "not_created_count", (long long)r->pending) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_int(g, "error_count", (long long)r->errors) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "errors") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; i < r->count; i++)
		if (r->items[i].state == BULK_ITEM_ERROR &&
		    gen_item_error(g, &r->items[i], i) == -1)
			return -1;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		return -1;
	if ((r->deploy_job_id > 0 ? json_gen_kv_int(g, "deploy_job_id",
	    (long long)r->deploy_job_id) : json_gen_kv_null(g,
	    "deploy_job_id")) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "dry_run", r->dry_run) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "rolled_back", r->rolled_back) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "interrupted", r->stopped) !=
	    yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/* --- bulk module changes ------------------------------------------------- */

/* Sets up an empty result; allocates nothing. */
void
bulk_modules_result_init(struct bulk_modules_result *res)
{
	memset(res, 0, sizeof(*res));
}

/* Frees the id lists of `res` and empties it.  Accepts NULL. */
void
bulk_modules_result_release(struct bulk_modules_result *res)
{
	if (res == NULL)
		return;
	free(res->updated_ids);
	free(res->not_found);
	bulk_modules_result_init(res);
}

/* qsort() order of ids. */
static int
id_compare(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Locks the tenant rows of the `count` sorted ids in id order (so two bulk
 * changes never wait on each other in a circle), BULK_IDS_CHUNK per
 * statement.  Returns 0 or -1.
 */
static int
lock_rows(struct db *db, const int64_t *ids, size_t count)
{
	static const char head[] = "SELECT id FROM tenants WHERE id IN (";
	static const char tail[] = ") ORDER BY id FOR UPDATE";
	struct db_param		*params = NULL;
	struct db_result	 res;
	struct buf		 sql;
	size_t			 start, n, slots, i;
	int			 rc = -1;

	db_result_init(&res);
	buf_init(&sql, BULK_SQL_MAX);
	if ((params = calloc(sql_in_list_slots(BULK_IDS_CHUNK),
	    sizeof(*params))) == NULL)
		goto out;
	for (start = 0; start < count; start += n) {
		n = count - start < BULK_IDS_CHUNK ? count - start :
		    BULK_IDS_CHUNK;
		slots = sql_in_list_slots(n);
		for (i = 0; i < slots; i++)
			params[i] = db_int(ids[start + (i < n ? i : n - 1)]);
		if (sql_repeat(&sql, head, "?", slots, tail) == -1 ||
		    db_query(db, sql.data, params, slots, &res) == -1)
			goto out;
		db_result_release(&res);
	}
	rc = 0;
out:
	db_result_release(&res);
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Writes module rows (tenant, key, enabled) and one audit row per tenant
 * for the `count` tenants of `tenants`, BULK_IDS_CHUNK per statement.
 * Returns 0 or -1.
 */
static int
write_module_rows(struct db *db, struct tenant *const *tenants, size_t count,
    const char *key, int enabled, int64_t user_id)
{
	static const char modules_head[] = "INSERT INTO tenant_modules "
	    "(tenant_id, module_key, is_enabled, updated_at) VALUES ";
	static const char modules_tail[] = " ON DUPLICATE KEY UPDATE "
	    "is_enabled = VALUES(is_enabled), updated_at = VALUES(updated_at)";
	static const char audit_head[] = "INSERT INTO audit_log "
	    "(user_id, tenant_id, action, detail, created_at) VALUES ";
	char			 detail[MODULE_KEY_MAX + 16];
	struct db_param		*params = NULL;
	struct buf		 sql;
	size_t			 start, n, i;
	int			 rc = -1;

	buf_init(&sql, BULK_SQL_MAX);
	snprintf(detail, sizeof(detail), "%s=%s", key, enabled ? "on" : "off");
	if ((params = calloc(BULK_IDS_CHUNK * 3, sizeof(*params))) == NULL)
		goto out;
	for (start = 0; start < count; start += n) {
		n = count - start < BULK_IDS_CHUNK ? count - start :
		    BULK_IDS_CHUNK;
		for (i = 0; i < n; i++) {
			params[i * 3] = db_int(tenants[start + i]->id);
			params[i * 3 + 1] = db_text(key);
			params[i * 3 + 2] = db_int(enabled);
		}
		if (sql_repeat(&sql, modules_head,
		    "(?,?,?,UTC_TIMESTAMP())", n, modules_tail) == -1 ||
		    db_exec(db, sql.data, params, n * 3, NULL, NULL) == -1)
			goto out;
		for (i = 0; i < n; i++) {
			params[i * 3] = user_id > 0 ? db_int(user_id) :
			    db_null();
			params[i * 3 + 1] = db_int(tenants[start + i]->id);
			params[i * 3 + 2] = db_text(detail);
		}
		if (sql_repeat(&sql, audit_head,
		    "(?,?,'tenant.module',?,UTC_TIMESTAMP(6))", n, "") == -1 ||
		    db_exec(db, sql.data, params, n * 3, NULL, NULL) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_release(&sql);
	free(params);
	return rc;
}

/*
 * Sets module `key` of tenant `t` (in memory) to `enabled`, adding the
 * module to its list when it has no row yet.  Returns 0, or -1 if out of
 * memory.
 */
static int
set_module_flag(struct tenant *t, const char *key, int enabled)
{
	struct tenant_module	*grown;
	size_t			 i;

	for (i = 0; i < t->module_count; i++) {
		if (strcmp(t->modules[i].key, key) == 0) {
			t->modules[i].enabled = enabled;
			return 0;
		}
	}
	grown = reallocarray(t->modules, t->module_count + 1,
	    sizeof(*t->modules));
	if (grown == NULL)
		return -1;
	t->modules = grown;
	snprintf(t->modules[t->module_count].key,
	    sizeof(t->modules[t->module_count].key), "%s", key);
	t->modules[t->module_count].enabled = enabled;
	t->module_count++;
	return 0;
}

/*
 * Puts back config.json of the first `count` tenants of `tenants` whose
 * flag `changed` says it was rewritten, from the module state before the
 * change, after a failure.  Failures are logged (tenantctl fsck reports a
 * stale config).
 */
static void
restore_configs(struct service *svc, struct tenant *const *tenants,
    const unsigned char *changed, size_t count, const char *key, int enabled,
    const struct module_catalog *cat)
{
	size_t	i;

	for (i = 0; i < count; i++) {
		if (!changed[i])
			continue;
		if (set_module_flag(tenants[i], key, !enabled) == -1 ||
		    config_write_atomic_with(svc, tenants[i], cat) == -1)
			log_error("could not restore config.json of %s: %s",
			    tenants[i]->subdomain, strerror(errno));
	}
}

/*
 * Sets one module of many tenants (see bulk.h).  Called by the
 * bulk-update-modules handler and tenantctl bulk-modules.
 */
enum bulk_status
bulk_update_modules(struct service *svc, const int64_t *ids, size_t count,
    const char *module_key, int enabled, int64_t user_id,
    struct bulk_modules_result *res, char *err, size_t errlen)
{
	struct module_catalog	 cat;
	const struct module_def	*def;
	struct tenant_list	*lists = NULL;
	struct tenant		**tenants = NULL;
	unsigned char		*changed = NULL;
	int64_t			*sorted = NULL;
	size_t			 unique = 0, nlists = 0, found = 0, written = 0;
	size_t			 i, j, k, start;
	int			 in_transaction = 0;
	enum bulk_status	 status;

	module_catalog_init(&cat);
	enabled = enabled != 0;
	if ((status = load_catalog(svc, &cat, err, errlen)) != BULK_OK)
		goto out;
	if (validate_module_key(module_key, strlen(module_key)) != NULL ||
	    (def = module_catalog_find(&cat, module_key)) == NULL) {
		error_set(err, errlen, "unknown module");
		status = BULK_UNKNOWN_MODULE;
		goto out;
	}
	if (def->is_core && !enabled) {
		error_set(err, errlen, "a core module cannot be disabled");
		status = BULK_CORE_MODULE;
		goto out;
	}
	status = BULK_FAILED;
	if (count == 0) {
		status = BULK_OK;
		goto out;
	}
	nlists = (count + BULK_IDS_CHUNK - 1) / BULK_IDS_CHUNK;
	if ((sorted = calloc(count, sizeof(*sorted))) == NULL ||
	    (lists = calloc(nlists, sizeof(*lists))) == NULL ||
	    (tenants = calloc(count, sizeof(*tenants))) == NULL ||
	    (changed = calloc(count, 1)) == NULL ||
	    (res->updated_ids = calloc(count, sizeof(int64_t))) == NULL ||
	    (res->not_found = calloc(count, sizeof(int64_t))) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	memcpy(sorted, ids, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), id_compare);
	for (i = 0; i < count; i++)
		if (i == 0 || sorted[i] != sorted[i - 1])
			sorted[unique++] = sorted[i];

	if (db_begin(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not start a transaction", err, errlen,
		    BULK_DB_DOWN, BULK_FAILED);
		goto out;
	}
	in_transaction = 1;
	if (lock_rows(svc->db, sorted, unique) == -1) {
		status = db_failure_status(svc->db,
		    "could not lock the tenants", err, errlen,
		    BULK_DB_DOWN, BULK_FAILED);
		goto out;
	}
	for (start = 0, k = 0; start < unique; start += BULK_IDS_CHUNK, k++) {
		if (tenant_list_by_ids(svc->db, sorted + start,
		    unique - start < BULK_IDS_CHUNK ? unique - start :
		    BULK_IDS_CHUNK, &lists[k]) == -1) {
			status = db_failure_status(svc->db,
			    "could not load the tenants", err, errlen,
			    BULK_DB_DOWN, BULK_FAILED);
			goto out;
		}
		for (j = 0; j < lists[k].count; j++)
			tenants[found++] = &lists[k].items[j];
	}
	/* Both lists are sorted: what is not found is the difference. */
	for (i = 0, j = 0; i < unique; i++) {
		if (j < found && tenants[j]->id == sorted[i]) {
			res->updated_ids[res->updated_count++] = sorted[i];
			j++;
		} else
			res->not_found[res->not_found_count++] = sorted[i];
	}
	if (found > 0 && write_module_rows(svc->db, tenants, found, def->key,
	    enabled, user_id) == -1) {
		status = db_failure_status(svc->db,
		    "could not save the modules", err, errlen,
		    BULK_DB_DOWN, BULK_FAILED);
		goto out;
	}
	for (written = 0; written < found; written++) {
		struct tenant *t = tenants[written];

		if (!t->is_active ||
		    tenant_module_enabled(t, def->key) == enabled)
			continue;
		if (set_module_flag(t, def->key, enabled) == -1) {
			error_set(err, errlen, "out of memory");
			goto out;
		}
		if (config_write_atomic_with(svc, t, &cat) == -1) {
			log_error("bulk modules: config.json of %s: %s",
			    t->subdomain, strerror(errno));
			error_set(err, errlen, "could not write config.json of "
			    "tenant \"%s\": %s%s", t->subdomain,
			    strerror(errno), errno == ENOENT ? " (its folder "
			    "is missing; run tenantctl fsck)" : "");
			goto out;
		}
		changed[written] = 1;
	}
	if (db_commit(svc->db) == -1) {
		status = db_failure_status(svc->db,
		    "could not commit the change", err, errlen,
		    BULK_DB_DOWN, BULK_FAILED);
		goto out;
	}
	in_transaction = 0;
	status = BULK_OK;
out:
	if (in_transaction) {
		db_rollback(svc->db);
		if (changed != NULL)
			restore_configs(svc, tenants, changed, written,
			    module_key, enabled, &cat);
	}
	if (status != BULK_OK) {
		bulk_modules_result_release(res);
		bulk_modules_result_init(res);
	}
	for (k = 0; lists != NULL && k < nlists; k++)
		tenant_list_release(&lists[k]);
	free(lists);
	free(tenants);
	free(changed);
	free(sorted);
	module_catalog_release(&cat);
	return status;
}

/* Writes `count` ids as a JSON array under `key`.  Returns 0 or -1. */
static int
gen_id_array(yajl_gen g, const char *key, const int64_t *ids, size_t count)
{
	size_t	i;

	if (json_gen_key(g, key) != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; i < count; i++)
		if (yajl_gen_integer(g, ids[i]) != yajl_gen_status_ok)
			return -1;
	return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
}

/* Writes the bulk-update-modules response object.  Returns 0 or -1. */
int
bulk_modules_result_to_json(yajl_gen g, const struct bulk_modules_result *res)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "updated", (long long)res->updated_count) !=
	    yajl_gen_status_ok ||
	    gen_id_array(g, "updated_ids", res->updated_ids,
	    res->updated_count) == -1 ||
	    gen_id_array(g, "not_found", res->not_found,
	    res->not_found_count) == -1 ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * Fills `ids` with up to `max` tenant ids after `after_id`, in order (see
 * bulk.h).  Returns the count, or -1.
 */
long
bulk_next_ids(struct db *db, int64_t after_id, int64_t *ids, size_t max)
{
	struct db_param		params[2];
	struct db_result	res;
	size_t			row;
	long			count = -1;

	db_result_init(&res);
	if (max == 0 || max > BULK_IDS_CHUNK)
		max = BULK_IDS_CHUNK;
	params[0] = db_int(after_id);
	params[1] = db_int((int64_t)max);
	if (db_query(db, "SELECT id FROM tenants WHERE id > ? ORDER BY id "
	    "LIMIT ?", params, 2, &res) == -1)
		goto out;
	for (row = 0; row < res.rows && row < max; row++)
		ids[row] = db_cell_int(&res, row, 0, 0);
	count = (long)row;
out:
	db_result_release(&res);
	return count;
}

/* --- CSV ----------------------------------------------------------------- */

/* The columns a bulk CSV file may have. */
static const char *const csv_columns[] = {
	"name", "subdomain", "contact_email", "primary_color",
	"secondary_color", "module_keys"
};
#define CSV_COLUMN_COUNT	(sizeof(csv_columns) / sizeof(csv_columns[0]))
#define CSV_COLUMN_MODULES	5

/*
 * Maps the header record onto csv_columns: `map[i]` is the column index
 * of field i.  Returns 0, or -1 with a message for an unknown or repeated
 * column or a missing name or subdomain.
 */
static int
csv_header(const struct csv_record *rec, size_t map[CSV_MAX_FIELDS],
    char *err, size_t errlen)
{
	int	seen[CSV_COLUMN_COUNT] = { 0 };
	size_t	i, c;

	for (i = 0; i < rec->count; i++) {
		for (c = 0; c < CSV_COLUMN_COUNT; c++)
			if (strcmp(rec->fields[i], csv_columns[c]) == 0)
				break;
		if (c == CSV_COLUMN_COUNT) {
			error_set(err, errlen, "line %zu: unknown column "
			    "\"%.64s\" (known: name, subdomain, contact_email, "
			    "primary_color, secondary_color, module_keys)",
			    rec->line, rec->fields[i]);
			return -1;
		}
		if (seen[c]) {
			error_set(err, errlen, "line %zu: column \"%s\" given "
			    "twice", rec->line, csv_columns[c]);
			return -1;
		}
		seen[c] = 1;
		map[i] = c;
	}
	if (!seen[0] || !seen[1]) {
		error_set(err, errlen, "line %zu: the header must name the "
		    "columns name and subdomain", rec->line);
		return -1;
	}
	return 0;
}

/*
 * Writes the module keys of a cell ("a;b|c") as a JSON array, each key
 * trimmed of spaces, empty ones skipped.  Returns 0 or -1.
 */
static int
csv_gen_modules(yajl_gen g, const char *cell)
{
	const char	*p = cell, *end;
	size_t		 len;

	if (yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	while (*p != '\0') {
		len = strcspn(p, ";|");
		end = p + len;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > p && yajl_gen_string(g, (const unsigned char *)p,
		    (size_t)(end - p)) != yajl_gen_status_ok)
			return -1;
		p += strcspn(p, ";|");
		if (*p != '\0')
			p++;
	}
	return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
}

/*
 * Converts a CSV file into the API's JSON shape (see bulk.h).  Called by
 * tenantctl bulk-create.  Returns 0 or -1 with `err` set.
 */
int
bulk_csv_to_json(const char *data, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	struct csv_reader	reader;
	struct csv_record	rec;
	size_t			map[CSV_MAX_FIELDS], columns = 0, i;
	yajl_gen		g = NULL;
	int			got, header = 1, rc = -1;

	csv_reader_init(&reader, data, len);
	csv_record_init(&rec);
	if ((g = json_gen_new()) == NULL) {
		error_set(err, errlen, "out of memory");
		goto out;
	}
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_key(g, "tenants") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto gen_fail;
	while ((got = csv_next_record(&reader, &rec, err, errlen)) == 1) {
		if (header) {
			if (csv_header(&rec, map, err, errlen) == -1)
				goto out;
			columns = rec.count;
			header = 0;
			continue;
		}
		if (rec.count != columns) {
			error_set(err, errlen, "line %zu: %zu fields, the "
			    "header has %zu", rec.line, rec.count, columns);
			goto out;
		}
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			goto gen_fail;
		for (i = 0; i < rec.count; i++) {
			if (rec.lengths[i] == 0 && map[i] > 1)
				continue;
			if (json_gen_key(g, csv_columns[map[i]]) !=
			    yajl_gen_status_ok)
				goto gen_fail;
			if (map[i] == CSV_COLUMN_MODULES) {
				if (csv_gen_modules(g, rec.fields[i]) == -1)
					goto gen_fail;
			} else if (yajl_gen_string(g,
			    (const unsigned char *)rec.fields[i],
			    rec.lengths[i]) != yajl_gen_status_ok) {
				error_set(err, errlen, "line %zu: not valid "
				    "UTF-8", rec.line);
				goto out;
			}
		}
		if (yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto gen_fail;
		if (json_gen_to_buf(g, out) == -1) {
			error_set(err, errlen, "the file is too large");
			goto out;
		}
		yajl_gen_clear(g);
	}
	if (got == -1)
		goto out;
	if (header) {
		error_set(err, errlen, "the file has no header row");
		goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		goto gen_fail;
	if (json_gen_to_buf(g, out) == -1) {
		error_set(err, errlen, "the file is too large");
		goto out;
	}
	rc = 0;
	goto out;
gen_fail:
	error_set(err, errlen, "line %zu: could not convert the record "
	    "(not valid UTF-8?)", rec.line);
out:
	if (g != NULL)
		yajl_gen_free(g);
	csv_record_release(&rec);
	return rc;
}
