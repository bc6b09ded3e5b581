-- domain-root.lua - serves a custom domain's site from its tenant's own
-- folder, through lighttpd.
--
-- mod_magnet runs this once the physical path is known, for the custom
-- domain block of etc/lighttpd/tenantd.conf.in, whose document root is
-- tenants/.domains/<host>/public/: a symlink tenantd keeps to the
-- tenant's folder (../<sub>) while the domain is active.  lighttpd's
-- follow-symlink = disable refuses any path with a symlink in it, that
-- one included, so this script finds the tenant through the link
-- (domain-tenant.lua) and puts tenants/<sub>/public/ in the link's place:
-- the tenant's files are then judged exactly as on its own host.  No link
-- (a pending or removed domain), a dangling one (an archived tenant) or
-- anything unexpected leaves the path where nothing is, so lighttpd
-- answers 404.

-- mod_magnet names a script's chunk after its file.
local here = string.match(debug.getinfo(1, "S").source, "^@?(.*/)")
local domain_tenant = dofile(here .. "domain-tenant.lua")

local docroot = lighty.r.req_attr["physical.doc-root"] or ""
local tenants, host = string.match(docroot, "^(/.*)/%.domains/([a-z0-9.-]+)/public/?$")
if tenants == nil then
	return 404
end
local sub = domain_tenant(lighty.c.stat, tenants, host)
if sub == nil then
	return 404
end

local root = tenants .. "/" .. sub .. "/public/"
local rel = lighty.r.req_attr["physical.rel-path"] or "/"
lighty.r.req_attr["physical.doc-root"] = root
lighty.r.req_attr["physical.basedir"] = root
lighty.r.req_attr["physical.path"] = root .. string.gsub(rel, "^/", "")
