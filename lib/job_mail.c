/*
 * job_mail.c - the body of the "mail" job (payload, result and the
 * delivery guarantee in job_mail.h): for each tenant of the payload,
 * settle a row its runner left behind, claim the row, build the message
 * from its template, hand it to the relay, and record what the relay
 * said: sent, retry after a back-off, or failed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "crash.h"
#include "db.h"
#include "job.h"
#include "job_mail.h"
#include "json.h"
#include "log.h"
#include "mail_message.h"
#include "mail_send.h"
#include "notification.h"
#include "service.h"
#include "tenant.h"

/* The most tenants one mail job names (as a bulk job may). */
#define MAIL_JOB_MAX_TENANTS		1000000

/* The back-off grows fourfold per attempt up to this many seconds. */
#define MAIL_RETRY_DELAY_MAX_S		3600

/* Longest event name, as notifications.event holds it. */
#define MAIL_EVENT_MAX			32

/* What one attempt's callbacks need. */
struct attempt {
	struct job_context	*ctx;
	int64_t			 id;		/* the row */
	int			 number;	/* attempts after the claim */
	size_t			 done, total;	/* tenants, for progress */
};

/* How one tenant's row stands after process_tenant(). */
enum row_state {
	ROW_SETTLED,	/* sent, failed, absent, or another runner's */
	ROW_WAITING	/* still to be sent, after *wait_s seconds */
};

/*
 * The template file stem of `event`: its name with '-' for '_'
 * ("tenant_ready" is etc/mail/tenant-ready.txt and .html).
 */
static void
event_template_stem(const char *event, char *out, size_t outlen)
{
	size_t i;

	snprintf(out, outlen, "%s", event);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '_')
			out[i] = '-';
}

/*
 * Reads {"event": "...", "tenant_ids": [...]} (a new array *ids the
 * caller frees).  Returns 0, or -1 for anything else.
 */
static int
mail_payload_read(const char *payload, char *event, size_t eventlen,
    int64_t **ids, size_t *count)
{
	struct json_value *v;
	const struct json_value *e;
	int rc = -1;

	if ((v = json_parse_object(payload)) == NULL)
		goto out;
	if ((e = json_object_get(v, "event")) == NULL ||
	    e->type != JSON_STRING || e->len == 0 || e->len >= eventlen ||
	    strspn(e->text, "abcdefghijklmnopqrstuvwxyz_") != e->len)
		goto out;
	memcpy(event, e->text, e->len + 1);
	if (json_object_int64_array(v, "tenant_ids", 1, INT64_MAX,
	    MAIL_JOB_MAX_TENANTS, ids, count) == -1)
		goto out;
	rc = 0;
out:
	json_free(v);
	return rc;
}

/*
 * mail_send()'s on_data: commits that attempt `arg` starts its body.
 * Returns 0 to let the body go, 1 to stop it (the claim is lost, or the
 * record failed: nothing may leave that the row does not know of).
 */
static int
attempt_data(void *arg)
{
	struct attempt *a = arg;
	struct db *db = a->ctx->svc->db;

	if (notification_data_started(db, a->id, a->number) == 1)
		return 0;
	log_error("notification %" PRId64 ": could not record the start of "
	    "the message body: %s", a->id, db_error(db));
	return 1;
}

/* mail_send()'s on_alive: the job's heartbeat while the relay talks. */
static void
attempt_alive(void *arg)
{
	struct attempt *a = arg;

	a->ctx->progress(a->ctx->progress_arg, a->done, a->total);
}

/* The back-off after attempt `number`: the base, fourfold per attempt. */
static int
retry_delay(const struct conf *c, int number)
{
	int64_t delay = c->mail_retry_delay;
	int i;

	for (i = 1; i < number && delay < MAIL_RETRY_DELAY_MAX_S; i++)
		delay *= 4;
	return delay > MAIL_RETRY_DELAY_MAX_S ? MAIL_RETRY_DELAY_MAX_S :
	    (int)delay;
}

/*
 * Records the end of attempt `a` with `outcome` and the reason `why`:
 * sent; failed for good; failed with delivery unknown; or queued again
 * after the back-off, unless that was the last attempt allowed.  Leaves
 * the row's wait in *wait_s.  Returns the row's state, or -1 when the
 * record failed (the row stays 'sending' for notification_recover()).
 */
static int
attempt_record(struct attempt *a, enum mail_send_outcome outcome,
    const char *message_id, const char *why, int64_t *wait_s)
{
	const struct conf *c = a->ctx->svc->conf;
	struct db *db = a->ctx->svc->db;
	char error[NOTIFICATION_ERROR_MAX + 1];
	int delay, rc = -1;

	switch (outcome) {
	case MAIL_SENT:
		if (notification_record_sent(db, a->id, a->number) == 0)
			rc = ROW_SETTLED;
		break;
	case MAIL_PERMANENT:
		if (notification_record_failed(db, a->id, a->number, why) == 0)
			rc = ROW_SETTLED;
		break;
	case MAIL_UNKNOWN:
		snprintf(error, sizeof(error), "delivery unknown: the relay's "
		    "answer to message %s never came (%s); it is not sent "
		    "again", message_id, why);
		if (notification_record_failed(db, a->id, a->number,
		    error) == 0)
			rc = ROW_SETTLED;
		break;
	case MAIL_TEMPORARY:
		if (a->number >= c->mail_max_attempts) {
			snprintf(error, sizeof(error), "gave up after %d "
			    "attempts: %s", a->number, why);
			if (notification_record_failed(db, a->id, a->number,
			    error) == 0)
				rc = ROW_SETTLED;
			break;
		}
		delay = retry_delay(c, a->number);
		if (notification_record_retry(db, a->id, a->number, delay,
		    why) == 0) {
			*wait_s = delay;
			rc = ROW_WAITING;
		}
		break;
	}
	if (rc == -1)
		log_error("notification %" PRId64 ": could not record attempt "
		    "%d: %s", a->id, a->number, db_error(db));
	return rc;
}

/*
 * Builds the message of claimed row `n` of tenant `t` from template
 * `stem` into `message`.  Returns MAIL_SENT when built, else the outcome
 * to record with the reason in `why`: a template an operator can fix is
 * temporary, a value of the tenant that cannot be sent is permanent.
 */
static enum mail_send_outcome
attempt_build(const struct conf *c, const struct notification *n,
    const struct tenant *t, const char *stem, struct buf *message, char *why,
    size_t whylen)
{
	struct mail_template template;
	struct mail_values values;
	struct mail_headers headers;
	char url[1024];
	enum mail_send_outcome outcome = MAIL_TEMPORARY;

	mail_template_init(&template);
	if (mail_template_load(&template, c->mail_templates_dir, stem, why,
	    whylen) == -1)
		goto out;
	if (conf_tenant_url(c, t->subdomain, url, sizeof(url)) == -1) {
		snprintf(why, whylen, "the tenant's URL is too long");
		goto out;
	}
	values.name = t->name != NULL ? t->name : "";
	values.subdomain = t->subdomain;
	values.url = url;
	headers.from = c->mail_from;
	headers.to = n->recipient;
	headers.to_name = values.name;
	headers.notification_id = n->id;
	headers.date = time(NULL);
	if (mail_message_build(&template, &values, &headers, message, why,
	    whylen) == -1) {
		outcome = MAIL_PERMANENT;
		goto out;
	}
	outcome = MAIL_SENT;
out:
	mail_template_release(&template);
	return outcome;
}

/*
 * Claims row `n` and makes one attempt at sending it.  Returns the row's
 * state (with *wait_s when ROW_WAITING), or -1 on a database error.
 */
static int
attempt_run(struct attempt *a, struct notification *n, const char *event,
    int64_t *wait_s, int *sent, int *failed)
{
	const struct conf *c = a->ctx->svc->conf;
	struct db *db = a->ctx->svc->db;
	struct mail_send_request request;
	struct tenant t;
	struct buf message;
	char stem[MAIL_EVENT_MAX + 1], from[MAIL_ADDRESS_SIZE];
	char from_name[1024], message_id[MAIL_MESSAGE_ID_SIZE], why[512];
	enum mail_send_outcome outcome;
	int claimed = 0, data_started = 0, from_ok, rc = -1, found;

	tenant_init(&t);
	buf_init(&message, MAIL_MESSAGE_MAX);
	message_id[0] = '\0';
	why[0] = '\0';
	from_ok = mail_mailbox_parse(c->mail_from, from, sizeof(from),
	    from_name, sizeof(from_name), why, sizeof(why)) == 0 &&
	    mail_message_id(n->id, from, message_id, sizeof(message_id)) == 0;
	if ((found = tenant_find_by_id(db, n->tenant_id, &t)) != 1) {
		rc = found == 0 ? ROW_SETTLED : -1;
		goto out;
	}
	if (notification_claim(db, n->id, message_id, &claimed,
	    &a->number) == -1)
		goto out;
	if (!claimed) {
		rc = ROW_SETTLED;
		goto out;
	}
	crash_point("mail.after_claim");
	event_template_stem(event, stem, sizeof(stem));
	if (!from_ok) {
		outcome = MAIL_TEMPORARY;
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "mail_from: the Message-ID "
			    "does not fit");
	} else
		outcome = attempt_build(c, n, &t, stem, &message, why,
		    sizeof(why));
	if (outcome == MAIL_SENT) {
		memset(&request, 0, sizeof(request));
		request.from = from;
		request.to = n->recipient;
		request.message = message.data;
		request.message_len = message.len;
		request.on_data = attempt_data;
		request.on_alive = attempt_alive;
		request.arg = a;
		outcome = mail_send(c, &request, &data_started, why,
		    sizeof(why));
	}
	if (outcome == MAIL_SENT) {
		crash_point("mail.after_data");
		(*sent)++;
	} else if (outcome != MAIL_TEMPORARY ||
	    a->number >= c->mail_max_attempts)
		(*failed)++;
	log_info("notification %" PRId64 " (tenant %" PRId64 ", %s) attempt "
	    "%d: %s%s%s", n->id, n->tenant_id, event, a->number,
	    outcome == MAIL_SENT ? "sent" : outcome == MAIL_TEMPORARY ?
	    "failed for now" : outcome == MAIL_PERMANENT ? "failed" :
	    "delivery unknown", why[0] != '\0' ? ": " : "", why);
	rc = attempt_record(a, outcome, message_id, why, wait_s);
out:
	buf_release(&message);
	tenant_release(&t);
	return rc;
}

/*
 * Handles the row of `tenant_id` and `event`: settles it if its runner
 * died, leaves it if it is settled or not due, else makes an attempt.
 * Returns the row's state (*wait_s set when ROW_WAITING), or -1 on a
 * database error.
 */
static int
process_tenant(struct attempt *a, int64_t tenant_id, const char *event,
    int64_t *wait_s, int *sent, int *failed)
{
	const struct conf *c = a->ctx->svc->conf;
	struct db *db = a->ctx->svc->db;
	struct notification n;
	int lease, rc = -1, found;

	/*
	 * A 'sending' row is abandoned once its claim is older than a send
	 * may take (libcurl gives up after smtp_timeout) plus the silence
	 * after which the job queue, too, takes a runner for dead.
	 */
	lease = c->smtp_timeout + c->job_heartbeat_timeout;
	notification_init(&n);
	if (notification_recover(db, tenant_id, event, lease) == -1 ||
	    (found = notification_find(db, tenant_id, event, &n)) == -1)
		goto out;
	rc = ROW_SETTLED;
	if (found == 0 || n.status == NOTIFICATION_SENT ||
	    n.status == NOTIFICATION_FAILED)
		goto out;
	if (n.status == NOTIFICATION_SENDING || n.wait_s > 0) {
		*wait_s = n.status == NOTIFICATION_SENDING ? lease : n.wait_s;
		rc = ROW_WAITING;
		goto out;
	}
	a->id = n.id;
	rc = attempt_run(a, &n, event, wait_s, sent, failed);
out:
	notification_release(&n);
	return rc;
}

/*
 * Runs a "mail" job (job_mail.h).  Called by the runner through the kinds
 * table.  Rows still waiting for their back-off send the job back to the
 * queue until the first of them is due; a database error sends it back
 * at once.  Returns the outcome, with {"sent", "failed"} in ctx->result.
 */
enum job_outcome
job_mail_run(struct job_context *ctx)
{
	struct attempt a;
	char event[MAIL_EVENT_MAX + 1];
	int64_t *ids = NULL, wait_s, soonest = 0;
	size_t count = 0, i;
	enum job_outcome outcome = JOB_OUTCOME_FAILED;
	int sent = 0, failed = 0, state;

	if (mail_payload_read(ctx->job->payload, event, sizeof(event), &ids,
	    &count) == -1) {
		snprintf(ctx->message, ctx->messagelen, "invalid job payload");
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.total = count;
	for (i = 0; i < count; i++) {
		a.done = i;
		ctx->progress(ctx->progress_arg, i, count);
		wait_s = 0;
		state = process_tenant(&a, ids[i], event, &wait_s, &sent,
		    &failed);
		if (state == -1) {
			log_warning("job %" PRId64 ": %s; requeued",
			    ctx->job->id, db_error(ctx->svc->db));
			outcome = JOB_OUTCOME_RETRY;
			goto out;
		}
		if (state == ROW_WAITING && (soonest == 0 || wait_s < soonest))
			soonest = wait_s > 0 ? wait_s : 1;
	}
	if (soonest > 0) {
		ctx->retry_ms = (int)(soonest * 1000);
		outcome = JOB_OUTCOME_RETRY;
		goto out;
	}
	if (buf_printf(ctx->result, "{\"sent\":%d,\"failed\":%d}", sent,
	    failed) == -1) {
		snprintf(ctx->message, ctx->messagelen,
		    "could not build the result");
		goto out;
	}
	outcome = JOB_OUTCOME_DONE;
out:
	free(ids);
	return outcome;
}
