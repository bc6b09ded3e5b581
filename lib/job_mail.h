/*
 * job_mail.h - the body of the "mail" job kind, listed in job_kinds.c's
 * table.
 *   "mail"  payload {"event": "tenant_ready", "tenant_ids": [id, ...]},
 *           tenant_id NULL, queued by notification_queue_first_deploy()
 *           for the tenants of one deploy or batch.  Sends the message of
 *           each listed tenant's row of that event that is queued and
 *           due; a row that is not due yet (a back-off) sends the job
 *           back to the queue until it is.  Result: {"sent": n,
 *           "failed": n}, counting this run's attempts.
 *
 * Delivery guarantee.  A row is sent by the one runner whose claim
 * (notification_claim()) changed it from 'queued' to 'sending', so
 * several runners never send it twice.  The moment the body starts to go
 * out (the relay answered DATA with 354) is committed to the row before
 * the first byte leaves.  A runner that dies leaves its row 'sending';
 * once the claim is older than smtp_timeout plus job_heartbeat_timeout
 * (the runner would have given up on the relay, and the queue takes it
 * for dead), the next run of the job sends it again only if the body
 * never started, and otherwise marks it failed with last_error saying delivery is unknown and naming
 * the Message-ID.  So a message is delivered at most once, never twice,
 * and exactly once unless a runner dies (or loses the relay's verdict)
 * between the start of the body and the record of the relay's answer:
 * then it was delivered once or not at all, and the row says which
 * Message-ID to look for in the relay's log.
 */
#ifndef TENANTD_JOB_MAIL_H
#define TENANTD_JOB_MAIL_H

#include "job.h"

enum job_outcome job_mail_run(struct job_context *ctx);

#endif
