// What the purge deletes of sessions, and when (storage/purge.ts runs it).
//
// What is kept, and why:
// - A live session keeps every one of its refresh tokens, retired ones
//   included, for its whole life. Reuse detection (sessions-service.ts,
//   `retired()`) looks a presented token up by its hash and ends the session
//   when the token is retired, whether or not the token has expired since: a
//   client coming back after a week away with a token someone else rotated in
//   the meantime ends that someone's session. A deleted token would only be
//   "invalid" and the session would stay in the other hands. The session's
//   absolute end (SESSION_MAX_AGE) bounds what it keeps: at most one token a
//   rotation, for that long.
// - A session that ended (logout, an administrator, reuse) or reached its
//   absolute end no longer issues anything, whatever is presented; it is kept
//   with its tokens `keepSeconds` more (REFRESH_TOKEN_TTL: by then none of its
//   tokens could have been valid anyway), so a client presenting one is still
//   told why ("session expired", "account disabled") rather than "invalid".
//   Then its tokens go, and then the session. A session that went idle
//   (SESSION_IDLE_TIMEOUT) goes the same way once it reaches its absolute end.
// - A revocation is needed while the access tokens of its session may still
//   be presented: until its `expiresAt`.
//
// Each statement deletes at most `limit` rows chosen through an index
// (sessions by expires_at and by ended_at, tokens by session_id, revocations
// by expires_at); on PostgreSQL the rows another purge is deleting are
// skipped rather than waited for.
import type { SelectQueryBuilder } from 'kysely'
import type { Clock } from '../clock.js'
import type { Db } from '../storage/database.js'
import type { Provider } from '../storage/database-url.js'
import type { PurgeStep } from '../storage/purge.js'

/** The statements, built for `cutoff` (sessions ended or expired at or before it) and `now` (revocations). */
export function sessionsPurgeStatements (db: Db, provider: Provider) {
  /** On PostgreSQL, rows another purge is deleting are skipped, not waited for. */
  const lockFree = <Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q =>
    provider === 'postgresql' ? query.forUpdate().skipLocked() as Q : query
  const spentSessions = (cutoff: Date) => db.selectFrom('sessions as s')
    .where((eb) => eb.or([eb('s.expiresAt', '<=', cutoff), eb('s.endedAt', '<=', cutoff)]))
  /**
   * The first `limit` spent sessions the indexes yield: each statement works
   * within such a window, never on every spent session at once (millions,
   * after an outage of the purge or a mass revocation), so a batch costs the
   * same whatever the backlog.
   */
  const window = (cutoff: Date, limit: number) => spentSessions(cutoff).select('s.id').limit(limit)

  return {
    /** Refresh tokens of the sessions in the window. */
    refreshTokens: (cutoff: Date, limit: number) => db.deleteFrom('refreshTokens').where('id', 'in', lockFree(
      db.selectFrom('refreshTokens as t').select('t.id').where('t.sessionId', 'in', window(cutoff, limit)).limit(limit))),

    /** Sessions of the window whose tokens are gone (so the cascade deletes nothing unbounded). */
    sessions: (cutoff: Date, limit: number) => db.deleteFrom('sessions').where('id', 'in', lockFree(
      db.selectFrom('sessions as s').select('s.id')
        .where('s.id', 'in', window(cutoff, limit))
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('refreshTokens as t').select('t.id').whereRef('t.sessionId', '=', 's.id'))))
        .limit(limit))),

    /** Revocations whose access tokens have all expired by `now`. */
    revocations: (now: Date, limit: number) => db.deleteFrom('revocations').where('id', 'in', lockFree(
      db.selectFrom('revocations').select('id').where('expiresAt', '<=', now).limit(limit)))
  }
}

export interface SessionsPurgeOptions {
  db: Db
  provider: Provider
  clock: Clock
  /** Seconds a session is kept after it ended or reached its end (REFRESH_TOKEN_TTL). */
  keepSeconds: number
}

/** The purge's steps for sessions, in order: tokens before their sessions. */
export function sessionsPurgeSteps ({ db, provider, clock, keepSeconds }: SessionsPurgeOptions): PurgeStep[] {
  const statements = sessionsPurgeStatements(db, provider)
  const cutoff = () => new Date(clock.now() - keepSeconds * 1000)
  const deleted = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows)
  return [
    { name: 'refresh_tokens', deleteBatch: async (limit) => deleted(await statements.refreshTokens(cutoff(), limit).executeTakeFirst()) },
    { name: 'sessions', deleteBatch: async (limit) => deleted(await statements.sessions(cutoff(), limit).executeTakeFirst()) },
    { name: 'revocations', deleteBatch: async (limit) => deleted(await statements.revocations(new Date(clock.now()), limit).executeTakeFirst()) }
  ]
}
