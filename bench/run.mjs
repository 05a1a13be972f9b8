// npm run bench: builds the gateway, starts it as `npm start` would, drives it
// over loopback with wrk, and prints one table of figures as ratios to the
// ceilings measured in the same run: a separate process running Fastify's
// hello world with the same fastify (bench/bare-fastify.mjs; also asked with
// the read paths' bearer header), and raw argon2 with the gateway's
// parameters; beside them, Mercurius's hello world (bench/bare-mercurius.mjs),
// the ceiling of any GraphQL route. Writes bench/results.json too.
// On SQLite; on PostgreSQL too when BENCH_DATABASE_URL names a server (each
// run creates a database of its own there and drops it afterwards).
//   npm run bench -- --large   costs on a database of 1,000,000 users and
//                              5,000,000 sessions, and a mass revocation (bench/large.mjs)
//   npm run bench -- --soak    RSS over 10 minutes of mixed load (bench/soak.mjs)
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import argon2 from 'argon2'
import {
  ADMIN, ARGON2, CONNECTIONS, HERE, SECONDS, THREADS, atLeast, below, cpuSeconds, fmt, gatewayEnv, int, intAtLeast, login, loginScenario, median, post, refreshPool, requireWrk, rotationScenario, rssMb, run,
  startBare, startGateway, stop, withPostgresDatabase, wrk
} from './lib.mjs'
import { HALF, ROUNDS, measureReads, timed } from './reads.mjs'

/**
 * Logins run on the fresh process before the measured ones, not counted. At
 * a login's pace (≈ 80 a second) V8 optimises the login path's code over the
 * process's first minute: the main thread's CPU a login fell from 2.1 ms in
 * the first 6 s to 1.4–1.6 ms after 40 s in one process (docs/benchmark.md).
 */
const LOGIN_WARMUP_SECONDS = Math.min(20, 2.5 * SECONDS)
/** Rounds of logins, each between two runs of raw argon2; the median ratio counts. */
const LOGIN_ROUNDS = Number(process.env.BENCH_LOGIN_ROUNDS ?? 3)
/** How long each run of raw argon2 between the rounds of logins lasts. */
const RAW_ARGON2_SECONDS = Math.min(4, SECONDS)
/** The same number of hashes at once as the gateway (its default: one per core, at most four). */
const ARGON2_CONCURRENCY = Number(process.env.ARGON2_CONCURRENCY ?? Math.min(availableParallelism(), 4))

/** Rounds of rotations; the median counts, so one slow moment of the machine does not make the figure. */
const ROTATION_ROUNDS = Number(process.env.BENCH_ROTATION_ROUNDS ?? 3)

/** Rotations in rounds, each from a pool of tokens of its own (a round leaves its pool's tokens retired). */
async function rotations (gateway) {
  const runs = []
  for (let i = 0; i < ROTATION_ROUNDS; i++) runs.push(timed(gateway, rotationScenario(await refreshPool(gateway.port))))
  return {
    rps: median(runs.map(r => r.rps)),
    rounds_rps: runs.map(r => r.rps),
    p99_ms: median(runs.map(r => r.p99_ms)),
    cpu_us: median(runs.map(r => r.cpu_us)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0)
  }
}

/** Raw argon2id verifies per second with the gateway's parameters and hash concurrency, and this process's CPU ms a verify. */
async function rawArgon2 (concurrency, seconds) {
  const hash = await argon2.hash(ADMIN.password, { type: argon2.argon2id, ...ARGON2 })
  let done = 0
  const cpu = cpuSeconds(process.pid)
  const until = performance.now() + seconds * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) { await argon2.verify(hash, ADMIN.password); done++ }
  }))
  return { rps: done / seconds, cpuMs: 1000 * (cpuSeconds(process.pid) - cpu) / done }
}

/**
 * REST logins against raw argon2 on a fresh gateway: after the warm-up,
 * rounds of logins, each between two runs of raw argon2 (a machine whose
 * speed drifts moves both sides of a round's ratio alike); the round of the
 * median ratio counts. CPU a login (the process's, its main thread's) over
 * all rounds; the gateway is idle while raw argon2 runs.
 */
async function logins ({ child, port }) {
  wrk(port, loginScenario({ connections: 8, seconds: LOGIN_WARMUP_SECONDS }))
  const cpu = { process: cpuSeconds(child.pid), main: cpuSeconds(child.pid, child.pid) }
  let before = await rawArgon2(ARGON2_CONCURRENCY, RAW_ARGON2_SECONDS)
  const rounds = []
  for (let i = 0; i < LOGIN_ROUNDS; i++) {
    const run = wrk(port, loginScenario({ connections: 8 }))
    const after = await rawArgon2(ARGON2_CONCURRENCY, RAW_ARGON2_SECONDS)
    const argon2Rps = (before.rps + after.rps) / 2
    rounds.push({ ...run, argon2_rps: argon2Rps, argon2_cpu_ms: (before.cpuMs + after.cpuMs) / 2, ratio: run.rps / argon2Rps })
    before = after
  }
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0)
  const counted = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]
  return {
    login_rps: counted.rps,
    argon2_rps: counted.argon2_rps,
    argon2_cpu_ms: median(rounds.map(r => r.argon2_cpu_ms)),
    login_rounds_ratio: rounds.map(r => r.ratio),
    login_cpu_ms: 1000 * (cpuSeconds(child.pid) - cpu.process) / requests,
    login_main_thread_cpu_ms: 1000 * (cpuSeconds(child.pid, child.pid) - cpu.main) / requests,
    login_errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rss_peak_mb: rssMb(child.pid).peak
  }
}

async function benchProvider (label, databaseUrl, dataDir, ceilings) {
  const env = gatewayEnv(databaseUrl, dataDir, randomBytes(48).toString('base64url'))
  // The first start applies the migrations and creates the administrator; the second one measures start to ready.
  const first = await startGateway(env)
  await stop(first.child)
  let { child, port, readyMs } = await startGateway(env)
  try {
    const { access_token: token } = await login(port)
    const results = { provider: label, ready_ms: readyMs, reads: measureReads(ceilings, { port, child }, token) }

    results.rotation = await rotations({ port, child })

    const gql = await post(port, '/graphql', { query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { refreshToken } }', variables: { u: ADMIN.email, p: ADMIN.password } })
    const reusable = gql.body.data.login.refreshToken
    const nsRefresh = wrk(port, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken expiresIn } }', variables: { r: reusable } }) })
    const caRefresh = wrk(port, { method: 'POST', path: '/service/Auth', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query($t: String) { refresh(token: $t) { jwt } }', variables: { t: reusable } }) })
    results.graphql_refresh_rps = nsRefresh.rps
    results.service_auth_refresh_rps = caRefresh.rps
    results.graphql_refresh_errors = nsRefresh.errors + caRefresh.errors

    // A fresh process for the logins, so the peak RSS is that load's and not the earlier scenarios'.
    await stop(child)
    ;({ child, port } = await startGateway(env))
    Object.assign(results, await logins({ child, port }))
    const nsLogin = wrk(port, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresIn } }', variables: { u: ADMIN.email, p: ADMIN.password } }), connections: 8 })
    const caLogin = wrk(port, { method: 'POST', path: '/service/Auth', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query($u: String, $p: String) { login(username: $u, password: $p) { jwt refresh } }', variables: { u: ADMIN.email, p: ADMIN.password } }), connections: 8 })
    results.login_errors += nsLogin.errors + caLogin.errors
    results.graphql_login_ratio = nsLogin.rps / results.login_rps
    results.service_auth_login_ratio = caLogin.rps / results.login_rps
    return results
  } finally {
    await stop(child)
  }
}

const READ_ROWS = [
  ['verify', '`GET /auth/verify`', 0.85],
  ['profile', '`GET /auth/profile`', 0.75],
  ['graphql_me', '`/graphql` `{ me { id } }`', 0.5],
  ['live', '`GET /health/live`', undefined]
]

function table (all) {
  const rows = []
  for (const r of all) {
    const p = r.provider
    for (const [key, name, target] of READ_ROWS) {
      const read = r.reads[key]
      const toLive = key === 'live' ? '' : `; ${fmt(read.live_ratio)}× /health/live`
      const toMercurius = read.mercurius_ratio === undefined ? '' : `; ${fmt(read.mercurius_ratio)}× bare Mercurius`
      // The rounds' range shows how much the machine moved during the run.
      const rounds = `; rounds ${fmt(Math.min(...read.ratios))}–${fmt(Math.max(...read.ratios))}`
      rows.push([p, `${name}, ratio to bare Fastify`, `${target === undefined ? fmt(read.ratio) : atLeast(read.ratio)} (${int(read.rps)} / ${int(r.reads.bare_rps)} req/s${rounds}${toLive}${toMercurius}); CPU ${fmt(read.cpu_us, 1)} / ${fmt(r.reads.bare_cpu_us, 1)} µs a request; p99 ${fmt(read.p99_ms, 1)} ms, ${read.errors} errors`, target === undefined ? '' : `≥ ${target}`])
    }
    const ceiling = ({ ratio, rps, cpu_us: cpu }) => `${fmt(ratio)} (${int(rps)} / ${int(r.reads.bare_rps)} req/s); CPU ${fmt(cpu, 1)} / ${fmt(r.reads.bare_cpu_us, 1)} µs a request`
    rows.push([p, 'bare Fastify, the request carrying the read paths\' bearer header, ratio to bare Fastify', ceiling(r.reads.with_token), ''])
    rows.push([p, 'bare Mercurius answering `{ me { id } }` from a constant (the same request; no authentication, no hooks), ratio to bare Fastify', ceiling(r.reads.mercurius), ''])
    const rotation = r.rotation
    rows.push([p, '`POST /auth/refresh-token` (rotation)', `${intAtLeast(rotation.rps)} req/s (rounds ${rotation.rounds_rps.map(intAtLeast).join(', ')}); CPU ${fmt(rotation.cpu_us, 0)} µs a rotation; p99 ${fmt(rotation.p99_ms, 1)} ms, ${rotation.errors} errors`, p === 'sqlite' ? '≥ 2,500 req/s, 0 errors' : '≥ 1,800 req/s, 0 errors'])
    rows.push([p, 'GraphQL refresh (`/graphql`, `/service/Auth`; sessions that do not rotate)', `${int(r.graphql_refresh_rps)}, ${int(r.service_auth_refresh_rps)} req/s, ${r.graphql_refresh_errors} errors`, ''])
    rows.push([p, '`POST /auth/login`, ratio to raw argon2', `${atLeast(r.login_rps / r.argon2_rps)} (${fmt(r.login_rps, 1)} / ${fmt(r.argon2_rps, 1)} per s; rounds ${r.login_rounds_ratio.map(x => fmt(x)).join(', ')}); CPU ${fmt(r.login_cpu_ms, 1)} ms a login (main thread ${fmt(r.login_main_thread_cpu_ms, 2)}) / ${fmt(r.argon2_cpu_ms, 1)} a raw verify; ${r.login_errors} errors`, '≥ 0.9'])
    rows.push([p, 'GraphQL login, ratio to REST (`/graphql`, `/service/Auth`)', `${atLeast(r.graphql_login_ratio)}, ${atLeast(r.service_auth_login_ratio)}`, '≥ 0.8'])
    rows.push([p, 'peak RSS under the login load', `${below(r.rss_peak_mb)} MB`, '< 300 MB'])
    rows.push([p, 'start to ready (database already migrated)', `${below(r.ready_ms)} ms`, '< 2000 ms'])
  }
  const header = ['database', 'scenario', 'figure', 'target']
  return [header, header.map(() => '---'), ...rows].map(r => `| ${r.join(' | ')} |`).join('\n')
}

export function machine () {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`
}

async function main () {
  const mode = process.argv.includes('--large') ? 'large' : process.argv.includes('--soak') ? 'soak' : 'default'
  requireWrk()
  run('npm', ['run', 'build:server', '--silent'])
  const work = mkdtempSync(join(tmpdir(), 'authgate-bench-data-'))
  const bare = await startBare()
  let mercurius
  const header = () => `${new Date().toISOString()}; ${machine()}; load average ${loadavg().map(l => l.toFixed(1)).join(' ')}`
  console.log(`# ${header()}`)
  try {
    if (mode !== 'default') {
      const { runLarge, runSoak } = await import(mode === 'large' ? './large.mjs' : './soak.mjs')
      const report = await (mode === 'large' ? runLarge : runSoak)({ work, bare })
      writeFileSync(join(HERE, `results-${mode}.json`), JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...report.json }, null, 2) + '\n')
      console.log(`\n${header()}\n\n${report.text}`)
      return
    }
    // Started inside the try, so a failed start still stops the bare Fastify process.
    mercurius = await startBare('bare-mercurius.mjs')
    const ceilings = { bare, withToken: true, mercurius }
    const results = [await benchProvider('sqlite', `file:${join(work, 'bench.db')}`, work, ceilings)]
    if (process.env.BENCH_DATABASE_URL) results.push(await withPostgresDatabase(process.env.BENCH_DATABASE_URL, 'run', (url) => benchProvider('postgresql', url, work, ceilings)))
    writeFileSync(join(HERE, 'results.json'), JSON.stringify({ date: new Date().toISOString(), machine: machine(), seconds: SECONDS, connections: CONNECTIONS, results }, null, 2) + '\n')
    console.log(`\n${header()}\nwrk -t${THREADS} -c${CONNECTIONS}; read paths ${ROUNDS} rounds, each path's ${HALF} s between two runs of bare Fastify, median round; rotation ${ROTATION_ROUNDS} rounds of ${SECONDS} s, median; others ${SECONDS} s (logins -c8, after ${LOGIN_WARMUP_SECONDS} s not counted, ${LOGIN_ROUNDS} rounds between runs of raw argon2, median)\n`)
    console.log(table(results))
  } finally {
    await stop(bare.child)
    if (mercurius !== undefined) await stop(mercurius.child)
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
