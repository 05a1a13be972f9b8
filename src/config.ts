// Every setting of the gateway: one schema validated at start, the type
// derived from it. The environment variable names are the public interface.
import envSchema from 'env-schema'
import { Type, type Static } from 'typebox'
import { behindTransactionPooler, DEFAULT_DATABASE_URL, isPostgresUrl, providerOf } from './storage/database-url.js'

const Seconds = (fallback: number) => Type.Integer({ minimum: 1, maximum: 31_536_000, default: fallback })

/** Algorithms access tokens may be signed with (tokens/keys.ts implements each). */
export const JWT_ALGORITHMS = ['HS256', 'ES256', 'EdDSA'] as const

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)), { default: 'info' }),
  /** "true"/"false", a hop count, or a comma-separated list of trusted proxy addresses/CIDRs. */
  TRUST_PROXY: Type.String({ default: 'false' }),
  DATABASE_URL: Type.String({ minLength: 1, default: DEFAULT_DATABASE_URL }),
  /**
   * PostgreSQL without a pooler, for migrations: their locks and Prisma's
   * migrator need one server session throughout. Required when DATABASE_URL
   * goes through a transaction pooler (`?pgbouncer=true`).
   */
  DIRECT_URL: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * SQLite's durability in WAL mode. NORMAL survives a crash of the process but
   * may lose the last commits on a power loss or OS crash, never corrupting the
   * file; FULL also survives those, at one disk flush per commit.
   */
  SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('NORMAL'), Type.Literal('FULL')], { default: 'NORMAL' }),
  /** Where development keeps what it generates for itself (the JWT secret). */
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  /** HS256 (the peers' algorithm) signs with JWT_SECRET; ES256 and EdDSA with a private key and publish JWKS. */
  JWT_ALGORITHM: Type.Union(JWT_ALGORITHMS.map(a => Type.Literal(a)), { default: 'HS256' }),
  JWT_SECRET: Type.Optional(Type.String()),
  /** Comma-separated HS256 secrets still accepted, never used to sign (key rotation). */
  JWT_VERIFY_ONLY_SECRETS: Type.String({ default: '' }),
  /** PEM private key for ES256/EdDSA, inline (newlines may be written as \n) or in a file. */
  JWT_PRIVATE_KEY: Type.Optional(Type.String()),
  JWT_PRIVATE_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** Comma-separated PEM public key files still accepted and published, never used to sign (key rotation). */
  JWT_VERIFY_ONLY_KEY_FILES: Type.String({ default: '' }),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'authgate' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'authgate' }),
  ACCESS_TOKEN_TTL: Seconds(900),
  REFRESH_TOKEN_TTL: Seconds(604_800),
  /** The absolute lifetime of a session from its login, seconds: no refresh or renewal extends it. */
  SESSION_MAX_AGE: Seconds(2_592_000),
  /** Seconds without a refresh or renewal after which a session ends; unset: no idle timeout. */
  SESSION_IDLE_TIMEOUT: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
  /** Seconds the clocks of the instances may differ by: tokens not yet valid by this much pass, revocations last this much longer. */
  JWT_CLOCK_TOLERANCE: Type.Integer({ minimum: 0, maximum: 300, default: 5 }),
  /**
   * Seconds a just-rotated refresh token still returns its successor, while that successor is unused
   * (tabs, retries, a client whose answer a crash lost); other reuse ends the session. 60 s covers a
   * restart, an orchestrator's first back-off and the client's own retries.
   */
  REFRESH_REUSE_INTERVAL: Type.Integer({ minimum: 0, maximum: 300, default: 60 }),
  /** How often each instance reads sessions ended elsewhere, ms; bounds how long their access tokens still pass. */
  REVOCATION_POLL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 500 }),
  /** Days the audit trail keeps an event; 0 keeps every event forever (for a trail archived or purged elsewhere). */
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 0, maximum: 36_500, default: 90 }),
  /** Seconds between two purges of what nothing needs any more (spent sessions and tokens, revocations, old audit events), on every instance. */
  PURGE_INTERVAL: Type.Integer({ minimum: 10, maximum: 86_400, default: 300 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 8192, maximum: 4_194_304, default: 19_456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
  /** Password hashes computed at once; the rest wait, so memory stays bounded (each takes ARGON2_MEMORY_KIB). */
  ARGON2_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  /**
   * Seconds a client has to send a whole request, head and body; past it the connection is answered
   * 408 and closed, so clients that send slowly cannot hold connections open. 0: none but Node's own
   * 60 s for the head (a proxy in front enforces one).
   */
  REQUEST_TIMEOUT: Type.Integer({ minimum: 0, maximum: 3600, default: 30 }),
  /** Largest request body accepted, in bytes. */
  BODY_LIMIT: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 16_384 }),
  /** Swagger UI at /docs; unset means on, except when NODE_ENV=production. /openapi.json is served either way. */
  DOCS: Type.Optional(Type.Boolean()),
  /** Prometheus metrics at /metrics. */
  METRICS: Type.Boolean({ default: true }),
  /** When set, /metrics answers only requests carrying it as a bearer token; in production /metrics is off without it. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Bootstraps an administrator when the database has no users yet. */
  ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3 })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  /** GraphiQL at /graphiql and /service/graphiql; unset means on, except when NODE_ENV=production, where only GRAPHIQL=true serves it. */
  GRAPHIQL: Type.Optional(Type.Boolean()),
  /** Schema introspection on the GraphQL endpoints; unset means on, except when NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: Type.Optional(Type.Boolean()),
  /** /graphql refuses (FORBIDDEN) users without a school (tenant), as NextSchool deployments do. */
  GRAPHQL_REQUIRE_SCHOOL: Type.Boolean({ default: false }),
  /** Origins allowed to call /graphql from a browser: "*", or a comma-separated list; unset means CORS_ORIGINS. */
  GRAPHQL_CORS_ORIGINS: Type.Optional(Type.String()),
  /** A /graphql request authenticated with a header token (a loginUser session) past half its life gets a fresh one in X-Authorization. */
  HEADER_TOKEN_RENEWAL: Type.Boolean({ default: true }),
  /** Origins allowed to call the REST API (and /graphql, unless GRAPHQL_CORS_ORIGINS says otherwise): "*" or a comma-separated list; empty sends no CORS headers. */
  CORS_ORIGINS: Type.String({ default: '' }),
  /** Redis shared by every instance for rate limits and login throttling, e.g. redis://127.0.0.1:6379; unset keeps them in memory (one instance). */
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** Prefix of every Redis key the gateway writes, so deployments can share one Redis. */
  REDIS_KEY_PREFIX: Type.String({ default: 'authgate:' }),
  /** Requests one client IP may make to the auth API (REST and both GraphQL endpoints together) per RATE_LIMIT_WINDOW. */
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 300 }),
  /** Requests that check a password (logins, password changes) one client IP may make per RATE_LIMIT_WINDOW. */
  LOGIN_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 30 }),
  /** Length of the per-IP rate-limit window, seconds. */
  RATE_LIMIT_WINDOW: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
  /** Failed logins of one account that cost nothing; from this one on, each failure makes the next attempt wait. */
  LOGIN_THROTTLE_FREE_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
  /** Wait after the first failure past the free ones, seconds; it doubles with each further failure. */
  LOGIN_THROTTLE_BASE_DELAY: Type.Integer({ minimum: 1, maximum: 3600, default: 1 }),
  /** Longest wait between two attempts at one account, seconds: accounts are slowed, never locked. */
  LOGIN_THROTTLE_MAX_DELAY: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  /** Seconds without a counted attempt after which an account's failures are forgotten; a successful login forgets them at once. */
  LOGIN_THROTTLE_RESET_AFTER: Type.Integer({ minimum: 1, maximum: 2_592_000, default: 86_400 }),
  /** How long an IP that logged in to an account stays exempt from that account's shared delays, seconds. */
  LOGIN_THROTTLE_KNOWN_CLIENT_TTL: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 2_592_000 }),
  /** Deepest GraphQL selection accepted (graphql-armor's default); introspection fields are not counted. */
  GRAPHQL_MAX_DEPTH: Type.Integer({ minimum: 1, maximum: 100, default: 6 }),
  /** Most lexical tokens in one GraphQL document (graphql-armor's default); parsing stops beyond it. */
  GRAPHQL_MAX_TOKENS: Type.Integer({ minimum: 50, maximum: 100_000, default: 1000 }),
  /** GraphQL operation texts kept parsed and validated (Mercurius's cache); 0 parses and validates every request. */
  GRAPHQL_QUERY_CACHE: Type.Integer({ minimum: 0, maximum: 100_000, default: 1024 })
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Reads and validates settings; throws ConfigError with a message naming the setting. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const data: Record<string, string> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') data[key] = value
  }
  let config: Config
  try {
    config = envSchema<Config>({ schema: ConfigSchema, data, env: false, dotenv: false })
  } catch (err) {
    throw new ConfigError(`invalid settings: ${(err as Error).message}`)
  }
  try {
    providerOf(config.DATABASE_URL)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  checkDirectUrl(config)
  if (config.NODE_ENV === 'production') refuseInsecureProductionSettings(config)
  return config
}

function checkDirectUrl ({ DATABASE_URL, DIRECT_URL }: Config): void {
  if (DIRECT_URL === undefined) {
    if (behindTransactionPooler(DATABASE_URL)) throw new ConfigError('DIRECT_URL is required with DATABASE_URL ?pgbouncer=true: migrations need a connection to PostgreSQL that bypasses the pooler')
    return
  }
  if (providerOf(DATABASE_URL) !== 'postgresql' || !isPostgresUrl(DIRECT_URL)) {
    throw new ConfigError('DIRECT_URL must be a postgresql:// URL, and only goes with a PostgreSQL DATABASE_URL')
  }
  if (behindTransactionPooler(DIRECT_URL)) throw new ConfigError('DIRECT_URL must not go through a transaction pooler (?pgbouncer=true)')
}

/** The database URL migrations run on: DIRECT_URL when set, else DATABASE_URL. */
export function migrationUrl (config: Pick<Config, 'DATABASE_URL' | 'DIRECT_URL'>): string {
  return config.DIRECT_URL ?? config.DATABASE_URL
}

/**
 * Words of copied examples ("change-me", "your-256-bit-secret"). Each is
 * long enough, or tied to a separator or an end, that a generated secret
 * holds one by chance about once in 80,000 (`openssl rand -base64 48`,
 * 400,000 drawn). With "test", "your" and "xxx" anywhere, 0.2 % of such
 * secrets were refused and the gateway would not start.
 */
const PLACEHOLDER = /change|example|placeholder|secret|default|dummy|password|replace|testing|xxxxx|(?:^|[-_ .])(?:your|test)|(?:your|test)(?:[-_ .]|$)/i

/** Why a JWT secret is unfit for production, or null when it is fit. */
export function weakSecretReason (secret: string | undefined): string | null {
  if (secret === undefined || secret === '') return 'JWT_SECRET is required when NODE_ENV=production'
  if (Buffer.byteLength(secret) < 32) return 'JWT_SECRET must be at least 32 bytes'
  const placeholder = PLACEHOLDER.exec(secret)
  if (placeholder !== null) return `JWT_SECRET looks like a placeholder or example value (it contains "${placeholder[0]}"); generate one with \`openssl rand -base64 48\``
  if (new Set(secret).size < 10) return 'JWT_SECRET has too few distinct characters to be random'
  return null
}

function refuseInsecureProductionSettings (config: Config): void {
  if (config.JWT_ALGORITHM === 'HS256') {
    const reason = weakSecretReason(config.JWT_SECRET)
    if (reason !== null) throw new ConfigError(reason)
    for (const secret of list(config.JWT_VERIFY_ONLY_SECRETS)) {
      if (weakSecretReason(secret) !== null) throw new ConfigError('every JWT_VERIFY_ONLY_SECRETS entry must be as strong as JWT_SECRET')
    }
  } else if (config.JWT_PRIVATE_KEY === undefined && config.JWT_PRIVATE_KEY_FILE === undefined) {
    throw new ConfigError(`JWT_PRIVATE_KEY_FILE (or JWT_PRIVATE_KEY) is required for ${config.JWT_ALGORITHM} when NODE_ENV=production`)
  }
}

/** The entries of a comma-separated setting. */
export function list (value: string): string[] {
  return value.split(',').map(s => s.trim()).filter(s => s !== '')
}
