// Deletes rows nothing needs any more, in the background, on every instance.
// Each kind of row is a step that deletes at most `batchSize` rows per
// statement; a step runs again while its last batch was full, with a pause in
// between, so a purge never holds the database (SQLite's one writer, or
// PostgreSQL's row locks) for long and requests get their turn. Steps are
// idempotent: several instances purging one database at once delete each row
// once and wait for each other at worst (PostgreSQL skips rows another purge
// holds; SQLite takes writers one at a time).
import { setTimeout as sleep } from 'node:timers/promises'

export interface PurgeStep {
  /** What the step deletes (a table), for metrics and logs. */
  name: string
  /** Deletes at most `limit` rows; returns how many went. */
  deleteBatch (limit: number): Promise<number>
}

export interface PurgeOptions {
  steps: PurgeStep[]
  /** Milliseconds between two purges; each wait is drawn within ±20 % so instances started together spread out. */
  intervalMs: number
  /** Rows deleted per statement at most. */
  batchSize?: number
  /** Milliseconds between two batches of one step. */
  pauseMs?: number
  /** Rows a batch deleted, by step. */
  onPurged?: (step: string, rows: number) => void
  /** A purge failed; the next one retries. */
  onError?: (err: unknown) => void
}

export const PURGE_BATCH_SIZE = 1000
/** Rows per purge statement on SQLite: a few milliseconds of the event loop each. */
export const SQLITE_PURGE_BATCH_SIZE = 200
export const PURGE_PAUSE_MS = 50
/**
 * The pause after a batch is at least this many times as long as the batch
 * took: the purge keeps the database (and, on SQLite, the event loop) busy at
 * most 1/20 of the time however large its backlog, so requests barely notice
 * it; a backlog still drains at thousands of rows a second.
 */
const IDLE_PER_BUSY = 19

export function createPurge ({ steps, intervalMs, batchSize = PURGE_BATCH_SIZE, pauseMs = PURGE_PAUSE_MS, onPurged = () => {}, onError = () => {} }: PurgeOptions) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> | undefined
  let stopped = false

  /**
   * Every step until it has nothing left; returns the rows deleted by step.
   * The steps run again, in order, while one of them still deleted a full
   * batch: a step may only reach rows an earlier one freed (sessions once
   * their tokens are gone), a window at a time.
   */
  async function run (): Promise<Record<string, number>> {
    const purged: Record<string, number> = Object.fromEntries(steps.map(step => [step.name, 0]))
    for (let again = true; again && !stopped;) {
      again = false
      for (const step of steps) {
        for (;;) {
          if (stopped) break
          const started = performance.now()
          const rows = await step.deleteBatch(batchSize)
          const took = performance.now() - started
          purged[step.name] = (purged[step.name] ?? 0) + rows
          if (rows > 0) onPurged(step.name, rows)
          if (rows < batchSize) break
          again = true
          if (pauseMs > 0) await sleep(Math.max(pauseMs, took * IDLE_PER_BUSY))
        }
      }
    }
    return purged
  }

  function schedule (): void {
    const wait = intervalMs * (0.8 + Math.random() * 0.4)
    timer = setTimeout(() => {
      running = run().catch(onError).finally(() => {
        running = undefined
        if (!stopped) schedule()
      })
    }, wait).unref()
  }

  return {
    run,

    /** Purges every `intervalMs` or so from now on. */
    start (): void {
      stopped = false
      schedule()
    },

    /** No purge starts any more; resolves once the one under way (if any) has stopped. */
    async stop (): Promise<void> {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      await running
    }
  }
}

export type Purge = ReturnType<typeof createPurge>
