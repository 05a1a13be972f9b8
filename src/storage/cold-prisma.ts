// The part of Prisma's client the cold paths use. Both generated clients
// (SQLite and PostgreSQL, from the same models) satisfy it as they are, which
// the compiler checks where database.ts assigns each of them, so the code
// above is written once without a cast between the two.
import type { Insertable, Selectable } from 'kysely'
import type { AuditEvent, Session, User } from '../generated/kysely/database.js'

type Row<T> = Selectable<T>

interface Range<T> { lt?: T, lte?: T, gt?: T, gte?: T }

export interface ColdPrisma {
  user: {
    create(args: { data: Omit<Insertable<User>, 'id' | 'createdAt' | 'updatedAt'> }): PromiseLike<Row<User>>
    update(args: { where: { id: number }, data: { passwordHash?: string, disabled?: boolean } }): PromiseLike<Row<User>>
    deleteMany(args: { where: { id: number } }): PromiseLike<{ count: number }>
    count(): PromiseLike<number>
  }
  session: {
    findMany(args: {
      where: {
        userId: number
        endedAt: null
        expiresAt: Range<Date>
        lastUsedAt?: Range<Date>
        OR: Array<{ refreshPolicy: string, lastUsedAt?: Range<Date> } | { refreshTokens: { some: { retiredAt: null, expiresAt: Range<Date> } } }>
      }
      orderBy: { createdAt: 'asc' | 'desc' }
    }): PromiseLike<Array<Row<Session>>>
  }
  auditEvent: {
    findMany(args: {
      where: { id?: Range<number>, type?: string, userId?: number }
      orderBy: { id: 'asc' | 'desc' }
      take: number
    }): PromiseLike<Array<Row<AuditEvent>>>
  }
  $disconnect(): Promise<void>
}
