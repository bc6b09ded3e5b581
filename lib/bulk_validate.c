/*
 * bulk_validate.c - the checks of a bulk create before anything is
 * written (see bulk.h, step 1): the module catalog, each item as a create
 * request, subdomains repeated within the batch, and subdomains already
 * taken, looked up with "IN (?,...)" lists padded to a few fixed sizes
 * (sql.h) so the statement cache holds a handful of variants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "bulk.h"
#include "bulk_internal.h"
#include "config_file.h"
#include "db.h"
#include "error.h"
#include "form.h"
#include "json.h"
#include "module.h"
#include "service.h"
#include "sql.h"
#include "tenant_input.h"
#include "validate.h"

#define BULK_ITEM_FIELDS_MAX	256	/* fields of one item */

/*
 * Makes sure the database answers and loads the module catalog
 * (config_file_load_catalog()), which must fit the module bit sets.
 * Returns RESULT_OK or the failure.
 */
enum result
bulk_load_catalog(struct service *svc, struct module_catalog *cat, char *err,
    size_t errlen)
{
	enum result		status;

	status = config_file_load_catalog(svc, cat, err, errlen);
	if (status != RESULT_OK)
		return status;
	if (cat->count > BULK_MODULE_BITS) {
		error_set(err, errlen, "the module catalog has more than %d "
		    "modules", BULK_MODULE_BITS);
		return RESULT_FAILED;
	}
	return RESULT_OK;
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
				bulk_module_bit_set(item->modules, j);
	item->deploy = in->deploy;
	return 0;
}

/*
 * Validates item `item` (its JSON in item->data) as a create request
 * would be.  Returns 0 (the item is valid or marked as an error), or -1
 * when memory ran out.
 */
int
bulk_validate_item(struct bulk_run *run, struct bulk_item *item,
    struct tenant_input *in)
{
	struct form_limits	limits = form_default_limits;
	struct field_errors	errors;
	struct form		form;
	enum result		fs;
	char			message[BULK_MESSAGE_MAX];
	size_t			i;
	int			rc = -1;

	form_init(&form);
	memset(&errors, 0, sizeof(errors));
	limits.max_fields = BULK_ITEM_FIELDS_MAX;
	if (item->data->type != JSON_OBJECT) {
		bulk_item_fail(item, RESULT_INVALID, NULL, NULL,
		    "must be a JSON object, not %s",
		    json_type_name(item->data->type));
		rc = 0;
		goto out;
	}
	fs = form_from_json_object(&form, item->data, &limits, message,
	    sizeof(message));
	if (fs == RESULT_NO_MEMORY)
		goto out;
	if (fs != RESULT_OK) {
		bulk_item_fail(item, RESULT_INVALID, NULL, NULL, "%s",
		    message);
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
		bulk_item_fail(item, RESULT_INVALID, NULL, NULL,
		    "invalid tenant data");
		for (i = 0; i < errors.count; i++)
			bulk_item_add_field(item, errors.items[i].field,
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
int
bulk_mark_duplicates(struct bulk_report *r)
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
		bulk_item_fail(&r->items[refs[i].index], RESULT_DUPLICATE,
		    "subdomain", message, "subdomain \"%s\" appears more "
		    "than once in this batch", refs[i].subdomain);
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
				bulk_module_bit_set(bits, i);
	}
	return memcmp(bits, item->modules, sizeof(bits)) == 0;
}

/*
 * Looks up which of the `count` pending items `members` have a subdomain
 * that is taken, with one query, and marks them: skipped when
 * skip_present and the tenant is the same, else "subdomain_taken".
 * `*marked` counts them.  Returns RESULT_OK or the database failure.
 */
enum result
bulk_check_taken(struct bulk_run *run, const size_t *members, size_t count,
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
	enum result		 status = RESULT_FAILED;

	*marked = 0;
	db_result_init(&res);
	buf_init(&sql, SQL_TEXT_MAX);
	if (count == 0)
		return RESULT_OK;
	slots = sql_in_list_slots(count);
	if ((params = calloc(slots, sizeof(*params))) == NULL) {
		error_set(run->err, run->errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < count; i++)
		params[i] = db_text(run->r->items[members[i]].subdomain);
	sql_pad_params(params, count, slots);
	if (sql_repeat(&sql, head, "?", slots, tail) == -1) {
		error_set(run->err, run->errlen, "out of memory");
		goto out;
	}
	if (db_query(run->svc->db, sql.data, params, slots, &res) == -1) {
		status = db_failure_status(run->svc->db,
		    "could not look up the subdomains", run->err, run->errlen);
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
			bulk_item_fail(item, RESULT_TAKEN, "subdomain",
			    "is already taken", "subdomain \"%s\" is already "
			    "taken", sub);
		}
	}
	status = RESULT_OK;
out:
	db_result_release(&res);
	buf_release(&sql);
	free(params);
	return status;
}

/*
 * Checks the subdomains of all pending items against the tenants table,
 * BULK_LOOKUP_CHUNK at a time.  Returns RESULT_OK or the failure.
 */
enum result
bulk_check_existing(struct bulk_run *run)
{
	size_t			 members[BULK_LOOKUP_CHUNK];
	size_t			 i, n = 0, marked;
	enum result		 status;

	for (i = 0; i < run->r->count; i++) {
		if (run->r->items[i].state != BULK_ITEM_PENDING)
			continue;
		members[n++] = i;
		if (n < BULK_LOOKUP_CHUNK && i + 1 < run->r->count)
			continue;
		if ((status = bulk_check_taken(run, members, n, &marked)) !=
		    RESULT_OK)
			return status;
		n = 0;
	}
	if (n > 0)
		return bulk_check_taken(run, members, n, &marked);
	return RESULT_OK;
}
