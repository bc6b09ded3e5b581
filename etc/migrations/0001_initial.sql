-- tenantd schema, version 1.  Applied by `tenantctl migrate`.
-- Timestamps are UTC (the connection sets time_zone = '+00:00').

CREATE TABLE module_definitions (
    module_key   VARCHAR(50)  NOT NULL,
    module_name  VARCHAR(100) NOT NULL,
    description  VARCHAR(500) NOT NULL DEFAULT '',
    icon         VARCHAR(50)  NOT NULL DEFAULT '',
    route        VARCHAR(100) NOT NULL DEFAULT '',
    is_core      TINYINT(1)   NOT NULL DEFAULT 0,
    sort_order   INT          NOT NULL DEFAULT 0,
    PRIMARY KEY (module_key),
    KEY idx_module_sort (sort_order, module_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE users (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    username      VARCHAR(64)  NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    created_at    DATETIME     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE tenants (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    name            VARCHAR(200) NOT NULL,
    subdomain       VARCHAR(63)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    contact_email   VARCHAR(254) NOT NULL DEFAULT '',
    primary_color   CHAR(7)      CHARACTER SET ascii NOT NULL DEFAULT '#3498db',
    secondary_color CHAR(7)      CHARACTER SET ascii NOT NULL DEFAULT '#2ecc71',
    logo            VARCHAR(32)  CHARACTER SET ascii NULL,
    is_active       TINYINT(1)   NOT NULL DEFAULT 1,
    archived_at     DATETIME     NULL,
    created_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    created_by      BIGINT UNSIGNED NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_tenants_subdomain (subdomain),
    KEY idx_tenants_subdomain_active (subdomain, is_active),
    KEY idx_tenants_created (created_at),
    KEY idx_tenants_active_created (is_active, created_at),
    KEY idx_tenants_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tenant_modules (
    tenant_id   BIGINT UNSIGNED NOT NULL,
    module_key  VARCHAR(50) NOT NULL,
    is_enabled  TINYINT(1)  NOT NULL DEFAULT 0,
    updated_at  DATETIME    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, module_key),
    KEY idx_tenant_modules_key (module_key, is_enabled),
    CONSTRAINT fk_tenant_modules_tenant FOREIGN KEY (tenant_id)
        REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_tenant_modules_module FOREIGN KEY (module_key)
        REFERENCES module_definitions (module_key) ON UPDATE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE sessions (
    id_hash     CHAR(64) CHARACTER SET ascii NOT NULL,
    user_id     BIGINT UNSIGNED NOT NULL,
    csrf_hash   CHAR(64) CHARACTER SET ascii NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at  DATETIME NOT NULL,
    PRIMARY KEY (id_hash),
    KEY idx_sessions_expires (expires_at),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

CREATE TABLE api_tokens (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id     BIGINT UNSIGNED NOT NULL,
    label       VARCHAR(100) NOT NULL DEFAULT '',
    token_hash  CHAR(64) CHARACTER SET ascii NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_used_at DATETIME NULL,
    revoked_at  DATETIME NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_api_tokens_hash (token_hash),
    CONSTRAINT fk_api_tokens_user FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE login_throttle (
    throttle_key  VARCHAR(200) NOT NULL,
    failures      INT NOT NULL DEFAULT 0,
    window_start  DATETIME NOT NULL,
    PRIMARY KEY (throttle_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_log (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id     BIGINT UNSIGNED NULL,
    tenant_id   BIGINT UNSIGNED NULL,
    action      VARCHAR(50)  NOT NULL,
    detail      VARCHAR(500) NOT NULL DEFAULT '',
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_audit_tenant (tenant_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
