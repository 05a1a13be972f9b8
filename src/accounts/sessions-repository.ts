// Sessions are refresh-token families: a login starts one, every rotation
// adds a row pointing at its parent and retires the parent. Ending a session
// retires its live row and records a revocation so that every instance also
// refuses its access tokens (see tokens/revocation-list.ts).
import type { Database, Session, User } from '../storage/database.js'
import { toDate, toNullableDate, type Row, type Sql, type SqliteSql } from '../storage/sql.js'
import { auditRow, auditValues, INSERT_AUDIT, type AuditRecord } from './audit-repository.js'
import { toUser, userColumns } from './users-repository.js'

export interface NewSession {
  id: string
  tokenHash: string
  successorSeed: string
  familyId: string
  parentId: string | null
  userId: number
  expiresAt: Date
  userAgent: string | null
  ip: string | null
}

/** A live session as its owner or an administrator sees it. */
export interface SessionView {
  id: string
  userAgent: string | null
  ip: string | null
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
}

export interface EndSessions {
  userId: number
  /** Only these families; all of the user's when absent. */
  familyIds?: string[]
  /** Never this family (the caller's own session). */
  exceptFamilyId?: string
  now: Date
  /** When the ended sessions' last access tokens expire; their revocations can go then. */
  accessExpiresAt: Date
  audit?: AuditRecord
}

/** Columns of a session and its user in one row, user columns prefixed. */
const SESSION_WITH_USER = `SELECT s.id, s.token_hash, s.successor_seed, s.family_id, s.parent_id, s.user_id, s.expires_at, s.revoked_at,
  s.user_agent, s.ip, s.created_at, s.last_used_at, ${userColumns('u', 'u_')}
  FROM sessions s JOIN users u ON u.id = s.user_id`

function toSessionWithUser (r: Row): Session & { user: User } {
  return {
    id: r.id as string,
    tokenHash: r.token_hash as string,
    successorSeed: r.successor_seed as string,
    familyId: r.family_id as string,
    parentId: r.parent_id as string | null,
    userId: Number(r.user_id),
    expiresAt: toDate(r.expires_at),
    revokedAt: toNullableDate(r.revoked_at),
    userAgent: r.user_agent as string | null,
    ip: r.ip as string | null,
    createdAt: toDate(r.created_at),
    lastUsedAt: toDate(r.last_used_at),
    user: toUser(r, 'u_')
  }
}

const INSERT_SESSION = `INSERT INTO sessions (id, token_hash, successor_seed, family_id, parent_id, user_id, expires_at, user_agent, ip, created_at, last_used_at)`

function sessionValues (s: NewSession, now: Date): unknown[] {
  return [s.id, s.tokenHash, s.successorSeed, s.familyId, s.parentId, s.userId, s.expiresAt, s.userAgent, s.ip, now, now]
}

/**
 * The refresh and login paths (lookup, rotation, a new session) are plain SQL
 * through the driver (see storage/sql.ts). Everything else goes through
 * Prisma's query builder.
 */
export function createSessionsRepository (db: Database, sql: Sql) {
  async function rotateSqlite (sqlite: SqliteSql, parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<boolean> {
    // One transaction, and nothing else runs on the connection meanwhile, so
    // the inserts follow only a compare-and-set that retired the parent.
    const [retired] = await sqlite.batch([
      ['UPDATE sessions SET revoked_at = ?, last_used_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ?', [now, now, parentId, now]],
      [`${INSERT_SESSION} SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`, sessionValues(child, now)],
      [`${INSERT_AUDIT} SELECT ?, ?, ?, ?, ?, ?, ? WHERE changes() = 1`, auditValues(audit, now)]
    ])
    return retired === 1
  }

  async function rotatePostgres (parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<boolean> {
    // One statement, so one implicit transaction: each step feeds the next.
    const inserted = await sql.execute(`
      WITH retired AS (
        UPDATE sessions SET revoked_at = CAST(? AS timestamp(3)), last_used_at = CAST(? AS timestamp(3))
        WHERE id = ? AND revoked_at IS NULL AND expires_at > CAST(? AS timestamp(3))
        RETURNING id
      ), successor AS (
        ${INSERT_SESSION}
        SELECT ?, ?, ?, ?, ?, CAST(? AS integer), CAST(? AS timestamp(3)), ?, ?, CAST(? AS timestamp(3)), CAST(? AS timestamp(3))
        FROM retired
        RETURNING id
      )
      ${INSERT_AUDIT}
      SELECT ?, CAST(? AS integer), ?, ?, ?, ?, CAST(? AS timestamp(3))
      FROM successor`, [now, now, parentId, now, ...sessionValues(child, now), ...auditValues(audit, now)])
    return inserted === 1
  }

  return {
    /** Inserts a session and, in the same transaction, the audit event of its start. */
    async create (session: NewSession, now: Date, audit: AuditRecord): Promise<void> {
      if (sql.provider === 'sqlite') {
        await (sql as SqliteSql).batch([
          [`${INSERT_SESSION} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sessionValues(session, now)],
          [`${INSERT_AUDIT} VALUES (?, ?, ?, ?, ?, ?, ?)`, auditValues(audit, now)]
        ])
      } else {
        // One statement: one round trip and one commit.
        await sql.execute(`
          WITH started AS (
            ${INSERT_SESSION}
            VALUES (?, ?, ?, ?, ?, CAST(? AS integer), CAST(? AS timestamp(3)), ?, ?, CAST(? AS timestamp(3)), CAST(? AS timestamp(3)))
            RETURNING id
          )
          ${INSERT_AUDIT}
          SELECT ?, CAST(? AS integer), ?, ?, ?, ?, CAST(? AS timestamp(3))
          FROM started`, [...sessionValues(session, now), ...auditValues(audit, now)])
      }
    },

    async findByTokenHash (tokenHash: string): Promise<(Session & { user: User }) | null> {
      const [row] = await sql.rows(`${SESSION_WITH_USER} WHERE s.token_hash = ?`, [tokenHash])
      return row === undefined ? null : toSessionWithUser(row)
    },

    /**
     * Retires `parent` and inserts its successor (and an audit event)
     * atomically. The conditional update is the compare-and-set: of
     * concurrent rotations of one token exactly one wins (true); the others
     * change nothing (false).
     */
    rotate: (parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<boolean> =>
      sql.provider === 'sqlite' ? rotateSqlite(sql as SqliteSql, parentId, now, child, audit) : rotatePostgres(parentId, now, child, audit),

    /** A live row of the family (its current refresh token), with its user; null once the session has ended. */
    findLiveInFamily: (familyId: string, now: Date): Promise<(Session & { user: User }) | null> =>
      db.session.findFirst({ where: { familyId, revokedAt: null, expiresAt: { gt: now } }, include: { user: true } }),

    /** The user's live sessions, oldest first, each with the time its family began. */
    async listLive (userId: number, now: Date): Promise<SessionView[]> {
      const live = await db.session.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: now } },
        orderBy: { createdAt: 'asc' }
      })
      if (live.length === 0) return []
      const starts = await db.session.groupBy({
        by: ['familyId'],
        where: { familyId: { in: live.map(s => s.familyId) } },
        _min: { createdAt: true }
      })
      const startOf = new Map(starts.map(s => [s.familyId, s._min.createdAt]))
      return live.map(s => ({
        id: s.familyId,
        userAgent: s.userAgent,
        ip: s.ip,
        createdAt: startOf.get(s.familyId) ?? s.createdAt,
        lastUsedAt: s.lastUsedAt,
        expiresAt: s.expiresAt
      }))
    },

    /**
     * Ends live sessions of a user and records their revocations (and an
     * audit event) in one transaction. Returns the ended family ids.
     */
    endSessions: ({ userId, familyIds, exceptFamilyId, now, accessExpiresAt, audit }: EndSessions): Promise<string[]> =>
      db.$transaction(async (tx) => {
        const where = {
          userId,
          revokedAt: null,
          ...(familyIds !== undefined ? { familyId: { in: familyIds } } : {}),
          ...(exceptFamilyId !== undefined ? { NOT: { familyId: exceptFamilyId } } : {})
        }
        const live = await tx.session.findMany({ where, select: { familyId: true } })
        const ended = [...new Set(live.map(s => s.familyId))]
        if (ended.length > 0) {
          await tx.session.updateMany({ where, data: { revokedAt: now } })
          await tx.revocation.createMany({ data: ended.map(sessionId => ({ sessionId, expiresAt: accessExpiresAt, createdAt: now })) })
        }
        if (audit !== undefined) await tx.auditEvent.create({ data: { ...auditRow({ ...audit, detail: { ...audit.detail, sessions: ended.length } }), createdAt: now } })
        return ended
      })
  }
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>
