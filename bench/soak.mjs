// npm run bench -- --soak: the gateway's memory under a long mixed load.
// Logins, rotations, profile reads and forward-auth checks run at once, in
// one-minute wrk runs, for BENCH_SOAK_MINUTES (10); the RSS is sampled every
// 5 s. Reported: the curve (each minute's highest sample) and whether the
// second half rose above the first.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ADMIN, ROTATE, THREADS, fmt, gatewayEnv, int, login, refreshPool, rssMb, startGateway, stop, withPostgresDatabase, wrkAsync } from './lib.mjs'

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10)
const SAMPLE_MS = 5000

async function soakProvider (provider, url, work) {
  const env = gatewayEnv(url, work, randomBytes(48).toString('base64url'))
  const gateway = await startGateway(env)
  const samples = []
  const sampler = setInterval(() => samples.push({ at: performance.now(), ...rssMb(gateway.child.pid) }), SAMPLE_MS)
  const started = performance.now()
  const totals = { login: 0, refresh: 0, profile: 0, verify: 0, errors: 0 }
  try {
    for (let minute = 0; minute < MINUTES; minute++) {
      const { access_token: token } = await login(gateway.port)
      const bearer = { authorization: `Bearer ${token}` }
      const pool = await refreshPool(gateway.port, 32)
      const loads = await Promise.all([
        wrkAsync(gateway.port, { method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN), connections: 2, seconds: 60 }),
        wrkAsync(gateway.port, { method: 'POST', path: '/auth/refresh-token', script: ROTATE, args: [String(THREADS), ...pool], connections: 8, seconds: 60 }),
        wrkAsync(gateway.port, { path: '/auth/profile', headers: bearer, connections: 8, seconds: 60 }),
        wrkAsync(gateway.port, { path: '/auth/verify', headers: bearer, connections: 8, seconds: 60 })
      ])
      ;['login', 'refresh', 'profile', 'verify'].forEach((name, i) => { totals[name] += loads[i].requests; totals.errors += loads[i].errors })
      const last = samples.at(-1)
      process.stdout.write(`\r${provider}: minute ${minute + 1} / ${MINUTES}, RSS ${fmt(last?.now ?? NaN, 0)} MB   `)
    }
  } finally {
    clearInterval(sampler)
    await stop(gateway.child)
  }
  process.stdout.write('\n')
  const perMinute = Array.from({ length: MINUTES }, (_, m) => Math.max(...samples.filter(s => s.at - started >= m * 60_000 && s.at - started < (m + 1) * 60_000).map(s => s.now)))
  const half = Math.floor(MINUTES / 2)
  return {
    provider,
    per_minute_mb: perMinute,
    first_half_max_mb: Math.max(...perMinute.slice(0, half)),
    second_half_max_mb: Math.max(...perMinute.slice(half)),
    peak_mb: Math.max(...samples.map(s => s.peak)),
    totals
  }
}

function report (all) {
  return all.map(r => [
    `${r.provider}: RSS each minute (MB): ${r.per_minute_mb.map(v => fmt(v, 0)).join(', ')}`,
    `  highest in the first half ${fmt(r.first_half_max_mb, 0)} MB, in the second ${fmt(r.second_half_max_mb, 0)} MB` +
      ` (${r.second_half_max_mb <= r.first_half_max_mb * 1.05 ? 'flat' : 'STILL GROWING'}); peak ${fmt(r.peak_mb, 0)} MB (target < 300 MB)`,
    `  requests: ${int(r.totals.login)} logins, ${int(r.totals.refresh)} rotations, ${int(r.totals.profile)} profiles, ${int(r.totals.verify)} verifies; ${r.totals.errors} errors`
  ].join('\n')).join('\n')
}

export async function runSoak ({ work }) {
  const all = [await soakProvider('sqlite', `file:${join(work, 'soak.db')}`, work)]
  if (process.env.BENCH_DATABASE_URL) all.push(await withPostgresDatabase(process.env.BENCH_DATABASE_URL, 'soak', (url) => soakProvider('postgresql', url, work)))
  return { json: { minutes: MINUTES, results: all }, text: report(all) }
}
