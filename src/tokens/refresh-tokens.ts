// Refresh tokens are opaque random strings; only their SHA-256 is stored, so
// a copy of the database does not hold usable tokens.
import { createHash, createHmac } from 'node:crypto'
import { nanoid } from 'nanoid'

/**
 * 43 characters of the URL-safe alphabet, 6 bits each (258 bits) from the
 * CSPRNG. nanoid takes them from a pool it refills 128 draws at a time: a
 * synchronous randomBytes call costs 6–7 µs of CPU on its own on the
 * benchmark's machines, and a login makes two draws and a rotation one
 * (measured under rotations: 12–20 µs less a rotation).
 */
const RANDOM_LENGTH = 43

export function newRefreshToken (): string {
  return nanoid(RANDOM_LENGTH)
}

/** The key of the HMAC that derives a token's successor; stored with the token. */
export function newSuccessorSeed (): string {
  return nanoid(RANDOM_LENGTH)
}

export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * The token that replaces `token` when it is rotated: an HMAC of it under
 * the seed stored with it. Every concurrent or retried rotation of one token
 * therefore yields the same successor (one lineage), and a retry can be
 * answered with the successor already issued, although the database never
 * holds a usable token. (Someone holding both a copy of the database and a
 * token could derive its successors; neither alone suffices.)
 */
export function successorOf (token: string, seed: string): string {
  return createHmac('sha256', seed).update(token).digest('base64url')
}

/** Cheap shape check so junk never reaches the database. */
export function looksLikeRefreshToken (token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}
