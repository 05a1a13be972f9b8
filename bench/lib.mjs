// What every benchmark scenario uses: starting and stopping processes,
// driving them with wrk, reading their memory.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const HERE = dirname(fileURLToPath(import.meta.url))
export const ROOT = resolve(HERE, '..')
export const THREADS = 2
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
export const ADMIN = { email: 'bench@example.com', password: 'bench-password-1' }

export function requireWrk () {
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

export function run (command, args, env = {}) {
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } })
}

export async function freePort () {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

export const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))

/** The gateway's settings for a benchmark run on `databaseUrl`. */
export function gatewayEnv (databaseUrl, dataDir, secret) {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    JWT_SECRET: secret,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // All load comes from one address: keep the per-IP limits (and their cost) but out of reach,
    // a million requests a second (a million a minute is within reach of a fast machine).
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_WINDOW: '1',
    ...JSON.parse(process.env.BENCH_SERVER_ENV ?? '{}')
  }
}

/** Starts the built gateway; resolves once /health/ready answers 200, with the ms that took. */
export async function startGateway (env, port) {
  port ??= await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, ['dist/src/server.js'], { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] })
  let exited = null
  child.once('exit', (code) => { exited = code })
  for (;;) {
    if (exited !== null) throw new Error(`server exited with ${exited}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(r => r.ok, () => false)
    if (ok) return { child, port, readyMs: performance.now() - started }
    await sleep(5)
  }
}

/** Starts bench/bare-fastify.mjs, the framework's ceiling, or another of the bench's bare processes. */
export async function startBare (script = 'bare-fastify.mjs') {
  const child = spawn(process.execPath, [join(HERE, script)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const port = Number((await nextLine(lines, child)).trim())
  return { child, port }
}

/** The next line `child` prints; an error if it exits first. */
async function nextLine (lines, child) {
  const abandon = new AbortController()
  try {
    const [line] = await Promise.race([
      once(lines, 'line', { signal: abandon.signal }),
      once(child, 'exit', { signal: abandon.signal }).then(([code]) => { throw new Error(`a bare process exited (${code}) before it was ready`) })
    ])
    return line
  } finally {
    abandon.abort()
  }
}

export async function stop (child) {
  if (child.exitCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/** CPU time (user + system) a process, or one of its threads, has used so far, seconds (Linux; clock ticks of 1/100 s). */
export function cpuSeconds (pid, thread) {
  const fields = readFileSync(`/proc/${pid}${thread === undefined ? '' : `/task/${thread}`}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Resident set of a process now and at its peak, MB (Linux). */
export function rssMb (pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN)
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

const REPORT = readFileSync(join(HERE, 'report.lua'), 'utf8')
const ROTATE = readFileSync(join(HERE, 'rotate.lua'), 'utf8')

/** The gateway's argon2id parameters (its defaults), for raw argon2 and seeded password hashes. */
export const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 }

/** A wrk scenario of REST logins as the administrator. */
export const loginScenario = (options = {}) => ({ method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN), ...options })

/** A wrk scenario of REST rotations, each thread taking its tokens from `pool` and putting back their successors (rotate.lua). */
export const rotationScenario = (pool, options = {}) => ({ method: 'POST', path: '/auth/refresh-token', script: ROTATE, args: [String(THREADS), ...pool], ...options })
const scripts = mkdtempSync(join(tmpdir(), 'authgate-bench-'))
process.on('exit', () => rmSync(scripts, { recursive: true, force: true }))

function wrkArgs (port, { method = 'GET', path, headers = {}, body, script, args = [], connections = CONNECTIONS, seconds = SECONDS }) {
  let lua = script
  if (lua === undefined) {
    lua = `wrk.method = ${JSON.stringify(method)}\n` +
      (body !== undefined ? `wrk.body = ${JSON.stringify(body)}\n` : '') +
      Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}\n`).join('')
  }
  const file = join(scripts, `s${randomBytes(4).toString('hex')}.lua`)
  writeFileSync(file, lua + '\n' + REPORT)
  return [`-t${THREADS}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', file, `http://127.0.0.1:${port}${path}`, ...(args.length ? ['--', ...args] : [])]
}

function figures (out) {
  const line = out.split('\n').find(l => l.startsWith('BENCH '))
  const parsed = JSON.parse(line.slice('BENCH '.length))
  return { ...parsed, rps: parsed.requests / parsed.seconds }
}

/** Runs wrk; returns {rps, p50_ms, p99_ms, errors, non2xx, requests}. */
export function wrk (port, scenario) {
  return figures(execFileSync('wrk', wrkArgs(port, scenario), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }))
}

/** Runs wrk without blocking this process (several loads at once). */
export function wrkAsync (port, scenario) {
  return new Promise((resolve, reject) => {
    execFile('wrk', wrkArgs(port, scenario), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, out) => {
      if (err) reject(err)
      else resolve(figures(out))
    })
  })
}

/**
 * How undici reports a kept-alive connection the server had closed: a socket
 * error, or EPIPE or ECONNRESET when the request is written into it (EPIPE
 * seen on Node.js 26).
 */
const CLOSED_CONNECTION = new Set(['UND_ERR_SOCKET', 'EPIPE', 'ECONNRESET'])

/**
 * fetch, once more on a new connection when a kept-alive one turns out to be
 * closed: wrk runs synchronously, so while it runs this process cannot see
 * the server close the connections it left idle (after keepAliveTimeout).
 */
export async function request (url, init) {
  try {
    return await fetch(url, init)
  } catch (err) {
    if (!CLOSED_CONNECTION.has(err?.cause?.code)) throw err
    return await fetch(url, init)
  }
}

export async function post (port, path, body, headers = {}) {
  const res = await request(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

export async function login (port) {
  const res = await post(port, '/auth/login', ADMIN)
  if (res.status !== 201) throw new Error(`login failed: ${JSON.stringify(res)}`)
  return res.body
}

/** Live refresh tokens, one login each: more than the connections, so none is presented twice. */
export async function refreshPool (port, size = CONNECTIONS * 2) {
  const pool = []
  for (let i = 0; i < size; i++) pool.push((await login(port)).refresh_token)
  return pool
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
export const fmt = (n, d = 2) => Number.isFinite(n) ? n.toFixed(d) : 'n/a'
export const int = (n) => Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
/**
 * A figure set against a target it must reach (≥), rounded down, and one set
 * against a limit it must stay under (<), rounded up: printed, a figure short
 * of its target never reads as meeting it (0.849 is 0.84, not 0.85).
 */
export const atLeast = (n, d = 2) => Number.isFinite(n) ? (Math.floor(n * 10 ** d + 1e-9) / 10 ** d).toFixed(d) : 'n/a'
export const below = (n, d = 0) => Number.isFinite(n) ? (Math.ceil(n * 10 ** d - 1e-9) / 10 ** d).toFixed(d) : 'n/a'
export const intAtLeast = (n) => int(Math.floor(n))

/**
 * Runs `work` with the URL of a new database on the PostgreSQL server that
 * BENCH_DATABASE_URL names, dropped afterwards: every run starts empty, and
 * the database named there is never written to.
 */
export async function withPostgresDatabase (serverUrl, purpose, work) {
  const name = `authgate_bench_${purpose}_${process.pid}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  try {
    return await work(url.toString())
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  }
}
