-- Version 4: notifications (SPEC 12), one row per tenant and event.  The
-- unique key is what makes "one message per tenant per event": the hook
-- after a tenant's first deploy inserts with INSERT IGNORE and queues a
-- "mail" job only for the rows it inserted.
--
-- status: queued (waiting, perhaps until next_attempt_at), sending (a
-- runner claimed it; claimed_at says when), sent, failed.  data_started_at
-- is set the moment the message body starts to go out (the server
-- answered DATA with 354): before it nothing can have been delivered, so
-- a row left in 'sending' by a dead runner is sent again only if it is
-- NULL (lib/job_mail.c).  All times are UTC.
CREATE TABLE notifications (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id       BIGINT UNSIGNED NOT NULL,
    event           VARCHAR(32)  CHARACTER SET ascii NOT NULL,
    recipient       VARCHAR(254) NOT NULL,
    status          ENUM('queued', 'sending', 'sent', 'failed') NOT NULL DEFAULT 'queued',
    attempts        INT UNSIGNED NOT NULL DEFAULT 0,
    last_error      VARCHAR(1000) NULL,
    next_attempt_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    claimed_at      DATETIME(6)  NULL,
    data_started_at DATETIME(6)  NULL,
    sent_at         DATETIME(6)  NULL,
    message_id      VARCHAR(255) CHARACTER SET ascii NULL,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_notifications_tenant_event (tenant_id, event),
    KEY idx_notifications_status (status, next_attempt_at),
    CONSTRAINT fk_notifications_tenant FOREIGN KEY (tenant_id)
        REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
