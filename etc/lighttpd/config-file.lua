-- config-file.lua - points lighttpd at the config.json that
-- GET/HEAD /api/tenants/by-subdomain/<sub>/config/ names, so lighttpd
-- sends it itself instead of asking tenantd.
--
-- mod_magnet runs this once the physical path is known, from the config
-- block of etc/lighttpd/tenantd.conf.in, which has already checked that
-- <sub> is a valid label and made the document root either tenants_dir
-- itself (tenant hosts and the admin host: the tenant is the one the path
-- names) or, on a custom domain, tenants/.domains/<host>/public/ as for
-- its site (the tenant is the domain's, whatever the path names, as
-- tenantd answers there).  The path becomes tenants/<sub>/config.json,
-- with no symlink in it (domain-tenant.lua finds the domain's tenant
-- through its link), and lighttpd's own static file handling does the
-- rest: follow-symlink = disable, ETag, 304.  Every 403 and 404 it gives
-- (no such file, a symlink, a custom domain without a live link) goes on
-- to tenantd (server.error-handler), which answers in JSON.

local docroot = lighty.r.req_attr["physical.doc-root"] or ""
local sub = string.match(lighty.r.req_attr["uri.path"] or "",
    "^/api/tenants/by%-subdomain/([a-z0-9-]+)/config/$")
local tenants, host = string.match(docroot, "^(/.*)/%.domains/([a-z0-9.-]+)/public/?$")
if tenants ~= nil then
	-- mod_magnet names a script's chunk after its file.
	local here = string.match(debug.getinfo(1, "S").source, "^@?(.*/)")
	sub = dofile(here .. "domain-tenant.lua")(lighty.c.stat, tenants, host)
else
	-- A custom domain whose link is missing or dangles keeps the host's
	-- fallback root, and has no tenant.
	tenants = string.match(docroot, "^(/.*)/%.no%-such%-tenant/?$")
	if tenants ~= nil then
		sub = nil
	else
		tenants = string.match(docroot, "^(/.*[^/])/*$")
	end
end
if tenants == nil then
	tenants, sub = "", nil
end

-- No tenant: a folder that is never there, so lighttpd answers 404 and
-- hands the request to tenantd like any other missing config.json.
local root = tenants .. "/" .. (sub or ".no-such-tenant") .. "/"
lighty.r.req_attr["physical.doc-root"] = root
lighty.r.req_attr["physical.basedir"] = root
lighty.r.req_attr["physical.path"] = root .. "config.json"
