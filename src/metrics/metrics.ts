// The gateway's Prometheus metrics, in a registry of its own per app (tests
// build many apps in one process). Everything here is in memory: recording
// a request or a service event never touches the database.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { ServiceEvent } from '../service-events.js'
import { createRequestTotals } from './request-totals.js'

/** Seconds; argon2 logins sit in the tens of milliseconds, token checks far below. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface MetricsSources {
  /** Password hashes waiting for an argon2 slot. */
  passwordQueueDepth: () => number
}

export function createMetrics () {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const requests = createRequestTotals({
    registry,
    buckets: LATENCY_BUCKETS,
    counterName: 'authgate_http_requests_total',
    counterHelp: 'HTTP requests answered, by method, route pattern and status code',
    histogramName: 'authgate_http_request_duration_seconds',
    histogramHelp: 'Time from receiving a request to sending its answer, by method, route pattern and status code'
  })
  const logins = new Counter({
    name: 'authgate_logins_total',
    help: 'Password logins on any surface, by outcome (succeeded or failed)',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  const refreshes = new Counter({
    name: 'authgate_token_refreshes_total',
    help: 'Successful refreshes: kind "rotation" issues a new pair, kind "access" a new access token for the same refresh token, kind "renewal" a new header token for a token in use',
    labelNames: ['kind'] as const,
    registers: [registry]
  })
  const reuse = new Counter({
    name: 'authgate_refresh_token_reuse_detections_total',
    help: 'Retired refresh tokens presented again after the reuse interval; each ends its session',
    registers: [registry]
  })
  const rateLimited = new Counter({
    name: 'authgate_rate_limited_requests_total',
    help: 'Requests refused with 429 Too Many Requests, by route pattern',
    labelNames: ['route'] as const,
    registers: [registry]
  })
  const purged = new Counter({
    name: 'authgate_purged_rows_total',
    help: 'Rows the background purge deleted, by table: spent sessions and their refresh tokens, expired revocations, audit events past AUDIT_RETENTION_DAYS',
    labelNames: ['table'] as const,
    registers: [registry]
  })
  const dependencyFailures = new Counter({
    name: 'authgate_dependency_failures_total',
    help: 'Requests that could not use a dependency (database, redis) because it was unavailable: answered 503 (database) or served by the per-instance fallback (redis)',
    labelNames: ['dependency'] as const,
    registers: [registry]
  })
  const dependencyUp = new Gauge({
    name: 'authgate_dependency_up',
    help: 'Whether a dependency (database, redis) answers, as this instance last saw it: 1 up, 0 down',
    labelNames: ['dependency'] as const,
    registers: [registry]
  })
  // Present from the first scrape, so rates and alerts work before the first event.
  for (const outcome of ['succeeded', 'failed']) logins.inc({ outcome }, 0)
  for (const kind of ['rotation', 'access', 'renewal']) refreshes.inc({ kind }, 0)
  reuse.inc(0)
  for (const table of ['refresh_tokens', 'sessions', 'revocations', 'audit_events']) purged.inc({ table }, 0)

  return {
    registry,

    /** Called once per answered request, as its answer is sent. */
    observeRequest (method: string, route: string, statusCode: number, seconds: number): void {
      requests.observe(method, route, statusCode, seconds)
      if (statusCode === 429) rateLimited.inc({ route })
    },

    /** The listener handed to the shared services. */
    onServiceEvent (event: ServiceEvent): void {
      switch (event) {
        case 'login.succeeded': logins.inc({ outcome: 'succeeded' }); break
        case 'login.failed': logins.inc({ outcome: 'failed' }); break
        case 'token.refreshed': refreshes.inc({ kind: 'rotation' }); break
        case 'token.access_refreshed': refreshes.inc({ kind: 'access' }); break
        case 'token.renewed': refreshes.inc({ kind: 'renewal' }); break
        case 'token.reuse_detected': reuse.inc(); break
      }
    },

    /** Rows a purge batch deleted from a table. */
    onPurged (table: string, rows: number): void {
      purged.inc({ table }, rows)
    },

    /** A dependency the instance uses (`database`, `redis`), with its counter and state present from the first scrape. */
    dependency (name: string) {
      dependencyFailures.inc({ dependency: name }, 0)
      dependencyUp.set({ dependency: name }, 1)
      return {
        failed: () => { dependencyFailures.inc({ dependency: name }) },
        changed: (up: boolean) => { dependencyUp.set({ dependency: name }, up ? 1 : 0) }
      }
    },

    /** Gauges read at scrape time from the services they describe. */
    watch (sources: MetricsSources): void {
      const depth = new Gauge({
        name: 'authgate_password_hash_queue_depth',
        help: 'Password hashes (argon2id) waiting for a free slot (ARGON2_CONCURRENCY)',
        registers: [registry],
        collect () { this.set(sources.passwordQueueDepth()) }
      })
      depth.set(0)
    }
  }
}

export type Metrics = ReturnType<typeof createMetrics>
