// Moves SQLite's WAL checkpoints off the event loop's thread.
//
// By default the connection that commits checkpoints: once the WAL holds
// 1,000 pages (about 100 rotations) that commit also copies the WAL into the
// database file and syncs both, on the thread that serves every request.
// Measured with the rotation's statements alone, that was ≈ 40 of ≈ 150 µs a
// rotation, and the syncs stall the instance for as long as the disk takes.
//
// Instead, a worker thread with its own connection to the file runs passive
// checkpoints, which never wait for and never block the serving connection,
// and the serving connection checkpoints by itself only past a far higher
// threshold: should the worker fall behind or fail, the WAL still stays
// bounded.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/** The serving connection's own threshold, in pages: only reached if the worker falls behind. */
export const SERVING_CHECKPOINT_PAGES = 10_000

/** How often the worker checkpoints. */
const INTERVAL_MS = 100

export interface Checkpointer {
  stop(): Promise<void>
}

// Plain JavaScript, run as the worker's script (eval), so it needs no file
// of its own in either the sources or the build. A checkpoint that fails (a
// full disk: the database file cannot grow) is tried again at the next
// interval; the worker tells when checkpoints start failing and when one
// succeeds again, not at every attempt.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.path, { timeout: workerData.timeout })
db.pragma('synchronous = ' + workerData.synchronous)
let failing = false
setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    if (failing) parentPort.postMessage({ resumed: true })
    failing = false
  } catch (err) {
    if (!failing) parentPort.postMessage({ failing: { message: err.message, code: err.code } })
    failing = true
  }
}, workerData.intervalMs)
`

/** The serving connection's settings the worker's connection shares. */
export interface CheckpointSettings {
  synchronous: 'NORMAL' | 'FULL'
  /** How long to wait for another connection's lock, ms. */
  timeout: number
}

/**
 * Starts checkpointing the SQLite file at `path` from a worker thread.
 * `onFailure` hears of a worker that stopped on an error; the serving
 * connection's own threshold then keeps the WAL bounded. `onFailing` hears
 * of checkpoints that started failing (with the first error), and of one
 * that succeeded again after them (undefined); the WAL grows meanwhile, up
 * to that same threshold.
 */
export function startCheckpointer (
  path: string,
  { synchronous, timeout }: CheckpointSettings,
  onFailure: (err: Error) => void,
  onFailing: (err: Error | undefined) => void = () => {}
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, path, synchronous, timeout, intervalMs: INTERVAL_MS } })
  // Never what keeps the process alive.
  worker.unref()
  worker.on('error', onFailure)
  const onMessage = (message: { failing?: { message: string, code?: string } }) => {
    onFailing(message.failing === undefined ? undefined : Object.assign(new Error(message.failing.message), { code: message.failing.code }))
  }
  worker.on('message', onMessage)
  return {
    async stop () {
      worker.off('error', onFailure)
      worker.off('message', onMessage)
      await worker.terminate()
    }
  }
}
