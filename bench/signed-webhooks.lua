-- wrk script: replays pre-signed Novu webhooks (made by make-webhooks.py just before the run, so their
-- timestamps are fresh), one line each: id <TAB> timestamp <TAB> signature <TAB> body.
--   wrk -t1 -c32 -d8s -s signed-webhooks.lua http://127.0.0.1:8082/webhooks/novu -- FILE
local requests = {}
local index = 0
function init(args)
  for line in io.lines(args[1]) do
    local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", nil, {
      ["Content-Type"] = "application/json", ["webhook-id"] = id, ["webhook-timestamp"] = ts,
      ["webhook-signature"] = sig }, body)
  end
end
function request()
  index = index % #requests + 1
  return requests[index]
end
