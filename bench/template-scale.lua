-- template-scale.lua - the load bench/template-scale keeps on during a
-- rollout: wrk sends GET PATH to the site of a random tenant each request
-- and counts the answers by status.
--
--   wrk -s bench/template-scale.lua URL -- SUBDOMAINS PATH HOST_SUFFIX
--
-- SUBDOMAINS: a file with one tenant subdomain a line.  PATH: the path
-- asked for, "%s" standing for the subdomain (as in
-- /api/tenants/by-subdomain/%s/config/).  HOST_SUFFIX: what follows the
-- subdomain in the Host header (".localhost:8080").  With the
-- environment variable TEMPLATE_SCALE_DELAY_MS set to N > 0, each
-- connection waits N ms after an answer before its next request (a
-- bounded rate instead of as fast as it goes).  At the end (the
-- duration given with -d, or SIGINT) it prints, for bench/template-scale:
--   status CODE COUNT          one line per status seen
--   errors connect N read N write N timeout N
--   latency_us p50 N p99 N max N
--   requests N duration_us N

local threads = {}
local next_id = 1

-- Read at the top, in every Lua state: wrk asks the main one whether
-- there is a delay() before any init().
local delay_ms = tonumber(os.getenv("TEMPLATE_SCALE_DELAY_MS") or "0") or 0
if delay_ms > 0 then
	function delay()
		return delay_ms
	end
end

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	subdomains = {}
	for line in io.lines(args[1]) do
		subdomains[#subdomains + 1] = line
	end
	path_format, host_suffix = args[2], args[3]
	statuses = {}
	math.randomseed(id * 7919 + os.time())
end

function request()
	local sub = subdomains[math.random(#subdomains)]
	return wrk.format("GET", string.format(path_format, sub),
	    { Host = sub .. host_suffix })
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, thread in ipairs(threads) do
		for code, count in pairs(thread:get("statuses")) do
			total[code] = (total[code] or 0) + count
		end
	end
	for code, count in pairs(total) do
		io.write(string.format("status %d %d\n", code, count))
	end
	local e = summary.errors
	io.write(string.format("errors connect %d read %d write %d timeout %d\n",
	    e.connect, e.read, e.write, e.timeout))
	io.write(string.format("latency_us p50 %d p99 %d max %d\n",
	    latency:percentile(50), latency:percentile(99), latency.max))
	io.write(string.format("requests %d duration_us %d\n",
	    summary.requests, summary.duration))
end
