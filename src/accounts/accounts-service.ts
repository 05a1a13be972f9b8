// Users and their credentials: create, log in, look up. Routes and
// resolvers come here, never to Prisma.
import { AuthError } from '../errors.js'
import type { User } from '../storage/database.js'
import type { ClientInfo, TokenPair, TokenService } from '../tokens/token-service.js'
import type { ServiceEventListener } from '../service-events.js'
import type { AuditRecord, AuditRepository } from './audit-repository.js'
import type { LoginThrottle } from './login-throttle.js'
import { assertAcceptablePassword } from './password-policy.js'
import type { Passwords } from './passwords.js'
import { isStorable, isWellFormed } from './unicode.js'
import type { UsersRepository } from './users-repository.js'

export const ROLES = ['customer', 'admin'] as const
export type Role = typeof ROLES[number]

export interface CreateUserInput {
  email: string
  password: string
  username?: string | undefined
  name?: string | undefined
  firstName?: string | undefined
  lastName?: string | undefined
  role?: Role | undefined
  tenantId?: string | null | undefined
  avatar?: string | undefined
}

const EMAIL = /^[^\s@]+@[^\s@]+$/

function normaliseEmail (email: string): string {
  return email.trim().toLowerCase()
}

function isUniqueViolation (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002'
}

export interface AccountsDeps {
  users: UsersRepository
  passwords: Passwords
  /** Absent where no sessions exist (the users CLI). */
  tokens?: TokenService
  audit?: AuditRepository
  /** Per-account delays after failed logins; absent where no one can guess (the users CLI). */
  throttle?: LoginThrottle
  onEvent?: ServiceEventListener | undefined
}

function auditClient (client: ClientInfo | undefined) {
  return { ip: client?.ip ?? null, userAgent: client?.userAgent?.slice(0, 512) ?? null }
}

export function createAccountsService ({ users, passwords, tokens, audit, throttle, onEvent = () => {} }: AccountsDeps) {
  async function findByLogin (login: string): Promise<User | null> {
    const trimmed = login.trim()
    return trimmed.includes('@') ? users.findByEmail(normaliseEmail(trimmed)) : users.findByUsername(trimmed)
  }

  /**
   * What throttling counts an attempt against: the account when the name
   * resolves to one (its email and username share one counter), else the
   * normalised name, so unknown names are throttled exactly like real ones.
   */
  function throttleSubject (login: string, user: User | null): string {
    return user !== null ? `user:${user.id}` : `name:${login.trim().toLowerCase()}`
  }

  /** The user behind a verified token, refused when deleted or disabled. */
  async function activeUser (id: number): Promise<User> {
    const user = await users.findByIdCached(id)
    if (user === null) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    if (user.disabled) throw new AuthError('ACCOUNT_DISABLED')
    return user
  }

  /**
   * activeUser answered from the user cache alone, so a hot path can skip a
   * promise; undefined when the user would have to be read.
   */
  function cachedActiveUser (id: number): User | undefined {
    const user = users.cachedById(id)
    if (user?.disabled === true) throw new AuthError('ACCOUNT_DISABLED')
    return user
  }

  /**
   * The user whose email or username and password match. Unknown user,
   * wrong password: the same error after the same work. A disabled account
   * is only revealed to someone who knows its password. Failures are
   * recorded here; the success is the caller's to record.
   */
  async function checkCredentials (login: string, password: string, client: ClientInfo): Promise<User> {
    const valid = isStorable(login) && isWellFormed(password)
    const user = valid ? await findByLogin(login) : null
    // A slot is taken before the password is checked, so parallel guesses cannot slip past the count.
    const attempt = await throttle?.begin(throttleSubject(login, user), client.ip)
    let ok: boolean
    try {
      ok = valid && await passwords.verify(user?.passwordHash ?? null, password)
    } catch (err) {
      await attempt?.abandoned()
      throw err
    }
    if (user === null || !ok || user.disabled) {
      await attempt?.failed()
      await audit?.record({
        type: 'login.failed',
        userId: user?.id ?? null,
        ...auditClient(client),
        detail: { login: valid ? login.trim().slice(0, 320) : '(not valid text)', reason: user === null ? 'unknown user' : ok ? 'disabled' : 'wrong password' }
      })
      onEvent('login.failed')
      throw new AuthError(user !== null && ok ? 'ACCOUNT_DISABLED' : 'INVALID_CREDENTIALS')
    }
    await attempt?.succeeded()
    return user
  }

  return {
    /**
     * Checks the password and starts a session: the pair of tokens, with its
     * user. `admit` may still refuse the user (a surface's own policy) before
     * any session exists. The success is recorded with the new session, in
     * one transaction.
     */
    async login (login: string, password: string, client: ClientInfo, admit: (user: User) => void = () => {}): Promise<TokenPair> {
      if (tokens === undefined) throw new Error('logging in needs the token service')
      const user = await checkCredentials(login, password, client)
      const success: AuditRecord = { type: 'login.succeeded', userId: user.id, ...auditClient(client) }
      try {
        admit(user)
      } catch (err) {
        await audit?.record(success)
        onEvent('login.succeeded')
        throw err
      }
      const pair = await tokens.issue(user, client, success)
      onEvent('login.succeeded')
      return pair
    },

    /** Checks the current password, sets the new one, and ends the user's other sessions. */
    async changePassword (userId: number, currentPassword: string, newPassword: string, sessionId: string, client?: ClientInfo): Promise<number> {
      const user = await activeUser(userId)
      if (!isWellFormed(currentPassword) || !await passwords.verify(user.passwordHash, currentPassword)) {
        throw new AuthError('INVALID_CREDENTIALS', 'Current password is incorrect')
      }
      if (!isWellFormed(newPassword)) throw new AuthError('BAD_REQUEST', 'newPassword is not valid text')
      assertAcceptablePassword(newPassword, 'newPassword')
      if (newPassword === currentPassword) throw new AuthError('BAD_REQUEST', 'newPassword must differ from the current password')
      await users.update(userId, { passwordHash: await passwords.hash(newPassword) })
      return await tokens?.revokeAll(userId, { exceptSessionId: sessionId, client, reason: 'password.changed' }) ?? 0
    },

    /** Disables (ending every session) or re-enables a user. */
    async setDisabled (userId: number, disabled: boolean, client?: ClientInfo): Promise<User> {
      if (await users.findById(userId) === null) throw new AuthError('NOT_FOUND', 'No such user')
      const user = await users.update(userId, { disabled })
      if (disabled) await tokens?.revokeAll(userId, { client, reason: 'user.disabled' })
      else await audit?.record({ type: 'user.enabled', userId, ...auditClient(client) })
      return user
    },

    /** Deletes a user after ending every session, so its access tokens stop at once. */
    async delete (userId: number, client?: ClientInfo): Promise<void> {
      if (await users.findById(userId) === null) throw new AuthError('NOT_FOUND', 'No such user')
      await tokens?.revokeAll(userId, { client, reason: 'user.deleted' })
      await users.delete(userId)
    },

    /** A user by id, for administrators; NOT_FOUND when absent. */
    async get (userId: number): Promise<User> {
      const user = await users.findById(userId)
      if (user === null) throw new AuthError('NOT_FOUND', 'No such user')
      return user
    },

    activeUser,
    cachedActiveUser,

    async create (input: CreateUserInput): Promise<User> {
      for (const [field, value] of Object.entries(input)) {
        const valid = field === 'password' ? isWellFormed : isStorable
        if (typeof value === 'string' && !valid(value)) throw new AuthError('BAD_REQUEST', `${field} is not valid text`)
      }
      const email = normaliseEmail(input.email)
      if (!EMAIL.test(email) || email.length > 320) throw new AuthError('BAD_REQUEST', 'email must be a valid email address')
      assertAcceptablePassword(input.password)
      const username = input.username?.trim() || email.split('@')[0] as string
      if (username.includes('@')) throw new AuthError('BAD_REQUEST', 'username must not contain "@"')
      try {
        return await users.create({
          email,
          username,
          passwordHash: await passwords.hash(input.password),
          name: input.name ?? '',
          firstName: input.firstName ?? '',
          lastName: input.lastName ?? '',
          role: input.role ?? 'customer',
          tenantId: input.tenantId ?? null,
          avatar: input.avatar ?? ''
        })
      } catch (err) {
        if (isUniqueViolation(err)) throw new AuthError('CONFLICT', 'a user with this email or username already exists')
        throw err
      }
    },

    hasUsers: async (): Promise<boolean> => (await users.count()) > 0
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>
