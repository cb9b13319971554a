-- wrk script: POST one single-item report per request to /api/v1/reports.
--
-- Every request carries a URL nobody used before (run id + thread id +
-- per-thread counter), so deduplication never merges two of them. With
-- BENCH_DUP_RATE=0.1, one request in ten instead reports one of
-- BENCH_HOT_URLS "hot" URLs, which exercises the path where an item joins an
-- existing case (and the row locks on that case's counters).
--
-- Environment: BENCH_KEY (API key), BENCH_RUN (unique per wrk run),
-- BENCH_DUP_RATE (0..1, default 0), BENCH_HOT_URLS (default 100),
-- BENCH_OUT (JSON summary written by done()), BENCH_IDS (acknowledged report
-- ids, one per line, so the caller can check each of them was stored).

local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local key = os.getenv("BENCH_KEY") or error("BENCH_KEY is not set")
local run = os.getenv("BENCH_RUN") or "run"
local dup_rate = tonumber(os.getenv("BENCH_DUP_RATE") or "0")
local hot_urls = tonumber(os.getenv("BENCH_HOT_URLS") or "100")

local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. key,
}
local body_head = '{"items":[{"url":"'
local body_tail = '","kind":"post"}],"category":"hateful_conduct",'
  .. '"explanation":"Dehumanising post calling for violence against a minority group; part of a coordinated wave.",'
  .. '"country":"FR","language":"fr","targets":["religious_or_ethnic_minority"],"bona_fide":true}'

common.setup_threads()

function init(args)
  common.init_thread()
  counter = 0
  math.randomseed(tid * 7919 + 17)
end

function request()
  counter = counter + 1
  local url
  if dup_rate > 0 and math.random() < dup_rate then
    url = "https://social.example/hot/" .. run .. "/" .. math.random(1, hot_urls)
  else
    url = "https://social.example/" .. run .. "/t" .. tid .. "/posts/" .. counter
  end
  return wrk.format("POST", "/api/v1/reports", headers, body_head .. url .. body_tail)
end

function response(status, headers, body)
  common.count(status)
  if status == 201 then
    -- The acknowledgement starts with the report id: {"id": "...", ...}
    local id = string.match(body, '"id":%s*"([0-9a-f%-]+)"')
    if id then
      ids[#ids + 1] = id
    end
  end
end

done = common.done
