-- wrk script: send pre-built HTTP requests, each exactly once, then stop.
-- Usage: wrk -t1 -c N -d Ts -s bench/replay.lua http://127.0.0.1:PORT/ -- REQUESTS_FILE
-- The file holds raw requests separated by NUL bytes (each with its own freshly signed
-- token). When they run out the thread stops, so no token is ever sent twice.

count, index = 0, 0  -- globals: done() reads them through thread:get
local pool = {}
local filler
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local start = 1
  while start <= #data do
    local stop = string.find(data, "\0", start, true) or (#data + 1)
    count = count + 1
    pool[count] = string.sub(data, start, stop - 1)
    start = stop + 1
  end
  -- What a connection sends while the loop winds down after the last request; unanswered.
  filler = wrk.format("GET", "/healthz")
end

function request()
  index = index + 1
  if index > count then
    wrk.thread:stop()
    return filler
  end
  return pool[index]
end

function done(summary, latency, requests)
  -- A run that used up its requests stopped early: wrk still counts the full duration.
  local exhausted = false
  for _, thread in ipairs(threads) do
    exhausted = exhausted or thread:get("index") > thread:get("count")
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"exhausted": %s, "requests": %d, "duration_us": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}}\n',
    tostring(exhausted), summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout))
end
