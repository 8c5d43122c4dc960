-- http-check.lua: the wrk script of bench/http.sh. Every request asks about a random one of
-- the N bench addresses (user0@bench.example .. user{N-1}@bench.example, as bench_core loads
-- them), so each samtycke check is a real point lookup. nginx gets the very same requests
-- (same path shape, query and Authorization header; it ignores both), so wrk does the same
-- work on both sides.
--
--   wrk ... -s bench/http-check.lua URL -- PATH KEY N [SEED]
--
-- done() prints one machine-readable line for the script:
--   SKBENCH requests=.. seconds=.. rps=.. p50_us=.. p99_us=.. non2xx=.. errors=..

local path, n = "/v1/check", 100000
local threads = {}
local seq = 0

function setup(thread)
   seq = seq + 1
   thread:set("tid", seq)
   table.insert(threads, thread)
end

function init(args)
   path = args[1] or path
   local key = args[2] or ""
   n = tonumber(args[3] or n)
   local seed = tonumber(args[4] or 1)
   if key ~= "" then
      wrk.headers["Authorization"] = "Bearer " .. key
   end
   -- One deterministic sequence per wrk thread.
   math.randomseed(seed * 7919 + (tid or 0))
end

function request()
   local i = math.random(0, n - 1)
   return wrk.format("GET", path .. "?email=user" .. i .. "%40bench.example&purpose=newsletter")
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "SKBENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50), latency:percentile(99), e.status,
      e.connect + e.read + e.write + e.timeout))
end
