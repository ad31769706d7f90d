-- Appends one batch of build log lines to the build's log stream, atomically and idempotently.
--
-- KEYS[1] build hash, KEYS[2] build log stream
-- ARGV[1] log stream max entries
-- ARGV[2..] four per line, in sequence order: seq, time, stream (stdout/stderr/system), text
-- Returns the number of lines appended.
--
-- H (hash fields), L (log entry fields), S (statuses), T (log entry types) and F (feed entry
-- fields) are generated from the Java constants by BuildScripts.
-- @constants

local hash, log = KEYS[1], KEYS[2]
local logMax = ARGV[1]

local cur = redis.call('HMGET', hash, H.last_seq, H.log_complete, H.status, H.log_lines)
-- The closing status entry is in: the stream ends there, whatever arrives late.
if cur[2] then
  return 0
end
local lastSeq = tonumber(cur[1]) or 0

local appended = 0
for i = 2, #ARGV, 4 do
  local seq = tonumber(ARGV[i])
  -- Lines already in (a redelivered or republished batch) are skipped.
  if seq > lastSeq then
    redis.call('XADD', log, 'MAXLEN', '~', logMax, '*', L.type, T.log, L.seq, ARGV[i],
      L.time, ARGV[i + 1], L.stream, ARGV[i + 2], L.text, ARGV[i + 3])
    lastSeq = seq
    appended = appended + 1
  end
end
if appended > 0 then
  redis.call('HSET', hash, H.last_seq, lastSeq)
end

-- The build finished before its last lines got here: now that they are in, close the stream.
local status = cur[3]
local terminal = status == S.succeeded or status == S.failed or status == S.cancelled
if terminal and cur[4] and lastSeq >= tonumber(cur[4]) then
  local entry = { L.type, T.status, L.status, status }
  local detail = redis.call('HMGET', hash, H.reason, H.message, H.finished_at)
  if detail[1] then
    table.insert(entry, L.reason)
    table.insert(entry, detail[1])
  end
  if detail[2] then
    table.insert(entry, L.message)
    table.insert(entry, detail[2])
  end
  table.insert(entry, L.time)
  table.insert(entry, detail[3])
  redis.call('XADD', log, 'MAXLEN', '~', logMax, '*', unpack(entry))
  redis.call('HSET', hash, H.log_complete, 'true')
end
return appended
