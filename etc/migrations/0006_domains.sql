-- Version 6: custom domains (SPEC 11).  A domain belongs to one tenant at
-- most, whatever its status: the unique key on `name` is what answers 409
-- domain_taken, also between two requests racing for the same name.
--
-- status: pending until the TXT record _tenantd-challenge.<name> holds
-- `token`, then active (verified_at says when).  Deleting a tenant deletes
-- its domains.  All times are UTC.
CREATE TABLE domains (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id   BIGINT UNSIGNED NOT NULL,
    name        VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status      ENUM('pending', 'active') NOT NULL DEFAULT 'pending',
    token       CHAR(32)     CHARACTER SET ascii NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    verified_at DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_domains_name (name),
    KEY idx_domains_tenant (tenant_id),
    CONSTRAINT fk_domains_tenant FOREIGN KEY (tenant_id)
        REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
