// A full garbage collection while no tick object is queued must not leave
// Node's request handling on V8's slow path for the rest of the process
// (src/http/tick-object-shape.ts). What shows the slow path is the feedback
// of process.nextTick's tick-object literal: its property definitions go
// MEGAMORPHIC, after which each is made through V8's runtime. Node.js 26
// builds tick objects without that literal; there the test checks that none
// is left to go megamorphic.
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { ADMIN, emptyDatabaseUrl } from '../helper.js'
import { gatewayEnv, startGateway } from '../deploy/support/processes.js'
import { bearer } from '../graphql/support/requests.js'

const PROBE = fileURLToPath(new URL('./fixtures/tick-feedback-probe.mjs', import.meta.url))
const HOLD = pathToFileURL(fileURLToPath(new URL('../../dist/src/http/tick-object-shape.js', import.meta.url))).href
const NATIVES = ['--expose-gc', '--allow-natives-syntax']

/** The states of nextTick's literal property definitions in a %DebugPrint of it. */
function literalStates (printed: string): string[] {
  if (!printed.includes('SharedFunctionInfo nextTick')) throw new Error(`nextTick was not printed: ${printed.slice(-2000)}`)
  return [...printed.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map(m => m[1] as string)
}

/**
 * Ticks, full collections with none queued, ticks again; then nextTick's
 * feedback. V8 prints it through C's buffered stdout, flushed at exit, on a
 * pipe Node.js has made non-blocking, where a write the reader is not ready
 * for is lost: the pipe is made blocking first.
 */
const plainProcess = (hold: boolean) => `
process.stdout._handle?.setBlocking?.(true);
${hold ? `(await import(${JSON.stringify(HOLD)})).holdTickObjectShape()` : ''}
const ticks = (n) => new Promise((resolve) => { let left = n; for (let i = 0; i < n; i++) process.nextTick(() => { if (--left === 0) resolve() }) })
for (let i = 0; i < 100; i++) await ticks(200)
await new Promise((resolve) => setTimeout(resolve, 10))
for (let i = 0; i < 5; i++) globalThis.gc()
await new Promise((resolve) => setTimeout(resolve, 10))
for (let i = 0; i < 100; i++) await ticks(200);
%DebugPrint(process.nextTick)
process.exit(0)
`

async function plainStates (hold: boolean): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [...NATIVES, '--input-type=module', '-e', plainProcess(hold)], { maxBuffer: 16 * 1024 * 1024 })
  return literalStates(stdout)
}

/**
 * Processes of each kind. Whether a collection drops the classes depends on
 * V8's timing (seen once in a CI run: the literal's four definitions stayed
 * MONOMORPHIC in a process without the held object), so the process without one is
 * started again until one shows the slow path, up to this many times, and
 * the process holding one is started as many times and must never show it.
 */
const PLAIN_PROCESSES = 4

void t.test('in a plain process, full collections with no tick queued send the literal megamorphic, unless a tick object is held', async (t) => {
  const without: string[][] = []
  do without.push(await plainStates(false))
  while (without.length < PLAIN_PROCESSES && without[0]?.length !== 0 && !without.some(states => states.includes('MEGAMORPHIC')))
  const withHeld: string[][] = []
  for (let i = 0; i < PLAIN_PROCESSES; i++) withHeld.push(await plainStates(true))
  if (without[0]?.length === 0) {
    t.same(withHeld, withHeld.map(() => []), 'this Node.js builds tick objects without a literal of computed keys')
    return
  }
  const shown = (runs: string[][]) => runs.map(states => states.join(', ')).join('; ')
  t.ok(without.some(states => states.includes('MEGAMORPHIC')), `without a held tick object: ${shown(without)}`)
  t.notOk(withHeld.some(states => states.includes('MEGAMORPHIC')), `with one held: ${shown(withHeld)}`)
  t.ok(withHeld.every(states => states.includes('MONOMORPHIC')))
})

void t.test('the gateway stays off the slow path after full collections while idle', async (t) => {
  const gateway = await startGateway(gatewayEnv(await emptyDatabaseUrl(t, 'sqlite')), [], [...NATIVES, '--import', PROBE])
  t.teardown(() => { gateway.child.kill('SIGKILL') })
  const base = `http://127.0.0.1:${gateway.port}`
  const login = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
  t.equal(login.status, 201)
  const { access_token: token } = await login.json() as { access_token: string }
  const verifyMany = async () => {
    for (let i = 0; i < 30; i++) {
      const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await fetch(`${base}/auth/verify`, { headers: bearer(token) })).status))
      t.same(new Set(statuses), new Set([200]))
    }
  }

  await verifyMany()
  gateway.child.kill('SIGWINCH')
  while (!gateway.output().includes('full collections done')) await new Promise(resolve => setTimeout(resolve, 20))
  await verifyMany()
  // 'close': the child has exited and its output has all been read.
  const exited = once(gateway.child, 'close')
  gateway.child.kill('SIGWINCH')
  await exited

  const states = literalStates(gateway.output())
  t.notOk(states.includes('MEGAMORPHIC'), `nextTick's literal after the collections: ${states.join(', ') || 'none'}`)
  if (states.length > 0) t.ok(states.includes('MONOMORPHIC'))
})
