-- tenant-header.lua - tells a module backend its tenant, through lighttpd.
--
-- mod_magnet runs this for the module APIs (/api/m/<module>/...) of tenant
-- hosts, from etc/lighttpd/tenantd.conf.in, where lighttpd's setenv cannot
-- put the subdomain captured from the Host into a header.  It sets
-- X-Tenant-Subdomain, as nginx does, to the tenant of the host the module
-- gate judges: lighttpd lower-cases that host (uri.authority) and the host
-- condition around this script has checked it is one valid label left of
-- the base domain, so the label before the first dot is the tenant.  The
-- value replaces every copy the client sent; nothing else from the client
-- is read.
--
-- Headers whose names hold '_' are removed as well: some backends read
-- X_Tenant_Subdomain or X_Forwarded_For as the headers this front end
-- sets, and nginx drops such names too (ignore_invalid_headers).

local host = string.lower(lighty.r.req_attr["uri.authority"] or "")
local label = string.match(host, "^([^.:]+)%.")

-- Reached only if the script were attached outside the tenant host
-- condition: no tenant is named rather than a wrong one.
if label == nil or #label > 63
    or not (string.match(label, "^[a-z0-9]$")
    or string.match(label, "^[a-z0-9][a-z0-9-]*[a-z0-9]$")) then
	print("tenant-header.lua: no tenant label in host '" .. host .. "'")
	return 500
end

local underscored = {}
for name in pairs(lighty.r.req_header) do
	if string.find(name, "_", 1, true) then
		underscored[#underscored + 1] = name
	end
end
for _, name in ipairs(underscored) do
	lighty.r.req_header[name] = nil
end

lighty.r.req_header["X-Tenant-Subdomain"] = label
