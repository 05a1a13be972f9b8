import { LRUCache } from 'lru-cache'
import type { Database, User } from '../storage/database.js'
import { toDate, type Row, type Sql } from '../storage/sql.js'

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

/** The columns of a user, each prefixed (for joins). */
export function userColumns (table: string, prefix = ''): string {
  return ['id', 'email', 'username', 'password_hash', 'name', 'first_name', 'last_name', 'role', 'tenant_id', 'avatar', 'disabled', 'created_at', 'updated_at']
    .map(column => `${table}.${column} AS ${prefix}${column}`).join(', ')
}

/** A user from the columns `userColumns` selected. */
export function toUser (r: Row, prefix = ''): User {
  return {
    id: Number(r[`${prefix}id`]),
    email: r[`${prefix}email`] as string,
    username: r[`${prefix}username`] as string,
    passwordHash: r[`${prefix}password_hash`] as string,
    name: r[`${prefix}name`] as string,
    firstName: r[`${prefix}first_name`] as string,
    lastName: r[`${prefix}last_name`] as string,
    role: r[`${prefix}role`] as string,
    tenantId: r[`${prefix}tenant_id`] as string | null,
    avatar: r[`${prefix}avatar`] as string,
    disabled: Boolean(r[`${prefix}disabled`]),
    createdAt: toDate(r[`${prefix}created_at`]),
    updatedAt: toDate(r[`${prefix}updated_at`])
  }
}

const MAX_ID = 2 ** 31 - 1

export function createUsersRepository (db: Database, sql: Sql) {
  const cache = new LRUCache<number, User>({ max: 10_000, ttl: USER_CACHE_TTL_MS })
  // Lookups by a unique key are on the login and authenticated-read paths: plain SQL (see storage/sql.ts).
  const select = `SELECT ${userColumns('u')} FROM users u WHERE u.`
  async function findBy (column: 'id' | 'email' | 'username', value: number | string): Promise<User | null> {
    // Ids are 32-bit on every provider; PostgreSQL would reject a larger one instead of finding nothing.
    if (column === 'id' && !(Number.isInteger(value) && (value as number) > 0 && (value as number) <= MAX_ID)) return null
    const [row] = await sql.rows(`${select}${column} = ?`, [value])
    return row === undefined ? null : toUser(row)
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
