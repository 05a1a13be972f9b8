// Signs and verifies access JWTs. The algorithm, type, issuer and audience
// are fixed here and never taken from the token; time is checked against the
// injected clock so tests can expire tokens without waiting.
import { randomUUID } from 'node:crypto'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { AuthError } from '../errors.js'
import type { Clock } from './clock.js'
import type { SigningKey } from './keys.js'

export const ACCESS_TOKEN_TYPE = 'at+jwt'
const ALGORITHM = 'HS256'

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
  key: SigningKey
  issuer: string
  audience: string
  ttlSeconds: number
  clock: Clock
}

export function createAccessTokens ({ key, issuer, audience, ttlSeconds, clock }: AccessTokenOptions) {
  const signer = createSigner({
    key: key.secret,
    algorithm: ALGORITHM,
    kid: key.kid,
    header: { alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE }
  })
  const verifier = createVerifier({
    key: key.secret,
    algorithms: [ALGORITHM],
    allowedIss: issuer,
    allowedAud: audience,
    checkTyp: ACCESS_TOKEN_TYPE,
    complete: true,
    // Time is checked below against the injected clock.
    ignoreExpiration: true,
    ignoreNotBefore: true,
    cache: 10_000,
    cacheTTL: ttlSeconds * 1000
  })

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

  /** The claims of a valid access token; AuthError UNAUTHENTICATED or TOKEN_EXPIRED otherwise. */
  function verify (token: string): AccessClaims {
    let decoded: { header: Record<string, unknown>, payload: AccessClaims }
    try {
      decoded = verifier(token)
    } catch (err) {
      if (err instanceof TokenError) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
      throw err
    }
    const { header, payload } = decoded
    if (header.kid !== key.kid) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    if (typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    }
    const now = clock.now() / 1000
    if (payload.exp <= now) throw new AuthError('TOKEN_EXPIRED', 'Access token expired')
    if ((typeof payload.nbf === 'number' && payload.nbf > now) || (typeof payload.iat === 'number' && payload.iat > now + 1)) {
      throw new AuthError('UNAUTHENTICATED', 'Access token not yet valid')
    }
    return payload
  }

  return { sign, verify, ttlSeconds }
}

export type AccessTokens = ReturnType<typeof createAccessTokens>
