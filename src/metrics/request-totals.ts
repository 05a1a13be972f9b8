// Counts and times every answered request by method, route pattern and
// status code, and hands the totals to Prometheus when it scrapes.
//
// prom-client's Counter and Histogram build a string key from the labels at
// every call and check the label names each time (≈ 570 and ≈ 930 ns a
// call): fed that way, the metrics took a sixth of a forward-auth request's
// instructions (callgrind, docs/benchmark.md). Here a request
// finds its series through three Map lookups and adds to plain numbers; the
// label sets exist once per series, and prom-client meets them only at the
// scrape, which formats them as it does its own metrics.
import { Counter, type Registry } from 'prom-client'

interface Series {
  labels: { method: string, route: string, status_code: string }
  count: number
  /** Seconds, summed. */
  sum: number
  /** Observations in each bucket (not cumulative); the last counts those above the highest bound. */
  buckets: number[]
}

export interface RequestTotalsOptions {
  registry: Registry
  /** Upper bounds of the duration histogram's buckets, in seconds, ascending. */
  buckets: readonly number[]
  counterName: string
  counterHelp: string
  histogramName: string
  histogramHelp: string
}

export interface RequestTotals {
  observe (method: string, route: string, statusCode: number, seconds: number): void
}

export function createRequestTotals (options: RequestTotalsOptions): RequestTotals {
  const { registry, buckets } = options
  const byMethod = new Map<string, Map<string, Map<number, Series>>>()
  const all: Series[] = []

  function seriesOf (method: string, route: string, statusCode: number): Series {
    let byRoute = byMethod.get(method)
    if (byRoute === undefined) byMethod.set(method, byRoute = new Map())
    let byStatus = byRoute.get(route)
    if (byStatus === undefined) byRoute.set(route, byStatus = new Map())
    let series = byStatus.get(statusCode)
    if (series === undefined) {
      series = { labels: { method, route, status_code: String(statusCode) }, count: 0, sum: 0, buckets: new Array<number>(buckets.length + 1).fill(0) }
      byStatus.set(statusCode, series)
      all.push(series)
    }
    return series
  }

  // prom-client's own Counter, given the totals at each scrape through its collect().
  new Counter({
    name: options.counterName,
    help: options.counterHelp,
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const series of all) this.inc(series.labels, series.count)
    }
  })
  registry.registerMetric(durationHistogram(options.histogramName, options.histogramHelp, buckets, all))

  return {
    observe (method, route, statusCode, seconds) {
      const series = seriesOf(method, route, statusCode)
      series.count += 1
      series.sum += seconds
      let bucket = 0
      for (const bound of buckets) {
        if (seconds <= bound) break
        bucket++
      }
      series.buckets[bucket] = (series.buckets[bucket] ?? 0) + 1
    }
  }
}

/**
 * A histogram in the shape prom-client's registry reads from its own
 * (`get()`: name, help, type and the samples with their labels), built from
 * the totals: prom-client's Histogram takes observations one at a time and
 * has no way to be handed totals.
 */
function durationHistogram (name: string, help: string, bounds: readonly number[], all: readonly Series[]) {
  const bucketName = `${name}_bucket`
  const shape = { name, help, type: 'histogram', aggregator: 'sum' } as const
  const histogram = {
    ...shape,
    async get () {
      const values = []
      for (const series of all) {
        let below = 0
        bounds.forEach((le, i) => {
          below += series.buckets[i] ?? 0
          values.push({ metricName: bucketName, labels: { le, ...series.labels }, value: below })
        })
        values.push({ metricName: bucketName, labels: { le: '+Inf', ...series.labels }, value: series.count })
        values.push({ metricName: `${name}_sum`, labels: series.labels, value: series.sum })
        values.push({ metricName: `${name}_count`, labels: series.labels, value: series.count })
      }
      return { ...shape, values }
    },
    // Totals since the process started, like the counter's, which its collect() rebuilds from them.
    reset () {}
  }
  // The registry types its metrics as prom-client's own classes; it reads no more than the above.
  return histogram as unknown as Parameters<Registry['registerMetric']>[0]
}
