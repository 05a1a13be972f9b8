// Sessions are refresh-token families: a login starts one, every rotation
// adds a row pointing at its parent and retires the parent. Ending a session
// retires its live row and records a revocation so that every instance also
// refuses its access tokens (see tokens/revocation-list.ts).
import type { Provider } from '../storage/database-url.js'
import type { Database, Session, User } from '../storage/database.js'
import { auditRow, type AuditRecord } from './audit-repository.js'

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

type SessionRow = Record<string, unknown>

/** Columns of a session and its user in one row, user columns prefixed. */
const SESSION_WITH_USER = `
  s.id, s.token_hash, s.successor_seed, s.family_id, s.parent_id, s.user_id, s.expires_at, s.revoked_at,
  s.user_agent, s.ip, s.created_at, s.last_used_at,
  u.email AS u_email, u.username AS u_username, u.password_hash AS u_password_hash, u.name AS u_name,
  u.first_name AS u_first_name, u.last_name AS u_last_name, u.role AS u_role, u.tenant_id AS u_tenant_id,
  u.avatar AS u_avatar, u.disabled AS u_disabled, u.created_at AS u_created_at, u.updated_at AS u_updated_at`

function toSessionWithUser (r: SessionRow): Session & { user: User } {
  return {
    id: r.id as string,
    tokenHash: r.token_hash as string,
    successorSeed: r.successor_seed as string,
    familyId: r.family_id as string,
    parentId: r.parent_id as string | null,
    userId: Number(r.user_id),
    expiresAt: r.expires_at as Date,
    revokedAt: r.revoked_at as Date | null,
    userAgent: r.user_agent as string | null,
    ip: r.ip as string | null,
    createdAt: r.created_at as Date,
    lastUsedAt: r.last_used_at as Date,
    user: {
      id: Number(r.user_id),
      email: r.u_email as string,
      username: r.u_username as string,
      passwordHash: r.u_password_hash as string,
      name: r.u_name as string,
      firstName: r.u_first_name as string,
      lastName: r.u_last_name as string,
      role: r.u_role as string,
      tenantId: r.u_tenant_id as string | null,
      avatar: r.u_avatar as string,
      disabled: Boolean(r.u_disabled),
      createdAt: r.u_created_at as Date,
      updatedAt: r.u_updated_at as Date
    }
  }
}

export function createSessionsRepository (db: Database, provider: Provider) {
  /**
   * The refresh hot path (lookup, rotation) is written in SQL: through
   * Prisma 6.19's query builder and interactive transactions it took several
   * times as long. Everything else goes through the query builder.
   */
  async function rotateSqlite (parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<boolean> {
    const a = auditRow(audit)
    // One transaction on SQLite's single connection: changes() is the row
    // count of the statement before, so the inserts happen only if the
    // compare-and-set retired the parent.
    const [retired] = await db.$transaction([
      db.$executeRaw`UPDATE sessions SET revoked_at = ${now}, last_used_at = ${now}
        WHERE id = ${parentId} AND revoked_at IS NULL AND expires_at > ${now}`,
      db.$executeRaw`INSERT INTO sessions (id, token_hash, successor_seed, family_id, parent_id, user_id, expires_at, user_agent, ip, created_at, last_used_at)
        SELECT ${child.id}, ${child.tokenHash}, ${child.successorSeed}, ${child.familyId}, ${child.parentId}, ${child.userId}, ${child.expiresAt}, ${child.userAgent}, ${child.ip}, ${now}, ${now}
        WHERE changes() = 1`,
      db.$executeRaw`INSERT INTO audit_events (type, user_id, session_id, ip, user_agent, detail, created_at)
        SELECT ${a.type}, ${a.userId}, ${a.sessionId}, ${a.ip}, ${a.userAgent}, ${a.detail}, ${now}
        WHERE changes() = 1`
    ])
    return retired === 1
  }

  async function rotatePostgres (parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<boolean> {
    const a = auditRow(audit)
    // One statement, so one implicit transaction: each step feeds the next.
    const inserted = await db.$executeRaw`
      WITH retired AS (
        UPDATE sessions SET revoked_at = ${now}, last_used_at = ${now}
        WHERE id = ${parentId} AND revoked_at IS NULL AND expires_at > ${now}
        RETURNING id
      ), successor AS (
        INSERT INTO sessions (id, token_hash, successor_seed, family_id, parent_id, user_id, expires_at, user_agent, ip, created_at, last_used_at)
        SELECT ${child.id}, ${child.tokenHash}, ${child.successorSeed}, ${child.familyId}, ${child.parentId}, CAST(${child.userId} AS integer),
          CAST(${child.expiresAt} AS timestamp(3)), ${child.userAgent}, ${child.ip}, CAST(${now} AS timestamp(3)), CAST(${now} AS timestamp(3))
        FROM retired
        RETURNING id
      )
      INSERT INTO audit_events (type, user_id, session_id, ip, user_agent, detail, created_at)
      SELECT ${a.type}, CAST(${a.userId} AS integer), ${a.sessionId}, ${a.ip}, ${a.userAgent}, ${a.detail}, CAST(${now} AS timestamp(3))
      FROM successor`
    return inserted === 1
  }

  return {
    create: (session: NewSession): Promise<Session> => db.session.create({ data: { ...session, lastUsedAt: new Date() } }),

    async findByTokenHash (tokenHash: string): Promise<(Session & { user: User }) | null> {
      const rows = await db.$queryRawUnsafe<SessionRow[]>(
        `SELECT ${SESSION_WITH_USER} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ${provider === 'postgresql' ? '$1' : '?'}`,
        tokenHash
      )
      return rows[0] === undefined ? null : toSessionWithUser(rows[0])
    },

    /**
     * Retires `parent` and inserts its successor (and an audit event)
     * atomically. The conditional update is the compare-and-set: of
     * concurrent rotations of one token exactly one wins (true); the others
     * change nothing (false).
     */
    rotate: (parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<boolean> =>
      provider === 'postgresql' ? rotatePostgres(parentId, now, child, audit) : rotateSqlite(parentId, now, child, audit),

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
