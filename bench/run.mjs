// npm run bench: builds and starts the gateway as `npm start` would, drives it
// over loopback with wrk, and prints one table of figures as ratios to the
// physical limits measured in the same run (a bare route of the same
// process, raw argon2 with the same parameters). Also writes bench/results.json.
// On SQLite; on PostgreSQL too when BENCH_DATABASE_URL is set.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import argon2 from 'argon2'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const THREADS = 2
/** Alternating bare/profile pairs; the median one is reported. */
const PAIRS = 5
const HALF = Math.max(1, Math.round(SECONDS / 2))
const ADMIN = { email: 'bench@example.com', password: 'bench-password-1' }
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 }
/** The same number of hashes at once as the gateway (its default: one per core, at most four). */
const ARGON2_CONCURRENCY = Number(process.env.ARGON2_CONCURRENCY ?? Math.min(availableParallelism(), 4))

function requireWrk () {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
  } catch (err) {
    // wrk prints its version and exits 1; only a missing binary throws ENOENT.
    if (err.code === 'ENOENT') {
      console.error('wrk is needed: apt-get install wrk (Debian/Ubuntu)')
      process.exit(1)
    }
  }
}

function run (command, args, env = {}) {
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } })
}

async function freePort () {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

/** Starts the built server; resolves once /health/ready answers 200, with the ms that took. */
async function startServer (env) {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, ['dist/src/server.js'], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] })
  let exited = null
  child.once('exit', (code) => { exited = code })
  for (;;) {
    if (exited !== null) throw new Error(`server exited with ${exited}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(r => r.ok, () => false)
    if (ok) return { child, port, readyMs: performance.now() - started }
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

async function stop (child) {
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/** Peak resident set of a process, MB (Linux). */
function peakRssMb (pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024
}

const REPORT = readFileSync(join(HERE, 'report.lua'), 'utf8')
const ROTATE = readFileSync(join(HERE, 'rotate.lua'), 'utf8')
const scripts = mkdtempSync(join(tmpdir(), 'authgate-bench-'))

function luaString (value) {
  return JSON.stringify(value)
}

/** Runs wrk; returns {rps, p99_ms, errors, non2xx, requests}. */
function wrk (port, { method = 'GET', path, headers = {}, body, script, args = [], connections = CONNECTIONS, seconds = SECONDS }) {
  let lua = script
  if (lua === undefined) {
    lua = `wrk.method = ${luaString(method)}\n` +
      (body !== undefined ? `wrk.body = ${luaString(body)}\n` : '') +
      Object.entries(headers).map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}\n`).join('')
  }
  const file = join(scripts, `s${randomBytes(4).toString('hex')}.lua`)
  writeFileSync(file, lua + '\n' + REPORT)
  const out = execFileSync('wrk', [`-t${THREADS}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', file, `http://127.0.0.1:${port}${path}`, ...(args.length ? ['--', ...args] : [])], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const line = out.split('\n').find(l => l.startsWith('BENCH '))
  const figures = JSON.parse(line.slice('BENCH '.length))
  return { ...figures, rps: figures.requests / figures.seconds }
}

async function post (port, path, body, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

/** Raw argon2id verifies per second with the gateway's parameters and hash concurrency. */
async function rawArgon2 (concurrency, seconds) {
  const hash = await argon2.hash(ADMIN.password, { type: argon2.argon2id, ...ARGON2 })
  let done = 0
  const until = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) { await argon2.verify(hash, ADMIN.password); done++ }
  }))
  return done / seconds
}

async function benchProvider (label, databaseUrl, dataDir) {
  const env = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(48).toString('base64url'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // All load comes from one address: keep the per-IP limits (and their cost) but out of reach.
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '1000000',
    ...JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}')
  }
  run('npx', ['prisma', 'migrate', 'deploy'], { DATABASE_URL: databaseUrl })
  // First start creates the administrator; the second one measures start to ready.
  const first = await startServer(env)
  await stop(first.child)
  let { child, port, readyMs } = await startServer(env)
  try {
    const login = await post(port, '/auth/login', ADMIN)
    if (login.status !== 201) throw new Error(`login failed: ${JSON.stringify(login)}`)
    const bearer = { authorization: `Bearer ${login.body.access_token}` }
    const results = { provider: label }

    // Bare and profile runs alternate and the median pair counts: on a machine
    // shared with other work, load that comes and goes then lands on both sides.
    const pairs = []
    for (let i = 0; i < PAIRS; i++) {
      const bare = wrk(port, { path: '/health/live', seconds: HALF })
      const profile = wrk(port, { path: '/auth/profile', headers: bearer, seconds: HALF })
      pairs.push({ bare, profile, ratio: profile.rps / bare.rps })
    }
    pairs.sort((a, b) => a.ratio - b.ratio)
    const median = pairs[Math.floor(PAIRS / 2)]
    results.bare_rps = median.bare.rps
    results.profile_rps = median.profile.rps
    results.profile_ratio = median.ratio
    results.profile_ratios = pairs.map(p => p.ratio)
    results.profile_errors = pairs.reduce((sum, p) => sum + p.profile.errors, 0)

    // A pool of live refresh tokens larger than the connections, one login each.
    const pool = []
    for (let i = 0; i < CONNECTIONS * 2; i++) pool.push((await post(port, '/auth/login', ADMIN)).body.refresh_token)
    const rotate = wrk(port, { method: 'POST', path: '/auth/refresh-token', script: ROTATE, args: [String(THREADS), ...pool] })
    results.refresh_rps = rotate.rps
    results.refresh_p99_ms = rotate.p99_ms
    results.refresh_errors = rotate.errors

    const gql = await post(port, '/graphql', { query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { refreshToken } }', variables: { u: ADMIN.email, p: ADMIN.password } })
    const staticRefresh = gql.body.data.login.refreshToken
    const nsRefresh = wrk(port, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken expiresIn } }', variables: { r: staticRefresh } }) })
    const caRefresh = wrk(port, { method: 'POST', path: '/service/Auth', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query($t: String) { refresh(token: $t) { jwt } }', variables: { t: staticRefresh } }) })
    results.graphql_refresh_ratio = nsRefresh.rps / rotate.rps
    results.service_auth_refresh_ratio = caRefresh.rps / rotate.rps
    results.graphql_refresh_errors = nsRefresh.errors + caRefresh.errors

    const loginBody = JSON.stringify(ADMIN)
    // A fresh process for the logins, so the peak RSS is that load's and not the earlier scenarios'.
    await stop(child)
    ;({ child, port } = await startServer(env))
    // Raw argon2 just before and just after the logins, so a machine whose speed drifts
    // (other work coming and going) moves both sides of the ratio alike.
    const argon2Before = await rawArgon2(ARGON2_CONCURRENCY, 5)
    const restLogin = wrk(port, { method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body: loginBody, connections: 8 })
    results.rss_peak_mb = peakRssMb(child.pid)
    results.argon2_rps = (argon2Before + await rawArgon2(ARGON2_CONCURRENCY, 5)) / 2
    const nsLogin = wrk(port, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresIn } }', variables: { u: ADMIN.email, p: ADMIN.password } }), connections: 8 })
    const caLogin = wrk(port, { method: 'POST', path: '/service/Auth', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query($u: String, $p: String) { login(username: $u, password: $p) { jwt refresh } }', variables: { u: ADMIN.email, p: ADMIN.password } }), connections: 8 })
    results.login_rps = restLogin.rps
    results.login_errors = restLogin.errors + nsLogin.errors + caLogin.errors
    results.graphql_login_ratio = nsLogin.rps / restLogin.rps
    results.service_auth_login_ratio = caLogin.rps / restLogin.rps
    results.ready_ms = readyMs
    return results
  } finally {
    await stop(child)
  }
}

function table (all) {
  const rows = []
  const fmt = (n, d = 2) => Number.isFinite(n) ? n.toFixed(d) : 'n/a'
  for (const r of all) {
    const p = r.provider
    rows.push([p, 'GET /auth/profile, ratio to the bare route', `${fmt(r.profile_ratio)} (${fmt(r.profile_rps, 0)} / ${fmt(r.bare_rps, 0)} req/s)`, '≥ 0.85'])
    rows.push([p, 'POST /auth/refresh-token (rotation)', `${fmt(r.refresh_rps, 0)} req/s, p99 ${fmt(r.refresh_p99_ms, 1)} ms, ${r.refresh_errors} errors`, '≥ 1500 req/s, 0 errors'])
    rows.push([p, 'POST /auth/login, ratio to raw argon2', `${fmt(r.login_rps / r.argon2_rps)} (${fmt(r.login_rps, 1)} / ${fmt(r.argon2_rps, 1)} per s)`, '≥ 0.9'])
    rows.push([p, 'GraphQL login, ratio to REST (/graphql, /service/Auth)', `${fmt(r.graphql_login_ratio)}, ${fmt(r.service_auth_login_ratio)}`, '≥ 0.8'])
    rows.push([p, 'GraphQL refresh, ratio to REST rotation (/graphql, /service/Auth)', `${fmt(r.graphql_refresh_ratio)}, ${fmt(r.service_auth_refresh_ratio)}`, '≥ 0.8'])
    rows.push([p, 'peak RSS under the login load', `${fmt(r.rss_peak_mb, 0)} MB`, '< 300 MB'])
    rows.push([p, 'start to ready, migrations applied', `${fmt(r.ready_ms, 0)} ms`, '< 1000 ms'])
  }
  const header = ['database', 'scenario', 'figure', 'target']
  const lines = [header, header.map(() => '---'), ...rows].map(r => `| ${r.join(' | ')} |`)
  return lines.join('\n')
}

requireWrk()
run('npm', ['run', 'build', '--silent'])
const results = []
const work = mkdtempSync(join(tmpdir(), 'authgate-bench-data-'))
try {
  results.push(await benchProvider('sqlite', `file:${join(work, 'bench.db')}`, work))
  if (process.env.BENCH_DATABASE_URL) results.push(await benchProvider('postgresql', process.env.BENCH_DATABASE_URL, work))
} finally {
  rmSync(work, { recursive: true, force: true })
  rmSync(scripts, { recursive: true, force: true })
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`
const output = { date: new Date().toISOString(), machine, seconds: SECONDS, connections: CONNECTIONS, results }
writeFileSync(join(HERE, 'results.json'), JSON.stringify(output, null, 2) + '\n')
console.log(`\n${machine}; wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s (logins -c8)\n`)
console.log(table(results))
