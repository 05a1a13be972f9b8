// The one place settings become services: every mapping from the settings
// (config.ts) to what the domain modules take is here, so those modules never
// read the settings themselves. Transports receive the services and nothing
// below them.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { createAccountsService } from './accounts/accounts-service.js'
import { createLoginThrottle, type ThrottleSettings, type ThrottleStore } from './accounts/login-throttle.js'
import { createPasswords, type PasswordSettings } from './accounts/passwords.js'
import { memoryThrottleStore } from './accounts/throttle-stores.js'
import { createUsersStore } from './accounts/users-store.js'
import { createAuditLog } from './audit/audit-log.js'
import { auditPurgeSteps } from './audit/audit-retention.js'
import type { Clock } from './clock.js'
import { list, type Config } from './config.js'
import type { ServiceEventListener } from './service-events.js'
import { createRevocationList, type RevocationList } from './sessions/revocation-list.js'
import { sessionsPurgeSteps } from './sessions/sessions-purge.js'
import { createSessions, type SessionSettings } from './sessions/sessions-service.js'
import { createSessionsStore } from './sessions/sessions-store.js'
import type { Database } from './storage/database.js'
import { createPurge, PURGE_BATCH_SIZE, SQLITE_PURGE_BATCH_SIZE, type Purge } from './storage/purge.js'
import type { AccessClaims, AccessTokenRules } from './tokens/access-tokens.js'
import type { KeySettings } from './tokens/keys.js'
import { workInFlight } from './work-in-flight.js'

/**
 * Concurrent password hashes: one per core (libuv runs at most four by
 * default). More would not hash faster, only hold more memory at once.
 */
export function defaultHashConcurrency (): number {
  return Math.min(availableParallelism(), 4)
}

export function passwordSettings (config: Config, concurrency = config.ARGON2_CONCURRENCY ?? defaultHashConcurrency()): PasswordSettings {
  return {
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
    concurrency
  }
}

export function throttleSettings (config: Config): ThrottleSettings {
  return {
    freeAttempts: config.LOGIN_THROTTLE_FREE_ATTEMPTS,
    baseDelayMs: config.LOGIN_THROTTLE_BASE_DELAY * 1000,
    maxDelayMs: config.LOGIN_THROTTLE_MAX_DELAY * 1000,
    resetAfterMs: config.LOGIN_THROTTLE_RESET_AFTER * 1000,
    knownClientTtlMs: config.LOGIN_THROTTLE_KNOWN_CLIENT_TTL * 1000
  }
}

/** The key material the settings name (files are read once, at start). */
export function keySettings (config: Config): KeySettings {
  const privateKeyPem = config.JWT_PRIVATE_KEY_FILE !== undefined
    ? readFileSync(config.JWT_PRIVATE_KEY_FILE, 'utf8')
    : config.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n')
  return {
    algorithm: config.JWT_ALGORITHM,
    secret: config.JWT_SECRET,
    verifyOnlySecrets: list(config.JWT_VERIFY_ONLY_SECRETS),
    privateKeyPem,
    verifyOnlyPublicKeyPems: list(config.JWT_VERIFY_ONLY_KEY_FILES).map(file => readFileSync(file, 'utf8')),
    dataDir: config.DATA_DIR
  }
}

export function accessTokenRules (config: Config): AccessTokenRules {
  return {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL,
    clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE
  }
}

export function sessionSettings (config: Config): SessionSettings {
  return {
    access: accessTokenRules(config),
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    reuseIntervalSeconds: config.REFRESH_REUSE_INTERVAL,
    maxAgeSeconds: config.SESSION_MAX_AGE,
    idleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT
  }
}

export interface RevocationsOptions {
  clock: Clock
  onPollError?: (err: unknown) => void
  onPollSuccess?: () => void
}

/** The list of ended sessions every access-token check consults; made before the services, since the edge needs it. */
export function createRevocations (config: Config, { db }: Pick<Database, 'db'>, { clock, onPollError, onPollSuccess }: RevocationsOptions): RevocationList {
  const rules = accessTokenRules(config)
  return createRevocationList({
    db,
    clock,
    pollMs: config.REVOCATION_POLL_MS,
    // A skipped id matters no longer than a revocation lasts, measured from a clock that may run behind.
    gapWaitMs: (rules.ttlSeconds + 2 * rules.clockToleranceSeconds) * 1000,
    ...(onPollError !== undefined ? { onPollError } : {}),
    ...(onPollSuccess !== undefined ? { onPollSuccess } : {})
  })
}

export interface PurgeWiring {
  clock: Clock
  /** Rows a batch deleted, by table. */
  onPurged?: (table: string, rows: number) => void
  onError?: (err: unknown) => void
}

/**
 * The background purge of rows nothing needs any more: sessions and their
 * tokens REFRESH_TOKEN_TTL after they ended or expired, expired revocations,
 * audit events older than AUDIT_RETENTION_DAYS (0 keeps them).
 */
export function createPurgeJob (config: Config, { db, provider }: Pick<Database, 'db' | 'provider'>, { clock, onPurged, onError }: PurgeWiring): Purge {
  return createPurge({
    steps: [
      ...sessionsPurgeSteps({ db, provider, clock, keepSeconds: config.REFRESH_TOKEN_TTL }),
      ...auditPurgeSteps({ db, provider, clock, retentionDays: config.AUDIT_RETENTION_DAYS === 0 ? undefined : config.AUDIT_RETENTION_DAYS })
    ],
    intervalMs: config.PURGE_INTERVAL * 1000,
    // SQLite runs each statement on the event loop's thread (better-sqlite3): every request waits for a
    // batch, so its batches are smaller. PostgreSQL deletes beside the requests.
    batchSize: provider === 'sqlite' ? SQLITE_PURGE_BATCH_SIZE : PURGE_BATCH_SIZE,
    ...(onPurged !== undefined ? { onPurged } : {}),
    ...(onError !== undefined ? { onError } : {})
  })
}

export interface ServiceWiring {
  revocations: RevocationList
  /** Signs access-token claims (the edge's @fastify/jwt). */
  signAccessToken: (claims: AccessClaims) => string
  clock: Clock
  onEvent?: ServiceEventListener | undefined
  throttleStore?: ThrottleStore
}

export function createServices (config: Config, database: Database, { revocations, signAccessToken, clock, onEvent, throttleStore = memoryThrottleStore() }: ServiceWiring) {
  const passwords = createPasswords(passwordSettings(config))
  const audit = createAuditLog(database)
  const sessions = createSessions({
    store: createSessionsStore(database),
    revocations,
    signAccessToken,
    clock,
    settings: sessionSettings(config),
    onEvent
  })
  const throttle = createLoginThrottle({ store: throttleStore, settings: throttleSettings(config), clock })
  const accounts = createAccountsService({ users: createUsersStore(database), passwords, clock, sessions, audit, throttle, onEvent })
  // What the transports call is counted while it runs, so the database closes only after it (app.ts).
  const work = workInFlight()
  return { accounts: work.track(accounts), sessions: work.track(sessions), passwords, audit: work.track(audit), settled: work.settled }
}

export type Services = ReturnType<typeof createServices>

/** Accounts without sessions, for the users command: one password hash at a time, nothing to throttle. */
export function createUserAdministration (config: Config, database: Database, clock: Clock) {
  return createAccountsService({
    users: createUsersStore(database),
    passwords: createPasswords(passwordSettings(config, 1)),
    clock,
    audit: createAuditLog(database)
  })
}
