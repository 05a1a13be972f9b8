// Access tokens at the edge: @fastify/jwt signs and verifies them with the
// rules of tokens/access-tokens.ts, one registration per known key (the
// signing key, then every verify-only key under a namespace named by its
// kid), and every surface authenticates a request through `authenticate`.
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { LRUCache } from 'lru-cache'
import type { Clock } from '../clock.js'
import { AuthError } from '../errors.js'
import { checkTimes, isAccessClaims, jwtPluginOptions, type AccessClaims, type AccessTokenRules } from '../tokens/access-tokens.js'
import type { KeySet } from '../tokens/keys.js'

/** Who an access token speaks for. */
export interface Principal {
  userId: number
  sessionId: string
  claims: AccessClaims
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The access token that authenticated the request, once a surface has checked it. */
    principal?: Principal
  }
}

export interface AccessTokenEdge {
  /** Signs access-token claims with the signing key. */
  sign (claims: AccessClaims): string
  /** The principal of a valid access token whose session has not ended; UNAUTHENTICATED or TOKEN_EXPIRED otherwise. */
  verify (token: string): Principal
  /** The principal of the request's `Authorization: Bearer` access token. */
  authenticate (request: FastifyRequest): Principal
}

export interface AccessTokenEdgeOptions {
  keys: KeySet
  rules: AccessTokenRules
  clock: Clock
  /** Whether the session's access tokens are refused (it ended). */
  isRevoked: (sessionId: string) => boolean
}

const BEARER_SCHEME = /^bearer[ \t]+/i

/**
 * The credentials of an `Authorization: Bearer <token>` header; the scheme is
 * case-insensitive. What follows the scheme is not scanned here: whoever
 * checks the token refuses anything but an exact token (a signature over
 * every character, a digest compared whole), and scanning each character of
 * a 500-character token cost 6,100 of the 100,700 instructions a
 * forward-auth request took (callgrind).
 */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const scheme = BEARER_SCHEME.exec(header)
  if (scheme === null) return undefined
  const token = header.slice(scheme[0].length).trimEnd()
  return token === '' ? undefined : token
}

/** The `kid` of a token's header, read without trusting anything else in it. */
function headerKid (token: string): string | undefined {
  const end = token.indexOf('.')
  if (end <= 0 || end > 2048) return undefined
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8')) as unknown
    const kid = (header as { kid?: unknown } | null)?.kid
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}

const namespaceOf = (kid: string) => `kid:${kid}`

type Verify = (token: string) => unknown

export async function registerAccessTokens (app: FastifyInstance, { keys, rules, clock, isRevoked }: AccessTokenEdgeOptions): Promise<AccessTokenEdge> {
  const [signing, ...verifyOnly] = keys.verification
  if (signing === undefined) throw new Error('no signing key')
  await app.register(fastifyJwt, jwtPluginOptions(keys.algorithm, keys.signing, rules))
  for (const key of verifyOnly) {
    await app.register(fastifyJwt, { ...jwtPluginOptions(keys.algorithm, key, rules), namespace: namespaceOf(key.kid) })
  }
  const jwt = app.jwt as typeof app.jwt & Record<string, { verify: Verify }>
  // One verifier per known key, chosen by exact `kid`: the header never picks the key.
  const verifiers = new Map<string, Verify>([
    [keys.signing.kid, (token) => jwt.verify(token)],
    ...verifyOnly.map(k => [k.kid, (token: string) => jwt[namespaceOf(k.kid)]?.verify(token)] as [string, Verify])
  ])

  // Tokens whose signature, issuer, audience, type and shape already checked
  // out: a repeat costs a map lookup instead of decoding and hashing it
  // again. Time and revocation are still checked on every call. Each
  // request's token is a new string, which V8 hashes in full for a lookup,
  // so entries are found by the token's last 8 characters (44 bits or more
  // of its signature; found by the whole signature, a forward-auth request
  // took ≈ 1,000 instructions more, callgrind) and hold the whole token,
  // which must match: a token ending alike is verified in full and, when
  // valid, takes the entry.
  const verified = new LRUCache<string, { token: string, principal: Principal }>({ max: 10_000 })
  const keyOf = (token: string): string => token.slice(-8)

  function verifySignature (token: string): Principal {
    const kid = headerKid(token)
    const verifier = kid === undefined ? undefined : verifiers.get(kid)
    if (verifier === undefined) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    let payload: unknown
    try {
      payload = verifier(token)
    } catch {
      throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    }
    if (!isAccessClaims(payload)) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    const principal = { userId: Number(payload.sub), sessionId: payload.sid, claims: payload }
    verified.set(keyOf(token), { token, principal })
    return principal
  }

  function verify (token: string): Principal {
    const entry = verified.get(keyOf(token))
    const principal = entry !== undefined && entry.token === token ? entry.principal : verifySignature(token)
    checkTimes(principal.claims, clock.now(), rules.clockToleranceSeconds)
    if (isRevoked(principal.sessionId)) throw new AuthError('UNAUTHENTICATED', 'Session ended')
    return principal
  }

  return {
    sign: (claims) => jwt.sign(claims),
    verify,
    authenticate (request) {
      const token = bearerToken(request.headers.authorization)
      if (token === undefined) throw new AuthError('UNAUTHENTICATED')
      return verify(token)
    }
  }
}
