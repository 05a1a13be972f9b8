// Users: looked up by a unique key on the login and authenticated-read paths
// (Kysely), written by administrators (Prisma).
import type { Selectable } from 'kysely'
import { LRUCache } from 'lru-cache'
import type { User as UserTable } from '../generated/kysely/database.js'
import type { Database } from '../storage/database.js'

export type User = Selectable<UserTable>

export interface NewUser {
  email: string
  username: string
  passwordHash: string
  name: string
  firstName: string
  lastName: string
  role: string
  tenantId: string | null
  avatar: string
}

/**
 * How long a user read for an authenticated request may be reused. Ending
 * sessions (disable, delete, password change) reaches access tokens through
 * the revocation list, not through this cache, so it only delays profile
 * edits made on another instance.
 */
export const USER_CACHE_TTL_MS = 2_000

/** Ids are 32-bit on every provider; PostgreSQL would refuse a larger one instead of finding nothing. */
const MAX_ID = 2 ** 31 - 1

export function createUsersStore ({ db, prisma }: Pick<Database, 'db' | 'prisma'>) {
  const cache = new LRUCache<number, User>({ max: 10_000, ttl: USER_CACHE_TTL_MS })

  async function findBy (column: 'id' | 'email' | 'username', value: number | string): Promise<User | null> {
    if (column === 'id' && !(Number.isInteger(value) && (value as number) > 0 && (value as number) <= MAX_ID)) return null
    return await db.selectFrom('users').selectAll().where(column, '=', value).executeTakeFirst() ?? null
  }

  return {
    findById: (id: number): Promise<User | null> => findBy('id', id),
    /** The user findByIdCached would answer without a query; undefined when it would have to read. */
    cachedById: (id: number): User | undefined => cache.get(id),
    /** findById through a short-lived cache, for the hot path of authenticated reads. */
    async findByIdCached (id: number): Promise<User | null> {
      const hit = cache.get(id)
      if (hit !== undefined) return hit
      const user = await findBy('id', id)
      if (user !== null) cache.set(id, user)
      return user
    },
    findByEmail: (email: string): Promise<User | null> => findBy('email', email),
    findByUsername: (username: string): Promise<User | null> => findBy('username', username),
    create: async (user: NewUser): Promise<User> => await prisma.user.create({ data: user }),
    count: async (): Promise<number> => await prisma.user.count(),
    async update (id: number, data: { passwordHash?: string, disabled?: boolean }): Promise<User> {
      cache.delete(id)
      return await prisma.user.update({ where: { id }, data })
    },
    async delete (id: number): Promise<boolean> {
      cache.delete(id)
      return (await prisma.user.deleteMany({ where: { id } })).count === 1
    }
  }
}

export type UsersStore = ReturnType<typeof createUsersStore>
