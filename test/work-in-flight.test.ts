// The services' work in flight: what `settled` waits for before the database closes.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { workInFlight } from '../src/work-in-flight.js'

function service () {
  const calls: string[] = []
  return {
    calls,
    async slow (ms: number, label: string) { await sleep(ms); calls.push(label); return label },
    async failing () { await sleep(1); throw new Error('refused') },
    now: () => 42
  }
}

t.test('settled waits for every pending call, answers as the service does and leaves synchronous methods alone', async (t) => {
  const work = workInFlight()
  const tracked = work.track(service())
  t.equal(tracked.now(), 42, 'a synchronous method answers as it is')
  const answers = [tracked.slow(30, 'a'), tracked.slow(60, 'b')]
  await t.rejects(tracked.failing(), /refused/, 'a refusal reaches the caller')
  await work.settled()
  t.same(tracked.calls, ['a', 'b'], 'both calls finished before settled resolved')
  t.same(await Promise.all(answers), ['a', 'b'])
  await work.settled()
  t.pass('settled with nothing pending resolves at once')
})

t.test('a handler\'s next call, started right after its previous one ends, is waited for too', async (t) => {
  const work = workInFlight()
  const tracked = work.track(service())
  const handler = (async () => {
    await tracked.slow(20, 'first')
    await tracked.slow(20, 'second')
  })()
  await sleep(5)
  await work.settled()
  t.same(tracked.calls, ['first', 'second'])
  await handler
})
