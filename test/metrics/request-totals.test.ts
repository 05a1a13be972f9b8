// The request totals expose exactly what prom-client's own Counter and
// Histogram would, fed the same requests one at a time.
import { Counter, Histogram, Registry } from 'prom-client'
import t from 'tap'
import { createRequestTotals } from '../../src/metrics/request-totals.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]
const NAMES = {
  counterName: 'test_requests_total',
  counterHelp: 'Requests',
  histogramName: 'test_request_duration_seconds',
  histogramHelp: 'Durations'
}

/** Method, route, status and seconds: on both sides of each bound, on a bound (buckets are `≤`), above the highest. */
const REQUESTS: Array<[string, string, number, number]> = [
  ['GET', '/auth/verify', 200, 0.0004],
  ['GET', '/auth/verify', 200, 0.001],
  ['GET', '/auth/verify', 200, 0.0011],
  ['GET', '/auth/verify', 401, 0.0002],
  ['POST', '/auth/login', 201, 0.045],
  ['POST', '/auth/login', 201, 0.1],
  ['POST', '/auth/login', 201, 3.5],
  ['GET', '/users/:id', 404, 0.02],
  ['GET', 'a "quoted" \\ route\nwith a newline', 200, 0.5]
]

function reference (requests = REQUESTS): Registry {
  const registry = new Registry()
  const labelNames = ['method', 'route', 'status_code'] as const
  const counter = new Counter({ name: NAMES.counterName, help: NAMES.counterHelp, labelNames, registers: [registry] })
  const histogram = new Histogram({ name: NAMES.histogramName, help: NAMES.histogramHelp, labelNames, buckets: BUCKETS, registers: [registry] })
  for (const [method, route, status, seconds] of requests) {
    const labels = { method, route, status_code: String(status) }
    counter.inc(labels)
    histogram.observe(labels, seconds)
  }
  return registry
}

t.test('the text Prometheus scrapes is prom-client\'s own, line for line', async (t) => {
  const registry = new Registry()
  const totals = createRequestTotals({ registry, buckets: BUCKETS, ...NAMES })
  t.equal(await registry.metrics(), await reference([]).metrics(), 'before the first request')
  for (const [method, route, status, seconds] of REQUESTS) totals.observe(method, route, status, seconds)
  const ours = await registry.metrics()
  t.equal(ours, await reference().metrics())
  t.match(ours, /^test_request_duration_seconds_bucket\{le="0.001",method="GET",route="\/auth\/verify",status_code="200"\} 2$/m, 'a bound holds what equals it')
  t.match(ours, /^test_request_duration_seconds_bucket\{le="1",method="POST",route="\/auth\/login",status_code="201"\} 2$/m, 'and not what exceeds the highest')
  t.match(ours, /^test_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/auth\/login",status_code="201"\} 3$/m)
})

t.test('a scrape does not change the totals, and later requests add to them', async (t) => {
  const registry = new Registry()
  const totals = createRequestTotals({ registry, buckets: BUCKETS, ...NAMES })
  totals.observe('GET', '/auth/verify', 200, 0.0078125)
  const first = await registry.metrics()
  t.equal(await registry.metrics(), first, 'two scrapes, the same text')
  totals.observe('GET', '/auth/verify', 200, 0.5)
  const second = await registry.metrics()
  t.match(second, /^test_requests_total\{method="GET",route="\/auth\/verify",status_code="200"\} 2$/m)
  t.match(second, /^test_request_duration_seconds_sum\{method="GET",route="\/auth\/verify",status_code="200"\} 0.5078125$/m)
  t.match(second, /^test_request_duration_seconds_bucket\{le="0.01",method="GET",route="\/auth\/verify",status_code="200"\} 1$/m)
  t.match(second, /^test_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/auth\/verify",status_code="200"\} 1$/m)
  t.match(second, /^test_request_duration_seconds_bucket\{le="1",method="GET",route="\/auth\/verify",status_code="200"\} 2$/m)
})
