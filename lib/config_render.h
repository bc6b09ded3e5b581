/*
 * config_render.h - a tenant's config.json, as SPEC.md section 5 shows it.
 *
 * Rendering is a pure function of the tenant, the module catalog, the
 * configured api_url and a timestamp, so it is unit-tested without a
 * database and the same bytes come out of tenantd and tenantctl.
 */
#ifndef TENANTD_CONFIG_RENDER_H
#define TENANTD_CONFIG_RENDER_H

#include <time.h>

struct buf;
struct module_catalog;
struct tenant;

/*
 * Appends the JSON document for `t` to `out` (pretty-printed, ending in a
 * newline).  `modules` lists every catalog module; `module_list` gives each
 * with its name, icon, description, route, is_core and enabled flag, in
 * sort_order.  Returns 0, or -1 if `out` hit its limit or memory ran out.
 */
int	config_render(const struct tenant *t, const struct module_catalog *cat,
	    const char *api_url, time_t generated_at, struct buf *out);

#endif
