-- POST /auth/refresh-token with a fresh token per request: each thread keeps
-- a pool of live refresh tokens, takes one per request and puts back the
-- successor from the answer, so no token is ever presented twice.
local pool = {}
local path = "/auth/refresh-token"

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  local threads = tonumber(args[1])
  for i = 2, #args do
    if (i - 2) % threads == thread_id - 1 then table.insert(pool, args[i]) end
  end
end

function request()
  local token = table.remove(pool)
  if token == nil then
    -- Every token is in flight: should not happen with a pool larger than the connections.
    token = "exhausted-pool-exhausted-pool-exhausted-poo"
  end
  return wrk.format("POST", path, { ["content-type"] = "application/json" }, '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  local next = body:match('"refresh_token":"([^"]+)"')
  if next then table.insert(pool, next) end
end
