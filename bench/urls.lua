-- wrk script: cycles through the URL paths in the file named by the first script argument,
-- starting at a random place, so each connection walks the same random set. At the end it prints the
-- latency percentiles wrk keeps but does not show (p95), for bench/search.ts.
local paths = {}
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  io.write(string.format("PERCENTILES p50=%.3f p95=%.3f p99=%.3f requests=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
