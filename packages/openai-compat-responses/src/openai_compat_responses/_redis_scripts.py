"""The Lua scripts of `RedisResponseStore`: each step that must be atomic across workers, in one round trip.

Keys (under the store's prefix `P`):

- `P response:<id>`: a hash: `scope`, `status`, `meta` (the record's JSON but scope and response),
  `response` (the Response object's JSON; `status` overrides its status), `prev` (the
  `previous_response_id`), `error` (the error of a response failed by an expired lease), `evn` (the
  sequence number the event log expects next), `evf` (`1` once the log got its final batch), `evb`
  (bytes the log holds);
- `P lease:<id>`: exists while the worker running the response renews it (`PX lease`);
- `P events:<id>`: the event log, a Redis stream whose entry ids are `<first sequence number>-1`,
  fields `l` (last sequence number), `d` (the SSE bytes) and `f` (`1` on the final batch);
- `P conversation:<id>`: a hash: `scope`, `created` (Unix seconds), `metadata` (JSON), `next`
  (the position counter of its items);
- `P conversation-items:<id>`: a hash item id -> item JSON; `P conversation-order:<id>`: a sorted
  set of item ids by position.

Every key gets the store's TTL when it is written; a running response's keys are renewed with its lease.
"""

RUNNING = "local function running(s) return s == 'queued' or s == 'in_progress' end\n"

# KEYS: response, lease. ARGV: scope, status, meta, response, prev, ttl ms, lease ms (0: not running).
CREATE_RESPONSE = """
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'scope', ARGV[1], 'status', ARGV[2], 'meta', ARGV[3], 'response', ARGV[4],
           'prev', ARGV[5], 'evn', -1, 'evf', 0, 'evb', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if tonumber(ARGV[7]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[7]) end
return 1
"""

# KEYS: response, lease. ARGV: scope, error JSON. Returns {status, meta, response, error, expired} or nil.
# A running response whose lease is gone is marked failed here (`expired` 1: this call did it).
GET_RESPONSE = (
    RUNNING
    + """
local v = redis.call('HMGET', KEYS[1], 'scope', 'status', 'meta', 'response', 'error')
if not v[1] or v[1] ~= ARGV[1] then return nil end
local expired = 0
if running(v[2]) and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[2])
  v[2] = 'failed'
  v[5] = ARGV[2]
  expired = 1
end
return {v[2], v[3], v[4], v[5] or '', expired}
"""
)

# KEYS: response, lease. ARGV: expected statuses (comma separated), new status, response JSON, ttl ms.
UPDATE_RESPONSE = (
    RUNNING
    + """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return 0 end
for e in string.gmatch(ARGV[1], '[^,]+') do
  if e == s then
    redis.call('HSET', KEYS[1], 'status', ARGV[2], 'response', ARGV[3])
    redis.call('HDEL', KEYS[1], 'error')
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    if not running(ARGV[2]) then redis.call('DEL', KEYS[2]) end
    return 1
  end
end
return 0
"""
)

# KEYS: response, lease. ARGV: scope, ttl ms. 0: not found; 1: found (cancelled now if it was running).
CANCEL_RESPONSE = (
    RUNNING
    + """
local v = redis.call('HMGET', KEYS[1], 'scope', 'status')
if not v[1] or v[1] ~= ARGV[1] then return 0 end
if running(v[2]) then
  redis.call('HSET', KEYS[1], 'status', 'cancelled')
  redis.call('DEL', KEYS[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""
)

# KEYS: response, lease, events. ARGV: scope.
DELETE_RESPONSE = """
local scope = redis.call('HGET', KEYS[1], 'scope')
if not scope or scope ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""

# KEYS: response, lease, events. ARGV: lease ms, ttl ms. The status ('' when gone); renews a running one.
HEARTBEAT = (
    RUNNING
    + """
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
if running(s) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
end
return s
"""
)

# KEYS: response, events. ARGV: max events, max bytes, ttl ms, final (0/1), count, then count x (first, last, data).
# Skips what the log already has (a retried write) and everything once the final batch is in; trims
# the oldest entries (never the newest) beyond the bounds. Returns how many entries were added (-1: no response).
APPEND_EVENTS = """
local state = redis.call('HMGET', KEYS[1], 'evn', 'evf', 'evb')
if not state[1] then return -1 end
if state[2] == '1' then return 0 end
local expected = tonumber(state[1])
local bytes = tonumber(state[3])
local max_events, max_bytes = tonumber(ARGV[1]), tonumber(ARGV[2])
local count = tonumber(ARGV[5])
local added = 0
local last = expected - 1
for i = 0, count - 1 do
  local first, batch_last, data = tonumber(ARGV[6 + 3 * i]), tonumber(ARGV[7 + 3 * i]), ARGV[8 + 3 * i]
  if first >= expected then
    local final = (i == count - 1) and ARGV[4] or '0'
    redis.call('XADD', KEYS[2], first .. '-1', 'l', batch_last, 'd', data, 'f', final)
    bytes = bytes + #data
    expected = batch_last + 1
    last = batch_last
    added = added + 1
  end
end
if added == 0 then return 0 end
while true do
  local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 2)
  if #head < 2 then break end
  local first_kept = tonumber(string.match(head[1][1], '^(%d+)'))
  if last - first_kept + 1 <= max_events and bytes <= max_bytes then break end
  local fields = head[1][2]
  local size = 0
  for j = 1, #fields, 2 do if fields[j] == 'd' then size = #fields[j + 1] end end
  redis.call('XDEL', KEYS[2], head[1][1])
  bytes = bytes - size
end
redis.call('HSET', KEYS[1], 'evn', expected, 'evb', bytes, 'evf', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return added
"""

# KEYS: response, events. ARGV: scope. {status, first entry id or '', final flag} or nil (not found).
LOG_STATE = """
local v = redis.call('HMGET', KEYS[1], 'scope', 'status', 'evf')
if not v[1] or v[1] ~= ARGV[1] then return nil end
local head = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first = ''
if #head > 0 then first = head[1][1] end
return {v[2], first, v[3] or '0'}
"""

# KEYS: the newest response. ARGV: key prefix of responses, scope, ttl ms.
# Walks previous_response_id: {'ok', meta1, response1, status1, meta2, ...} newest first, or {'broken', id}.
# Every response met is kept `ttl` longer: a chain lives as long as it is continued.
HISTORY = """
local key = KEYS[1]
local out = {'ok'}
local seen = {}
while true do
  local v = redis.call('HMGET', key, 'scope', 'meta', 'response', 'status', 'prev')
  if not v[1] or v[1] ~= ARGV[2] or seen[key] then
    if #out == 1 then return nil end
    return {'broken', string.sub(key, #ARGV[1] + 1)}
  end
  seen[key] = true
  redis.call('PEXPIRE', key, ARGV[3])
  out[#out + 1] = v[2]
  out[#out + 1] = v[3]
  out[#out + 1] = v[4]
  if not v[5] or v[5] == '' then return out end
  key = ARGV[1] .. v[5]
end
"""

# KEYS: conversation, items, order. ARGV: scope, ttl ms, count, then count x (own id or '', fresh id, JSON).
# Appends items after those there; an item keeps its own id unless it is taken. Returns the ids, or nil.
ADD_ITEMS = """
if redis.call('HGET', KEYS[1], 'scope') ~= ARGV[1] then return nil end
local used = {}
local ids = {}
for i = 0, tonumber(ARGV[3]) - 1 do
  local own, fresh, data = ARGV[4 + 3 * i], ARGV[5 + 3 * i], ARGV[6 + 3 * i]
  local id = fresh
  if own ~= '' and not used[own] and redis.call('HEXISTS', KEYS[2], own) == 0 then id = own end
  used[id] = true
  local position = redis.call('HINCRBY', KEYS[1], 'next', 1)
  redis.call('HSET', KEYS[2], id, data)
  redis.call('ZADD', KEYS[3], position, id)
  ids[#ids + 1] = id
end
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return ids
"""

# KEYS: conversation, items, order. ARGV: scope. {id1, json1, id2, json2, ...} oldest first, or nil.
ITEMS = """
if redis.call('HGET', KEYS[1], 'scope') ~= ARGV[1] then return nil end
local ids = redis.call('ZRANGE', KEYS[3], 0, -1)
local out = {}
if #ids == 0 then return out end
local values = redis.call('HMGET', KEYS[2], unpack(ids))
for i = 1, #ids do
  out[#out + 1] = ids[i]
  out[#out + 1] = values[i]
end
return out
"""

# KEYS: conversation, items. ARGV: scope, item id. The item's JSON, '' if no such item, nil if no conversation.
GET_ITEM = """
if redis.call('HGET', KEYS[1], 'scope') ~= ARGV[1] then return nil end
return redis.call('HGET', KEYS[2], ARGV[2]) or ''
"""

# KEYS: conversation, items, order. ARGV: scope, item id, ttl ms. 1 if deleted.
DELETE_ITEM = """
if redis.call('HGET', KEYS[1], 'scope') ~= ARGV[1] then return 0 end
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return 1
"""

# KEYS: conversation, items, order. ARGV: scope, metadata JSON, ttl ms. The creation time, or nil.
UPDATE_CONVERSATION = """
if redis.call('HGET', KEYS[1], 'scope') ~= ARGV[1] then return nil end
redis.call('HSET', KEYS[1], 'metadata', ARGV[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return redis.call('HGET', KEYS[1], 'created')
"""

# KEYS: conversation, items, order. ARGV: scope. 1 if deleted.
DELETE_CONVERSATION = """
if redis.call('HGET', KEYS[1], 'scope') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""
