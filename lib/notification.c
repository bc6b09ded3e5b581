/*
 * notification.c - the rows of `notifications` (see notification.h):
 * insert-if-first after a deploy with its mail job, find, the claim of one
 * attempt and its record, the recovery of rows whose runner died, and the
 * list of a tenant's rows for the API and tenantctl.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "db.h"
#include "job.h"
#include "job_names.h"
#include "json.h"
#include "log.h"
#include "notification.h"
#include "sql.h"
#include "validate.h"

/* Tenants per INSERT IGNORE of notification_queue_first_deploy(). */
#define QUEUE_CHUNK		500

/* Bytes of a mail job's payload per tenant id, with its comma. */
#define PAYLOAD_BYTES_PER_ID	21

/* Times leave the database as the API writes them, in UTC. */
#define NOTIFICATION_TIMESTAMP(col) \
	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/* The columns notification_find() and notification_list() read. */
#define NOTIFICATION_COLUMNS \
	"id, tenant_id, event, recipient, status + 0, attempts, last_error, " \
	NOTIFICATION_TIMESTAMP("sent_at") ", " \
	NOTIFICATION_TIMESTAMP("created_at") ", " \
	"GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), " \
	"next_attempt_at) / 1000000))"

enum notification_column {
	COL_ID,
	COL_TENANT_ID,
	COL_EVENT,
	COL_RECIPIENT,
	COL_STATUS,
	COL_ATTEMPTS,
	COL_LAST_ERROR,
	COL_SENT_AT,
	COL_CREATED_AT,
	COL_WAIT_S
};

/* Prepares `n`: no strings. */
void
notification_init(struct notification *n)
{
	memset(n, 0, sizeof(*n));
}

/* Frees what `n` owns and initialises it again. */
void
notification_release(struct notification *n)
{
	free(n->last_error);
	notification_init(n);
}

/*
 * Inserts the rows of up to QUEUE_CHUNK tenants (notification.h) and adds
 * the number inserted to *inserted.  Returns 0 or -1.
 */
static int
queue_chunk(struct db *db, const int64_t *ids, size_t count,
    uint64_t *inserted)
{
	static const char head[] = "INSERT IGNORE INTO notifications "
	    "(tenant_id, event, recipient, next_attempt_at, created_at) "
	    "SELECT id, ?, contact_email, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) "
	    "FROM tenants WHERE template_version IS NULL AND "
	    "contact_email <> '' AND id IN (";
	struct db_param params[1 + QUEUE_CHUNK];
	struct buf sql;
	uint64_t affected = 0;
	size_t slots = sql_in_list_slots(count), i;
	int rc = -1;

	buf_init(&sql, SQL_TEXT_MAX);
	if (count == 0 || count > QUEUE_CHUNK || slots > QUEUE_CHUNK)
		goto out;
	params[0] = db_text(NOTIFICATION_EVENT_TENANT_READY);
	for (i = 0; i < count; i++)
		params[1 + i] = db_int(ids[i]);
	sql_pad_params(params + 1, count, slots);
	if (sql_repeat(&sql, head, "?", slots, ")") == -1 ||
	    db_exec(db, sql.data, params, 1 + slots, &affected, NULL) == -1)
		goto out;
	*inserted += affected;
	rc = 0;
out:
	buf_release(&sql);
	return rc;
}

/*
 * Queues the mail job for tenants `ids`: {"event": "tenant_ready",
 * "tenant_ids": [...]}.  Returns 0 or -1.
 */
static int
queue_mail_job(struct db *db, const int64_t *ids, size_t count)
{
	struct buf payload;
	int64_t job_id;
	size_t i;
	int rc = -1;

	buf_init(&payload, 64 + count * PAYLOAD_BYTES_PER_ID);
	if (buf_printf(&payload, "{\"event\":\"%s\",\"tenant_ids\":[",
	    NOTIFICATION_EVENT_TENANT_READY) == -1)
		goto out;
	for (i = 0; i < count; i++)
		if (buf_printf(&payload, "%s%" PRId64, i > 0 ? "," : "",
		    ids[i]) == -1)
			goto out;
	if (buf_append_str(&payload, "]}") == -1 ||
	    job_enqueue(db, JOB_KIND_MAIL, 0, payload.data, 0, &job_id) == -1)
		goto out;
	rc = 0;
out:
	buf_release(&payload);
	return rc;
}

/*
 * Inserts the first-deploy rows of tenants `tenant_ids` and queues their
 * mail job (notification.h).  Called by deploy_locked(), bulk create and
 * the bulk deploy job, before they record the tenants' template version.
 * Returns 0 or -1.
 */
int
notification_queue_first_deploy(struct db *db, const struct conf *c,
    const int64_t *tenant_ids, size_t count)
{
	uint64_t inserted = 0;
	size_t start, n;

	if (c->smtp_url == NULL || count == 0)
		return 0;
	for (start = 0; start < count; start += n) {
		n = count - start < QUEUE_CHUNK ? count - start : QUEUE_CHUNK;
		if (queue_chunk(db, tenant_ids + start, n, &inserted) == -1)
			return -1;
	}
	if (inserted == 0)
		return 0;
	return queue_mail_job(db, tenant_ids, count);
}

/*
 * notification_queue_first_deploy() in a transaction of its own.  Called
 * by deploy_locked() and the bulk deploy job.  Returns 0 or -1.
 */
int
notification_queue_first_deploy_tx(struct db *db, const struct conf *c,
    const int64_t *tenant_ids, size_t count)
{
	if (c->smtp_url == NULL || count == 0)
		return 0;
	if (db_begin(db) == -1)
		return -1;
	if (notification_queue_first_deploy(db, c, tenant_ids, count) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * Fills `n` from row `row` of `r` (NOTIFICATION_COLUMNS).  Returns 0, or
 * -1 (out of memory, a cell that does not fit, an unknown status).
 */
static int
row_load(const struct db_result *r, size_t row, struct notification *n)
{
	int64_t status;

	n->id = db_cell_int(r, row, COL_ID, 0);
	n->tenant_id = db_cell_int(r, row, COL_TENANT_ID, 0);
	n->attempts = (int)db_cell_int(r, row, COL_ATTEMPTS, 0);
	n->wait_s = db_cell_int(r, row, COL_WAIT_S, 0);
	/* An ENUM read as a number is its position, from 1. */
	status = db_cell_int(r, row, COL_STATUS, 0);
	if (status < 1 || status > NOTIFICATION_FAILED + 1)
		return -1;
	n->status = (enum notification_status)(status - 1);
	if (db_cell_copy(r, row, COL_EVENT, n->event, sizeof(n->event),
	    "") == -1 ||
	    db_cell_copy(r, row, COL_RECIPIENT, n->recipient,
	    sizeof(n->recipient), "") == -1 ||
	    db_cell_copy(r, row, COL_SENT_AT, n->sent_at, sizeof(n->sent_at),
	    "") == -1 ||
	    db_cell_copy(r, row, COL_CREATED_AT, n->created_at,
	    sizeof(n->created_at), "") == -1 ||
	    db_cell_dup(r, row, COL_LAST_ERROR, &n->last_error) == -1)
		return -1;
	return 0;
}

/*
 * Loads the row of `tenant_id` and `event` into `n`.  Called by the mail
 * job for each tenant of its payload.  Returns 1, 0 or -1.
 */
int
notification_find(struct db *db, int64_t tenant_id, const char *event,
    struct notification *n)
{
	struct db_result r;
	struct db_param params[2];
	int rc = -1;

	db_result_init(&r);
	notification_release(n);
	params[0] = db_int(tenant_id);
	params[1] = db_text(event);
	if (db_query(db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications "
	    "WHERE tenant_id = ? AND event = ?", params, 2, &r) == -1)
		goto out;
	if (r.rows == 0) {
		rc = 0;
		goto out;
	}
	if (row_load(&r, 0, n) == -1) {
		log_error("notification of tenant %" PRId64 ": unreadable row",
		    tenant_id);
		notification_release(n);
		goto out;
	}
	rc = 1;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Settles a 'sending' row whose claim outlived `lease_s` (notification.h).
 * Called by the mail job before it tries to claim the row.  The runner
 * that claimed it is gone: a live one never holds a claim longer than
 * smtp_timeout, after which libcurl gives up, plus the time to record
 * the outcome, which the caller's lease allows for.  Returns 0 or -1.
 */
int
notification_recover(struct db *db, int64_t tenant_id, const char *event,
    int lease_s)
{
	struct db_param params[3];
	uint64_t requeued = 0, failed = 0;

	params[0] = db_int(tenant_id);
	params[1] = db_text(event);
	params[2] = db_int(lease_s);
	if (db_exec(db, "UPDATE notifications SET status = 'queued', "
	    "claimed_at = NULL, next_attempt_at = UTC_TIMESTAMP(6), "
	    "last_error = 'the runner stopped before the message went out' "
	    "WHERE tenant_id = ? AND event = ? AND status = 'sending' AND "
	    "data_started_at IS NULL AND "
	    "claimed_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND", params, 3,
	    &requeued, NULL) == -1 ||
	    db_exec(db, "UPDATE notifications SET status = 'failed', "
	    "claimed_at = NULL, last_error = CONCAT('delivery unknown: the "
	    "runner stopped after message ', COALESCE(message_id, ''), ' went "
	    "out and before the relay''s answer was recorded; it is not sent "
	    "again') WHERE tenant_id = ? AND event = ? AND "
	    "status = 'sending' AND data_started_at IS NOT NULL AND "
	    "claimed_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND", params, 3,
	    &failed, NULL) == -1)
		return -1;
	if (requeued > 0)
		log_warning("notification of tenant %" PRId64 ": its runner "
		    "stopped before the message went out; queued again",
		    tenant_id);
	if (failed > 0)
		log_warning("notification of tenant %" PRId64 ": its runner "
		    "stopped while the message went out; delivery unknown, "
		    "not sent again", tenant_id);
	return 0;
}

/*
 * Claims row `id` for one attempt (notification.h): the one UPDATE that
 * only one runner can win.  Returns 0 or -1.
 */
int
notification_claim(struct db *db, int64_t id, const char *message_id,
    int *claimed, int *attempt)
{
	struct db_result r;
	struct db_param params[2];
	uint64_t affected = 0;
	int rc = -1;

	db_result_init(&r);
	*claimed = 0;
	params[0] = db_text(message_id);
	params[1] = db_int(id);
	if (db_exec(db, "UPDATE notifications SET status = 'sending', "
	    "attempts = attempts + 1, claimed_at = UTC_TIMESTAMP(6), "
	    "data_started_at = NULL, message_id = ? WHERE id = ? AND "
	    "status = 'queued' AND next_attempt_at <= UTC_TIMESTAMP(6)",
	    params, 2, &affected, NULL) == -1)
		goto out;
	if (affected != 1) {
		rc = 0;
		goto out;
	}
	if (db_query(db, "SELECT attempts FROM notifications WHERE id = ?",
	    &params[1], 1, &r) == -1 || r.rows == 0)
		goto out;
	*attempt = (int)db_cell_int(&r, 0, 0, 0);
	*claimed = 1;
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/*
 * Records that the body of attempt `attempt` of row `id` starts to go out
 * (notification.h).  Called from libcurl's read callback, before the
 * first byte of the body.  Returns 1, 0 or -1.
 */
int
notification_data_started(struct db *db, int64_t id, int attempt)
{
	struct db_param params[2];
	uint64_t affected = 0;

	params[0] = db_int(id);
	params[1] = db_int(attempt);
	if (db_exec(db, "UPDATE notifications SET "
	    "data_started_at = UTC_TIMESTAMP(6) WHERE id = ? AND "
	    "status = 'sending' AND attempts = ?", params, 2, &affected,
	    NULL) == -1)
		return -1;
	return affected == 1 ? 1 : 0;
}

/*
 * Records the end of attempt `attempt` of row `id` as `status` with
 * `error` (NULL: none), `delay_s` seconds before it may be claimed again.
 * Returns 0 or -1.
 */
static int
record(struct db *db, int64_t id, int attempt, const char *status,
    int delay_s, const char *error)
{
	struct db_param params[6];
	uint64_t affected = 0;

	params[0] = db_text(status);
	params[1] = error != NULL ? db_textn(error, utf8_prefix_length(error,
	    NOTIFICATION_ERROR_MAX)) : db_null();
	params[2] = db_int(delay_s);
	params[3] = db_text(status);
	params[4] = db_int(id);
	params[5] = db_int(attempt);
	if (db_exec(db, "UPDATE notifications SET status = ?, "
	    "last_error = ?, claimed_at = NULL, "
	    "next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, "
	    "sent_at = IF(? = 'sent', UTC_TIMESTAMP(6), NULL) "
	    "WHERE id = ? AND status = 'sending' AND attempts = ?", params, 6,
	    &affected, NULL) == -1)
		return -1;
	if (affected != 1)
		log_warning("notification %" PRId64 ": attempt %d was settled "
		    "by another runner meanwhile", id, attempt);
	return 0;
}

/* Records attempt `attempt` of row `id` as sent.  0 or -1. */
int
notification_record_sent(struct db *db, int64_t id, int attempt)
{
	return record(db, id, attempt, "sent", 0, NULL);
}

/* Queues row `id` again in `delay_s` seconds.  0 or -1. */
int
notification_record_retry(struct db *db, int64_t id, int attempt,
    int delay_s, const char *error)
{
	return record(db, id, attempt, "queued", delay_s, error);
}

/* Records attempt `attempt` of row `id` as failed.  0 or -1. */
int
notification_record_failed(struct db *db, int64_t id, int attempt,
    const char *error)
{
	return record(db, id, attempt, "failed", 0, error);
}

/*
 * Lists tenant `tenant_id`'s rows (notification.h).  Called by the API
 * and tenantctl.  Returns 0 or -1.
 */
int
notification_list(struct db *db, int64_t tenant_id,
    struct notification **items, size_t *count)
{
	struct db_result r;
	struct db_param param;
	size_t row;
	int rc = -1;

	db_result_init(&r);
	*items = NULL;
	*count = 0;
	param = db_int(tenant_id);
	if (db_query(db, "SELECT " NOTIFICATION_COLUMNS " FROM notifications "
	    "WHERE tenant_id = ? ORDER BY id", &param, 1, &r) == -1)
		goto out;
	if (r.rows > 0 && (*items = calloc(r.rows, sizeof(**items))) == NULL)
		goto out;
	for (row = 0; row < r.rows; row++) {
		if (row_load(&r, row, &(*items)[row]) == -1) {
			notification_list_free(*items, row + 1);
			*items = NULL;
			goto out;
		}
		*count = row + 1;
	}
	rc = 0;
out:
	db_result_release(&r);
	return rc;
}

/* Frees a list of notification_list(). */
void
notification_list_free(struct notification *items, size_t count)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; i < count; i++)
		notification_release(&items[i]);
	free(items);
}

/* The API's spelling of a status (notification.h). */
const char *
notification_status_name(enum notification_status status)
{
	switch (status) {
	case NOTIFICATION_SENT:
		return "sent";
	case NOTIFICATION_FAILED:
		return "failed";
	case NOTIFICATION_QUEUED:
	case NOTIFICATION_SENDING:
		break;
	}
	return "queued";
}

/* Writes `n` as the API's object (notification.h).  A yajl_gen_status. */
int
notification_to_json(yajl_gen g, const struct notification *n)
{
	int status;

	if ((status = yajl_gen_map_open(g)) != yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "event", n->event)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "to", n->recipient)) !=
	    yajl_gen_status_ok ||
	    (status = json_gen_kv_string(g, "status",
	    notification_status_name(n->status))) != yajl_gen_status_ok ||
	    (status = json_gen_kv_int(g, "attempts", n->attempts)) !=
	    yajl_gen_status_ok ||
	    (status = (n->last_error != NULL ? json_gen_kv_string(g,
	    "last_error", n->last_error) : json_gen_kv_null(g,
	    "last_error"))) != yajl_gen_status_ok ||
	    (status = (n->sent_at[0] != '\0' ? json_gen_kv_string(g,
	    "sent_at", n->sent_at) : json_gen_kv_null(g, "sent_at"))) !=
	    yajl_gen_status_ok)
		return status;
	return yajl_gen_map_close(g);
}
