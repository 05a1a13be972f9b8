// Users and their credentials: create, log in, change a password, disable,
// delete, look up. Routes and resolvers come here for anything about users;
// a login starts a session through the sessions module below.
import type { AuditLog } from '../audit/audit-log.js'
import type { AuditRecord, ClientInfo } from '../audit/audit-record.js'
import type { Clock } from '../clock.js'
import { AuthError } from '../errors.js'
import type { ServiceEventListener } from '../service-events.js'
import type { RefreshPolicy, Sessions, Started } from '../sessions/sessions-service.js'
import type { LoginThrottle } from './login-throttle.js'
import { assertAcceptablePassword } from './password-policy.js'
import type { Passwords } from './passwords.js'
import { isStorable, isWellFormed } from './unicode.js'
import type { User, UsersStore } from './users-store.js'

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

/** Who asked for a change, for the audit trail. */
export interface Actor {
  /** The authenticated user who acted; absent for the command line and the first start. */
  actorId?: number | undefined
  client?: ClientInfo | undefined
}

export interface LoginOptions {
  client: ClientInfo
  /** How the session started by this login will be refreshed (the surface's contract). */
  policy: RefreshPolicy
  /** A surface's own policy may still refuse the user (by throwing) before any session exists. */
  admit?: (user: User) => void
}

export interface LoggedIn extends Started {
  user: User
}

/** The longest login name (an email address) accepted. */
export const LOGIN_MAX_LENGTH = 320

const EMAIL = /^[^\s@]+@[^\s@]+$/

function normaliseEmail (email: string): string {
  return email.trim().toLowerCase()
}

/**
 * What login throttling counts an attempt against: the login as typed,
 * trimmed and lower-cased. An account's email and its username are two
 * counters, so a wait on one says nothing about whether the other names the
 * same account (it costs an attacker at most twice the tries), and unknown
 * names are throttled exactly like real ones.
 */
export function throttleSubject (login: string): string {
  return `login:${login.trim().toLowerCase()}`
}

/** A unique index refused the row: SQLite's code, PostgreSQL's SQLSTATE. */
function isUniqueViolation (err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505'
}

export interface AccountsDeps {
  users: UsersStore
  passwords: Passwords
  clock: Clock
  /** Absent where no sessions exist (the users command). */
  sessions?: Sessions | undefined
  audit?: AuditLog | undefined
  /** Per-login delays after failed attempts; absent where no one can guess (the users command). */
  throttle?: LoginThrottle | undefined
  onEvent?: ServiceEventListener | undefined
}

export function createAccountsService ({ users, passwords, clock, sessions, audit, throttle, onEvent = () => {} }: AccountsDeps) {
  const record = async (event: AuditRecord) => { await audit?.record(event, new Date(clock.now())) }

  /** The user with this id; NOT_FOUND when there is none. */
  async function existingUser (userId: number): Promise<User> {
    const user = await users.findById(userId)
    if (user === null) throw new AuthError('NOT_FOUND', 'No such user')
    return user
  }

  function requireSessions (): Sessions {
    if (sessions === undefined) throw new Error('this needs the sessions service')
    return sessions
  }

  async function findByLogin (login: string): Promise<User | null> {
    const trimmed = login.trim()
    return trimmed.includes('@') ? users.findByEmail(normaliseEmail(trimmed)) : users.findByUsername(trimmed)
  }

  /** The user behind a verified token, refused when deleted or disabled. */
  async function activeUser (id: number): Promise<User> {
    const user = await users.findByIdCached(id)
    if (user === null) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
    if (user.disabled) throw new AuthError('ACCOUNT_DISABLED')
    return user
  }

  /**
   * Checks a password through the throttle of `subject`: a slot is taken
   * before the check, so parallel guesses cannot slip past the count.
   */
  async function throttledCheck (subject: string, client: ClientInfo, check: () => Promise<boolean>): Promise<boolean> {
    const attempt = await throttle?.begin(subject, client.ip)
    let ok: boolean
    try {
      ok = await check()
    } catch (err) {
      await attempt?.abandoned()
      throw err
    }
    await (ok ? attempt?.succeeded() : attempt?.failed())
    return ok
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
    const ok = await throttledCheck(throttleSubject(login), client,
      async () => valid && await passwords.verify(user?.passwordHash ?? null, password))
    if (user === null || !ok || user.disabled) {
      await record({
        type: 'login.failed',
        userId: user?.id ?? null,
        client,
        detail: { login: valid ? login.trim().slice(0, LOGIN_MAX_LENGTH) : '(not valid text)', reason: user === null ? 'unknown user' : ok ? 'disabled' : 'wrong password' }
      })
      onEvent('login.failed')
      throw new AuthError(user !== null && ok ? 'ACCOUNT_DISABLED' : 'INVALID_CREDENTIALS')
    }
    return user
  }

  return {
    /**
     * Checks the password and starts a session. The success is recorded with
     * the new session, in one transaction; a user the surface refuses
     * (`admit`) is recorded as a login that started none.
     */
    async login (login: string, password: string, { client, policy, admit }: LoginOptions): Promise<LoggedIn> {
      const started = requireSessions()
      const user = await checkCredentials(login, password, client)
      const success: AuditRecord = { type: 'login.succeeded', userId: user.id, actorId: user.id, client }
      try {
        admit?.(user)
      } catch (err) {
        await record(success)
        onEvent('login.succeeded')
        throw err
      }
      const session = await started.start(user, policy, client, success)
      onEvent('login.succeeded')
      return { ...session, user }
    },

    /**
     * Checks the current password (through the login throttle of the
     * account's email, so a stolen access token buys no extra guesses), sets
     * the new one, and ends the user's other sessions.
     */
    async changePassword (userId: number, currentPassword: string, newPassword: string, sessionId: string, client: ClientInfo): Promise<number> {
      const user = await activeUser(userId)
      const ok = isWellFormed(currentPassword) &&
        await throttledCheck(throttleSubject(user.email), client, () => passwords.verify(user.passwordHash, currentPassword))
      if (!ok) throw new AuthError('INVALID_CREDENTIALS', 'Current password is incorrect')
      if (!isWellFormed(newPassword)) throw new AuthError('BAD_REQUEST', 'newPassword is not valid text')
      assertAcceptablePassword(newPassword, 'newPassword')
      if (newPassword === currentPassword) throw new AuthError('BAD_REQUEST', 'newPassword must differ from the current password')
      const passwordHash = await passwords.hash(newPassword)
      // One transaction: a fault between the two must not leave the new password with the other sessions live.
      const ended = await requireSessions().endAll(userId, { exceptSessionId: sessionId, actorId: userId, client, reason: 'password.changed', userChange: { passwordHash } })
      users.forget(userId)
      return ended
    },

    /** Disables (ending every session) or re-enables a user, each with its event in the same transaction. */
    async setDisabled (userId: number, disabled: boolean, actor: Actor = {}): Promise<User> {
      if (disabled) {
        const before = await existingUser(userId)
        // One transaction: a fault between the two must not leave a disabled user's access tokens valid.
        await requireSessions().endAll(userId, { ...actor, reason: 'user.disabled', userChange: { disabled } })
        users.forget(userId)
        // The user as the change left it; a deletion committed since does not undo the disabling, which is recorded.
        return await users.findById(userId) ?? { ...before, disabled: true }
      }
      const user = await users.enable(userId, { type: 'user.enabled', userId, ...actor }, new Date(clock.now()))
      if (user === null) throw new AuthError('NOT_FOUND', 'No such user')
      return user
    },

    /** Deletes a user and ends every session, so its access tokens stop at once. */
    async delete (userId: number, actor: Actor = {}): Promise<void> {
      await existingUser(userId)
      // One transaction: a fault between the two must not leave the user with its sessions ended and a deletion recorded.
      await requireSessions().endAll(userId, { ...actor, reason: 'user.deleted', userChange: 'delete' })
      users.forget(userId)
    },

    /** A user by id, for administrators; NOT_FOUND when absent. */
    get: existingUser,

    activeUser,

    /**
     * activeUser answered from the user cache alone, so a hot path can skip a
     * promise; undefined when the user would have to be read.
     */
    cachedActiveUser (id: number): User | undefined {
      const user = users.cachedById(id)
      if (user?.disabled === true) throw new AuthError('ACCOUNT_DISABLED')
      return user
    },

    async create (input: CreateUserInput, actor: Actor = {}): Promise<User> {
      for (const [field, value] of Object.entries(input)) {
        const valid = field === 'password' ? isWellFormed : isStorable
        if (typeof value === 'string' && !valid(value)) throw new AuthError('BAD_REQUEST', `${field} is not valid text`)
      }
      const email = normaliseEmail(input.email)
      if (!EMAIL.test(email) || email.length > LOGIN_MAX_LENGTH) throw new AuthError('BAD_REQUEST', 'email must be a valid email address')
      assertAcceptablePassword(input.password)
      const username = input.username?.trim() || email.split('@')[0] as string
      if (username.includes('@')) throw new AuthError('BAD_REQUEST', 'username must not contain "@"')
      let user: User
      try {
        user = await users.create({
          email,
          username,
          passwordHash: await passwords.hash(input.password),
          name: input.name ?? '',
          firstName: input.firstName ?? '',
          lastName: input.lastName ?? '',
          role: input.role ?? 'customer',
          tenantId: input.tenantId ?? null,
          avatar: input.avatar ?? ''
        }, (created) => ({ type: 'user.created', userId: created.id, ...actor, detail: { role: created.role } }), new Date(clock.now()))
      } catch (err) {
        if (isUniqueViolation(err)) throw new AuthError('CONFLICT', 'a user with this email or username already exists')
        throw err
      }
      return user
    },

    hasUsers: async (): Promise<boolean> => (await users.count()) > 0
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>
