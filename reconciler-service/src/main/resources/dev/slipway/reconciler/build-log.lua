-- Appends one batch of build log lines to the build's log stream, atomically and idempotently:
-- the batch's new lines become one stream entry (one XADD however many lines), and the stream is
-- trimmed to about its line limit.
--
-- KEYS[1] build hash, KEYS[2] build log stream
-- ARGV[1] log stream max lines
-- ARGV[2] the batch's first seq, ARGV[3] its last seq (its lines are numbered consecutively)
-- ARGV[4] its lines as JSON (one line of text each) joined by '\n'
-- Returns the number of lines appended.
--
-- H (hash fields), L (log entry fields), S (statuses), T (log entry types) and F (feed entry
-- fields) are generated from the Java constants by BuildScripts, which also puts closeLog here
-- (build-common.lua).
-- @constants

local hash, log = KEYS[1], KEYS[2]
local logMax = tonumber(ARGV[1])

local cur = redis.call('HMGET', hash, H.last_seq, H.log_complete, H.status, H.log_lines, H.log_expires_at)
-- The closing status entry is in: the stream ends there, whatever arrives late.
if cur[2] then
  return 0
end
local lastSeq = tonumber(cur[1]) or 0

local first, last, text = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
-- Lines already in (a redelivered or overlapping batch) are skipped.
local appended = 0
if last > lastSeq then
  if first <= lastSeq then
    local at = 0
    for _ = first, lastSeq do
      at = string.find(text, '\n', at + 1, true)
    end
    text = string.sub(text, at + 1)
    first = lastSeq + 1
  end
  appended = last - first + 1
  lastSeq = last
  redis.call('XADD', log, '*', L.type, T.log, L.first, first, L.last, last, L.lines, text)
  redis.call('HSET', hash, H.last_seq, last)

  -- Keep about logMax lines: drop the oldest log entries whose lines all fall before the newest
  -- logMax. Phase entries stay (a build has a handful); the scan passes over them.
  local cutoff = lastSeq - logMax
  local from = '-'
  while cutoff > 0 do
    local oldest = redis.call('XRANGE', log, from, '+', 'COUNT', 8)
    if #oldest == 0 then
      break
    end
    local keep = false
    for _, entry in ipairs(oldest) do
      local fields, entryLast = entry[2], nil
      for j = 1, #fields, 2 do
        if fields[j] == L.last then
          entryLast = tonumber(fields[j + 1])
        end
      end
      if entryLast and entryLast > cutoff then
        keep = true
        break
      end
      if entryLast then
        redis.call('XDEL', log, entry[1])
      end
      from = '(' .. entry[1]
    end
    if keep then
      break
    end
  end
end

-- The build finished before its last lines got here: now that they are in, close the stream.
local status = cur[3]
local terminal = status == S.succeeded or status == S.failed or status == S.cancelled
if terminal and cur[4] and lastSeq >= tonumber(cur[4]) then
  closeLog(hash, log, status, nil)
end

-- The build ended and its log has a deadline: lines arriving after the end keep it (or, in a
-- replay past the deadline, go at once).
if cur[5] then
  redis.call('PEXPIREAT', log, cur[5])
end
return appended
