/*
 * bulk_report.c - the report of a bulk create: item outcomes as they are
 * settled, the counts, and the report as JSON (see bulk.h).  The API code
 * of an item error comes from the caller (bulk_item_code_fn), so no API
 * code string lives here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "bulk.h"
#include "bulk_internal.h"
#include "json.h"
#include "tenant_input.h"

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

/* Records a field message on `item` (see bulk_internal.h). */
void
bulk_item_add_field(struct bulk_item *item, const char *field,
    const char *message)
{
	if (item->fields == NULL &&
	    (item->fields = calloc(1, sizeof(*item->fields))) == NULL)
		return;
	field_errors_add(item->fields, field, "%s", message);
}

/* Marks `item` as an error (see bulk_internal.h). */
void
bulk_item_fail(struct bulk_item *item, enum result reason,
    const char *field, const char *field_message, const char *fmt, ...)
{
	char	message[BULK_MESSAGE_MAX];
	va_list	ap;

	if (field != NULL)
		bulk_item_add_field(item, field, field_message);
	if (item->state == BULK_ITEM_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	item->state = BULK_ITEM_ERROR;
	item->reason = reason;
	item->id = 0;
	item->placed = 0;
	free(item->error);
	item->error = strdup(message);
}

/* Counts the items of `r` by state. */
void
bulk_report_count(struct bulk_report *r)
{
	size_t	i;

	r->created = r->skipped = r->errors = r->pending = r->deployed = 0;
	for (i = 0; i < r->count; i++) {
		switch (r->items[i].state) {
		case BULK_ITEM_PENDING:
			r->pending++;
			break;
		case BULK_ITEM_CREATED:
			r->created++;
			if (r->items[i].deployed)
				r->deployed++;
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
 * Writes one entry of "errors": {index, data, code, error, fields}, the
 * code being item_code(the item's reason).
 */
static int
gen_item_error(yajl_gen g, const struct bulk_item *item, size_t index,
    bulk_item_code_fn item_code)
{
	size_t	i;

	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "index", (long long)index) !=
	    yajl_gen_status_ok ||
	    json_gen_key(g, "data") != yajl_gen_status_ok ||
	    (item->data != NULL ? json_gen_value(g, item->data) :
	    yajl_gen_null(g)) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "code", item_code(item->reason)) !=
	    yajl_gen_status_ok ||
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
    bulk_item_code_fn item_code, const char *code, const char *message)
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
		    gen_item_error(g, &r->items[i], i,
		    item_code) == -1)
			return -1;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		return -1;
	if (json_gen_kv_int(g, "deployed_count", (long long)r->deployed) !=
	    yajl_gen_status_ok ||
	    (r->deploy_job_id > 0 ? json_gen_kv_int(g, "deploy_job_id",
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
