// Signs and verifies access JWTs. The algorithm, type, issuer and audience
// are fixed here and never taken from the token; time is checked against the
// injected clock so tests can expire tokens without waiting.
import { randomUUID } from 'node:crypto'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { LRUCache } from 'lru-cache'
import { AuthError } from '../errors.js'
import type { Clock } from './clock.js'
import type { KeySet } from './keys.js'

export const ACCESS_TOKEN_TYPE = 'at+jwt'

export interface AccessClaims {
  sub: string
  /** User id as a string, as CollectiveAccess clients read it. */
  id: string
  username: string
  email: string
  role: string
  schoolId?: string
  sid: string
  iss: string
  aud: string
  iat: number
  nbf: number
  exp: number
  jti: string
}

export interface AccessSubject {
  userId: number
  username: string
  email: string
  role: string
  tenantId: string | null
  sessionId: string
}

export interface AccessTokenOptions {
  keys: KeySet
  issuer: string
  audience: string
  ttlSeconds: number
  clock: Clock
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

export function createAccessTokens ({ keys, issuer, audience, ttlSeconds, clock }: AccessTokenOptions) {
  const { algorithm, signing } = keys
  const signer = createSigner({
    key: signing.signingKey,
    algorithm,
    kid: signing.kid,
    header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE }
  })
  // One verifier per known key, chosen by exact `kid`: the header never picks
  // the algorithm, and jku/x5u/jwk headers are never fetched or used.
  const verifiers = new Map(keys.verification.map(k => [k.kid, createVerifier({
    key: k.key,
    algorithms: [algorithm],
    allowedIss: issuer,
    allowedAud: audience,
    checkTyp: ACCESS_TOKEN_TYPE,
    complete: true,
    // Time is checked below against the injected clock.
    ignoreExpiration: true,
    ignoreNotBefore: true,
    cache: false
  })]))

  function sign (subject: AccessSubject): { token: string, claims: AccessClaims } {
    const iat = Math.floor(clock.now() / 1000)
    const claims: AccessClaims = {
      sub: String(subject.userId),
      id: String(subject.userId),
      username: subject.username,
      email: subject.email,
      role: subject.role,
      ...(subject.tenantId !== null ? { schoolId: subject.tenantId } : {}),
      sid: subject.sessionId,
      iss: issuer,
      aud: audience,
      iat,
      nbf: iat,
      exp: iat + ttlSeconds,
      jti: randomUUID()
    }
    return { token: signer(claims), claims }
  }

  // Tokens whose signature, issuer, audience, type and shape already checked
  // out: a repeat costs a map lookup instead of decoding and hashing it
  // again. Time is still checked on every call. Entries are found by the
  // signature segment, since hashing a whole token for the lookup costs more
  // than the rest of the check, and hold the whole token, which must match.
  const verified = new LRUCache<string, { token: string, claims: AccessClaims }>({ max: 10_000 })

  const signatureOf = (token: string): string => token.slice(token.lastIndexOf('.') + 1)

  function cached (token: string): AccessClaims | undefined {
    const entry = verified.get(signatureOf(token))
    return entry !== undefined && entry.token === token ? entry.claims : undefined
  }

  /** The claims of a valid access token; AuthError UNAUTHENTICATED or TOKEN_EXPIRED otherwise. */
  function verify (token: string): AccessClaims {
    const payload = cached(token) ?? verifySignature(token)
    const now = clock.now() / 1000
    if (payload.exp <= now) throw new AuthError('TOKEN_EXPIRED', 'Access token expired')
    if ((typeof payload.nbf === 'number' && payload.nbf > now) || (typeof payload.iat === 'number' && payload.iat > now + 1)) {
      throw new AuthError('UNAUTHENTICATED', 'Access token not yet valid')
    }
    return payload
  }

  function verifySignature (token: string): AccessClaims {
    const kid = headerKid(token)
    const verifier = kid === undefined ? undefined : verifiers.get(kid)
    if (verifier === undefined) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    let payload: AccessClaims
    try {
      payload = (verifier(token) as { payload: AccessClaims }).payload
    } catch (err) {
      if (err instanceof TokenError) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
      throw err
    }
    if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    }
    verified.set(signatureOf(token), { token, claims: payload })
    return payload
  }

  return { sign, verify, ttlSeconds }
}

export type AccessTokens = ReturnType<typeof createAccessTokens>
