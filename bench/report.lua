-- Appended to every scenario: prints one JSON line with the figures the
-- benchmark reads (wrk's own summary is for people).
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('BENCH {"requests":%d,"seconds":%.3f,"errors":%d,"non2xx":%d,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
