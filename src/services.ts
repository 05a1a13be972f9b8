// Wires the shared services every surface uses from the settings and an open
// database. Transports receive these and nothing below them.
import { availableParallelism } from 'node:os'
import type { FastifyBaseLogger } from 'fastify'
import { createAccountsService } from './accounts/accounts-service.js'
import { createAuditRepository } from './accounts/audit-repository.js'
import { createLoginThrottle, throttleSettings, type ThrottleStore } from './accounts/login-throttle.js'
import { createPasswords } from './accounts/passwords.js'
import { createSessionsRepository } from './accounts/sessions-repository.js'
import { memoryThrottleStore } from './accounts/throttle-stores.js'
import { createUsersRepository } from './accounts/users-repository.js'
import type { Config } from './config.js'
import type { ServiceEventListener } from './service-events.js'
import type { OpenDatabase } from './storage/database.js'
import { createAccessTokens } from './tokens/access-tokens.js'
import type { Clock } from './tokens/clock.js'
import type { KeySet } from './tokens/keys.js'
import { createRevocationList } from './tokens/revocation-list.js'
import { createTokenService } from './tokens/token-service.js'

/**
 * Concurrent password hashes: one per core (libuv runs at most four by
 * default). More would not hash faster, only hold more memory at once.
 */
export function defaultHashConcurrency (): number {
  return Math.min(availableParallelism(), 4)
}

export function passwordSettings (config: Config, concurrency = config.ARGON2_CONCURRENCY ?? defaultHashConcurrency()) {
  return {
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
    concurrency
  }
}

export function createServices (config: Config, { db, sql }: Pick<OpenDatabase, 'db' | 'sql'>, keys: KeySet, clock: Clock, log?: FastifyBaseLogger, onEvent?: ServiceEventListener, throttleStore: ThrottleStore = memoryThrottleStore()) {
  const passwords = createPasswords(passwordSettings(config))
  const audit = createAuditRepository(db, sql)
  const revocations = createRevocationList({ db, clock, pollMs: config.REVOCATION_POLL_MS, ...(log !== undefined ? { log } : {}) })
  const tokens = createTokenService({
    accessTokens: createAccessTokens({
      keys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL,
      clock
    }),
    sessions: createSessionsRepository(db, sql),
    revocations,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    reuseIntervalSeconds: config.REFRESH_REUSE_INTERVAL,
    clock,
    onEvent
  })
  const throttle = createLoginThrottle({ store: throttleStore, settings: throttleSettings(config), clock })
  const accounts = createAccountsService({ users: createUsersRepository(db, sql), passwords, tokens, audit, throttle, onEvent })
  return { accounts, tokens, passwords, keys, audit, revocations }
}

export type Services = ReturnType<typeof createServices>
