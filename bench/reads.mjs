// The read paths, measured against the bare Fastify process in alternating rounds.
import { SECONDS, cpuSeconds, median, wrk } from './lib.mjs'

/** Rounds of alternating runs (ceiling, then each read path); the median ratio counts. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
export const HALF = Math.max(1, Math.round(SECONDS / 2))

/** The read paths, each a wrk scenario with the bearer `token`. */
function readPaths (token) {
  const bearer = { authorization: `Bearer ${token}` }
  return {
    live: { path: '/health/live' },
    verify: { path: '/auth/verify', headers: bearer },
    profile: { path: '/auth/profile', headers: bearer },
    graphql_me: { method: 'POST', path: '/graphql', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) }
  }
}

/** One wrk run, with the CPU time the serving process spent per request (µs), which other load disturbs far less than throughput. */
export function timed (server, scenario) {
  const before = cpuSeconds(server.child.pid)
  const figures = wrk(server.port, scenario)
  return { ...figures, cpu_us: (cpuSeconds(server.child.pid) - before) * 1e6 / figures.requests }
}

/**
 * Each round runs the bare Fastify process (and the collected one, when
 * given) and then every read path, one after the other, so load from other
 * work on the machine lands on both sides of each ratio; the median round's
 * ratio is reported. `bare`, `collected` and `gateway` are {port, child}.
 * `withToken`: the bare process is also asked carrying the read paths'
 * bearer header, which every one of them has to receive and parse.
 */
export function measureReads ({ bare, collected, withToken = false }, gateway, token, rounds = ROUNDS, seconds = HALF) {
  const paths = readPaths(token)
  const runs = []
  for (let i = 0; i < rounds; i++) {
    const round = { bare: timed(bare, { path: '/', seconds }) }
    if (collected !== undefined) round.collected = timed(collected, { path: '/', seconds })
    if (withToken) round.with_token = timed(bare, { path: '/', headers: paths.verify.headers, seconds })
    for (const [name, scenario] of Object.entries(paths)) round[name] = timed(gateway, { ...scenario, seconds })
    runs.push(round)
  }
  const result = { bare_rps: median(runs.map(r => r.bare.rps)), bare_cpu_us: median(runs.map(r => r.bare.cpu_us)) }
  for (const ceiling of ['collected', 'with_token']) {
    if (runs[0][ceiling] === undefined) continue
    result[ceiling] = {
      rps: median(runs.map(r => r[ceiling].rps)),
      ratio: median(runs.map(r => r[ceiling].rps / r.bare.rps)),
      cpu_us: median(runs.map(r => r[ceiling].cpu_us))
    }
  }
  for (const name of Object.keys(paths)) {
    result[name] = {
      rps: median(runs.map(r => r[name].rps)),
      ratio: median(runs.map(r => r[name].rps / r.bare.rps)),
      ratios: runs.map(r => r[name].rps / r.bare.rps),
      collected_ratio: collected === undefined ? undefined : median(runs.map(r => r[name].rps / r.collected.rps)),
      live_ratio: name === 'live' ? 1 : median(runs.map(r => r[name].rps / r.live.rps)),
      p99_ms: median(runs.map(r => r[name].p99_ms)),
      cpu_us: median(runs.map(r => r[name].cpu_us)),
      errors: runs.reduce((sum, r) => sum + r[name].errors, 0)
    }
  }
  return result
}
