// A gateway killed (SIGKILL) while it rotates refresh tokens, and started
// again at once on the same database and port, ends no session: real
// processes (dist/src/server.js) on a SQLite file and on a PostgreSQL
// database of their own, real HTTP, the default REFRESH_REUSE_INTERVAL.
//
// Each client rotates its own chain as fast as it can and, like an honest
// client, sends the same refresh token again after a connection error or a
// 5xx (backing off) until it gets an answer. Rotations committed just before
// the kill never reached their clients; their retries, after the restart, must
// get the same successor rather than be taken for reuse.
//
// Whether a kill lands between a commit and its answer is chance (on SQLite a
// rotation commits and answers within microseconds), so the clients reach the
// gateway through a loopback relay that, just before the kill, stops passing
// answers on: the gateway is killed once it has answered (and so committed)
// at least one rotation whose answer its client will never see, with the other
// requests still in flight. The database then shows which rotations had
// committed unanswered.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { hashRefreshToken } from '../../src/tokens/refresh-tokens.js'
import { freePort, gatewayEnv, startGateway, type Running } from '../deploy/support/processes.js'
import { ADMIN, freshDatabaseUrl, providerNeeds, type TestProvider } from '../helper.js'
import { countRows, openTestDatabase } from '../support/database.js'
import { testWith } from '../support/services.mjs'

const SESSIONS = 40
/** Rotations every chain makes before the kill, at least; the kill waits for them. */
const ROTATIONS_BEFORE = 3
/** Rotations every chain makes after the last restart before its loop stops. */
const ROTATIONS_AFTER = 5
/** An honest client's back-off between attempts that got no answer: doubling from 50 ms, up to 1 s. */
const FIRST_PAUSE_MS = 50
const LONGEST_PAUSE_MS = 1000

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

interface Chain {
  token: string
  rotations: number
  /** Loop stops once `rotations` reaches it (set at the restart). */
  target: number
  /** Requests that got no answer: connection refused or cut, or timed out. */
  connectionErrors: number
  serverErrors: number
  /** Attempts in a row that got no answer. */
  failing: number
  /** Tokens sent by requests that got no answer. */
  unanswered: Set<string>
  /** Why the gateway refused the chain, if it did. */
  refused?: string
}

/**
 * A TCP relay on a loopback port to the gateway's port. `swallow()` stops
 * passing the gateway's answers on and resolves once one has been dropped;
 * `reset()` drops every connection and passes answers again.
 */
async function answerRelay (t: Test, port: number) {
  const sockets = new Set<Socket>()
  let swallowing = false
  let swallowed = () => {}
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => { sockets.delete(socket); client.destroy(); upstream.destroy() })
      socket.on('error', () => { client.destroy(); upstream.destroy() })
    }
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      if (swallowing) swallowed()
      else client.write(chunk)
    })
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>(resolve => server.close(() => resolve()))
  })
  return {
    port: (server.address() as { port: number }).port,
    swallow: () => new Promise<void>(resolve => { swallowing = true; swallowed = resolve }),
    reset () {
      for (const socket of sockets) socket.destroy()
      swallowing = false
    }
  }
}

/** Start to ready: spawn, listen, and /health/ready answering 200 (database reachable, migrations applied). */
async function startUntilReady (env: Record<string, string>): Promise<{ gateway: Running, listenMs: number, readyMs: number }> {
  const spawned = performance.now()
  const gateway = await startGateway(env)
  const listenMs = performance.now() - spawned
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${gateway.port}/health/ready`).then(r => r.ok, () => false)
    if (ok) break
    if (performance.now() - spawned > 20_000) throw new Error(`not ready within 20 s: ${gateway.output()}`)
    await sleep(10)
  }
  return { gateway, listenMs, readyMs: performance.now() - spawned }
}

async function crashRestart (t: Test, provider: TestProvider): Promise<void> {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  const dataDir = mkdtempSync(join(tmpdir(), 'authgate-crash-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const env = gatewayEnv(databaseUrl, { NODE_ENV: 'production', PORT: String(port), DATA_DIR: dataDir })
  const running: Running[] = []
  t.teardown(async () => {
    for (const g of running) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL')
    await Promise.all(running.map(g => g.exited))
  })

  const first = await startUntilReady(env)
  running.push(first.gateway)
  const relay = await answerRelay(t, port)
  const base = `http://127.0.0.1:${relay.port}`

  const chains: Chain[] = []
  for (let i = 0; i < SESSIONS; i++) {
    const res = await fetch(`${base}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN)
    })
    if (res.status !== 201) throw new Error(`login: ${res.status} ${await res.text()}`)
    const { refresh_token: token } = await res.json() as { refresh_token: string }
    chains.push({ token, rotations: 0, target: Infinity, connectionErrors: 0, serverErrors: 0, failing: 0, unanswered: new Set() })
  }

  let inFlight = 0
  const backOff = (chain: Chain) => sleep(Math.min(FIRST_PAUSE_MS * 2 ** chain.failing++, LONGEST_PAUSE_MS))
  /** One honest client: rotates its chain until its target, sending the same token again until it is answered. */
  async function loop (chain: Chain): Promise<void> {
    while (chain.rotations < chain.target) {
      const sent = chain.token
      let status: number
      let body: { refresh_token?: string }
      inFlight++
      try {
        const res = await fetch(`${base}/auth/refresh-token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refreshToken: sent }),
          signal: AbortSignal.timeout(10_000)
        })
        status = res.status
        body = await res.json() as typeof body
      } catch {
        chain.connectionErrors++
        chain.unanswered.add(sent)
        await backOff(chain)
        continue
      } finally {
        inFlight--
      }
      if (status >= 500) {
        chain.serverErrors++
        await backOff(chain)
        continue
      }
      chain.failing = 0
      if (status !== 201 || body.refresh_token === undefined) {
        chain.refused = `${status} ${JSON.stringify(body)}`
        return
      }
      chain.token = body.refresh_token
      chain.rotations++
    }
  }
  const loops = chains.map(loop)
  const db = await openTestDatabase(t, databaseUrl)
  /** Waits until every chain (but one refused) has made `more` rotations from now. */
  async function rotated (more: number): Promise<void> {
    const targets = chains.map(c => c.rotations + more)
    while (chains.some((c, i) => c.rotations < (targets[i] as number) && c.refused === undefined)) await sleep(5)
  }

  // Kill once every chain is under way, with requests on the wire and at least one rotation answered into the void.
  await rotated(ROTATIONS_BEFORE)
  await relay.swallow()
  const inFlightAtKill = inFlight
  first.gateway.child.kill('SIGKILL')
  await first.gateway.exited
  relay.reset()
  const restartedAt = new Date()
  const second = await startUntilReady(env)
  running.push(second.gateway)

  // Once every chain has moved past the tokens left unanswered, ask the database which of them a rotation had retired before the restart.
  await rotated(1)
  const unanswered = chains.flatMap(c => [...c.unanswered].map(hashRefreshToken))
  const lost = unanswered.length === 0
    ? 0
    : (await db.selectFrom('refreshTokens').select('id').where('tokenHash', 'in', unanswered).where('retiredAt', '<', restartedAt).execute()).length
  for (const chain of chains) chain.target = chain.rotations + ROTATIONS_AFTER
  await Promise.all(loops)

  const connectionErrors = chains.reduce((n, c) => n + c.connectionErrors, 0)
  t.ok(inFlightAtKill > 0, `killed with ${inFlightAtKill} rotations in flight`)
  t.ok(connectionErrors > 0, `${connectionErrors} requests got no answer and were sent again`)
  t.ok(lost > 0, `${lost} rotation(s) committed before the kill never reached their client`)
  t.same(chains.filter(c => c.refused !== undefined).map(c => c.refused), [], 'no chain was refused')

  // Each chain holds a token that still rotates.
  const last = await Promise.all(chains.map(c => fetch(`${base}/auth/refresh-token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: c.token })
  }).then(r => r.status)))
  t.same(last.filter(s => s !== 201), [], `every one of the ${SESSIONS} chains continues`)

  t.equal(await countRows(db, 'auditEvents', { type: 'token.reuse_detected' }), 0, 'no token.reuse_detected in the audit trail')
  const ended = await db.selectFrom('sessions').select('id').where('endedAt', 'is not', null).execute()
  t.same(ended, [], 'no session ended')

  t.comment(`[${provider}] start to ready: ${first.readyMs.toFixed(0)} ms (listening at ${first.listenMs.toFixed(0)} ms); ` +
    `after the kill, with ${SESSIONS} clients retrying: ${second.readyMs.toFixed(0)} ms (listening at ${second.listenMs.toFixed(0)} ms); ` +
    `${chains.reduce((n, c) => n + c.serverErrors, 0)} 5xx, ${chains.reduce((n, c) => n + c.rotations, 0)} rotations in all`)
}

for (const provider of ['sqlite', 'postgresql'] as const) {
  void testWith(t, `a gateway killed with rotations in flight and restarted ends no session [${provider}]`, providerNeeds(provider), (t) => crashRestart(t, provider))
}
