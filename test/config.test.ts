import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig, weakSecretReason } from '../src/config.js'
import { resolveSigningKey } from '../src/tokens/keys.js'

const STRONG = 'q8N2vX4mB7kL1pR9sT3wY6zA5cD0fG2hJ4nM8bV'

t.test('defaults match the documented settings', async (t) => {
  const c = loadConfig({})
  t.equal(c.PORT, 3000)
  t.equal(c.HOST, '0.0.0.0')
  t.equal(c.DATABASE_URL, 'file:./data/authgate.db')
  t.equal(c.ACCESS_TOKEN_TTL, 900)
  t.equal(c.REFRESH_TOKEN_TTL, 604800)
  t.equal(c.ARGON2_MEMORY_KIB, 19456)
  t.equal(c.ARGON2_TIME_COST, 2)
  t.equal(c.ARGON2_PARALLELISM, 1)
  t.equal(c.NODE_ENV, 'development')
  t.equal(c.TRUST_PROXY, 'false')
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
})

t.test('production refuses a missing, short or placeholder JWT_SECRET', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), new ConfigError('JWT_SECRET is required when NODE_ENV=production'))
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'aB3$kL9pQ2' }), { message: /at least 32 bytes/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'change-me-change-me-change-me-change-me' }), { message: /placeholder/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'your-256-bit-secret-goes-here-000000' }), { message: /placeholder/ })
  t.throws(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a'.repeat(40) }), { message: /distinct/ })
  t.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG }).JWT_SECRET, STRONG)
  t.equal(weakSecretReason(STRONG), null)
})

t.test('development generates a secret once and keeps it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const first = resolveSigningKey(undefined, dir)
  t.match(first.warning, /JWT_SECRET is not set/)
  t.ok(Buffer.byteLength(first.key.secret) >= 32)
  t.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), first.key.secret)
  const second = resolveSigningKey(undefined, dir)
  t.equal(second.key.secret, first.key.secret, 'the same secret after a restart')
  t.equal(second.key.kid, first.key.kid)
  const configured = resolveSigningKey(STRONG, dir)
  t.equal(configured.key.secret, STRONG)
  t.equal(configured.warning, undefined)
})
