// Sessions, shared by every surface: a login starts one; it is refreshed by
// the one policy it started with; it ends by logout, by an administrator, by
// reuse of a retired refresh token, or by time. No HTTP here; time comes
// from the injected clock.
//
// Every session has an absolute end (SESSION_MAX_AGE after its login) that
// nothing moves, and optionally an idle timeout (SESSION_IDLE_TIMEOUT, from
// its last refresh or renewal). Its policy is fixed when it starts:
//   rotating  REST: each refresh retires the presented token and returns its
//             successor; a retired token presented again, on any surface,
//             ends the session unless it is a retry (see retired());
//   reusable  the GraphQL refresh operations: the refresh token stays, as
//             their documented clients expect;
//   sliding   header tokens (seed 004's loginUser): no refresh token; an
//             access token past half its life is renewed while in use.
import { randomUUID } from 'node:crypto'
import { random } from 'nanoid'
import { v7 as uuidv7 } from 'uuid'
import type { AuditRecord, ClientInfo } from '../audit/audit-record.js'
import type { Clock } from '../clock.js'
import { AuthError } from '../errors.js'
import type { ServiceEventListener } from '../service-events.js'
import { accessClaims, type AccessClaims, type AccessTokenRules } from '../tokens/access-tokens.js'
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken, newSuccessorKey, successorOf } from '../tokens/refresh-tokens.js'
import type { RevocationList } from './revocation-list.js'
import type { Liveness, NewRefreshToken, SessionsStore, SessionUser, StoredSession, TokenInSession, UserChange } from './sessions-store.js'

export const REFRESH_POLICIES = ['rotating', 'reusable', 'sliding'] as const
export type RefreshPolicy = typeof REFRESH_POLICIES[number]

export interface SessionSettings {
  access: AccessTokenRules
  /** Lifetime of one refresh token, seconds (never past the session's end). */
  refreshTtlSeconds: number
  /** Seconds during which a just-rotated refresh token still yields its successor, while that successor is unused. */
  reuseIntervalSeconds: number
  /** The absolute lifetime of a session, seconds from its login. */
  maxAgeSeconds: number
  /** Seconds without a refresh or renewal after which a session ends; undefined: none. */
  idleTimeoutSeconds?: number | undefined
}

export interface SessionsDeps {
  store: SessionsStore
  revocations: RevocationList
  /** Signs access-token claims (the edge's @fastify/jwt). */
  signAccessToken: (claims: AccessClaims) => string
  clock: Clock
  settings: SessionSettings
  onEvent?: ServiceEventListener | undefined
}

/** A new access token. */
export interface AccessGrant {
  accessToken: string
  /** Seconds the access token lives. */
  expiresIn: number
}

export interface Started extends AccessGrant {
  sessionId: string
  /** Absent for sliding sessions. */
  refreshToken: string | undefined
}

export interface TokenPair extends AccessGrant {
  refreshToken: string
}

export interface Refreshed extends AccessGrant {
  user: SessionUser
}

/** A session as its owner or an administrator sees it. */
export interface SessionSummary {
  id: string
  userAgent: string | null
  ip: string | null
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
}

export interface EndOptions {
  /** Keep this session (the caller's own). */
  exceptSessionId?: string | undefined
  /** Who asked, when someone authenticated did. */
  actorId?: number | undefined
  client?: ClientInfo | undefined
  /** The audit event recorded. */
  reason?: string
  /** The change to the user that ends the sessions, made with their end or not at all; NOT_FOUND when the user is gone. */
  userChange?: UserChange
}

const ROTATING_ELSEWHERE = 'This session rotates its refresh tokens: exchange it at POST /auth/refresh-token'
const REUSABLE_ELSEWHERE = 'This refresh token does not rotate: exchange it with the /graphql refreshToken mutation or the /service/Auth refresh query'
const REUSE_DETECTED = 'Refresh token reuse detected; the session has been ended'
const TOO_OLD = 'Session expired; log in again'
const IDLE = 'Session ended after a period of inactivity; log in again'

/** Session ids are UUIDs; anything else names no session and never reaches the database. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The name of the key successorOf derives a refresh token's successor under. */
const SUCCESSOR_KEY = 'refresh-token-successor'

/** Sessions known not to be sliding, so renewal asks the database once about each. */
const NOT_RENEWABLE_CAPACITY = 10_000

/**
 * A refresh token's row id: a UUIDv7, ordered by time to the millisecond,
 * so each new row's key lands at the end of the primary-key index instead
 * of on a random page of it. On a grown database a random key dirtied one
 * more page a rotation (on SQLite 3,178 against 3,482 rotations a second in
 * alternating pairs on 5,000,000 tokens). The id never leaves the server.
 * Its random bits come from nanoid's pool: uuid draws 16 bytes from the
 * CSPRNG for every id, 5 µs of CPU against 0.4 µs (ids within one
 * millisecond are then in random order, which keeps them at the index's end).
 */
const tokenId = (): string => uuidv7({ random: random(16) })

export function createSessions ({ store, revocations, signAccessToken, clock, settings, onEvent = () => {} }: SessionsDeps) {
  const { access } = settings
  const notRenewable = new Set<string>()
  let successorKeyRead: Promise<string> | undefined

  /** The successor of `token`, under the fleet's key: read (or made) once; again after a failed read. */
  async function successorFor (token: string): Promise<string> {
    successorKeyRead ??= store.gatewayKey(SUCCESSOR_KEY, newSuccessorKey(), new Date(clock.now())).catch((err: unknown) => {
      successorKeyRead = undefined
      throw err
    })
    return successorOf(token, await successorKeyRead)
  }

  function liveness (now: number): Liveness {
    return {
      now: new Date(now),
      idleBefore: settings.idleTimeoutSeconds !== undefined ? new Date(now - settings.idleTimeoutSeconds * 1000) : undefined
    }
  }

  /** Refuses a session past its absolute end or idle too long, saying so. */
  function assertLive (session: StoredSession, now: number): void {
    const { idleBefore } = liveness(now)
    if (session.expiresAt.getTime() <= now) throw new AuthError('SESSION_EXPIRED', TOO_OLD)
    if (idleBefore !== undefined && session.lastUsedAt <= idleBefore) throw new AuthError('SESSION_EXPIRED', IDLE)
  }

  /** An access token for the user in the session at `now`; SESSION_EXPIRED once the session has no time left. */
  function grant (user: SessionUser, session: Pick<StoredSession, 'id' | 'createdAt' | 'expiresAt'>, now: number): AccessGrant {
    const claims = accessClaims({ userId: user.id, username: user.username, email: user.email, role: user.role, tenantId: user.tenantId }, session, now, access)
    if (claims === null) throw new AuthError('SESSION_EXPIRED', TOO_OLD)
    return { accessToken: signAccessToken(claims), expiresIn: claims.exp - claims.iat }
  }

  /** When a refresh token issued at `now` expires: its TTL later, never after its session's end (`sessionEnd`, when known). */
  function refreshTokenEnd (now: number, sessionEnd?: Date): Date {
    const end = now + settings.refreshTtlSeconds * 1000
    return new Date(sessionEnd === undefined ? end : Math.min(end, sessionEnd.getTime()))
  }

  async function find (refreshToken: string): Promise<TokenInSession> {
    return checked(looksLikeRefreshToken(refreshToken) ? await store.findByTokenHash(hashRefreshToken(refreshToken)) : null)
  }

  /** The token found, if it may refresh anything at all. */
  function checked (found: TokenInSession | null): TokenInSession {
    if (found === null) throw new AuthError('INVALID_REFRESH_TOKEN')
    // Said to whoever holds a token of the account, whether or not its sessions have ended since.
    if (found.user.disabled) throw new AuthError('ACCOUNT_DISABLED')
    // A session that ended (logout, an administrator, reuse) refreshes nothing, whatever its policy.
    if (found.session.endedAt !== null) throw new AuthError('INVALID_REFRESH_TOKEN')
    return found
  }

  async function end (userId: number, sessionIds: string[] | undefined, options: EndOptions): Promise<number> {
    const now = clock.now()
    // Tokens issued until now may be presented until they expire, and an instance whose clock runs ahead may accept them a little longer.
    const revokeUntil = new Date(now + (access.ttlSeconds + access.clockToleranceSeconds) * 1000)
    const ended = await store.end({
      userId,
      sessionIds,
      exceptSessionId: options.exceptSessionId,
      now: new Date(now),
      revokeUntil,
      userChange: options.userChange,
      audit: (endedIds) => ({
        type: options.reason ?? 'logout_all',
        userId,
        actorId: options.actorId ?? null,
        sessionId: sessionIds?.[0] ?? null,
        client: options.client,
        detail: { sessions: endedIds.length }
      })
    })
    // Only with a change to the user: the one it was read as is gone.
    if (ended === null) throw new AuthError('NOT_FOUND', 'No such user')
    revocations.add(ended, revokeUntil)
    return ended.length
  }

  /**
   * A retired token of a rotating session: a retry, or reuse.
   *
   * A retry is the retired token again, within the reuse interval, while its
   * successor has never been used (never rotated itself): the answer is that
   * same successor, the one the chain already has, never a second one. This is
   * what a client does whose answer was lost (several tabs, a dropped
   * connection, a gateway killed after committing the rotation and restarted
   * before the client tried again), so none of these ends a session.
   *
   * It gives a thief nothing the client lacks: the answer is the successor
   * the chain already has, so a thief presenting a stolen retired token and
   * the real client end up holding one chain, never two. The other party
   * then has to present each token the one rotates within the interval and
   * before its successor is used; any presentation that misses (the token
   * retired longer ago than the interval, or its successor already rotated)
   * is reuse and ends the session. A thief cannot see when the client
   * rotates, and a token it rotates first makes the client's next refresh,
   * normally an access-token lifetime later, reuse: detection comes later,
   * by about one rotation, but is not lost. Once the successor has been used,
   * a retired token is reuse at once, whatever the interval.
   */
  async function retired ({ token, session, user }: TokenInSession, successor: string, client: ClientInfo, answerRetry: boolean): Promise<TokenPair> {
    const now = clock.now()
    const retiredFor = now - (token.retiredAt?.getTime() ?? 0)
    if (retiredFor <= settings.reuseIntervalSeconds * 1000) {
      const child = await store.findByTokenHash(hashRefreshToken(successor))
      const unused = child !== null && child.token.retiredAt === null && child.token.expiresAt.getTime() > now
      if (unused) {
        // A retry, but at an endpoint that never rotates: say where to go, end nothing.
        if (!answerRetry) throw new AuthError('WRONG_REFRESH_ENDPOINT', ROTATING_ELSEWHERE)
        onEvent('token.refreshed')
        return { ...grant(user, session, now), refreshToken: successor }
      }
    }
    // Any other presentation of a retired token: the session may be in two hands, so end it.
    const ended = await end(session.userId, [session.id], { client, reason: 'token.reuse_detected' })
    onEvent('token.reuse_detected')
    throw new AuthError('INVALID_REFRESH_TOKEN', ended > 0 ? REUSE_DETECTED : undefined)
  }

  return {
    /**
     * Starts a session for an authenticated user. `audit` (the login) is
     * recorded with it, naming it, in one transaction.
     */
    async start (user: SessionUser, policy: RefreshPolicy, client: ClientInfo, audit: AuditRecord): Promise<Started> {
      const now = clock.now()
      const session = {
        id: randomUUID(),
        userId: user.id,
        refreshPolicy: policy,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
        ip: client.ip ?? null,
        createdAt: new Date(now),
        lastUsedAt: new Date(now),
        expiresAt: new Date(now + settings.maxAgeSeconds * 1000),
        endedAt: null
      }
      const refreshToken = policy === 'sliding' ? undefined : newRefreshToken()
      const token: NewRefreshToken | null = refreshToken === undefined
        ? null
        : { id: tokenId(), sessionId: session.id, tokenHash: hashRefreshToken(refreshToken), parentId: null, createdAt: session.createdAt, expiresAt: refreshTokenEnd(now, session.expiresAt) }
      await store.start(session, token, { ...audit, sessionId: session.id }, session.createdAt)
      return { ...grant(user, session, now), sessionId: session.id, refreshToken }
    },

    /**
     * REST refresh: retires the presented token and returns the next pair of
     * its session. The same token again, within the reuse interval and while
     * its successor is unused, returns that successor; any other reuse ends
     * the session.
     */
    async rotate (refreshToken: string, client: ClientInfo): Promise<TokenPair> {
      if (!looksLikeRefreshToken(refreshToken)) throw new AuthError('INVALID_REFRESH_TOKEN')
      const successor = await successorFor(refreshToken)
      const now = clock.now()
      const { found, rotated } = await store.rotate({
        tokenHash: hashRefreshToken(refreshToken),
        successor: { id: tokenId(), tokenHash: hashRefreshToken(successor), expiresAt: refreshTokenEnd(now) },
        liveness: liveness(now),
        audit: { type: 'token.refreshed', client }
      })
      if (rotated && found !== null) {
        onEvent('token.refreshed')
        return { ...grant(found.user, found.session, now), refreshToken: successor }
      }
      // Nothing rotated: say why, from the token as it was found.
      let current = checked(found)
      if (current.session.refreshPolicy !== 'rotating') throw new AuthError('WRONG_REFRESH_ENDPOINT', REUSABLE_ELSEWHERE)
      assertLive(current.session, now)
      if (current.token.retiredAt === null) {
        if (current.token.expiresAt.getTime() <= now) throw new AuthError('INVALID_REFRESH_TOKEN')
        // A concurrent rotation won the compare-and-set, or the session stopped being live: read what is left.
        current = await find(refreshToken)
        assertLive(current.session, now)
        if (current.token.retiredAt === null) throw new AuthError('INVALID_REFRESH_TOKEN')
      }
      return await retired(current, successor, client, true)
    },

    /**
     * GraphQL refresh: a new access token for a refresh token of a reusable
     * session, which stays as it is. Marks the session used.
     */
    async refresh (refreshToken: string, client: ClientInfo): Promise<Refreshed> {
      const found = await find(refreshToken)
      const { token, session, user } = found
      if (session.refreshPolicy === 'rotating') {
        if (token.retiredAt !== null) await retired(found, await successorFor(refreshToken), client, false)
        throw new AuthError('WRONG_REFRESH_ENDPOINT', ROTATING_ELSEWHERE)
      }
      const now = clock.now()
      assertLive(session, now)
      if (token.retiredAt !== null || token.expiresAt.getTime() <= now) throw new AuthError('INVALID_REFRESH_TOKEN')
      if (!await store.touch(session.id, liveness(now))) throw new AuthError('INVALID_REFRESH_TOKEN')
      onEvent('token.access_refreshed')
      return { ...grant(user, session, now), user }
    },

    /**
     * A fresh access token for the sliding session `claims` belong to (header
     * tokens). Null for any other session, and once the session has ended,
     * gone idle or reached its end: renewal never outlives any of these.
     */
    async renew (claims: Pick<AccessClaims, 'sid' | 'sub'>): Promise<AccessGrant | null> {
      if (notRenewable.has(claims.sid)) return null
      const found = await store.findSession(claims.sid)
      if (found === null || found.session.refreshPolicy !== 'sliding') {
        if (notRenewable.size >= NOT_RENEWABLE_CAPACITY) notRenewable.clear()
        notRenewable.add(claims.sid)
        return null
      }
      const { session, user } = found
      const now = clock.now()
      if (String(user.id) !== claims.sub || user.disabled || session.endedAt !== null) return null
      try {
        assertLive(session, now)
      } catch {
        return null
      }
      if (!await store.touch(session.id, liveness(now))) return null
      onEvent('token.renewed')
      return grant(user, session, now)
    },

    /** Ends the session the refresh token belongs to. Unknown or spent tokens end nothing (RFC 7009). */
    async endByRefreshToken (refreshToken: string, client?: ClientInfo): Promise<number> {
      if (!looksLikeRefreshToken(refreshToken)) return 0
      const found = await store.findByTokenHash(hashRefreshToken(refreshToken))
      if (found === null || found.session.endedAt !== null) return 0
      return await end(found.session.userId, [found.session.id], { client, reason: 'logout' })
    },

    /** Ends every session of the user (but `exceptSessionId`); returns how many were live. */
    endAll: async (userId: number, options: EndOptions = {}): Promise<number> =>
      await end(userId, undefined, { reason: 'logout_all', ...options }),

    /** Ends one session of the user; false when the user has no such live session. */
    async endOne (userId: number, sessionId: string, options: EndOptions = {}): Promise<boolean> {
      if (!SESSION_ID.test(sessionId)) return false
      return (await end(userId, [sessionId], { reason: 'session.revoked', ...options })) > 0
    },

    /** The user's live sessions, oldest first. */
    async list (userId: number): Promise<SessionSummary[]> {
      const now = clock.now()
      const sessions = await store.listLive(userId, liveness(now), new Date(now - access.ttlSeconds * 1000))
      return sessions.map(s => ({ id: s.id, userAgent: s.userAgent, ip: s.ip, createdAt: s.createdAt, lastUsedAt: s.lastUsedAt, expiresAt: s.expiresAt }))
    },

    /** Whether access tokens of the session are refused (it ended, here or on another instance). */
    isRevoked: (sessionId: string): boolean => revocations.isRevoked(sessionId),

    accessTtlSeconds: access.ttlSeconds
  }
}

export type Sessions = ReturnType<typeof createSessions>
