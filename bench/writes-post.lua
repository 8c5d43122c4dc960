-- writes-post.lua: the wrk script of bench/writes.sh. Every request is a POST /v1/consents
-- giving the newsletter consent for a new address at bench.example (distinct per run, wrk
-- thread and request), so that each one appends a ledger event and creates a contact.
--
--   wrk ... -s bench/writes-post.lua URL -- KEY RUN
--
-- done() prints one machine-readable line for the script:
--   SKBENCH requests=.. seconds=.. rps=.. p50_us=.. p99_us=.. non2xx=.. errors=..

local threads = {}
local seq = 0

function setup(thread)
   seq = seq + 1
   thread:set("tid", seq)
   table.insert(threads, thread)
end

local n = 0
local run = "r"

function init(args)
   local key = args[1] or ""
   run = args[2] or run
   wrk.method = "POST"
   wrk.headers["Authorization"] = "Bearer " .. key
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   n = n + 1
   local body = string.format(
      '{"email":"w%s-%d-%d@bench.example","purpose":"newsletter","action":"give"}',
      run, tid or 0, n)
   return wrk.format("POST", "/v1/consents", nil, body)
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
