// Users and their credentials: create, authenticate, look up. Routes and
// resolvers come here, never to Prisma.
import { AuthError } from '../errors.js'
import type { User } from '../storage/database.js'
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

export function createAccountsService (users: UsersRepository, passwords: Passwords) {
  async function findByLogin (login: string): Promise<User | null> {
    const trimmed = login.trim()
    return trimmed.includes('@') ? users.findByEmail(normaliseEmail(trimmed)) : users.findByUsername(trimmed)
  }

  return {
    /**
     * The user whose email or username and password match. Unknown user,
     * wrong password: the same error after the same work. A disabled
     * account is only revealed to someone who knows its password.
     */
    async authenticate (login: string, password: string): Promise<User> {
      if (!isStorable(login) || !isWellFormed(password)) throw new AuthError('INVALID_CREDENTIALS')
      const user = await findByLogin(login)
      const ok = await passwords.verify(user?.passwordHash ?? null, password)
      if (user === null || !ok) throw new AuthError('INVALID_CREDENTIALS')
      if (user.disabled) throw new AuthError('ACCOUNT_DISABLED')
      return user
    },

    /** The user behind a verified token, refused when deleted or disabled. */
    async activeUser (id: number): Promise<User> {
      const user = await users.findById(id)
      if (user === null) throw new AuthError('UNAUTHENTICATED', 'Invalid access token')
      if (user.disabled) throw new AuthError('ACCOUNT_DISABLED')
      return user
    },

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
