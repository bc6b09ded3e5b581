-- tenant-header.lua - tells a module backend its tenant, through lighttpd.
--
-- mod_magnet runs this for the module APIs (/api/m/<module>/...) of tenant
-- hosts and custom domains, from etc/lighttpd/tenantd.conf.in, where
-- lighttpd's setenv cannot put a computed value into a header.  It sets
-- X-Tenant-Subdomain, as nginx does, to the tenant the module gate judged:
-- tenantd's Authorizer answer allows a request with
-- Variable-TENANT_SUBDOMAIN, which lighttpd keeps in the request's
-- environment (nothing the client sends gets there).  lighttpd runs this
-- script twice: once before the gate, when no tenant is known yet, and
-- again after the gate's 200, before the request goes to the backend.  So
-- the gate's answer is the only source: the host is not read, and a custom
-- domain names its tenant as a subdomain host does.  Every copy the client
-- sent is removed first; nothing else from the client is read.
--
-- Headers whose names hold '_' are removed as well: some backends read
-- X_Tenant_Subdomain or X_Forwarded_For as the headers this front end
-- sets, and nginx drops such names too (ignore_invalid_headers).

local underscored = {}
for name in pairs(lighty.r.req_header) do
	if string.find(name, "_", 1, true) then
		underscored[#underscored + 1] = name
	end
end
for _, name in ipairs(underscored) do
	lighty.r.req_header[name] = nil
end
lighty.r.req_header["X-Tenant-Subdomain"] = nil

local sub = lighty.r.req_env["TENANT_SUBDOMAIN"]
if sub == nil then
	return
end
-- tenantd names only valid subdomains; anything else names no tenant
-- rather than a wrong one.
if #sub > 63 or not (string.match(sub, "^[a-z0-9]$")
    or string.match(sub, "^[a-z0-9][a-z0-9-]*[a-z0-9]$")) then
	print("tenant-header.lua: the gate named no valid tenant: '" .. sub .. "'")
	return 500
end
lighty.r.req_header["X-Tenant-Subdomain"] = sub
