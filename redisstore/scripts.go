package redisstore

import "github.com/redis/go-redis/v9"

// The scripts touch only the keys they are given, and every script that is
// given two keys gets a session key and its owner key, which share a hash
// slot (see ownerKey), so all of them run unchanged on Redis Cluster.
//
// Versions are the first 16 hex digits of SHA-1 of the stored bytes, with
// the all-zero value moved to ...01 because version 0 means "absent".
// version() in redisstore.go must compute the same thing.

// The owner key's expiry is also a promise: the session key is recorded in
// its owner's set with at least that score (indexUntil). saveScript and
// touchScript keep it when it covers the new expiry and otherwise bring it
// down to the session's own expiry and report that the set needs updating;
// only extendOwnerScript, run after that update succeeded, moves it past
// the session's expiry.

// saveScript writes ARGV[1] under KEYS[1] expiring at ARGV[2] (Unix ms) and
// records the owner ARGV[3] under KEYS[2] ("" deletes it). ARGV[4] is the
// condition: "" writes unconditionally, "0000000000000000" only when the
// key is absent, any other value only when it equals the stored version.
// ARGV[5], when not "", is the score the caller records in the owner's set
// in the same pipeline (a create), which the owner key may then promise at
// once. ARGV[6] "1" deletes both keys instead (an expiry that has passed).
// It returns 0 when the condition failed, 1 on success, and 2 on success
// when the owner's set must be updated (Store.index).
var saveScript = redis.NewScript(`
local cur = redis.call('MGET', KEYS[1], KEYS[2])
local want = ARGV[4]
if want ~= '' then
  local have = '0000000000000000'
  if cur[1] then
    have = string.sub(redis.sha1hex(cur[1]), 1, 16)
    if have == '0000000000000000' then have = '0000000000000001' end
  end
  if have ~= want then return 0 end
end
if ARGV[6] == '1' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
local user = ARGV[3]
if user == '' then
  if cur[2] then redis.call('DEL', KEYS[2]) end
  return 1
end
if cur[2] == user and redis.call('PEXPIRETIME', KEYS[2]) >= tonumber(ARGV[2]) then return 1 end
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[2], user, 'PXAT', ARGV[5])
  return 1
end
redis.call('SET', KEYS[2], user, 'PXAT', ARGV[2])
return 2
`)

// touchScript moves the expiry of KEYS[1] to ARGV[1] (Unix ms); ARGV[2] "1"
// (an expiry that has passed) deletes the owner key KEYS[2] too. It returns
// nil when the session key does not exist, the owner when the owner's set
// must be updated (the owner key did not cover ARGV[1] and now expires
// with the session), else "".
var touchScript = redis.NewScript(`
if redis.call('PEXPIREAT', KEYS[1], ARGV[1]) == 0 then return false end
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[2])
  return ''
end
local owner = redis.call('GET', KEYS[2])
if not owner or redis.call('PEXPIRETIME', KEYS[2]) >= tonumber(ARGV[1]) then return '' end
redis.call('PEXPIREAT', KEYS[2], ARGV[1])
return owner
`)

// extendOwnerScript moves the expiry of the owner key KEYS[1] up to ARGV[2]
// (Unix ms, never down) if it still names ARGV[1]: the set of that user now
// records the session until then. An owner key handed to another user
// meanwhile keeps its expiry.
var extendOwnerScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'GT')
end
return 1
`)

// deleteIfOwnerScript deletes a session key and its owner key only when the
// owner is still ARGV[1], so that a stale user-set member never deletes a
// session that now belongs to someone else. It returns 1 when a live
// session was deleted.
var deleteIfOwnerScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local n = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return n
`)

// metaScript returns {pttl, owner, server seconds, server microseconds} of
// a session key, or nil when it does not exist.
var metaScript = redis.NewScript(`
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return false end
local t = redis.call('TIME')
return {pttl, redis.call('GET', KEYS[2]) or '', t[1], t[2]}
`)

// userAddScript records member ARGV[1], expiring at ARGV[2] (Unix ms), in
// the user's sorted set KEYS[1] (score = expiry). ZADD GT only ever raises a
// score, so a member is never dropped while any write of its session that
// named this user can still be live, whatever order pipelined writes land
// in. Members whose score has passed are dropped, and the set expires with
// its highest score.
var userAddScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], top[2])
return 1
`)

// userListScript drops the members of the user's sorted set KEYS[1] whose
// score (until when each is recorded) has passed and returns the others.
var userListScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
`)

// listMetaScript is metaScript for keys found by SCAN: it also returns nil
// for a key that is not a string, which this store never wrote.
var listMetaScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return false end
local t = redis.call('TIME')
return {redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2]) or '', t[1], t[2]}
`)
