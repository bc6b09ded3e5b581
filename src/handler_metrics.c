/*
 * handler_metrics.c - GET /api/metrics, the pool's counters for Prometheus.
 *
 * Administrators only (a Bearer token in the scrape configuration), since
 * route names and job counts tell an outsider more than they should.  The
 * request and process counters come from the shared segment of metrics.h,
 * so any worker answers for the whole pool; the jobs come from one query.
 * A database outage does not fail the scrape: the jobs are left out and
 * tenantd_database_up says 0, which is itself worth an alert.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "handler.h"
#include "http.h"
#include "metrics.h"
#include "service.h"

/* The values of jobs.status (etc/migrations/0002_jobs.sql). */
static const char *const job_statuses[] = {
	"queued", "running", "done", "failed"
};

#define JOB_STATUS_COUNT	(sizeof(job_statuses) / sizeof(job_statuses[0]))

/*
 * Counts the jobs of each status into `counts`.  Returns 0, or -1 when the
 * database cannot answer.
 */
static int
jobs_by_status(struct db *db, uint64_t counts[JOB_STATUS_COUNT])
{
	struct db_result result;
	const char *status;
	size_t row, i;
	int64_t count;
	int rc = -1;

	db_result_init(&result);
	memset(counts, 0, JOB_STATUS_COUNT * sizeof(counts[0]));
	if (db_ensure(db) < 0 || db_query(db,
	    "SELECT status, COUNT(*) FROM jobs GROUP BY status", NULL, 0,
	    &result) < 0)
		goto out;
	for (row = 0; row < result.rows; row++) {
		if ((status = db_cell(&result, row, 0)) == NULL)
			continue;
		count = db_cell_int(&result, row, 1, 0);
		for (i = 0; i < JOB_STATUS_COUNT; i++)
			if (strcmp(status, job_statuses[i]) == 0 && count > 0)
				counts[i] = (uint64_t)count;
	}
	rc = 0;
out:
	db_result_release(&result);
	return rc;
}

/* Appends the jobs gauge and the database gauge. */
static int
write_jobs(struct buf *out, struct db *db)
{
	uint64_t counts[JOB_STATUS_COUNT];
	size_t i;
	int up;

	up = jobs_by_status(db, counts) == 0;
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
		    job_statuses[i], (uintmax_t)counts[i]) == -1)
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
