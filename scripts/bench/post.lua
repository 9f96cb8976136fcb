-- wrk script for scripts/bench/ingest: POST unique, valid
-- Room.CallbackAfterMemberEnter callbacks, so that roomhook's dedupe
-- (same body => same event id => not stored twice) never kicks in and every
-- acknowledged request is a durable journal append.
--
-- Every body carries a per-thread random prefix (from /dev/urandom, so two
-- wrk runs against the same server never collide) plus a per-request
-- counter, in Operator_Account, MemberList_Account and EventTime.
-- RoomId cycles over BENCH_ROOMS rooms (env, default 16).
--
-- done() prints one machine-readable line:
--   WRK_RESULT requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--              non2xx=N connect_err=N read_err=N write_err=N timeout_err=N sent=N
-- non2xx is wrk's errors.status: responses with status >= 400 (wrk does not
-- count 1xx/3xx there; roomhook never sends those). sent = bodies handed to
-- wrk by request() = completed requests + those still in flight at the end.
--
-- Use with a URL that already contains the query string, e.g.
--   wrk -t1 -c64 -d10s -s post.lua \
--     'http://127.0.0.1:PORT/callback?SdkAppid=1400000000&CallbackCommand=Room.CallbackAfterMemberEnter&contenttype=json&ClientIP=127.0.0.1&OptPlatform=Web'

local threads = {}

function setup(thread)
  -- runs in the main Lua state; sets a global in the thread's own state
  thread:set("bench_tid", #threads + 1)
  table.insert(threads, thread)
end

local function random_hex(nbytes)
  local f = io.open("/dev/urandom", "rb")
  if f then
    local b = f:read(nbytes)
    f:close()
    if b and #b == nbytes then
      return (b:gsub(".", function(c) return string.format("%02x", c:byte()) end))
    end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6) + (bench_tid or 0) * 7919)
  local t = {}
  for i = 1, nbytes do t[i] = string.format("%02x", math.random(0, 255)) end
  return table.concat(t)
end

bench_sent = 0 -- global: requests generated (= sent) by this thread; read by done()
local prefix = "b"
local base_ms = 0
local rooms = 16
local body_fmt = '{"CallbackCommand":"Room.CallbackAfterMemberEnter",' ..
  '"Operator_Account":"%s","RoomId":"rid-bench-%d","MemberCount":%d,' ..
  '"Type":"Enter","MemberList_Account":["%s"],"EventTime":%.0f}'

function init(args)
  prefix = "bench" .. tostring(bench_tid or 0) .. "-" .. random_hex(6)
  base_ms = os.time() * 1000
  rooms = tonumber(os.getenv("BENCH_ROOMS") or "") or 16
  if rooms < 1 then rooms = 1 end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  bench_sent = bench_sent + 1
  local n = bench_sent
  local acct = prefix .. "-" .. n
  local body = string.format(body_fmt, acct, n % rooms, (n % 50) + 1, acct, base_ms + n)
  -- nil path => wrk.path, which includes the URL's query string
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local sent = 0
  for _, t in ipairs(threads) do sent = sent + (tonumber(t:get("bench_sent")) or 0) end
  local rps = 0
  if secs > 0 then rps = summary.requests / secs end
  io.write(string.format(
    "WRK_RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d sent=%d\n",
    summary.requests, secs, rps,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, sent))
end
