// Users: looked up by a unique key on the login and authenticated-read paths,
// created and re-enabled with the event that records it (Kysely), counted
// (Prisma). Disabling and deleting go with the end of the user's sessions.
import type { Selectable } from 'kysely'
import { LRUCache } from 'lru-cache'
import type { User as UserTable } from '../generated/kysely/database.js'
import { auditRow, prepareAuditInsert, type AuditRecord } from '../audit/audit-record.js'
import type { Database } from '../storage/database.js'
import { prepare } from '../storage/prepared.js'

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

/** Every column, named: a hot statement's result keeps its shape when a migration adds one (storage/prepared.ts). */
const USER_COLUMNS = [
  'id', 'email', 'username', 'passwordHash', 'name', 'firstName', 'lastName', 'role', 'tenantId', 'avatar', 'disabled', 'createdAt', 'updatedAt'
] as const satisfies ReadonlyArray<keyof UserTable>

export function createUsersStore ({ db, prisma, run, transaction }: Pick<Database, 'db' | 'prisma' | 'run' | 'transaction'>) {
  const cache = new LRUCache<number, User>({ max: 10_000, ttl: USER_CACHE_TTL_MS })
  const insertUser = prepare((v: NewUser & { createdAt: Date, updatedAt: Date }) => db.insertInto('users').values({
    email: v.email, username: v.username, passwordHash: v.passwordHash, name: v.name, firstName: v.firstName, lastName: v.lastName,
    role: v.role, tenantId: v.tenantId, avatar: v.avatar, createdAt: v.createdAt, updatedAt: v.updatedAt
  }).returning(USER_COLUMNS))
  const insertAudit = prepareAuditInsert(db)
  // Every login and every cache miss of an authenticated read runs one of these (storage/prepared.ts).
  const byId = prepare((v: { id: number }) => db.selectFrom('users').select(USER_COLUMNS).where('id', '=', v.id))
  const byEmail = prepare((v: { email: string }) => db.selectFrom('users').select(USER_COLUMNS).where('email', '=', v.email))
  const byUsername = prepare((v: { username: string }) => db.selectFrom('users').select(USER_COLUMNS).where('username', '=', v.username))
  const first = ({ rows }: { rows: User[] }): User | null => rows[0] ?? null
  // Reads for the cache under way, by id. When a busy user's entry expires,
  // every request that comes before the database answers would otherwise
  // read the same row again, a burst of identical queries at each expiry
  // (docs/benchmark.md); they wait for the read under way instead.
  const reading = new Map<number, Promise<User | null>>()

  async function findById (id: number): Promise<User | null> {
    if (!(Number.isInteger(id) && id > 0 && id <= MAX_ID)) return null
    return first(await byId.execute(run, { id }))
  }

  /** Drops the cached copy of a user changed elsewhere (with the end of its sessions), and any read of it under way. */
  function forget (id: number): void {
    cache.delete(id)
    reading.delete(id)
  }

  return {
    findById,
    /** The user findByIdCached would answer without a query; undefined when it would have to read. */
    cachedById: (id: number): User | undefined => cache.get(id),
    /** findById through a short-lived cache, for the hot path of authenticated reads. */
    async findByIdCached (id: number): Promise<User | null> {
      const hit = cache.get(id)
      if (hit !== undefined) return hit
      const under = reading.get(id)
      if (under !== undefined) return await under
      const read = findById(id)
      reading.set(id, read)
      try {
        const user = await read
        // Unless `forget` came meanwhile: then the row may be older than the change.
        if (reading.get(id) === read && user !== null) cache.set(id, user)
        return user
      } finally {
        if (reading.get(id) === read) reading.delete(id)
      }
    },
    findByEmail: async (email: string): Promise<User | null> => first(await byEmail.execute(run, { email })),
    findByUsername: async (username: string): Promise<User | null> => first(await byUsername.execute(run, { username })),
    /** Inserts a user and the event of its creation, in one transaction. */
    create: async (user: NewUser, event: (created: User) => AuditRecord, now: Date): Promise<User> =>
      await transaction(async (tx) => {
        const [created] = (await insertUser.execute(tx, { ...user, createdAt: now, updatedAt: now })).rows
        if (created === undefined) throw new Error('the inserted user was not returned')
        await insertAudit.execute(tx, auditRow(event(created), now))
        return created
      }),
    count: async (): Promise<number> => await prisma.user.count(),
    forget,
    /** Re-enables a user and records it, in one transaction: both happen or neither. Null when there is no such user. */
    async enable (id: number, event: AuditRecord, now: Date): Promise<User | null> {
      const user = await db.transaction().execute(async (tx) => {
        const [user] = await tx.updateTable('users').set({ disabled: false, updatedAt: now }).where('id', '=', id).returning(USER_COLUMNS).execute()
        if (user === undefined) return null
        await insertAudit.execute(tx, auditRow(event, now))
        return user
      })
      // After the commit: a read that began before it must not keep the user disabled here.
      forget(id)
      return user
    }
  }
}

export type UsersStore = ReturnType<typeof createUsersStore>
