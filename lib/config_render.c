/*
 * config_render.c - a tenant's config.json, in the shape of SPEC.md
 * section 5.
 *
 * The document is a pure function of its inputs (tenant, module catalog,
 * api_url, asset_base_url, time), written with yajl and pretty-printed with two-space
 * indentation, so tenantd and tenantctl produce the same bytes and the unit
 * test can compare them exactly.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "asset_name.h"
#include "buf.h"
#include "config_render.h"
#include "json.h"
#include "module.h"
#include "tenant.h"
#include "validate.h"

#define CONFIG_VERSION	1
/* A logo URL: asset_base_url, the subdomain and an alias of a logo name. */
#define LOGO_URL_MAX	(ASSET_BASE_URL_MAX + SUBDOMAIN_MAX + 64)

/* The logo's alias (config_render.h).  Returns 1 or 0. */
int
config_render_logo_alias(const struct tenant *t, char *out, size_t outlen)
{
	return t->logo != NULL && t->logo_sha256[0] != '\0' &&
	    asset_name_alias(t->logo, t->logo_sha256, out, outlen) == 0;
}

/*
 * Writes the "tenant" object: id, name and subdomain only.  config.json is
 * public (anyone who knows the subdomain reads it), so the contact email,
 * which the tenant site never shows, stays in the admin API.  Returns a
 * yajl_gen_status.
 */
static int
render_tenant(yajl_gen g, const struct tenant *t)
{
	int	status;

	if ((status = json_gen_key(g, "tenant")) != yajl_gen_status_ok ||
	    (status = yajl_gen_map_open(g)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "id", t->id)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "name",
	    t->name != NULL ? t->name : "")) != yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "subdomain",
	    t->subdomain)) != yajl_gen_status_ok)
		return status;
	return yajl_gen_map_close(g);
}

/*
 * Writes the "branding" object; logo_url is the logo's path relative to the
 * tenant site ("/logo.png"), or its alias under `asset_base_url` (not
 * NULL), or null without a logo.  Returns a yajl_gen_status, or
 * yajl_gen_invalid_string for a logo name too long for the column it came
 * from.
 */
static int
render_branding(yajl_gen g, const struct tenant *t, const char *asset_base_url)
{
	char	logo_url[LOGO_URL_MAX + 1], alias[64];
	int	status, written;

	if (t->logo != NULL && asset_base_url != NULL &&
	    config_render_logo_alias(t, alias, sizeof(alias))) {
		written = snprintf(logo_url, sizeof(logo_url), "%s/%s/%s",
		    asset_base_url, t->subdomain, alias);
		if (written < 0 || (size_t)written >= sizeof(logo_url))
			return yajl_gen_invalid_string;
	} else if (t->logo != NULL) {
		written = snprintf(logo_url, sizeof(logo_url), "/%s", t->logo);
		if (written < 0 || (size_t)written >= sizeof(logo_url))
			return yajl_gen_invalid_string;
	}
	if ((status = json_gen_key(g, "branding")) != yajl_gen_status_ok ||
	    (status = yajl_gen_map_open(g)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "primary_color",
	    t->primary_color)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "secondary_color",
	    t->secondary_color)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "logo_url",
	    t->logo != NULL ? logo_url : NULL)) != yajl_gen_status_ok)
		return status;
	return yajl_gen_map_close(g);
}

/* Is module `def` on for `t`?  Core modules always are. */
static int
module_on(const struct tenant *t, const struct module_def *def)
{
	return def->is_core || tenant_module_enabled(t, def->key);
}

/*
 * Writes "modules" (every catalog key mapped to its flag) and "module_list"
 * (every catalog module described, in catalog order).  Returns a
 * yajl_gen_status.
 */
static int
render_modules(yajl_gen g, const struct tenant *t,
    const struct module_catalog *cat)
{
	const struct module_def	*def;
	size_t			 i;
	int			 status;

	if ((status = json_gen_key(g, "modules")) != yajl_gen_status_ok ||
	    (status = yajl_gen_map_open(g)) != yajl_gen_status_ok)
		return status;
	for (i = 0; i < cat->count; i++) {
		def = &cat->modules[i];
		if ((status = json_gen_kv_bool(g, def->key,
		    module_on(t, def))) != yajl_gen_status_ok)
			return status;
	}
	if ((status = yajl_gen_map_close(g)) != yajl_gen_status_ok)
		return status;

	if ((status = json_gen_key(g, "module_list")) != yajl_gen_status_ok ||
	    (status = yajl_gen_array_open(g)) != yajl_gen_status_ok)
		return status;
	for (i = 0; i < cat->count; i++) {
		def = &cat->modules[i];
		if ((status = yajl_gen_map_open(g)) != yajl_gen_status_ok ||
		    (status = json_gen_kv_string(g, "key", def->key)) !=
		    yajl_gen_status_ok ||
		    (status = json_gen_kv_string(g, "name", def->name)) !=
		    yajl_gen_status_ok ||
		    (status = json_gen_kv_string(g, "icon", def->icon)) !=
		    yajl_gen_status_ok ||
		    (status = json_gen_kv_string(g, "description",
		    def->description)) != yajl_gen_status_ok ||
		    (status = json_gen_kv_string(g, "route", def->route)) !=
		    yajl_gen_status_ok ||
		    (status = json_gen_kv_bool(g, "is_core", def->is_core)) !=
		    yajl_gen_status_ok ||
		    (status = json_gen_kv_bool(g, "enabled",
		    module_on(t, def))) != yajl_gen_status_ok ||
		    (status = yajl_gen_map_close(g)) != yajl_gen_status_ok)
			return status;
	}
	return yajl_gen_array_close(g);
}

/*
 * Appends the config.json document of `t` to `out` (see config_render.h).
 * Called by provision.c whenever a tenant's folder is written, and by
 * tenantctl.  On failure `out` is left as it was.  Returns 0 or -1.
 */
int
config_render(const struct tenant *t, const struct module_catalog *cat,
    const char *api_url, const char *asset_base_url, time_t generated_at,
    struct buf *out)
{
	yajl_gen	 g = NULL;
	struct tm	 tm;
	char		 stamp[32];
	size_t		 start = out->len;
	int		 rc = -1;

	if (gmtime_r(&generated_at, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		goto out;

	if ((g = json_gen_new()) == NULL)
		goto out;
	if (!yajl_gen_config(g, yajl_gen_beautify, 1) ||
	    !yajl_gen_config(g, yajl_gen_indent_string, "  "))
		goto out;

	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "version", CONFIG_VERSION) !=
	    yajl_gen_status_ok ||
	    json_gen_kv_string(g, "generated_at", stamp) !=
	    yajl_gen_status_ok ||
	    render_tenant(g, t) != yajl_gen_status_ok ||
	    render_branding(g, t, asset_base_url) != yajl_gen_status_ok ||
	    json_gen_kv_string(g, "api_url", api_url) != yajl_gen_status_ok ||
	    render_modules(g, t, cat) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		goto out;

	if (json_gen_to_buf(g, out) == -1)
		goto out;
	if (out->len == start || out->data[out->len - 1] != '\n')
		if (buf_append_char(out, '\n') == -1)
			goto out;
	rc = 0;
out:
	if (rc == -1 && out->len > start) {
		out->len = start;
		out->data[start] = '\0';
	}
	if (g != NULL)
		yajl_gen_free(g);
	return rc;
}
