/**
 * The Lua scripts. Redis runs a script atomically on one node, but does not
 * roll back a script that fails half way, so `APPLY` keeps an undo log and
 * restores every touched key before it reports an error. Key names are built
 * from ARGV[1] (the control slot's base, `{prefix}:`), all in KEYS[1]'s slot.
 */

/**
 * KEYS[1] = any key of the control slot. ARGV[1] = control base, ARGV[2] = ops
 * as JSON, ARGV[3] = audit stream MAXLEN (0 = unbounded), ARGV[4] = pub/sub
 * channel, ARGV[5] = changes of objects to log, as JSON ([['o', id], ...]).
 * Returns "" on success, or a JSON error {code, kind, ...}. While a follower
 * is registered, every change is appended to the change-log stream, in this
 * same script (change-log.ts reads it).
 */
export const APPLY = `
local B = ARGV[1]
local ops = cjson.decode(ARGV[2])
local streamMax = tonumber(ARGV[3])
local channel = ARGV[4]
local undo = {}
local effects = {}
local logged = cjson.decode(ARGV[5])
local function log(c) logged[#logged + 1] = c end

local function fail(t) t.govc = true; error(t) end
local function str(v) if type(v) == 'string' then return v end return false end

local function hset(k, f, v)
  undo[#undo + 1] = {'h', k, f, redis.call('HGET', k, f)}
  redis.call('HSET', k, f, v)
end
local function hdel(k, f)
  local old = redis.call('HGET', k, f)
  if not old then return end
  undo[#undo + 1] = {'h', k, f, old}
  redis.call('HDEL', k, f)
end
local function zadd(k, m)
  if redis.call('ZADD', k, 0, m) == 1 then undo[#undo + 1] = {'zrem', k, m} end
end
local function zrem(k, m)
  if redis.call('ZREM', k, m) == 1 then undo[#undo + 1] = {'zadd', k, m} end
end
local function set(k, v)
  undo[#undo + 1] = {'s', k, redis.call('GET', k)}
  redis.call('SET', k, v)
end
local function del(k)
  local dump = redis.call('DUMP', k)
  if not dump then return end
  undo[#undo + 1] = {'restore', k, dump}
  redis.call('DEL', k)
end
local function rollback()
  for i = #undo, 1, -1 do
    local u = undo[i]
    if u[1] == 'h' then
      if u[4] then redis.call('HSET', u[2], u[3], u[4]) else redis.call('HDEL', u[2], u[3]) end
    elseif u[1] == 's' then
      if u[3] then redis.call('SET', u[2], u[3]) else redis.call('DEL', u[2]) end
    elseif u[1] == 'zrem' then redis.call('ZREM', u[2], u[3])
    elseif u[1] == 'zadd' then redis.call('ZADD', u[2], 0, u[3])
    elseif u[1] == 'restore' then redis.call('RESTORE', u[2], 0, u[3], 'REPLACE')
    end
  end
end

local function repoIndexes(r, add)
  local f = add and zadd or zrem
  f(B .. 'repos', r.name)
  f(B .. 'repos:vis:' .. r.visibility, r.name)
  if str(r.ownerId) then f(B .. 'repos:owner:' .. r.ownerId, r.name) end
end

local function userIndexes(u, add)
  local f = add and zadd or zrem
  f(B .. 'users', u.username)
  f(B .. 'users:admin:' .. (u.isAdmin and '1' or '0'), u.username)
end

local handlers = {}

function handlers.updateRefs(op)
  if redis.call('EXISTS', B .. 'repo:' .. op.repo) == 0 then fail({code = 'NOT_FOUND', kind = 'repo', id = op.repo}) end
  local rk, nk = B .. 'refs:' .. op.repo, B .. 'refnames:' .. op.repo
  for _, u in ipairs(op.updates) do
    if u.check then
      local cur = redis.call('HGET', rk, u.name)
      local actual = cur and string.sub(cur, 3) or false
      if actual ~= str(u.old) then
        fail({code = 'CONFLICT', kind = 'ref', repo = op.repo, ref = u.name, expected = str(u.old), actual = actual})
      end
    end
  end
  for _, u in ipairs(op.updates) do
    local cur = redis.call('HGET', rk, u.name)
    local new = str(u.new)
    if new then hset(rk, u.name, new); zadd(nk, u.name) else hdel(rk, u.name); zrem(nk, u.name) end
    log({'r', op.repo, u.name})
    effects[#effects + 1] = {'publish', cjson.encode({kind = 'ref', repositoryId = op.repo, name = u.name,
      old = cur and string.sub(cur, 3) or cjson.null, new = new and string.sub(new, 3) or cjson.null})}
  end
  effects[#effects + 1] = {'activity', op.repo, #op.updates}
end

-- ifVersion: the stored record's version (1 for records older than versions, 0 when absent) must equal it.
local function checkVersion(record, op, oldJson)
  if op.ifVersion == cjson.null or op.ifVersion == nil then return end
  local actual = 0
  if oldJson then actual = cjson.decode(oldJson).version or 1 end
  if actual ~= op.ifVersion then
    fail({code = 'CONFLICT', kind = 'stale-version', record = record, id = op.id, expected = op.ifVersion, actual = actual})
  end
end

function handlers.putRepository(op)
  local key = B .. 'repo:' .. op.id
  local oldJson = redis.call('GET', key)
  if op.mode == 'create' and oldJson then fail({code = 'CONFLICT', kind = 'repo-exists', id = op.id}) end
  if op.mode == 'update' and not oldJson then fail({code = 'NOT_FOUND', kind = 'repo-missing', id = op.id}) end
  checkVersion('repository', op, oldJson)
  local holder = redis.call('HGET', B .. 'repo-names', op.name)
  if holder and holder ~= op.id then fail({code = 'CONFLICT', kind = 'repo-name', name = op.name}) end
  if oldJson then
    local old = cjson.decode(oldJson)
    repoIndexes(old, false)
    if old.name ~= op.name then hdel(B .. 'repo-names', old.name) end
  end
  set(key, op.json)
  log({'R', op.id})
  hset(B .. 'repo-names', op.name, op.id)
  repoIndexes({name = op.name, visibility = op.visibility, ownerId = op.ownerId}, true)
end

function handlers.deleteRepository(op)
  local key = B .. 'repo:' .. op.id
  local oldJson = redis.call('GET', key)
  if not oldJson then return end
  local old = cjson.decode(oldJson)
  repoIndexes(old, false)
  hdel(B .. 'repo-names', old.name)
  del(key)
  del(B .. 'refs:' .. op.id)
  del(B .. 'refnames:' .. op.id)
  log({'R', op.id})
  effects[#effects + 1] = {'forget-repo', op.id}
end

function handlers.putUser(op)
  local key = B .. 'user:' .. op.id
  local oldJson = redis.call('GET', key)
  if op.mode == 'create' and oldJson then fail({code = 'CONFLICT', kind = 'user-exists', id = op.id}) end
  if op.mode == 'update' and not oldJson then fail({code = 'NOT_FOUND', kind = 'user', id = op.id}) end
  checkVersion('user', op, oldJson)
  local byName = redis.call('HGET', B .. 'usernames', op.username)
  if byName and byName ~= op.id then fail({code = 'CONFLICT', kind = 'username', username = op.username}) end
  local byEmail = redis.call('HGET', B .. 'emails', op.email)
  if byEmail and byEmail ~= op.id then fail({code = 'CONFLICT', kind = 'email', email = op.email}) end
  if oldJson then
    local old = cjson.decode(oldJson)
    userIndexes(old, false)
    hdel(B .. 'usernames', old.username)
    hdel(B .. 'emails', old.email)
  end
  set(key, op.json)
  log({'u', op.id})
  hset(B .. 'usernames', op.username, op.id)
  hset(B .. 'emails', op.email, op.id)
  userIndexes({username = op.username, isAdmin = op.isAdmin}, true)
end

function handlers.deleteUser(op)
  local key = B .. 'user:' .. op.id
  local oldJson = redis.call('GET', key)
  if not oldJson then return end
  local old = cjson.decode(oldJson)
  userIndexes(old, false)
  hdel(B .. 'usernames', old.username)
  hdel(B .. 'emails', old.email)
  del(key)
  log({'u', op.id})
end

function handlers.appendEvent(op)
  local m = op.member
  if redis.call('HEXISTS', B .. 'event-ids', op.id) == 1 then fail({code = 'CONFLICT', kind = 'event-exists', id = op.id}) end
  hset(B .. 'event-ids', op.id, m)
  log({'e', op.id, op.at})
  hset(B .. 'event-data', m, op.json)
  zadd(B .. 'events', m)
  zadd(B .. 'events:action:' .. op.action, m)
  if str(op.userId) then zadd(B .. 'events:user:' .. op.userId, m) end
  if str(op.resource) then zadd(B .. 'events:resource:' .. op.resource, m) end
  if str(op.repositoryId) then zadd(B .. 'events:repo:' .. op.repositoryId, m) end
  effects[#effects + 1] = {'event', op}
end

function handlers.setConfig(op)
  log({'c', op.key})
  if str(op.value) then
    hset(B .. 'config', op.key, op.value)
    zadd(B .. 'config-keys', op.key)
  else
    hdel(B .. 'config', op.key)
    zrem(B .. 'config-keys', op.key)
  end
end

function handlers.deleteConfigPrefix(op)
  for _, k in ipairs(redis.call('ZRANGEBYLEX', B .. 'config-keys', op.lo, op.hi)) do
    log({'c', k})
    hdel(B .. 'config', k)
    zrem(B .. 'config-keys', k)
  end
end

local ok, err = pcall(function()
  for _, op in ipairs(ops) do handlers[op.op](op) end
end)
if not ok then
  rollback()
  if type(err) == 'table' and err.govc then return cjson.encode(err) end
  if type(err) == 'table' and err.err then return redis.error_reply(err.err) end
  return redis.error_reply(tostring(err))
end

-- Side effects run only once every op has applied: the change log, events, statistics, notifications.
if #logged > 0 and redis.call('EXISTS', B .. 'change-followers') == 1 then
  redis.call('XADD', B .. 'change-log', '*', 'c', cjson.encode(logged))
end
for _, e in ipairs(effects) do
  if e[1] == 'publish' then
    redis.call('PUBLISH', channel, e[2])
  elseif e[1] == 'activity' then
    redis.call('ZINCRBY', B .. 'stats:activity', e[3], e[2])
  elseif e[1] == 'forget-repo' then
    redis.call('ZREM', B .. 'stats:activity', e[2])
    redis.call('DEL', B .. 'stats:users:' .. e[2])
  elseif e[1] == 'event' then
    local op = e[2]
    if streamMax > 0 then
      redis.call('XADD', B .. 'audit', 'MAXLEN', '~', streamMax, '*', 'event', op.json)
    else
      redis.call('XADD', B .. 'audit', '*', 'event', op.json)
    end
    if str(op.userId) and str(op.repositoryId) then redis.call('PFADD', B .. 'stats:users:' .. op.repositoryId, op.userId) end
    redis.call('PUBLISH', channel, '{"kind":"audit","event":' .. op.json .. '}')
  end
end
return ''
`;

/**
 * Reading an object value's header (entry-value.ts): the entry's byte count
 * and its base id in hex ('' for none). A value starting with 0x01 is an
 * entry; anything else is the older type letter + raw data.
 */
const ENTRY_HEADER = `
local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end
local function entryOf(head, len)
  if string.byte(head, 1) ~= 1 then return len - 1, '' end
  local n = string.byte(head, 10)
  return len - 10 - n, hex(string.sub(head, 11, 10 + n))
end
local function readEntry(k)
  local head = redis.call('GETRANGE', k, 0, 41)
  if head == '' then return nil end
  return entryOf(head, redis.call('STRLEN', k))
end
`;

/**
 * KEYS[1] = shard id index, KEYS[2] = shard byte counter; ARGV[1] = shard key
 * base, then id, value, replace ('1' or '0') triples. Keeps an existing value
 * unless replace. Returns, per triple, '' if the id was absent, else '=' and
 * the base (hex) the id had before.
 */
export const PUT_OBJECTS = ENTRY_HEADER + `
local delta, out = 0, {}
for i = 2, #ARGV, 3 do
  local id, v = ARGV[i], ARGV[i + 1]
  local k = ARGV[1] .. id
  local oldBytes, oldBase = readEntry(k)
  out[#out + 1] = oldBytes and ('=' .. oldBase) or ''
  if not oldBytes or ARGV[i + 2] == '1' then
    redis.call('SET', k, v)
    if oldBytes then delta = delta - oldBytes else redis.call('ZADD', KEYS[1], 0, id) end
    delta = delta + entryOf(v, #v)
  end
end
if delta ~= 0 then redis.call('INCRBY', KEYS[2], delta) end
return out
`;

/**
 * Same keys as PUT_OBJECTS; ARGV[1] = shard key base, then ids. Deletes each
 * object with its own dependents index. Returns id, base (hex) pairs of the
 * deleted deltas, whose bases' indexes still name them.
 */
export const DELETE_OBJECTS = ENTRY_HEADER + `
local bytes, out = 0, {}
for i = 2, #ARGV do
  local k = ARGV[1] .. ARGV[i]
  local n, base = readEntry(k)
  if n then
    redis.call('DEL', k, ARGV[1] .. 'deps:' .. ARGV[i])
    redis.call('ZREM', KEYS[1], ARGV[i])
    bytes = bytes + n
    if base ~= '' then out[#out + 1] = ARGV[i]; out[#out + 1] = base end
  end
end
if bytes > 0 then redis.call('DECRBY', KEYS[2], bytes) end
return out
`;

/** A consistent page of refs: KEYS[1] = names index, KEYS[2] = refs hash; ARGV = min, max, limit. Returns name, value pairs. */
export const LIST_REFS = `
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, n in ipairs(names) do
  local v = redis.call('HGET', KEYS[2], n)
  if v then out[#out + 1] = n; out[#out + 1] = v end
end
return out
`;
