-- Shared by the wrk scripts: per-thread status counters and acknowledged ids,
-- gathered in done() and written as JSON to BENCH_OUT (and ids to BENCH_IDS).
--
-- wrk runs each thread in its own Lua state; setup() runs in the main state
-- and keeps a handle on every thread so done() can read their tables back.

local M = {}
local threads = {}

function M.setup_threads()
  function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
  end
end

function M.init_thread()
  statuses = {}
  ids = {}
end

function M.count(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function M.done(summary, latency, requests)
  local merged = {}
  local id_file = os.getenv("BENCH_IDS")
  local ids_out = id_file and io.open(id_file, "w") or nil
  local id_count = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      merged[status] = (merged[status] or 0) + n
    end
    if ids_out then
      for _, id in ipairs(thread:get("ids") or {}) do
        ids_out:write(id, "\n")
        id_count = id_count + 1
      end
    end
  end
  if ids_out then
    ids_out:close()
  end
  local parts = {}
  for status, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
  end
  local e = summary.errors
  local json = string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,"statuses":{%s},"ids":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}',
    summary.duration, summary.requests, summary.bytes, table.concat(parts, ","), id_count,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)
  )
  local out = os.getenv("BENCH_OUT")
  if out then
    local f = assert(io.open(out, "w"))
    f:write(json, "\n")
    f:close()
  else
    io.write(json, "\n")
  end
end

return M
