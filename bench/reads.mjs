// The read paths, each measured between two runs of the bare Fastify process, in rounds.
import { SECONDS, cpuSeconds, median, wrk } from './lib.mjs'

/** Rounds of runs (each ceiling variant and read path between two runs of the ceiling); the median ratio counts. */
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
 * Each round runs every ceiling variant and read path once, each between
 * two runs of the bare Fastify process (bare, A, bare, B, bare, ...), and
 * takes its ratio against the mean of the two: a machine whose speed drifts
 * during a round moves both sides of each ratio alike. The median round's
 * ratio is reported. `bare` and `gateway` are {port, child}.
 * `withToken`: the bare process is also asked carrying the read paths'
 * bearer header, which every one of them has to receive and parse.
 * `mercurius` ({port, child}, bench/bare-mercurius.mjs): Mercurius's hello
 * world, asked the same request as `{ me { id } }`; that path is also
 * reported against it, round by round.
 * `only`: the names of the read paths to measure (all by default).
 */
export function measureReads ({ bare, withToken = false, mercurius, only }, gateway, token, rounds = ROUNDS, seconds = HALF) {
  const all = readPaths(token)
  const paths = Object.fromEntries(Object.entries(all).filter(([name]) => only === undefined || only.includes(name)))
  const targets = [
    ...(withToken ? [['with_token', bare, { path: '/', headers: all.verify.headers }]] : []),
    ...(mercurius !== undefined ? [['mercurius', mercurius, all.graphql_me]] : []),
    ...Object.entries(paths).map(([name, scenario]) => [name, gateway, scenario])
  ]
  const runs = []
  for (let i = 0; i < rounds; i++) {
    let before = timed(bare, { path: '/', seconds })
    const round = { bare: [before] }
    for (const [name, server, scenario] of targets) {
      const run = timed(server, { ...scenario, seconds })
      const after = timed(bare, { path: '/', seconds })
      round[name] = { ...run, ratio: run.rps / ((before.rps + after.rps) / 2) }
      round.bare.push(after)
      before = after
    }
    runs.push(round)
  }
  const bareRuns = runs.flatMap(r => r.bare)
  const result = { bare_rps: median(bareRuns.map(b => b.rps)), bare_cpu_us: median(bareRuns.map(b => b.cpu_us)) }
  for (const ceiling of ['with_token', 'mercurius']) {
    if (runs[0][ceiling] === undefined) continue
    result[ceiling] = {
      rps: median(runs.map(r => r[ceiling].rps)),
      ratio: median(runs.map(r => r[ceiling].ratio)),
      cpu_us: median(runs.map(r => r[ceiling].cpu_us))
    }
  }
  for (const name of Object.keys(paths)) {
    result[name] = {
      rps: median(runs.map(r => r[name].rps)),
      ratio: median(runs.map(r => r[name].ratio)),
      ratios: runs.map(r => r[name].ratio),
      live_ratio: name === 'live' ? 1 : paths.live === undefined ? undefined : median(runs.map(r => r[name].rps / r.live.rps)),
      mercurius_ratio: name === 'graphql_me' && mercurius !== undefined ? median(runs.map(r => r[name].rps / r.mercurius.rps)) : undefined,
      p99_ms: median(runs.map(r => r[name].p99_ms)),
      cpu_us: median(runs.map(r => r[name].cpu_us)),
      errors: runs.reduce((sum, r) => sum + r[name].errors, 0)
    }
  }
  return result
}
