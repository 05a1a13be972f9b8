// The rules of access tokens: which claims they carry, how long they live,
// and with which options @fastify/jwt signs and verifies them (the plugin is
// registered at the edge, src/http/access-tokens.ts). The algorithm, type,
// issuer and audience are fixed here and never taken from a token; time is
// checked against the injected clock, so tests expire tokens without waiting.
import { randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import type { Algorithm, SigningKey, VerificationKey } from './keys.js'

export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** Claims a token must carry to be considered at all. */
export const REQUIRED_CLAIMS = ['iss', 'aud', 'exp', 'sub', 'sid'] as const

export interface AccessClaims {
  sub: string
  /** User id as a string, as CollectiveAccess clients read it. */
  id: string
  username: string
  email: string
  role: string
  schoolId?: string
  /** The session (refresh-token family) the token belongs to. */
  sid: string
  /** When the session's login happened (OpenID Connect's auth_time), seconds. */
  auth_time: number
  iss: string
  aud: string
  iat: number
  nbf: number
  exp: number
  jti: string
}

/** Whom a token is for. */
export interface AccessSubject {
  userId: number
  username: string
  email: string
  role: string
  tenantId: string | null
}

/** The session a token is issued in. */
export interface AccessSession {
  id: string
  /** The login. */
  createdAt: Date
  /** The session's absolute end: no token outlives it. */
  expiresAt: Date
}

export interface AccessTokenRules {
  issuer: string
  audience: string
  ttlSeconds: number
  /** Seconds the clocks of two instances may differ by; see checkTimes. */
  clockToleranceSeconds: number
}

/**
 * The claims of a token issued at `now` (ms). It expires after the
 * configured lifetime or at the session's end, whichever comes first; null
 * once the session has ended.
 */
export function accessClaims (subject: AccessSubject, session: AccessSession, now: number, rules: AccessTokenRules): AccessClaims | null {
  const iat = Math.floor(now / 1000)
  const exp = Math.min(iat + rules.ttlSeconds, Math.floor(session.expiresAt.getTime() / 1000))
  if (exp <= iat) return null
  return {
    sub: String(subject.userId),
    id: String(subject.userId),
    username: subject.username,
    email: subject.email,
    role: subject.role,
    ...(subject.tenantId !== null ? { schoolId: subject.tenantId } : {}),
    sid: session.id,
    auth_time: Math.floor(session.createdAt.getTime() / 1000),
    iss: rules.issuer,
    aud: rules.audience,
    iat,
    nbf: iat,
    exp,
    jti: randomUUID()
  }
}

/** Whether a verified payload has the claims the gateway relies on, of the right types. */
export function isAccessClaims (payload: unknown): payload is AccessClaims {
  const p = payload as Partial<Record<keyof AccessClaims, unknown>> | null
  return typeof p === 'object' && p !== null &&
    typeof p.sub === 'string' && /^[1-9][0-9]{0,9}$/.test(p.sub) &&
    typeof p.sid === 'string' && typeof p.exp === 'number' &&
    typeof p.iss === 'string' && typeof p.aud === 'string'
}

/**
 * Throws unless the token is valid at `now` (ms). Expiry is exact; a token
 * that is not yet valid by up to `clockToleranceSeconds` passes, since it may
 * come from an instance whose clock runs a little ahead.
 */
export function checkTimes (claims: AccessClaims, now: number, clockToleranceSeconds: number): void {
  const seconds = now / 1000
  if (claims.exp <= seconds) throw new AuthError('TOKEN_EXPIRED', 'Access token expired')
  const latest = seconds + clockToleranceSeconds
  if ((typeof claims.nbf === 'number' && claims.nbf > latest) || (typeof claims.iat === 'number' && claims.iat > latest)) {
    throw new AuthError('UNAUTHENTICATED', 'Access token not yet valid')
  }
}

/** @fastify/jwt's options for one key: it signs (the signing key) or only verifies. */
export function jwtPluginOptions (algorithm: Algorithm, key: SigningKey | VerificationKey, rules: AccessTokenRules) {
  const signs = 'signingKey' in key
  return {
    secret: algorithm === 'HS256'
      ? key.key
      : { public: key.key, ...(signs ? { private: key.signingKey } : {}) },
    ...(signs ? { sign: { algorithm, kid: key.kid, header: { alg: algorithm, typ: ACCESS_TOKEN_TYPE } } } : {}),
    verify: {
      // The header never picks the algorithm; jku, x5u and jwk headers are never fetched or used.
      algorithms: [algorithm],
      allowedIss: rules.issuer,
      allowedAud: rules.audience,
      checkTyp: ACCESS_TOKEN_TYPE,
      requiredClaims: [...REQUIRED_CLAIMS],
      // Time is checked by checkTimes, against the injected clock.
      ignoreExpiration: true,
      ignoreNotBefore: true,
      // Verified tokens are cached at the edge, by signature, with the verdict on their shape.
      cache: false,
      errorCacheTTL: -1
    }
  }
}
