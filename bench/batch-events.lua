-- wrk script: POSTs Webhooks (Actions) batches of 100 seed-convention track events, each event with its
-- own messageId, spread over 1,000 users.
--   wrk -t1 -c32 -d8s -s batch-events.lua http://127.0.0.1:8081/
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) prefix = "batch-" .. tid .. "-" .. os.time() .. "-" .. math.random(1, 1e9) .. "-"; n = 0 end
function request()
  local events = {}
  for i = 1, 100 do
    n = n + 1
    local user = "user-" .. (n % 1000)
    events[i] = '{"type":"track","event":"User Abandoned Cart","messageId":"' .. prefix .. n ..
      '","userId":"' .. user .. '","timestamp":"2026-11-28T09:14:03.512Z","context":{"library":{"name":"analytics.js","version":"next-1.70.0"}},' ..
      '"properties":{"name":"abandoned-cart-recovery-workflow","user":{"subscriberId":"' .. user ..
      '","firstName":"John","lastName":"Doe"},"environment":"development","cart":{"items":3,"value":129.5}}}'
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, "[" .. table.concat(events, ",") .. "]")
end
