import type { Database, Session, User } from '../storage/database.js'

export interface NewSession {
  id: string
  tokenHash: string
  familyId: string
  parentId: string | null
  userId: number
  expiresAt: Date
  userAgent: string | null
  ip: string | null
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
    rotate: (parentId: string, now: Date, child: NewSession): Promise<Session | null> =>
      db.$transaction(async (tx) => {
        const { count } = await tx.session.updateMany({
          where: { id: parentId, revokedAt: null, expiresAt: { gt: now } },
          data: { revokedAt: now, lastUsedAt: now }
        })
        if (count !== 1) return null
        return tx.session.create({ data: { ...child, createdAt: now, lastUsedAt: now } })
      }),

    /** A live row of the family (its current refresh token), with its user; null once the session has ended. */
    findLiveInFamily: (familyId: string, now: Date): Promise<(Session & { user: User }) | null> =>
      db.session.findFirst({ where: { familyId, revokedAt: null, expiresAt: { gt: now } }, include: { user: true } }),

    revokeFamily: async (familyId: string, now: Date): Promise<number> =>
      (await db.session.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } })).count,

    revokeAllForUser: async (userId: number, now: Date): Promise<number> =>
      (await db.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } })).count
  }
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>
