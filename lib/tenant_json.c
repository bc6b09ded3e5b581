/*
 * tenant_json.c - a tenant as the API's JSON object: its fields, its URL,
 * every catalog module with its flag and the keys of the enabled ones.
 * Written for the tenant handlers, bulk reports and tenantctl; the struct
 * comes from tenant.c or tenant_list.c.
 */
#include <stddef.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "buf.h"
#include "json.h"
#include "module.h"
#include "tenant.h"

/* Longest tenant URL written into the JSON. */
#define TENANT_URL_MAX		2048

/*
 * Writes `format` with its "{subdomain}" replaced by `subdomain` into
 * `out`.  Returns 0, or -1 if memory ran out or the limit was hit.
 */
static int
tenant_url(struct buf *out, const char *format, const char *subdomain)
{
	static const char marker[] = "{subdomain}";
	const char *at;

	if ((at = strstr(format, marker)) == NULL)
		return buf_append_str(out, format);
	if (buf_append(out, format, (size_t)(at - format)) == -1 ||
	    buf_append_str(out, subdomain) == -1 ||
	    buf_append_str(out, at + sizeof(marker) - 1) == -1)
		return -1;
	return 0;
}

/* Is catalog module `m` enabled for `t`: core, or its row says so. */
static int
module_enabled_for(const struct tenant *t, const struct module_def *m)
{
	return m->is_core || tenant_module_enabled(t, m->key);
}

/*
 * Writes `t` as the API's tenant object (see tenant_to_json_members()).
 * Called by the tenant handlers and tenantctl.  Returns 0, or -1 if the
 * generator failed.
 */
int
tenant_to_json(yajl_gen g, const struct tenant *t,
    const struct module_catalog *cat, const char *tenant_url_format)
{
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    tenant_to_json_members(g, t, cat, tenant_url_format) == -1 ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}

/*
 * Writes the members of the API's tenant object into the object the caller
 * opened: its fields, its URL, every catalog module (in catalog order) with
 * its enabled flag, and the keys of the enabled ones.  Callers that answer
 * with more than the tenant (create adds "deploy_job_id") add their keys
 * before closing the object.  Returns 0, or -1 if the generator failed.
 */
int
tenant_to_json_members(yajl_gen g, const struct tenant *t,
    const struct module_catalog *cat, const char *tenant_url_format)
{
	struct buf scratch;
	size_t i, count;
	int rc = -1;

	buf_init(&scratch, TENANT_URL_MAX);
	count = cat != NULL ? cat->count : 0;

	if (json_gen_kv_int(g, "id", (long long)t->id) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "name", t->name) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "subdomain", t->subdomain) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "contact_email",
	    t->contact_email != NULL ? t->contact_email : "") !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "primary_color", t->primary_color) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "secondary_color", t->secondary_color) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "logo", t->logo) != yajl_gen_status_ok)
		goto out;

	if (t->logo != NULL) {
		if (buf_append_char(&scratch, '/') == -1 ||
		    buf_append_str(&scratch, t->logo) == -1 ||
		    json_gen_kv_string(g, "logo_url", scratch.data) !=
		    yajl_gen_status_ok)
			goto out;
	} else if (json_gen_kv_null(g, "logo_url") != yajl_gen_status_ok)
		goto out;

	if (json_gen_kv_bool(g, "is_active", t->is_active) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "deployed", t->deployed) !=
	    yajl_gen_status_ok ||
	    (t->template_version[0] != '\0' ? json_gen_kv_string(g,
	    "template_version", t->template_version) :
	    json_gen_kv_null(g, "template_version")) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "archived_at", t->archived_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "created_at", t->created_at) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "updated_at", t->updated_at) !=
	    yajl_gen_status_ok)
		goto out;
	if (t->created_by > 0) {
		if (json_gen_kv_int(g, "created_by",
		    (long long)t->created_by) != yajl_gen_status_ok)
			goto out;
	} else if (json_gen_kv_null(g, "created_by") != yajl_gen_status_ok)
		goto out;

	buf_reset(&scratch);
	if (tenant_url_format != NULL) {
		if (tenant_url(&scratch, tenant_url_format,
		    t->subdomain) == -1 ||
		    json_gen_kv_string(g, "tenant_url", scratch.data) !=
		    yajl_gen_status_ok)
			goto out;
	} else if (json_gen_kv_null(g, "tenant_url") != yajl_gen_status_ok)
		goto out;

	if (json_gen_key(g, "modules") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < count; i++) {
		const struct module_def *m = &cat->modules[i];

		if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
		    json_gen_kv_string(g, "module_key", m->key) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "module_name", m->name) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_string(g, "icon", m->icon) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_bool(g, "is_core", m->is_core) !=
		    yajl_gen_status_ok ||
		    json_gen_kv_bool(g, "is_enabled",
		    module_enabled_for(t, m)) != yajl_gen_status_ok ||
		    yajl_gen_map_close(g) != yajl_gen_status_ok)
			goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		goto out;

	if (json_gen_key(g, "enabled_modules") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		goto out;
	for (i = 0; i < count; i++) {
		if (!module_enabled_for(t, &cat->modules[i]))
			continue;
		if (json_gen_string(g, cat->modules[i].key) !=
		    yajl_gen_status_ok)
			goto out;
	}
	if (yajl_gen_array_close(g) != yajl_gen_status_ok)
		goto out;
	rc = 0;
out:
	buf_release(&scratch);
	return rc;
}
