// Identity handed to upstream services in response headers (forward-auth).
// Header values must be visible ASCII; emails and school ids may not be.
import type { AccessClaims } from '../tokens/access-tokens.js'

const NEEDS_ENCODING = /[^\x21-\x7e]|%/u

/**
 * The value with every character outside visible ASCII, and "%" itself,
 * percent-encoded as UTF-8, so `decodeURIComponent` restores it exactly and
 * plain ASCII values pass unchanged.
 */
export function headerSafe (value: string): string {
  if (!NEEDS_ENCODING.test(value)) return value
  return value.replace(/[^\x21-\x7e]|%/gu, (c) => {
    try {
      return encodeURIComponent(c)
    } catch {
      return '%EF%BF%BD' // a lone surrogate: U+FFFD, as TextEncoder would write it
    }
  })
}

/** X-User-Id, X-User-Email, X-User-Role and, for users with a school (tenant), X-User-School. */
export function identityHeaders (claims: AccessClaims): Record<string, string> {
  return {
    'x-user-id': claims.sub,
    'x-user-email': headerSafe(claims.email),
    'x-user-role': headerSafe(claims.role),
    ...(claims.schoolId !== undefined ? { 'x-user-school': headerSafe(claims.schoolId) } : {})
  }
}
