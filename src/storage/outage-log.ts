// What the log says while a dependency (the database, Redis) is away: one
// warning when it goes, then at most one line every `summaryEveryMs` with the
// number of requests it failed meanwhile, and one line when it is back. An
// outage would otherwise write a warning per failed request (dozens a
// second per instance) and per background poll, burying everything else.
// Counting and the up/down state are handed to listeners (the metrics).
import type { Clock } from '../clock.js'

/** The two pino methods used; the app's logger fits. */
export interface OutageLogger {
  warn (fields: object, message: string): void
  info (fields: object, message: string): void
}

export interface OutageLogOptions {
  /** How the dependency is named in the log and the metrics: `database`, `redis`. */
  dependency: string
  log: OutageLogger
  clock: Clock
  /** While it is down, at most one summary line this often. */
  summaryEveryMs?: number
  /** What the instance does meanwhile, said once in the first line: "logins are throttled in this instance's memory". */
  meanwhile?: string
  /** Each operation that failed (or fell back) for want of the dependency: a request, a Redis command. */
  onFailure?: () => void
  /** The dependency went (false) or came back (true). */
  onChange?: (up: boolean) => void
}

export const SUMMARY_EVERY_MS = 10_000

export function createOutageLog ({ dependency, log, clock, summaryEveryMs = SUMMARY_EVERY_MS, meanwhile, onFailure, onChange }: OutageLogOptions) {
  let down = false
  let since = 0
  /** When the last line about this outage was written. */
  let lastLine = 0
  /** Failures since that line, and since the outage began. */
  let unreported = 0
  let total = 0

  const seconds = (ms: number) => Math.round(ms / 100) / 10

  function begin (err: unknown, now: number): void {
    down = true
    since = now
    lastLine = now
    unreported = 0
    total = 0
    const suffix = meanwhile !== undefined ? `; ${meanwhile}` : ''
    log.warn({ dependency, err }, `${dependency} unavailable${suffix}`)
    onChange?.(false)
  }

  function summariseIfDue (now: number): void {
    if (unreported === 0 || now - lastLine < summaryEveryMs) return
    log.warn({ dependency, failures: unreported, downForSeconds: seconds(now - since) },
      `${dependency} still unavailable: ${unreported} operations could not use it in the last ${seconds(now - lastLine)} s`)
    lastLine = now
    unreported = 0
  }

  return {
    /** Whether the dependency is taken to be answering. */
    get up (): boolean { return !down },

    /** An operation (a request, a Redis command) failed or fell back because the dependency is unavailable: counted, and logged as above. */
    failed (err: unknown): void {
      onFailure?.()
      const now = clock.now()
      if (!down) begin(err, now)
      unreported++
      total++
      summariseIfDue(now)
    },

    /** Background evidence it is gone (a poll, a probe, a dropped connection): logged as above, never counted. */
    lost (err: unknown): void {
      const now = clock.now()
      if (!down) begin(err, now)
      else summariseIfDue(now)
    },

    /** It answered again. */
    recovered (): void {
      if (!down) return
      down = false
      const now = clock.now()
      log.info({ dependency, failures: total, downForSeconds: seconds(now - since) },
        `${dependency} is back after ${seconds(now - since)} s; ${total} operations could not use it meanwhile`)
      onChange?.(true)
    }
  }
}

export type OutageLog = ReturnType<typeof createOutageLog>
