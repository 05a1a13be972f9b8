// Recognises failures that mean "the database cannot be reached right now"
// or "cannot be written right now" (as opposed to a fault in a query), so
// every surface can answer 503 and the client can retry, instead of 500. The
// pool reconnects by itself and a disk given room is written again, so
// nothing else is needed for recovery.
import { AuthError } from '../errors.js'

/** Prisma's codes for an unreachable, refusing or overloaded server. */
const PRISMA_CODES = new Set(['P1000', 'P1001', 'P1002', 'P1003', 'P1008', 'P1017', 'P2024'])

/** Driver-adapter error kinds with the same meaning (SQLITE_BUSY arrives as SocketTimeout). */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable', 'DatabaseDoesNotExist', 'DatabaseAccessDenied', 'AuthenticationFailed',
  'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError'
])

/** PostgreSQL SQLSTATEs: admin or crash shutdown, server starting up, too many connections, a full disk. Class 08 is checked apart. */
const POSTGRES_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53100'])

/** Messages of node-postgres and of the socket layer, which carry no code the adapter maps. */
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not currently accepting connections|ECONNREFUSED|ECONNRESET|EPIPE|database is locked/i

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'SQLITE_BUSY'])

/**
 * SQLite cannot write its files: the disk is full, they or their folder went
 * read-only, or the disk failed (better-sqlite3's codes, extended ones
 * included: SQLITE_IOERR_WRITE …). What needs a write waits for an operator
 * to make room; reads and forward-auth go on.
 */
const SQLITE_STORAGE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)(_|$)/

interface Shape {
  code?: unknown
  kind?: unknown
  originalCode?: unknown
  message?: unknown
  cause?: unknown
  meta?: { driverAdapterError?: unknown }
}

function looksUnavailable (e: Shape): boolean {
  if (typeof e.code === 'string' && (PRISMA_CODES.has(e.code) || SOCKET_CODES.has(e.code) || POSTGRES_STATES.has(e.code) || e.code.startsWith('08') || SQLITE_STORAGE.test(e.code))) return true
  if (typeof e.originalCode === 'string' && (POSTGRES_STATES.has(e.originalCode) || e.originalCode.startsWith('08'))) return true
  if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true
  return typeof e.message === 'string' && MESSAGES.test(e.message)
}

/** Whether `err` (a Prisma, driver-adapter, node-postgres or socket error) means the database is unavailable. */
export function isDatabaseUnavailable (err: unknown): boolean {
  // Prisma wraps the adapter's error in `meta.driverAdapterError`, the adapter its driver's in `cause`.
  const seen = new Set<unknown>()
  const queue: unknown[] = [err]
  while (queue.length > 0) {
    const e = queue.shift()
    if (typeof e !== 'object' || e === null || seen.has(e)) continue
    seen.add(e)
    const shape = e as Shape
    if (looksUnavailable(shape)) return true
    queue.push(shape.cause, shape.meta?.driverAdapterError)
  }
  return false
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable; try again shortly'

/** The catalogue's UNAVAILABLE for a database outage, for surfaces to word in their own shape. */
export function databaseUnavailable (): AuthError {
  return new AuthError('UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE)
}
