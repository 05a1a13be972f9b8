// Which services and tools the suites can use on this machine, decided in one
// place for every suite and for test/setup/migrate-templates.mjs (plain
// JavaScript, so that script can share it; types in services.d.mts).
//
// PostgreSQL and Redis are looked for at TEST_DATABASE_URL / TEST_REDIS_URL,
// or at their usual local addresses when those are not set. A suite whose
// service or tool is absent is declared skipped with the reason, so tap's
// output names it; with REQUIRE_ALL=1 (CI) it fails instead. A service named
// by a setting that does not answer is a failure too: someone asked for it.
import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import pg from 'pg'

export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/postgres'
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'

const PROBE_TIMEOUT_MS = 3000

/** A URL fit for a message: the password, if any, masked. */
function shown (url) {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(an unparsable URL)'
  }
}

function available (what, value) {
  return { what, ok: true, value, reason: '', configured: false }
}

function absent (what, reason, configured = false) {
  return { what, ok: false, value: '', reason, configured }
}

/** The service's URL from its setting, the usual local one, or null when the setting says "off". */
function serviceUrl (variable, fallback) {
  const value = process.env[variable]
  if (value === 'off') return { url: null, configured: false }
  if (value === undefined || value === '') return { url: fallback, configured: false }
  return { url: value, configured: true }
}

let postgresProbe
/** PostgreSQL at TEST_DATABASE_URL, else at DEFAULT_POSTGRES_URL; `value` is the server URL. */
export function postgres () {
  postgresProbe ??= (async () => {
    const { url, configured } = serviceUrl('TEST_DATABASE_URL', DEFAULT_POSTGRES_URL)
    if (url === null) return absent('PostgreSQL', 'TEST_DATABASE_URL=off turns the PostgreSQL suites off')
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS })
    try {
      await client.connect()
      await client.query('SELECT 1')
      return available('PostgreSQL', url)
    } catch (err) {
      const hint = configured ? '' : ' (set TEST_DATABASE_URL to a server where this user may create databases)'
      return absent('PostgreSQL', `PostgreSQL does not answer at ${shown(url)}: ${err.message}${hint}`, configured)
    } finally {
      await client.end().catch(() => {})
    }
  })()
  return postgresProbe
}

let redisProbe
/** Redis at TEST_REDIS_URL, else at DEFAULT_REDIS_URL; `value` is its URL. */
export function redis () {
  redisProbe ??= (async () => {
    const { url, configured } = serviceUrl('TEST_REDIS_URL', DEFAULT_REDIS_URL)
    if (url === null) return absent('Redis', 'TEST_REDIS_URL=off turns the Redis suites off')
    const client = new Redis(url, {
      lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null
    })
    // The socket's error (ECONNREFUSED …) says more than the rejected command's "Connection is closed".
    let socketError
    client.on('error', (err) => { socketError ??= err })
    try {
      await client.connect()
      await client.ping()
      return available('Redis', url)
    } catch (err) {
      const hint = configured ? '' : ' (set TEST_REDIS_URL to a Redis server)'
      return absent('Redis', `Redis does not answer at ${shown(url)}: ${(socketError ?? err).message}${hint}`, configured)
    } finally {
      client.disconnect()
    }
  })()
  return redisProbe
}

// Each tool: the commands tried in order, what proves one works, and the
// Debian package that provides it (what .ci/run installs).
const TOOLS = {
  nginx: { what: 'nginx', commands: ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx'], args: ['-v'], debian: 'nginx-light' },
  curl: { what: 'curl', commands: ['curl'], args: ['--version'], debian: 'curl' },
  jq: { what: 'jq', commands: ['jq'], args: ['--version'], debian: 'jq' },
  // The python3 first on PATH may be another installation than Debian's, without requests.
  'python3-requests': { what: "Python's requests", commands: ['python3', '/usr/bin/python3'], args: ['-c', 'import requests'], debian: 'python3-requests' },
  'docker-compose': { what: 'docker-compose', commands: ['docker-compose'], args: ['version'], debian: 'docker-compose' },
  chromium: { what: 'Chromium', commands: ['chromium', '/usr/bin/chromium'], args: ['--version'], debian: 'chromium' },
  // Lets a test running as root drop the capability to ignore file modes.
  setpriv: { what: 'setpriv', commands: ['setpriv', '/usr/bin/setpriv'], args: ['--version'], debian: 'util-linux' },
  // Mounts of a test's own (a small tmpfs) in a user namespace, which any user may make unless the kernel forbids it.
  unshare: {
    what: 'unshare with user namespaces',
    commands: ['unshare', '/usr/bin/unshare'],
    args: ['--user', '--map-root-user', '--mount', 'true'],
    debian: 'util-linux',
    unavailable: 'unshare could not make a user and mount namespace (util-linux; the kernel must allow unprivileged user namespaces)'
  },
  // Debian installs it outside an ordinary user's PATH.
  pgbouncer: { what: 'PgBouncer', commands: ['pgbouncer', '/usr/sbin/pgbouncer'], args: ['--version'], debian: 'pgbouncer' }
}

const toolChecks = new Map()
/** A command-line tool; `value` is the command to run. */
export function tool (name) {
  const spec = TOOLS[name]
  if (spec === undefined) throw new Error(`unknown tool "${name}"; known: ${Object.keys(TOOLS).join(', ')}`)
  if (!toolChecks.has(name)) {
    const command = spec.commands.find(c => spawnSync(c, spec.args, { stdio: 'ignore', timeout: 10_000 }).status === 0)
    toolChecks.set(name, command !== undefined
      ? available(spec.what, command)
      : absent(spec.what, spec.unavailable ?? `${spec.what} is not installed (apt-get install ${spec.debian}; .ci/run installs it)`))
  }
  return toolChecks.get(name)
}

/** REQUIRE_ALL=1 (set by .ci/run): a suite that cannot run fails instead of being skipped. */
export function requireAll () {
  return process.env.REQUIRE_ALL === '1'
}

/**
 * Whether a suite with these needs runs: `{ run: true }`, or the reason it
 * cannot and whether that is a failure (REQUIRE_ALL=1, or a service a setting
 * named does not answer) rather than a skip.
 */
export function verdict (needs) {
  const unmet = needs.filter(n => !n.ok)
  if (unmet.length === 0) return { run: true }
  const reason = unmet.map(n => n.reason).join('; ')
  if (requireAll()) return { run: false, fatal: true, reason: `${reason} (REQUIRE_ALL=1: every suite must run)` }
  return { run: false, fatal: unmet.some(n => n.configured), reason }
}

/**
 * Declares a subtest of `parent` that runs only when every need is met;
 * otherwise it is reported as skipped with the reason, or failed (see verdict).
 */
export function testWith (parent, name, needs, fn) {
  const decided = verdict(needs)
  if (decided.run) return parent.test(name, fn)
  if (decided.fatal) return parent.test(name, async (t) => { t.fail(decided.reason) })
  return parent.test(name, { skip: decided.reason }, fn)
}
