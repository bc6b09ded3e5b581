/*
 * config_render.h - a tenant's config.json, as SPEC.md section 5 shows it.
 *
 * Rendering is a pure function of the tenant, the module catalog, the
 * configured api_url and asset_base_url and a timestamp, so it is
 * unit-tested without a database and the same bytes come out of tenantd
 * and tenantctl.
 */
#ifndef TENANTD_CONFIG_RENDER_H
#define TENANTD_CONFIG_RENDER_H

#include <stddef.h>
#include <time.h>

struct buf;
struct module_catalog;
struct tenant;

/*
 * Appends the JSON document for `t` to `out` (pretty-printed, ending in a
 * newline).  `modules` lists every catalog module; `module_list` gives each
 * with its name, icon, description, route, is_core and enabled flag, in
 * sort_order.  branding.logo_url is "/logo.<ext>", or with
 * `asset_base_url` (not NULL) and a logo with a content-named alias
 * (config_render_logo_alias()) "<asset_base_url>/<sub>/<alias>".  Returns
 * 0, or -1 if `out` hit its limit or memory ran out.
 */
int	config_render(const struct tenant *t, const struct module_catalog *cat,
	    const char *api_url, const char *asset_base_url,
	    time_t generated_at, struct buf *out);

/*
 * Writes the content-named alias of `t`'s logo (asset_name.h:
 * "logo.0123456789ab.png"), the name a CDN loads it by, into `out` (of
 * `outlen` bytes).  Returns 1, or 0 when there is none: no logo, no
 * stored digest (a logo written before the digest was kept) or a type
 * that gets no alias.
 */
int	config_render_logo_alias(const struct tenant *t, char *out,
	    size_t outlen);

#endif
