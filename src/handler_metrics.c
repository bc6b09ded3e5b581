/*
 * handler_metrics.c - GET /api/metrics, the pool's counters for Prometheus.
 *
 * Administrators only (a Bearer token in the scrape configuration), since
 * route names and job counts tell an outsider more than they should.  The
 * request and process counters come from the shared segment of metrics.h,
 * so any worker answers for the whole pool; the jobs are counted by the
 * queue (job_count_by_status()).  A database outage does not fail the
 * scrape: the jobs are left out and tenantd_database_up says 0, which is
 * itself worth an alert.
 */
#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "handler.h"
#include "http.h"
#include "job.h"
#include "metrics.h"
#include "service.h"

/* Appends the jobs gauge and the database gauge. */
static int
write_jobs(struct buf *out, struct db *db)
{
	uint64_t counts[JOB_STATUS_COUNT];
	size_t i;
	int up;

	up = db_ensure(db) == 0 && job_count_by_status(db, counts) == 0;
	if (buf_append_str(out, "# HELP tenantd_database_up Whether the "
	    "database answered this scrape.\n"
	    "# TYPE tenantd_database_up gauge\n") == -1 ||
	    buf_printf(out, "tenantd_database_up %d\n", up) == -1)
		return -1;
	if (!up)
		return 0;
	if (buf_append_str(out, "# HELP tenantd_jobs Jobs in the queue "
	    "table, by status.\n# TYPE tenantd_jobs gauge\n") == -1)
		return -1;
	for (i = 0; i < JOB_STATUS_COUNT; i++)
		if (buf_printf(out, "tenantd_jobs{status=\"%s\"} %ju\n",
		    job_status_name((enum job_status)i),
		    (uintmax_t)counts[i]) == -1)
			return -1;
	return 0;
}

/*
 * 200 with the counters in the Prometheus text format 0.0.4, or 500 when
 * the response cannot be built.
 */
HANDLER(handle_metrics)
{
	if (metrics_write(&res->body) == -1 ||
	    write_jobs(&res->body, ctx->svc->db) == -1 ||
	    http_header_add(res, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8") == -1 ||
	    http_header_add(res, "Cache-Control", "no-store") == -1) {
		buf_reset(&res->body);
		buf_reset(&res->headers);
		return http_reply_error(res, 500, "internal_error",
		    "could not build the metrics", NULL);
	}
	res->status = 200;
	return 200;
}
