-- Version 7: what makes the tenant list and its statistics cheap at any
-- number of tenants (issue 17): counters of the statistics and a trigram
-- index of names and subdomains for the search, kept by triggers in the
-- transaction of every statement that changes a tenant or a module row.
--
-- Triggers, not application code, so that no writer can forget them: the
-- API, tenantctl, bulk creates, fsck, a migration or an operator's own
-- SQL.  Each trigger is one statement (MariaDB runs several triggers per
-- event, in the order FOLLOWS gives), which also fits migrate.c's
-- statement splitting.  Creating a trigger needs the TRIGGER privilege,
-- and on a server with binary logging either SUPER or
-- log_bin_trust_function_creators = 1 (README.md, "Scale").  Run it with
-- tenantd stopped: a write between the filling and the triggers would be
-- missed (tenantctl fsck --repair mends that).
--
-- No counter is one row that every create updates: a tenant counts in
-- slot id % 16, and readers add the slots up.  Under Galera, two creates
-- on two nodes then rarely touch one row, and on one node two concurrent
-- creates rarely wait for each other.  tenantctl fsck checks all of this
-- against full counts and rebuilds it with --repair (lib/list_index.c,
-- which holds the same filling statements as this file).

-- Active and archived tenants, by slot.
CREATE TABLE tenant_counts (
    slot        TINYINT UNSIGNED NOT NULL,
    active      BIGINT NOT NULL DEFAULT 0,
    archived    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (slot)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- Tenants by the UTC day of created_at, and slot.  "Created in the last
-- 30 days" adds up the whole days of the window and counts the rows of
-- the one day it starts in (lib/tenant_list.c).
CREATE TABLE tenant_created_days (
    day         DATE NOT NULL,
    slot        TINYINT UNSIGNED NOT NULL,
    created     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, slot)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- Tenants that have a module enabled, by module and slot.  The rows
-- follow a module_key that changes, and go with the module.
CREATE TABLE tenant_module_counts (
    module_key  VARCHAR(50) NOT NULL,
    slot        TINYINT UNSIGNED NOT NULL,
    enabled     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (module_key, slot),
    CONSTRAINT fk_tenant_module_counts_module FOREIGN KEY (module_key)
        REFERENCES module_definitions (module_key)
        ON UPDATE CASCADE ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every run of three characters of a tenant's name and of its subdomain,
-- once per tenant, in the collation of tenants.name: two trigrams that
-- collation holds equal ('Stra' and 'stra', 'é' and 'e', 'ß' and 'ss')
-- are one row.  A search looks its term's trigrams up with "=" in the same
-- collation and applies its LIKE to the tenants found (why that finds
-- every match: lib/tenant_list.c).  One index only, the primary key: a
-- second one (on tenant_id, for a foreign key) made writing a tenant's
-- trigrams cost half as much again, and a tenant's rows are found by its
-- old name's trigrams instead (the delete triggers below).
CREATE TABLE tenant_trigrams (
    gram        VARCHAR(3) NOT NULL,
    tenant_id   BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (gram, tenant_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The positions a trigram can start at in a name of 200 characters: the
-- triggers join it instead of generating the numbers (a recursive CTE
-- costs a temporary table per row written).
CREATE TABLE tenant_trigram_positions (
    i           TINYINT UNSIGNED NOT NULL,
    PRIMARY KEY (i)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

INSERT INTO tenant_trigram_positions (i)
WITH RECURSIVE pos (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM pos WHERE i < 198)
SELECT i FROM pos;

-- The rows of the tenants and modules there already are.
INSERT INTO tenant_counts (slot, active, archived)
SELECT id % 16, SUM(is_active = 1), SUM(is_active = 0)
FROM tenants GROUP BY id % 16;

INSERT INTO tenant_created_days (day, slot, created)
SELECT DATE(created_at), id % 16, COUNT(*)
FROM tenants GROUP BY DATE(created_at), id % 16;

INSERT INTO tenant_module_counts (module_key, slot, enabled)
SELECT module_key, tenant_id % 16, COUNT(*)
FROM tenant_modules WHERE is_enabled = 1 GROUP BY module_key, tenant_id % 16;

INSERT INTO tenant_trigrams (tenant_id, gram)
SELECT t.id, SUBSTRING(t.name, pos.i, 3) FROM tenants t
JOIN tenant_trigram_positions pos ON pos.i <= CHAR_LENGTH(t.name) - 2
UNION
SELECT t.id, SUBSTRING(CONVERT(t.subdomain USING utf8mb4)
    COLLATE utf8mb4_unicode_ci, pos.i, 3) FROM tenants t
JOIN tenant_trigram_positions pos ON pos.i <= CHAR_LENGTH(t.subdomain) - 2
ON DUPLICATE KEY UPDATE tenant_id = tenant_id;

-- The triggers.  A trigram found twice (in the name and the subdomain,
-- or as 'é' and 'e') is one row: ON DUPLICATE KEY UPDATE keeps the first.
-- A change of a tenant's slot, day, name or subdomain
-- takes it out where it was and puts it in where it is (two rows of one
-- INSERT ... SELECT, each added by ON DUPLICATE KEY UPDATE), and a row
-- that changes none of them writes nothing.  Deleting a tenant deletes
-- its module rows through their foreign key, which fires no trigger: its
-- enabled modules are uncounted before the delete.  A tenant's trigrams
-- are deleted by joining the trigrams of its old name and subdomain: each
-- of its rows is "=" to one of them (it is one of them, or was kept for
-- one that collation holds equal).
CREATE TRIGGER tenants_insert_counts AFTER INSERT ON tenants FOR EACH ROW
INSERT INTO tenant_counts (slot, active, archived)
VALUES (NEW.id % 16, NEW.is_active = 1, NEW.is_active = 0)
ON DUPLICATE KEY UPDATE active = active + VALUES(active),
    archived = archived + VALUES(archived);

CREATE TRIGGER tenants_insert_days AFTER INSERT ON tenants FOR EACH ROW
FOLLOWS tenants_insert_counts
INSERT INTO tenant_created_days (day, slot, created)
VALUES (DATE(NEW.created_at), NEW.id % 16, 1)
ON DUPLICATE KEY UPDATE created = created + 1;

CREATE TRIGGER tenants_insert_trigrams AFTER INSERT ON tenants FOR EACH ROW
FOLLOWS tenants_insert_days
INSERT INTO tenant_trigrams (tenant_id, gram)
SELECT NEW.id, SUBSTRING(NEW.name, pos.i, 3) FROM tenant_trigram_positions pos
WHERE pos.i <= CHAR_LENGTH(NEW.name) - 2
UNION ALL
SELECT NEW.id, SUBSTRING(CONVERT(NEW.subdomain USING utf8mb4)
    COLLATE utf8mb4_unicode_ci, pos.i, 3)
FROM tenant_trigram_positions pos WHERE pos.i <= CHAR_LENGTH(NEW.subdomain) - 2
ON DUPLICATE KEY UPDATE tenant_id = tenant_id;

CREATE TRIGGER tenants_update_counts AFTER UPDATE ON tenants FOR EACH ROW
INSERT INTO tenant_counts (slot, active, archived)
SELECT OLD.id % 16, -(OLD.is_active = 1), -(OLD.is_active = 0) FROM DUAL
WHERE NOT (NEW.id <=> OLD.id AND NEW.is_active <=> OLD.is_active)
UNION ALL
SELECT NEW.id % 16, NEW.is_active = 1, NEW.is_active = 0 FROM DUAL
WHERE NOT (NEW.id <=> OLD.id AND NEW.is_active <=> OLD.is_active)
ON DUPLICATE KEY UPDATE active = active + VALUES(active),
    archived = archived + VALUES(archived);

CREATE TRIGGER tenants_update_days AFTER UPDATE ON tenants FOR EACH ROW
FOLLOWS tenants_update_counts
INSERT INTO tenant_created_days (day, slot, created)
SELECT DATE(OLD.created_at), OLD.id % 16, -1 FROM DUAL
WHERE NOT (NEW.id <=> OLD.id AND DATE(NEW.created_at) <=> DATE(OLD.created_at))
UNION ALL
SELECT DATE(NEW.created_at), NEW.id % 16, 1 FROM DUAL
WHERE NOT (NEW.id <=> OLD.id AND DATE(NEW.created_at) <=> DATE(OLD.created_at))
ON DUPLICATE KEY UPDATE created = created + VALUES(created);

CREATE TRIGGER tenants_update_trigrams_out AFTER UPDATE ON tenants FOR EACH ROW
FOLLOWS tenants_update_days
DELETE g FROM (
    SELECT SUBSTRING(OLD.name, pos.i, 3) AS gram
    FROM tenant_trigram_positions pos WHERE pos.i <= CHAR_LENGTH(OLD.name) - 2
    UNION ALL
    SELECT SUBSTRING(CONVERT(OLD.subdomain USING utf8mb4)
        COLLATE utf8mb4_unicode_ci, pos.i, 3)
    FROM tenant_trigram_positions pos
    WHERE pos.i <= CHAR_LENGTH(OLD.subdomain) - 2) was
JOIN tenant_trigrams g ON g.gram = was.gram AND g.tenant_id = OLD.id
WHERE NOT (NEW.id <=> OLD.id AND BINARY NEW.name <=> BINARY OLD.name
    AND NEW.subdomain <=> OLD.subdomain);

CREATE TRIGGER tenants_update_trigrams_in AFTER UPDATE ON tenants FOR EACH ROW
FOLLOWS tenants_update_trigrams_out
INSERT INTO tenant_trigrams (tenant_id, gram)
SELECT NEW.id, SUBSTRING(NEW.name, pos.i, 3) FROM tenant_trigram_positions pos
WHERE pos.i <= CHAR_LENGTH(NEW.name) - 2
AND NOT (NEW.id <=> OLD.id AND BINARY NEW.name <=> BINARY OLD.name
    AND NEW.subdomain <=> OLD.subdomain)
UNION ALL
SELECT NEW.id, SUBSTRING(CONVERT(NEW.subdomain USING utf8mb4)
    COLLATE utf8mb4_unicode_ci, pos.i, 3)
FROM tenant_trigram_positions pos WHERE pos.i <= CHAR_LENGTH(NEW.subdomain) - 2
AND NOT (NEW.id <=> OLD.id AND BINARY NEW.name <=> BINARY OLD.name
    AND NEW.subdomain <=> OLD.subdomain)
ON DUPLICATE KEY UPDATE tenant_id = tenant_id;

CREATE TRIGGER tenants_delete_modules BEFORE DELETE ON tenants FOR EACH ROW
INSERT INTO tenant_module_counts (module_key, slot, enabled)
SELECT module_key, OLD.id % 16, -1 FROM tenant_modules
WHERE tenant_id = OLD.id AND is_enabled = 1
ON DUPLICATE KEY UPDATE enabled = enabled + VALUES(enabled);

CREATE TRIGGER tenants_delete_counts AFTER DELETE ON tenants FOR EACH ROW
INSERT INTO tenant_counts (slot, active, archived)
VALUES (OLD.id % 16, -(OLD.is_active = 1), -(OLD.is_active = 0))
ON DUPLICATE KEY UPDATE active = active + VALUES(active),
    archived = archived + VALUES(archived);

CREATE TRIGGER tenants_delete_days AFTER DELETE ON tenants FOR EACH ROW
FOLLOWS tenants_delete_counts
INSERT INTO tenant_created_days (day, slot, created)
VALUES (DATE(OLD.created_at), OLD.id % 16, -1)
ON DUPLICATE KEY UPDATE created = created + VALUES(created);

CREATE TRIGGER tenants_delete_trigrams AFTER DELETE ON tenants FOR EACH ROW
FOLLOWS tenants_delete_days
DELETE g FROM (
    SELECT SUBSTRING(OLD.name, pos.i, 3) AS gram
    FROM tenant_trigram_positions pos WHERE pos.i <= CHAR_LENGTH(OLD.name) - 2
    UNION ALL
    SELECT SUBSTRING(CONVERT(OLD.subdomain USING utf8mb4)
        COLLATE utf8mb4_unicode_ci, pos.i, 3)
    FROM tenant_trigram_positions pos
    WHERE pos.i <= CHAR_LENGTH(OLD.subdomain) - 2) was
JOIN tenant_trigrams g ON g.gram = was.gram AND g.tenant_id = OLD.id;

CREATE TRIGGER tenant_modules_insert_counts AFTER INSERT ON tenant_modules
FOR EACH ROW
INSERT INTO tenant_module_counts (module_key, slot, enabled)
SELECT NEW.module_key, NEW.tenant_id % 16, 1 FROM DUAL WHERE NEW.is_enabled = 1
ON DUPLICATE KEY UPDATE enabled = enabled + VALUES(enabled);

CREATE TRIGGER tenant_modules_update_counts AFTER UPDATE ON tenant_modules
FOR EACH ROW
INSERT INTO tenant_module_counts (module_key, slot, enabled)
SELECT OLD.module_key, OLD.tenant_id % 16, -1 FROM DUAL
WHERE OLD.is_enabled = 1 AND NOT (NEW.is_enabled = 1
    AND NEW.tenant_id <=> OLD.tenant_id AND NEW.module_key <=> OLD.module_key)
UNION ALL
SELECT NEW.module_key, NEW.tenant_id % 16, 1 FROM DUAL
WHERE NEW.is_enabled = 1 AND NOT (OLD.is_enabled = 1
    AND NEW.tenant_id <=> OLD.tenant_id AND NEW.module_key <=> OLD.module_key)
ON DUPLICATE KEY UPDATE enabled = enabled + VALUES(enabled);

CREATE TRIGGER tenant_modules_delete_counts AFTER DELETE ON tenant_modules
FOR EACH ROW
INSERT INTO tenant_module_counts (module_key, slot, enabled)
SELECT OLD.module_key, OLD.tenant_id % 16, -1 FROM DUAL WHERE OLD.is_enabled = 1
ON DUPLICATE KEY UPDATE enabled = enabled + VALUES(enabled);
