/*
 * deploy_report.c - a deploy's report as JSON (deploy_report.h), for the
 * deploy API's answer and a deploy job's result.
 */
#include <stddef.h>

#include <yajl/yajl_gen.h>

#include "conf.h"
#include "deploy_report.h"
#include "json.h"
#include "tenant.h"

/*
 * Writes a deploy report as JSON into `g` (see deploy.h).  Called by the
 * job runner for the result of a deploy job.  Returns 0 or -1.
 */
int
deploy_report_json(const struct conf *c, const struct tenant *t,
    const struct deploy_report *report, yajl_gen g)
{
	char	url[512];
	size_t	i, shown;

	if (conf_tenant_url(c, t->subdomain, url, sizeof(url)) == -1)
		url[0] = '\0';
	shown = report->files_kept < DEPLOY_REPORT_MAX_KEPT ?
	    report->files_kept : DEPLOY_REPORT_MAX_KEPT;
	if (yajl_gen_map_open(g) != yajl_gen_status_ok ||
	    json_gen_kv_bool(g, "success", 1) != yajl_gen_status_ok ||
	    (url[0] != '\0' ? json_gen_kv_string(g, "tenant_url", url) :
	    json_gen_kv_null(g, "tenant_url")) != yajl_gen_status_ok ||
	    (report->template_version[0] != '\0' ? json_gen_kv_string(g,
	    "template_version", report->template_version) :
	    json_gen_kv_null(g, "template_version")) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_copied",
	    (long long)report->files_copied) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_linked",
	    (long long)report->files_linked) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "bytes_copied",
	    (long long)report->bytes_copied) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_kept",
	    (long long)report->files_kept) != yajl_gen_status_ok ||
	    json_gen_key(g, "kept") != yajl_gen_status_ok ||
	    yajl_gen_array_open(g) != yajl_gen_status_ok)
		return -1;
	for (i = 0; i < shown; i++)
		if (json_gen_string(g, report->kept[i]) != yajl_gen_status_ok)
			return -1;
	if (yajl_gen_array_close(g) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_replaced",
	    (long long)report->files_replaced) != yajl_gen_status_ok ||
	    json_gen_kv_int(g, "files_carried",
	    (long long)report->files_carried) != yajl_gen_status_ok ||
	    yajl_gen_map_close(g) != yajl_gen_status_ok)
		return -1;
	return 0;
}
