// Sessions are refresh-token families: a login starts one, every rotation
// adds a row pointing at its parent and retires the parent. Ending a session
// retires its live row and records a revocation so that every instance also
// refuses its access tokens (see tokens/revocation-list.ts).
import type { Database, Session, User } from '../storage/database.js'

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

export interface AuditRecord {
  type: string
  userId?: number | null
  sessionId?: string | null
  ip?: string | null
  userAgent?: string | null
  detail?: Record<string, unknown>
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

export function auditRow (record: AuditRecord) {
  return {
    type: record.type,
    userId: record.userId ?? null,
    sessionId: record.sessionId ?? null,
    ip: record.ip ?? null,
    userAgent: record.userAgent ?? null,
    detail: JSON.stringify(record.detail ?? {})
  }
}

export function createSessionsRepository (db: Database) {
  return {
    create: (session: NewSession): Promise<Session> => db.session.create({ data: { ...session, lastUsedAt: new Date() } }),

    findByTokenHash: (tokenHash: string): Promise<(Session & { user: User }) | null> =>
      db.session.findUnique({ where: { tokenHash }, include: { user: true } }),

    /**
     * Retires `parent` and inserts its successor in one transaction. The
     * conditional update is the compare-and-set: of concurrent rotations of
     * one token exactly one sees a live row; the others get null.
     */
    rotate: (parentId: string, now: Date, child: NewSession, audit: AuditRecord): Promise<Session | null> =>
      db.$transaction(async (tx) => {
        const { count } = await tx.session.updateMany({
          where: { id: parentId, revokedAt: null, expiresAt: { gt: now } },
          data: { revokedAt: now, lastUsedAt: now }
        })
        if (count !== 1) return null
        const created = await tx.session.create({ data: { ...child, createdAt: now, lastUsedAt: now } })
        await tx.auditEvent.create({ data: { ...auditRow(audit), createdAt: now } })
        return created
      }),

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
