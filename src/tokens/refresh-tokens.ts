// Refresh tokens are opaque random strings; only their SHA-256 is stored, so
// a copy of the database does not hold usable tokens.
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { nanoid } from 'nanoid'

/**
 * 43 characters of the URL-safe alphabet, 6 bits each (258 bits) from the
 * CSPRNG. nanoid takes them from a pool it refills 128 draws at a time: a
 * synchronous randomBytes call costs 6–7 µs of CPU on its own on the
 * benchmark's machines, and a login makes one draw.
 */
const RANDOM_LENGTH = 43

export function newRefreshToken (): string {
  return nanoid(RANDOM_LENGTH)
}

export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** A key for successorOf: 256 bits from the CSPRNG. */
export function newSuccessorKey (): string {
  return randomBytes(32).toString('base64url')
}

/**
 * The token that replaces `token` when it is rotated: an HMAC of it under
 * the fleet's successor key (kept in the database). Every concurrent or
 * retried rotation of one token, on any instance, therefore yields the same
 * successor (one lineage), and a retry can be answered with the successor
 * already issued, although the database never holds a usable token. And it
 * is known before the token is even looked up, which lets PostgreSQL look
 * up and rotate in one statement. (Someone holding both a copy of the
 * database and a token could derive its successors; neither alone suffices.)
 */
export function successorOf (token: string, key: string): string {
  return createHmac('sha256', key).update(token).digest('base64url')
}

/** Cheap shape check so junk never reaches the database. */
export function looksLikeRefreshToken (token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}
