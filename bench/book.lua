-- wrk script for bench/http_load.py: POST one booking request per call, each for a different slot.
-- The slots file (BENCH_SLOTS) holds "token<TAB>json body" lines; thread k of n takes lines k, k+n, ...
-- done() prints one JSON line with the status counts and the latency percentiles (microseconds).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BENCH_SLOTS")
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  lines, next_line = {}, 1
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == id - 1 then
      local tab = line:find("\t", 1, true)
      table.insert(lines, {line:sub(1, tab - 1), line:sub(tab + 1)})
    end
    n = n + 1
  end
  c201, c409, other, wrapped = 0, 0, 0, 0
end

function request()
  local item = lines[next_line]
  next_line = next_line + 1
  if next_line > #lines then next_line = 1; wrapped = wrapped + 1 end
  return wrk.format("POST", "/api/v1/bookings",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. item[1]}, item[2])
end

function response(status, headers, body)
  if status == 201 then c201 = c201 + 1
  elseif status == 409 then c409 = c409 + 1
  else
    other = other + 1
    if other <= 3 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local s201, s409, sother, swrapped = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    s201 = s201 + thread:get("c201")
    s409 = s409 + thread:get("c409")
    sother = sother + thread:get("other")
    swrapped = swrapped + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "c201": %d, "c409": %d, "other": %d, "wrapped": %d, ' ..
    '"p50": %d, "p99": %d, "mean": %.1f, "connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}\n',
    summary.requests, summary.duration, s201, s409, sother, swrapped,
    latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status))
end
