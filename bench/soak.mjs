// npm run bench -- --soak: the gateway's memory under a long mixed load.
// Logins, rotations, profile reads and forward-auth checks run at once, in
// one-minute wrk runs, for BENCH_SOAK_MINUTES (10); the RSS is sampled every
// 5 s. Reported: the curve (each minute's highest sample) and whether the
// second half rose above the first.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { below, fmt, gatewayEnv, int, login, loginScenario, refreshPool, request, rssMb, rotationScenario, startGateway, stop, withPostgresDatabase, wrkAsync } from './lib.mjs'

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10)
const SAMPLE_MS = 5000

/** The V8 heap and the memory outside it, MB, from the gateway's own metrics. */
async function heapMb (port, token) {
  const text = await request(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then(r => r.text(), () => '')
  const value = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20
  return { heapTotal: value('nodejs_heap_size_total_bytes'), heapUsed: value('nodejs_heap_size_used_bytes'), external: value('nodejs_external_memory_bytes') }
}

async function soakProvider (provider, url, work) {
  const metricsToken = randomBytes(16).toString('hex')
  const env = { ...gatewayEnv(url, work, randomBytes(48).toString('base64url')), METRICS_TOKEN: metricsToken }
  const gateway = await startGateway(env)
  const samples = []
  const sampler = setInterval(() => {
    const at = performance.now()
    const rss = rssMb(gateway.child.pid)
    heapMb(gateway.port, metricsToken).then(heap => samples.push({ at, ...rss, ...heap }))
  }, SAMPLE_MS)
  const started = performance.now()
  const totals = { login: 0, refresh: 0, profile: 0, verify: 0, errors: 0 }
  try {
    for (let minute = 0; minute < MINUTES; minute++) {
      const { access_token: token } = await login(gateway.port)
      const bearer = { authorization: `Bearer ${token}` }
      const pool = await refreshPool(gateway.port, 32)
      const loads = await Promise.all([
        wrkAsync(gateway.port, loginScenario({ connections: 2, seconds: 60 })),
        wrkAsync(gateway.port, rotationScenario(pool, { connections: 8, seconds: 60 })),
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
  const inMinute = (m) => samples.filter(s => s.at - started >= m * 60_000 && s.at - started < (m + 1) * 60_000)
  const perMinute = Array.from({ length: MINUTES }, (_, m) => Math.max(...inMinute(m).map(s => s.now)))
  // At the highest RSS sample: how much of it is V8's heap, and memory outside it (buffers; not the code or WebAssembly).
  const highest = samples.reduce((a, b) => (b.now > a.now ? b : a), samples[0] ?? { now: NaN })
  const half = Math.floor(MINUTES / 2)
  return {
    provider,
    per_minute_mb: perMinute,
    first_half_max_mb: Math.max(...perMinute.slice(0, half)),
    second_half_max_mb: Math.max(...perMinute.slice(half)),
    peak_mb: Math.max(...samples.map(s => s.peak)),
    at_highest: { rss_mb: highest.now, heap_total_mb: highest.heapTotal, heap_used_mb: highest.heapUsed, external_mb: highest.external },
    totals
  }
}

function report (all) {
  return all.map(r => [
    `${r.provider}: RSS each minute (MB): ${r.per_minute_mb.map(v => fmt(v, 0)).join(', ')}`,
    `  highest in the first half ${fmt(r.first_half_max_mb, 0)} MB, in the second ${fmt(r.second_half_max_mb, 0)} MB` +
      ` (${r.second_half_max_mb <= r.first_half_max_mb * 1.05 ? 'flat' : 'STILL GROWING'}); peak ${below(r.peak_mb)} MB (target < 300 MB)`,
    `  at the highest sample: RSS ${fmt(r.at_highest.rss_mb, 0)} MB, of which V8 heap ${fmt(r.at_highest.heap_total_mb, 0)} MB (${fmt(r.at_highest.heap_used_mb, 0)} in use), external ${fmt(r.at_highest.external_mb, 0)} MB`,
    `  requests: ${int(r.totals.login)} logins, ${int(r.totals.refresh)} rotations, ${int(r.totals.profile)} profiles, ${int(r.totals.verify)} verifies; ${r.totals.errors} errors`
  ].join('\n')).join('\n')
}

export async function runSoak ({ work }) {
  const all = [await soakProvider('sqlite', `file:${join(work, 'soak.db')}`, work)]
  if (process.env.BENCH_DATABASE_URL) all.push(await withPostgresDatabase(process.env.BENCH_DATABASE_URL, 'soak', (url) => soakProvider('postgresql', url, work)))
  return { json: { minutes: MINUTES, results: all }, text: report(all) }
}
