-- wrk script of scripts/bench-api: GET /v1/demands/{id}/candidates with the demand id drawn
-- uniformly from [BENCH_DEMAND_FIRST, BENCH_DEMAND_LAST] for every request, so the requests
-- spread over all demands (no single hot entry). Environment:
--   BENCH_KEY            API key sent as "Authorization: Bearer KEY" (the demands' owner)
--   BENCH_DEMAND_FIRST   smallest demand line id
--   BENCH_DEMAND_LAST    largest demand line id
--   BENCH_QUERY          query string without '?' (default "limit=10")
-- Each wrk thread gets its own random seed; the counts of non-2xx answers are printed by wrk.
local first = tonumber(os.getenv("BENCH_DEMAND_FIRST"))
local last = tonumber(os.getenv("BENCH_DEMAND_LAST"))
local query = os.getenv("BENCH_QUERY") or "limit=10"
local key = os.getenv("BENCH_KEY")
if first == nil or last == nil or key == nil or last < first then
    error("set BENCH_KEY, BENCH_DEMAND_FIRST and BENCH_DEMAND_LAST")
end

local thread_count = 0
function setup(thread)
    thread_count = thread_count + 1
    thread:set("seed", thread_count * 7919)
end

function init(args)
    math.randomseed(seed or 1)
    wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
    local id = math.random(first, last)
    return wrk.format("GET", "/v1/demands/" .. id .. "/candidates?" .. query)
end
