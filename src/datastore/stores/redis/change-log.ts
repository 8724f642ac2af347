/**
 * The follower side of the Redis change log: a stream `{prefix}:change-log`
 * in the control slot, appended by the APPLY script in the same script as the
 * write (lua.ts), while the hash `{prefix}:change-followers` is not empty.
 * Objects live in other slots: their puts are logged by the APPLY that runs
 * right after they are stored (with the write's refs when it has any), their
 * deletes by one that runs right after they are deleted. A position is a
 * stream id; XTRIM MINID drops what every follower has applied.
 */
import { type ChangeLog, type ChangeLogPage, type LoggedChange } from '../../change-log.js';
import type { Client } from './connection.js';
import type { RedisKeys } from './keys.js';

/**
 * KEYS: followers hash, log stream, trimmed-below key. ARGV: name, now (ms).
 * Returns the head id; an emptied stream's head is where it was trimmed.
 */
const REGISTER = `
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local head = redis.call('GET', KEYS[3]) or '0-0'
if #last > 0 then head = last[1][1] end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({position = head, at = tonumber(ARGV[2])}))
return head
`;

/**
 * KEYS: followers hash, log stream, trimmed-below key. ARGV: name (or '' to
 * only trim), position, now (ms), retention (ms), drop ('1' removes the follower).
 */
const ACKNOWLEDGE = `
local function parse(id) local ms, seq = string.match(id, '^(%d+)-(%d+)$'); return tonumber(ms), tonumber(seq) end
local function less(a, b) local am, as = parse(a); local bm, bs = parse(b); return am < bm or (am == bm and as < bs) end
local now = tonumber(ARGV[3])
if ARGV[1] == '' then
  -- a retention pass: no follower acknowledges
elseif ARGV[5] == '1' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  local old = redis.call('HGET', KEYS[1], ARGV[1])
  local pos = ARGV[2]
  if old then local o = cjson.decode(old).position; if less(pos, o) then pos = o end end
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({position = pos, at = now}))
end
local min = nil
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f = cjson.decode(all[i + 1])
  if now - f.at > tonumber(ARGV[4]) then redis.call('HDEL', KEYS[1], all[i])
  elseif min == nil or less(f.position, min) then min = f.position end
end
if min == nil then
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  if #last == 0 then return 0 end
  redis.call('XTRIM', KEYS[2], 'MAXLEN', 0)
  min = last[1][1]
else
  redis.call('XTRIM', KEYS[2], 'MINID', min)
end
local below = redis.call('GET', KEYS[3])
if not below or less(below, min) then redis.call('SET', KEYS[3], min) end
return 1
`;

/** Stream ids compare as (ms, seq). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

type Wire = ['o' | 'R' | 'u' | 'c', string] | ['r', string, string] | ['e', string, number];

function toChange(w: Wire): LoggedChange | undefined {
  switch (w[0]) {
    case 'o':
      return { kind: 'object', id: w[1] };
    case 'R':
      return { kind: 'repository', id: w[1] };
    case 'u':
      return { kind: 'user', id: w[1] };
    case 'c':
      return { kind: 'config', key: w[1] };
    case 'r':
      return { kind: 'ref', repositoryId: w[1], name: w[2] };
    case 'e':
      return { kind: 'event', id: w[1], timestamp: w[2] };
    default:
      return undefined;
  }
}

export class RedisChangeLog implements ChangeLog {
  readonly changeLogName = 'the stream {prefix}:change-log (appended by the write script)';
  private blocking: Client | undefined;
  private readonly followers: string;
  private readonly log: string;
  private readonly trimmedBelow: string;

  constructor(
    private readonly client: Client,
    keys: RedisKeys,
    private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>,
    /** A new connection (lazily connecting), for blocking reads. */
    private readonly newClient: () => Client,
    private readonly retentionMs: number,
  ) {
    this.followers = `${keys.control}change-followers`;
    this.log = `${keys.control}change-log`;
    this.trimmedBelow = `${keys.control}change-log-trimmed-below`;
  }

  registerFollower(name: string): Promise<string> {
    return this.guard(async () => String(await this.client.eval(REGISTER, 3, this.followers, this.log, this.trimmedBelow, name, Date.now())));
  }

  readChanges(after: string, limit: number): Promise<ChangeLogPage | undefined> {
    return this.guard(async () => {
      const below = await this.client.get(this.trimmedBelow);
      if (below !== null && compareIds(after, below) < 0) return undefined;
      const entries = await this.client.xrange(this.log, `(${after}`, '+', 'COUNT', limit);
      const changes: LoggedChange[] = [];
      for (const [, fields] of entries) {
        const text = fields[fields.indexOf('c') + 1];
        // cjson writes an empty list as {}
        const list = text.startsWith('[') ? (JSON.parse(text) as Wire[]) : [];
        for (const w of list) {
          const c = toChange(w);
          if (c) changes.push(c);
        }
      }
      return { changes, position: entries.length > 0 ? entries[entries.length - 1][0] : after };
    });
  }

  acknowledge(name: string, position: string): Promise<void> {
    return this.trim(name, position, false);
  }

  dropFollower(name: string): Promise<void> {
    return this.trim(name, '0-0', true);
  }

  enforceRetention(): Promise<void> {
    return this.trim('', '0-0', false);
  }

  private trim(name: string, position: string, drop: boolean): Promise<void> {
    return this.guard(async () => {
      await this.client.eval(ACKNOWLEDGE, 3, this.followers, this.log, this.trimmedBelow, name, position, Date.now(), this.retentionMs, drop ? '1' : '0');
    });
  }

  waitForChanges(after: string, timeoutMs: number): Promise<boolean> {
    return this.guard(async () => {
      // a connection of its own: a blocking read would hold up every other command
      const blocking = (this.blocking ??= this.newClient());
      return (await blocking.xread('COUNT', 1, 'BLOCK', Math.max(1, timeoutMs), 'STREAMS', this.log, after)) !== null;
    });
  }

  close(): void {
    this.blocking?.disconnect();
    this.blocking = undefined;
  }
}
