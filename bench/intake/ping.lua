-- wrk script: GET /api/v1/ping (the ceiling: the same server and stack, no work).
-- Counts status codes like report.lua so non-2xx answers are reported.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

common.setup_threads()

function init(args)
  common.init_thread()
end

function response(status, headers, body)
  common.count(status)
end

done = common.done
