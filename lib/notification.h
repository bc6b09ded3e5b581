/*
 * notification.h - the rows of the `notifications` table: one per tenant
 * and event (the unique key), and the states a message goes through.
 *
 *   queued   waiting to be sent, not before next_attempt_at
 *   sending  claimed by one runner (claimed_at); data_started_at is set
 *            the moment the message body starts to go out
 *   sent     the relay took it (sent_at)
 *   failed   refused for good (5xx), out of attempts, or delivery unknown
 *
 * Every change after the claim names the row by id and by the attempt
 * number the claim gave it, so a runner that lost its claim (see
 * notification_recover()) can no longer change the row.
 *
 * Ownership: struct notification owns last_error; notification_release()
 * frees it, and notification_list_free() a whole list.
 * Return convention: 0 / -1 with the reason in db_error(); lookups 1, 0
 * or -1.
 */
#ifndef TENANTD_NOTIFICATION_H
#define TENANTD_NOTIFICATION_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_gen.h>

struct conf;
struct db;

/* The one event so far: a tenant's first deploy completed. */
#define NOTIFICATION_EVENT_TENANT_READY	"tenant_ready"

/* The longest last_error kept (the column is VARCHAR(1000)). */
#define NOTIFICATION_ERROR_MAX		1000

/* In the order of the column's ENUM, which row_load() relies on. */
enum notification_status {
	NOTIFICATION_QUEUED,
	NOTIFICATION_SENDING,
	NOTIFICATION_SENT,
	NOTIFICATION_FAILED
};

struct notification {
	int64_t			 id;
	int64_t			 tenant_id;
	char			 event[33];
	char			 recipient[255];
	enum notification_status status;
	int			 attempts;
	char			*last_error;	/* NULL when none */
	char			 sent_at[32];	/* "" when not sent */
	char			 created_at[32];
	int64_t			 wait_s;	/* seconds until it may be
						   claimed; 0 when due */
};

void	notification_init(struct notification *n);
void	notification_release(struct notification *n);

/*
 * After the first deploy of tenants `tenant_ids` (`count` of them): for
 * each that has a contact_email and no template version recorded yet
 * (it was never deployed before), inserts its "tenant_ready" row unless
 * one exists (INSERT IGNORE; one statement per 500 tenants), and when any
 * was inserted, queues one "mail" job for the lot ({"event": ...,
 * "tenant_ids": [...]}).  Does nothing, not even a statement, when
 * `c` has no smtp_url.  Runs in the caller's transaction, and must run
 * before the deploy's template version is recorded.  Returns 0 or -1.
 */
int	notification_queue_first_deploy(struct db *db, const struct conf *c,
	    const int64_t *tenant_ids, size_t count);

/*
 * The same in a transaction of its own, for callers outside one.
 * Returns 0 or -1.
 */
int	notification_queue_first_deploy_tx(struct db *db, const struct conf *c,
	    const int64_t *tenant_ids, size_t count);

/* Loads the row of `tenant_id` and `event`: 1 found, 0 not, -1 error. */
int	notification_find(struct db *db, int64_t tenant_id, const char *event,
	    struct notification *n);

/*
 * Settles the row of `tenant_id` and `event` when it is 'sending' and its
 * claim is older than `lease_s` seconds, so its runner is gone: back to
 * 'queued' when the body never started to go out (nothing can have been
 * delivered), else 'failed' with last_error saying delivery is unknown
 * and naming the Message-ID (it was sent at most once and is never sent
 * again).  Returns 0 or -1.
 */
int	notification_recover(struct db *db, int64_t tenant_id,
	    const char *event, int lease_s);

/*
 * Claims row `id` for one attempt when it is 'queued' and due: marks it
 * 'sending', counts the attempt and records `message_id`.  Of several
 * runners only one can change the row from 'queued'; *claimed says
 * whether it was this one, and *attempt is the attempt's number.
 * Returns 0 or -1.
 */
int	notification_claim(struct db *db, int64_t id, const char *message_id,
	    int *claimed, int *attempt);

/*
 * Records that the body of attempt `attempt` of row `id` starts to go
 * out.  Returns 1 when recorded, 0 when the claim was lost, -1 on error;
 * only after 1 may the body be sent.
 */
int	notification_data_started(struct db *db, int64_t id, int attempt);

/* Records attempt `attempt` of row `id` as sent.  0 or -1. */
int	notification_record_sent(struct db *db, int64_t id, int attempt);

/*
 * Puts row `id` back in the queue after attempt `attempt` failed for now
 * with `error`, not to be tried before `delay_s` seconds.  0 or -1.
 */
int	notification_record_retry(struct db *db, int64_t id, int attempt,
	    int delay_s, const char *error);

/* Records attempt `attempt` of row `id` as failed for good.  0 or -1. */
int	notification_record_failed(struct db *db, int64_t id, int attempt,
	    const char *error);

/*
 * Lists the rows of tenant `tenant_id`, oldest first, into a new array
 * *items of *count entries (free with notification_list_free()).
 * Returns 0 or -1.
 */
int	notification_list(struct db *db, int64_t tenant_id,
	    struct notification **items, size_t *count);
void	notification_list_free(struct notification *items, size_t count);

/*
 * The API's spelling of a status: "queued", "sent" or "failed" (a row
 * being sent is still "queued" to the outside, SPEC 12).
 */
const char *notification_status_name(enum notification_status status);

/*
 * Writes `n` as the API's JSON object {event, to, status, attempts,
 * last_error, sent_at}.  Returns a yajl_gen_status.
 */
int	notification_to_json(yajl_gen g, const struct notification *n);

#endif
