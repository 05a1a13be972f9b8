// The token lifecycle shared by every surface: issue a pair at login, rotate
// a refresh token (with reuse detection), verify an access token, end one
// session or all of a user's. No HTTP here; time comes from the injected clock.
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import type { AuditRecord } from '../accounts/audit-repository.js'
import type { SessionsRepository, SessionView } from '../accounts/sessions-repository.js'
import type { Session, User } from '../storage/database.js'
import type { AccessClaims, AccessTokens } from './access-tokens.js'
import type { Clock } from './clock.js'
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken } from './refresh-tokens.js'
import type { RevocationList } from './revocation-list.js'
import type { ServiceEventListener } from '../service-events.js'

export interface ClientInfo {
  userAgent?: string | undefined
  ip?: string | undefined
}

export interface TokenPair {
  accessToken: string
  refreshToken: string
  /** Seconds the access token lives. */
  expiresIn: number
  user: User
}

export interface TokenServiceDeps {
  accessTokens: AccessTokens
  sessions: SessionsRepository
  revocations: RevocationList
  refreshTtlSeconds: number
  /** Seconds during which a just-rotated refresh token still yields its successor. */
  reuseIntervalSeconds: number
  clock: Clock
  onEvent?: ServiceEventListener | undefined
}

export interface EndOptions {
  /** Keep this session (the caller's own). */
  exceptSessionId?: string | undefined
  client?: ClientInfo
  /** The audit event type recorded. */
  reason?: string
}

const MAX_USER_AGENT = 512
/** Session ids are UUIDs; anything else names no session and never reaches the database. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The successor of a refresh token is derived from it with an HMAC keyed by
 * a random seed stored with the token. Every concurrent or retried rotation
 * of one token therefore yields the same successor: one lineage, and a retry
 * within the reuse interval can be answered with the token already issued
 * without the database ever holding a usable token.
 */
function successorOf (refreshToken: string, seed: string): string {
  return createHmac('sha256', seed).update(refreshToken).digest('base64url')
}

function clientAudit (client: ClientInfo | undefined) {
  return { ip: client?.ip ?? null, userAgent: client?.userAgent?.slice(0, MAX_USER_AGENT) ?? null }
}

export function createTokenService ({ accessTokens, sessions, revocations, refreshTtlSeconds, reuseIntervalSeconds, clock, onEvent = () => {} }: TokenServiceDeps) {
  function accessFor (user: User, familyId: string): string {
    return accessTokens.sign({
      userId: user.id,
      username: user.username,
      email: user.email,
      role: user.role,
      tenantId: user.tenantId,
      sessionId: familyId
    }).token
  }

  function sessionRow (user: User, familyId: string, parentId: string | null, client: ClientInfo, refreshToken = newRefreshToken()) {
    return {
      refreshToken,
      row: {
        id: randomUUID(),
        tokenHash: hashRefreshToken(refreshToken),
        successorSeed: randomBytes(32).toString('base64url'),
        familyId,
        parentId,
        userId: user.id,
        expiresAt: new Date(clock.now() + refreshTtlSeconds * 1000),
        ...clientAudit(client)
      }
    }
  }

  function pair (user: User, familyId: string, refreshToken: string): TokenPair {
    return { accessToken: accessFor(user, familyId), refreshToken, expiresIn: accessTokens.ttlSeconds, user }
  }

  function isLive (session: Session): boolean {
    return session.revokedAt === null && session.expiresAt.getTime() > clock.now()
  }

  async function findLiveSession (refreshToken: string) {
    if (!looksLikeRefreshToken(refreshToken)) return null
    const session = await sessions.findByTokenHash(hashRefreshToken(refreshToken))
    return session !== null && isLive(session) ? session : null
  }

  async function endSessions (userId: number, familyIds: string[] | undefined, options: EndOptions): Promise<number> {
    const now = new Date(clock.now())
    const accessExpiresAt = new Date(now.getTime() + accessTokens.ttlSeconds * 1000)
    const ended = await sessions.endSessions({
      userId,
      ...(familyIds !== undefined ? { familyIds } : {}),
      ...(options.exceptSessionId !== undefined ? { exceptFamilyId: options.exceptSessionId } : {}),
      now,
      accessExpiresAt,
      ...(options.reason !== undefined ? { audit: { type: options.reason, userId, sessionId: familyIds?.[0] ?? null, ...clientAudit(options.client) } } : {})
    })
    revocations.add(ended, accessExpiresAt)
    return ended.length
  }

  /** The presented token was already retired: a retry within the interval, or reuse. */
  async function rotateRetired (session: Session & { user: User }, successor: string, client: ClientInfo): Promise<TokenPair> {
    const child = await sessions.findByTokenHash(hashRefreshToken(successor))
    // Retired by a logout rather than a rotation: simply no longer valid.
    if (child === null) throw new AuthError('INVALID_REFRESH_TOKEN')
    const retiredFor = clock.now() - (session.revokedAt?.getTime() ?? 0)
    if (isLive(child) && retiredFor <= reuseIntervalSeconds * 1000) {
      onEvent('token.refreshed')
      return pair(session.user, session.familyId, successor)
    }
    // Any other reuse of a retired token: the family may be in two hands, so end it.
    const ended = await endSessions(session.userId, [session.familyId], { client, reason: 'token.reuse_detected' })
    onEvent('token.reuse_detected')
    throw new AuthError('INVALID_REFRESH_TOKEN', ended > 0 ? 'Refresh token reuse detected; the session has been ended' : undefined)
  }

  return {
    accessTtlSeconds: accessTokens.ttlSeconds,

    /**
     * Starts a new session (a refresh-token family) for an authenticated user;
     * `audit` is recorded with it (naming the session) in one transaction.
     */
    async issue (user: User, client: ClientInfo, audit: AuditRecord): Promise<TokenPair> {
      const familyId = randomUUID()
      const { refreshToken, row } = sessionRow(user, familyId, null, client)
      await sessions.create(row, new Date(clock.now()), { ...audit, sessionId: familyId })
      return pair(user, familyId, refreshToken)
    },

    /**
     * Retires the presented refresh token and returns the next pair of its
     * session. Presenting it again within the reuse interval returns the same
     * successor; any later reuse ends the whole session.
     */
    async rotate (refreshToken: string, client: ClientInfo): Promise<TokenPair> {
      if (!looksLikeRefreshToken(refreshToken)) throw new AuthError('INVALID_REFRESH_TOKEN')
      const hash = hashRefreshToken(refreshToken)
      let session = await sessions.findByTokenHash(hash)
      if (session === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      if (session.user.disabled) throw new AuthError('ACCOUNT_DISABLED')
      const successor = successorOf(refreshToken, session.successorSeed)
      if (session.revokedAt === null) {
        if (session.expiresAt.getTime() <= clock.now()) throw new AuthError('INVALID_REFRESH_TOKEN')
        const { row } = sessionRow(session.user, session.familyId, session.id, client, successor)
        const audit: AuditRecord = { type: 'token.refreshed', userId: session.userId, sessionId: session.familyId, ...clientAudit(client) }
        const rotated = await sessions.rotate(session.id, new Date(clock.now()), row, audit)
        if (rotated) {
          onEvent('token.refreshed')
          return pair(session.user, session.familyId, successor)
        }
        // A concurrent rotation won the compare-and-set: read what it left.
        session = await sessions.findByTokenHash(hash)
        if (session === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      }
      return rotateRetired(session, successor, client)
    },

    /** A new access token for a live refresh token, leaving the refresh token as it is. */
    async refreshAccess (refreshToken: string): Promise<{ accessToken: string, expiresIn: number, user: User }> {
      const session = await findLiveSession(refreshToken)
      if (session === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      if (session.user.disabled) throw new AuthError('ACCOUNT_DISABLED')
      onEvent('token.access_refreshed')
      return { accessToken: accessFor(session.user, session.familyId), expiresIn: accessTokens.ttlSeconds, user: session.user }
    },

    /** Ends the session the refresh token belongs to. Unknown or spent tokens end nothing (RFC 7009). */
    async revoke (refreshToken: string, client?: ClientInfo): Promise<number> {
      if (!looksLikeRefreshToken(refreshToken)) return 0
      const session = await sessions.findByTokenHash(hashRefreshToken(refreshToken))
      if (session === null) return 0
      return endSessions(session.userId, [session.familyId], { client, reason: 'logout' })
    },

    /** Ends every session of the user (but `exceptSessionId`); returns how many were live. */
    revokeAll: (userId: number, options: EndOptions = {}): Promise<number> =>
      endSessions(userId, undefined, { reason: 'logout_all', ...options }),

    /** Ends one session of the user; false when the user has no such live session. */
    async endSession (userId: number, sessionId: string, client?: ClientInfo): Promise<boolean> {
      if (!SESSION_ID.test(sessionId)) return false
      return (await endSessions(userId, [sessionId], { client, reason: 'session.revoked' })) > 0
    },

    listSessions: (userId: number): Promise<SessionView[]> => sessions.listLive(userId, new Date(clock.now())),

    /** The claims of a valid access token whose session has not ended. */
    verifyAccess (token: string): AccessClaims {
      const claims = accessTokens.verify(token)
      if (revocations.isRevoked(claims.sid)) throw new AuthError('UNAUTHENTICATED', 'Session ended')
      return claims
    },

    /** Whether a verified access token has used up at least `fraction` of its lifetime. */
    isPastLifeFraction (claims: AccessClaims, fraction: number): boolean {
      const now = clock.now() / 1000
      return now - claims.iat >= (claims.exp - claims.iat) * fraction
    },

    /**
     * A fresh access token for the session a verified access token belongs
     * to (sliding renewal). Null once that session has ended or its user is
     * disabled, so renewal never outlives logout or the refresh lifetime.
     */
    async renewAccess (claims: AccessClaims): Promise<{ accessToken: string, expiresIn: number } | null> {
      const session = await sessions.findLiveInFamily(claims.sid, new Date(clock.now()))
      if (session === null || session.user.disabled || String(session.userId) !== claims.sub) return null
      return { accessToken: accessFor(session.user, session.familyId), expiresIn: accessTokens.ttlSeconds }
    }
  }
}

export type TokenService = ReturnType<typeof createTokenService>
