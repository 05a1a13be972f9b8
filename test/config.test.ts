import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, migrationUrl, weakSecretReason } from '../src/config.js'
import { resolveKeys } from '../src/tokens/keys.js'

const STRONG = 'q8N2vX4mB7kL1pR9sT3wY6zA5cD0fG2hJ4nM8bV'

t.test('defaults match the documented settings', async (t) => {
  const c = loadConfig({})
  t.equal(c.PORT, 3000)
  t.equal(c.HOST, '0.0.0.0')
  t.equal(c.DATABASE_URL, 'file:./data/authgate.db')
  t.equal(c.ACCESS_TOKEN_TTL, 900)
  t.equal(c.REFRESH_TOKEN_TTL, 604800)
  t.equal(c.REFRESH_REUSE_INTERVAL, 60, 'long enough for a client to retry across a restart')
  t.equal(c.ARGON2_MEMORY_KIB, 19456)
  t.equal(c.ARGON2_TIME_COST, 2)
  t.equal(c.ARGON2_PARALLELISM, 1)
  t.equal(c.NODE_ENV, 'development')
  t.equal(c.TRUST_PROXY, 'false')
  t.equal(c.GRAPHQL_QUERY_CACHE, 1024)
  t.equal(c.AUDIT_RETENTION_DAYS, 90)
  t.equal(c.PURGE_INTERVAL, 300)
})

t.test('values are read from the environment and typed', async (t) => {
  const c = loadConfig({ PORT: '8080', ACCESS_TOKEN_TTL: '60', DATABASE_URL: 'postgresql://u@h/db', LOG_LEVEL: 'warn' })
  t.equal(c.PORT, 8080)
  t.equal(c.ACCESS_TOKEN_TTL, 60)
  t.equal(c.DATABASE_URL, 'postgresql://u@h/db')
  t.equal(c.LOG_LEVEL, 'warn')
})

t.test('invalid settings are refused with a message naming them', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), { name: 'ConfigError', message: /PORT/ })
  t.throws(() => loadConfig({ ACCESS_TOKEN_TTL: '0' }), { message: /ACCESS_TOKEN_TTL/ })
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), { message: /LOG_LEVEL/ })
  t.throws(() => loadConfig({ ARGON2_MEMORY_KIB: '16' }), { message: /ARGON2_MEMORY_KIB/ })
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), { message: /DATABASE_URL/ })
  t.throws(() => loadConfig({ GRAPHQL_QUERY_CACHE: '-1' }), { message: /GRAPHQL_QUERY_CACHE/ })
  t.throws(() => loadConfig({ REFRESH_REUSE_INTERVAL: '301' }), { message: /REFRESH_REUSE_INTERVAL/ })
})

t.test('behind a transaction pooler, migrations go over DIRECT_URL, which must reach PostgreSQL directly', async (t) => {
  const pooled = 'postgresql://app@pooler:6432/authgate?pgbouncer=true'
  const direct = 'postgresql://app@db:5432/authgate'
  t.throws(() => loadConfig({ DATABASE_URL: pooled }), new ConfigError('DIRECT_URL is required with DATABASE_URL ?pgbouncer=true: migrations need a connection to PostgreSQL that bypasses the pooler'))
  t.equal(migrationUrl(loadConfig({ DATABASE_URL: pooled, DIRECT_URL: direct })), direct)
  t.equal(migrationUrl(loadConfig({ DATABASE_URL: direct })), direct, 'without it, DATABASE_URL')
  t.throws(() => loadConfig({ DATABASE_URL: pooled, DIRECT_URL: pooled }), { name: 'ConfigError', message: /DIRECT_URL must not go through a transaction pooler/ })
  t.throws(() => loadConfig({ DATABASE_URL: 'file:./x.db', DIRECT_URL: direct }), { name: 'ConfigError', message: /DIRECT_URL .*only goes with a PostgreSQL DATABASE_URL/ })
  t.throws(() => loadConfig({ DATABASE_URL: pooled, DIRECT_URL: 'file:./x.db' }), { name: 'ConfigError', message: /DIRECT_URL must be a postgresql:\/\/ URL/ })
})

t.test('retention and purge settings: whole days kept (0 for ever), a purge interval of seconds', async (t) => {
  t.equal(loadConfig({ AUDIT_RETENTION_DAYS: '0' }).AUDIT_RETENTION_DAYS, 0)
  t.equal(loadConfig({ AUDIT_RETENTION_DAYS: '365', PURGE_INTERVAL: '60' }).PURGE_INTERVAL, 60)
  for (const value of ['-1', '1.5', 'ninety', '36501']) {
    t.throws(() => loadConfig({ AUDIT_RETENTION_DAYS: value }), { name: 'ConfigError', message: /AUDIT_RETENTION_DAYS/ }, `AUDIT_RETENTION_DAYS=${value}`)
  }
  for (const value of ['0', '9', '86401', '5m']) {
    t.throws(() => loadConfig({ PURGE_INTERVAL: value }), { name: 'ConfigError', message: /PURGE_INTERVAL/ }, `PURGE_INTERVAL=${value}`)
  }
})

t.test('production refuses a missing, short or placeholder JWT_SECRET', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), new ConfigError('JWT_SECRET is required when NODE_ENV=production'))
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'aB3$kL9pQ2' }), { message: /at least 32 bytes/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'change-me-change-me-change-me-change-me' }), { message: /placeholder/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'your-256-bit-secret-goes-here-000000' }), { message: /placeholder/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) }), { message: /distinct/ })
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG }).JWT_SECRET, STRONG)
  t.equal(weakSecretReason(STRONG), null)
  for (const placeholder of ['changeme-changeme-changeme-changeme', 'test-key-for-the-gateway-1234567890', 'my key is your key and this key is long', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxAbC123456789']) {
    t.match(weakSecretReason(placeholder), /placeholder/, placeholder)
  }
})

t.test('a generated secret is never taken for a placeholder because a short word turns up in it by chance', async (t) => {
  // Output of `openssl rand -base64 48` holding "Test", "YOUR" and "xXx": once refused as placeholders.
  for (const secret of ['q9Zk3TestR8vYOURp2xXxLm7Wd4Hj6Nc1Bf5Gs0Ka9Uo3Ei8Tp2QrS4vW6yZ8aB0cD2eF4gH', 'Rt5TeSt+9kYour/3xxxQ1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMm=']) {
    t.equal(weakSecretReason(secret), null, secret)
  }
})

t.test('production asks ES256 and EdDSA deployments for a private key', async (t) => {
  for (const algorithm of ['ES256', 'EdDSA']) {
    t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_ALGORITHM: algorithm }), { message: /JWT_PRIVATE_KEY_FILE/ })
    t.equal(loadConfig({ NODE_ENV: 'production', JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY_FILE: '/run/secrets/key.pem' }).JWT_ALGORITHM, algorithm)
  }
  t.throws(() => loadConfig({ JWT_ALGORITHM: 'RS256' }), { message: /JWT_ALGORITHM/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG, JWT_VERIFY_ONLY_SECRETS: 'short' }), { message: /JWT_VERIFY_ONLY_SECRETS/ })
})

t.test('development generates a secret once and keeps it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const resolve = (secret?: string) => resolveKeys({ algorithm: 'HS256', secret, dataDir: dir })
  const first = resolve()
  t.match(first.warning, /JWT_SECRET is not set/)
  t.ok(Buffer.byteLength(first.keys.signing.signingKey) >= 32)
  t.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), first.keys.signing.signingKey)
  const second = resolve()
  t.equal(second.keys.signing.signingKey, first.keys.signing.signingKey, 'the same secret after a restart')
  t.equal(second.keys.signing.kid, first.keys.signing.kid)
  const configured = resolve(STRONG)
  t.equal(configured.keys.signing.signingKey, STRONG)
  t.equal(configured.warning, undefined)
})
