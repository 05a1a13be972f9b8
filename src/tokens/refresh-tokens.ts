// Refresh tokens are opaque random strings; only their SHA-256 is stored, so
// a copy of the database does not hold usable tokens.
import { createHash, randomBytes } from 'node:crypto'

/** 256 bits from the CSPRNG, URL-safe. */
export function newRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Cheap shape check so junk never reaches the database. */
export function looksLikeRefreshToken (token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}
