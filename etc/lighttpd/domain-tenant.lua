-- domain-tenant.lua - the tenant of a custom domain, for the mod_magnet
-- scripts beside it (domain-root.lua, config-file.lua).
--
-- tenantd keeps tenants/.domains/<domain> as a symlink to ../<sub> while
-- the domain is active (lib/domain_link.h).  mod_magnet cannot read a
-- link, so the tenant's subdomain is read through it, from the
-- config.json tenantd writes in every tenant folder; that the link and
-- tenants/<sub> are one folder (the same inode, in the one tenants
-- directory) is then checked, so the name never comes from anywhere but
-- the link's own target.
--
-- Loaded with dofile(), it returns one function:
--   tenant(stat, tenants, host) -> the subdomain, or nil for no link (a
--   pending or removed domain), a dangling one (an archived tenant) or
--   anything unexpected.  `stat` is the caller's lighty.c.stat (a file
--   loaded with dofile() does not see the script's lighty table).

local CONFIG_MAX = 1024 * 1024

local function valid_subdomain(sub)
	return sub ~= nil and #sub <= 63 and (string.match(sub, "^[a-z0-9]$")
	    or string.match(sub, "^[a-z0-9][a-z0-9-]*[a-z0-9]$")) ~= nil
end

return function(stat, tenants, host)
	if not string.match(host, "^[a-z0-9.-]+$") or string.find(host, "..", 1, true)
	    or string.match(host, "^%.") then
		return nil
	end
	local link = tenants .. "/.domains/" .. host
	-- Only a regular file is read: opening a FIFO or a device would
	-- block or read without end in this one lighttpd process.  A file
	-- swapped in between the stat and the open is judged by the inode
	-- check below like any other.
	local config = stat(link .. "/config.json")
	if config == nil or not config.is_file then
		return nil
	end
	local file = io.open(link .. "/config.json", "r")
	if file == nil then
		return nil
	end
	local text = file:read(CONFIG_MAX) or ""
	file:close()

	local sub = string.match(text, '"tenant"%s*:%s*{[^}]-"subdomain"%s*:%s*"([a-z0-9-]+)"')
	if not valid_subdomain(sub) then
		return nil
	end
	local through_link = stat(link .. "/")
	local own = stat(tenants .. "/" .. sub .. "/")
	if through_link == nil or own == nil or through_link.st_ino ~= own.st_ino then
		return nil
	end
	return sub
end
