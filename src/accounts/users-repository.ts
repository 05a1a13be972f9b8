import { LRUCache } from 'lru-cache'
import type { Database, User } from '../storage/database.js'

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

export function createUsersRepository (db: Database) {
  const cache = new LRUCache<number, User>({ max: 10_000, ttl: USER_CACHE_TTL_MS })

  return {
    findById: (id: number): Promise<User | null> => db.user.findUnique({ where: { id } }),
    /** findById through a short-lived cache, for the hot path of authenticated reads. */
    async findByIdCached (id: number): Promise<User | null> {
      const hit = cache.get(id)
      if (hit !== undefined) return hit
      const user = await db.user.findUnique({ where: { id } })
      if (user !== null) cache.set(id, user)
      return user
    },
    findByEmail: (email: string): Promise<User | null> => db.user.findUnique({ where: { email } }),
    findByUsername: (username: string): Promise<User | null> => db.user.findUnique({ where: { username } }),
    create: (user: NewUser): Promise<User> => db.user.create({ data: user }),
    count: (): Promise<number> => db.user.count(),
    async update (id: number, data: { passwordHash?: string, disabled?: boolean }): Promise<User> {
      cache.delete(id)
      return db.user.update({ where: { id }, data })
    },
    async delete (id: number): Promise<boolean> {
      cache.delete(id)
      return (await db.user.deleteMany({ where: { id } })).count === 1
    }
  }
}

export type UsersRepository = ReturnType<typeof createUsersRepository>
