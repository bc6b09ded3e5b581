-- Version 5: the SHA-256 of each tenant's logo (SPEC 12, asset_base_url),
-- stored when the logo is written, so config.json can name the logo's
-- content-named URL on the CDN without reading the file again.  NULL for
-- a tenant without a logo, and for logos written before this version
-- (their config.json keeps the plain /logo.<ext> until the next upload).
-- (Number 4 is another change's.)

ALTER TABLE tenants
    ADD COLUMN logo_sha256 CHAR(64) CHARACTER SET ascii NULL;
