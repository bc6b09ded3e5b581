-- Version 2: the job queue (deploys, bulk work) and the per-tenant lock of
-- long operations (deploy, archive, restore).

CREATE TABLE jobs (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    kind          VARCHAR(32)  CHARACTER SET ascii NOT NULL,
    tenant_id     BIGINT UNSIGNED NULL,
    payload       MEDIUMTEXT   NOT NULL,
    status        ENUM('queued', 'running', 'done', 'failed') NOT NULL DEFAULT 'queued',
    progress      TINYINT UNSIGNED NOT NULL DEFAULT 0,
    result        MEDIUMTEXT   NULL,
    error         VARCHAR(1000) NULL,
    attempts      INT UNSIGNED NOT NULL DEFAULT 0,
    runner        VARCHAR(128) NULL,
    heartbeat_at  DATETIME(6)  NULL,
    created_by    BIGINT UNSIGNED NULL,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    started_at    DATETIME(6)  NULL,
    finished_at   DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY idx_jobs_status (status, id),
    KEY idx_jobs_tenant (tenant_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE tenants
    ADD COLUMN busy_operation VARCHAR(20) CHARACTER SET ascii NULL,
    ADD COLUMN busy_token CHAR(32) CHARACTER SET ascii NULL,
    ADD COLUMN busy_since DATETIME(6) NULL;
