-- Applies one build event to the build projection, atomically and idempotently.
--
-- KEYS[1] build hash, KEYS[2] build log stream, KEYS[3] builds sorted set, KEYS[4] feed stream
-- ARGV[1] build id
-- ARGV[2] status the event moves the build to, '' for none
-- ARGV[3] phase the event reports, '' for none
-- ARGV[4] '1' when a phase change gets a phase entry in the log stream
-- ARGV[5] event time, fixed-width ISO-8601 (string order is time order)
-- ARGV[6] event time in epoch ms, the build list score
-- ARGV[7] '1' when the score replaces the build's current one (queued)
-- ARGV[8] log lines the build published (terminal events), '' when unknown
-- ARGV[9] feed max entries
-- ARGV[10] how long the log stream stays after the build ended, ms; 0 keeps it for good
-- ARGV[11..] field, value pairs for the hash
-- (The log stream is trimmed by lines in the log script; its phase and status entries are few.)
-- Returns 1 when the event changed the projection's status or phase, 0 otherwise.
--
-- H (hash fields), L (log entry fields), S (statuses), T (log entry types) and F (feed entry
-- fields) are generated from the Java constants by BuildScripts, which also puts closeLog here
-- (build-common.lua).
-- @constants

local hash, log, builds, feed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, status, phase, phaseEntry = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local at, score, rescore, logLines = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local feedMax, retention = ARGV[9], tonumber(ARGV[10])

local RANK = { [S.queued] = 1, [S.running] = 2, [S.succeeded] = 3, [S.failed] = 3, [S.cancelled] = 3 }

-- Byte order, independent of the server's locale (Lua compares strings with strcoll).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

local cur = redis.call('HMGET', hash, H.status, H.phase, H.updated_at, H.last_seq)
local curStatus, curPhase, updatedAt, lastSeq = cur[1], cur[2], cur[3], tonumber(cur[4]) or 0
local curRank = RANK[curStatus or ''] or 0

-- A finished build stays finished: late, replayed or duplicate events change nothing.
if curRank == 3 then
  return 0
end
local terminal = RANK[status] == 3
-- An event older than what the projection already shows is a redelivery: applying it again
-- could bring back an earlier phase. Terminal events always apply (a builder's clock may lag).
if not terminal and updatedAt and before(at, updatedAt) then
  return 0
end

local set = { H.id, id }
if not updatedAt or before(updatedAt, at) then
  table.insert(set, H.updated_at)
  table.insert(set, at)
end
for i = 11, #ARGV, 2 do
  table.insert(set, ARGV[i])
  table.insert(set, ARGV[i + 1])
end

local newStatus = curStatus
local statusChanged = false
if status ~= '' and RANK[status] > curRank then
  newStatus = status
  statusChanged = true
  table.insert(set, H.status)
  table.insert(set, status)
end
local newPhase = curPhase
local phaseChanged = false
if phase ~= '' and phase ~= curPhase then
  newPhase = phase
  phaseChanged = true
  table.insert(set, H.phase)
  table.insert(set, phase)
end
if terminal and logLines ~= '' then
  table.insert(set, H.log_lines)
  table.insert(set, logLines)
end
redis.call('HSET', hash, unpack(set))

if rescore == '1' then
  redis.call('ZADD', builds, score, id)
else
  redis.call('ZADD', builds, 'NX', score, id)
end

if phaseChanged and phaseEntry == '1' then
  redis.call('XADD', log, '*', L.type, T.phase, L.phase, phase, L.time, at)
end

-- The status entry closes the log stream, so it waits until every line the build published is
-- in; when the last lines arrive after this event, the log script appends it.
if terminal and statusChanged and (logLines == '' or lastSeq >= tonumber(logLines)) then
  closeLog(hash, log, status, at)
end

-- The log stream goes a retention after the build ended: at once when a replay reaches a build
-- that ended longer ago. Lines still to come get the same deadline from the log script.
if terminal and statusChanged and retention > 0 then
  local expiresAt = string.format('%.0f', tonumber(score) + retention)
  redis.call('HSET', hash, H.log_expires_at, expiresAt)
  redis.call('PEXPIREAT', log, expiresAt)
end

if statusChanged or phaseChanged then
  local entry = { F.kind, F.kind_build, F.id, id }
  if newStatus then
    table.insert(entry, F.status)
    table.insert(entry, newStatus)
  end
  if newPhase then
    table.insert(entry, F.phase)
    table.insert(entry, newPhase)
  end
  table.insert(entry, F.time)
  table.insert(entry, at)
  redis.call('XADD', feed, 'MAXLEN', '~', feedMax, '*', unpack(entry))
  return 1
end
return 0
