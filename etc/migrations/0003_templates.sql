-- Version 3: template versions (SPEC 10).  The files of a version live in
-- the template store (tenants_dir/.templates/<version>/); these rows say
-- which versions exist, which one new tenants get, and which version each
-- tenant's site is on.

CREATE TABLE template_versions (
    version       CHAR(12)      CHARACTER SET ascii NOT NULL,
    name          VARCHAR(100)  NOT NULL DEFAULT '',
    web_root      VARCHAR(1024) NOT NULL DEFAULT '',
    files         INT UNSIGNED  NOT NULL,
    bytes         BIGINT UNSIGNED NOT NULL,
    source        ENUM('template_dir', 'added') NOT NULL,
    -- 1 for the default version, NULL for the others: the unique key
    -- allows many NULLs and one 1, so there is never a second default.
    is_default    TINYINT UNSIGNED NULL,
    created_at    DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (version),
    UNIQUE KEY uq_template_versions_default (is_default)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE tenants
    ADD COLUMN template_version CHAR(12) CHARACTER SET ascii NULL,
    ADD KEY idx_tenants_template_version (template_version);

-- A job can be cancelled (POST /api/jobs/{id}/cancel/): a queued one at
-- once, a running one when its body next reports progress.
ALTER TABLE jobs
    MODIFY COLUMN status ENUM('queued', 'running', 'done', 'failed', 'cancelled')
        NOT NULL DEFAULT 'queued',
    ADD COLUMN cancel_requested TINYINT UNSIGNED NOT NULL DEFAULT 0;
