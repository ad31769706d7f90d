-- Functions the build projection's scripts share; BuildScripts puts them after the constants.

-- Closes a build's log stream: appends its status entry, with the reason, message and end time the
-- build hash holds (the end time falls back to `time`), and marks the log complete, so that lines
-- arriving later stay out.
local function closeLog(hash, log, status, time)
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
  local finished = detail[3] or time
  if finished then
    table.insert(entry, L.time)
    table.insert(entry, finished)
  end
  redis.call('XADD', log, '*', unpack(entry))
  redis.call('HSET', hash, H.log_complete, 'true')
end
