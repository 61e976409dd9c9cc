-- wrk script for make bench-pg: seed-convention track events like ../shared/bench/seed-events.lua, with
-- messageIds prefixed by the first script argument, so two wrk processes (one per replica) never send
-- the same id:  wrk -t1 -c16 -d8s -s bench/replica-events.lua http://127.0.0.1:8081/ -- r1
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) prefix = "pg-" .. (args[1] or "r") .. "-" .. tid .. "-" .. os.time() .. "-"; n = 0 end
function request()
  n = n + 1
  local user = "user-" .. (n % 1000)
  local body = '{"type":"track","event":"User Abandoned Cart","messageId":"' .. prefix .. n ..
    '","userId":"' .. user .. '","timestamp":"2026-11-28T09:14:03.512Z","context":{"library":{"name":"analytics.js","version":"next-1.70.0"}},' ..
    '"properties":{"name":"abandoned-cart-recovery-workflow","user":{"subscriberId":"' .. user ..
    '","firstName":"John","lastName":"Doe"},"environment":"development","cart":{"items":3,"value":129.5}}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
