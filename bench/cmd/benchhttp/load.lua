-- load.lua drives one benchmark cell. Arguments (after wrk's --):
--   1: a file of "name=value" session cookies, one per line
--   2: "hot" (every request carries the first cookie) or "many" (one of
--      them picked at random per request)
-- Every request carries one of these fixed cookies: a Set-Cookie of the
-- response is never followed (the Go harness may append response(), which
-- only records it, see wrk.go).

local threads = {}
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

local reqs = {}
local ncookies = 0
local hot = false
ok2xx = 0
other = 0
last = {}

function init(args)
  local f = assert(io.open(args[1]))
  for line in f:lines() do
    if line ~= "" then
      ncookies = ncookies + 1
      reqs[ncookies] = wrk.format(nil, nil, {["Cookie"] = line})
    end
  end
  f:close()
  hot = args[2] == "hot"
  math.randomseed(tid * 7919 + os.time())
end

function request()
  if hot then
    return reqs[1]
  end
  return reqs[math.random(ncookies)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\n", summary.duration))
  io.write(string.format("BENCH p50_us %.0f\n", latency:percentile(50)))
  io.write(string.format("BENCH p99_us %.0f\n", latency:percentile(99)))
  io.write(string.format("BENCH errors %d %d %d %d %d\n", e.connect, e.read, e.write, e.status, e.timeout))
  for _, t in ipairs(threads) do
    local ok, bad = t:get("ok2xx"), t:get("other")
    if ok then
      io.write(string.format("BENCH ok2xx %d %d\n", ok, bad))
    end
    local l = t:get("last")
    if l then
      for s, c in pairs(l) do
        io.write("BENCH last ", s, " ", c, "\n")
      end
    end
  end
end
