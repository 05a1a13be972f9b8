// The purge's schedule and batches (storage/purge.ts), with steps of the
// test's own; what the steps delete is tested in test/sessions/purge.test.ts.
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createPurge, type PurgeStep } from '../../src/storage/purge.js'

/** A step with `rows` rows to delete, recording each batch it was asked for. */
function table (name: string, rows: number) {
  const asked: number[] = []
  const step: PurgeStep = {
    name,
    async deleteBatch (limit) {
      asked.push(limit)
      const deleted = Math.min(rows, limit)
      rows -= deleted
      return deleted
    }
  }
  return { step, asked, left: () => rows }
}

t.test('each step runs in batches until one is not full, then the next step; the steps again while one was full', async (t) => {
  const a = table('a', 2500)
  const b = table('b', 1000)
  const seen: Array<[string, number]> = []
  const purge = createPurge({ steps: [a.step, b.step], intervalMs: 60_000, batchSize: 1000, pauseMs: 0, onPurged: (name, rows) => seen.push([name, rows]) })
  t.same(await purge.run(), { a: 2500, b: 1000 })
  t.same(a.asked, [1000, 1000, 1000, 1000], 'three batches, the last one not full; then once more in the second pass')
  t.same(b.asked, [1000, 1000, 1000], 'a full batch may have more behind it: asked once more, and again in the second pass')
  t.same(seen, [['a', 1000], ['a', 1000], ['a', 500], ['b', 1000]], 'empty batches are not reported')
  t.same(await purge.run(), { a: 0, b: 0 })
})

t.test('a step that reaches only what an earlier step freed, a window at a time, is finished in one purge', async (t) => {
  // 'children' holds 5 rows for each of 3,000 parents; it deletes the children of a window of 1,000
  // parents at most; 'parents' deletes the parents of that window once they have no children.
  let children = Array.from({ length: 3000 }, () => 5)
  const childStep: PurgeStep = {
    name: 'children',
    async deleteBatch (limit) {
      let deleted = 0
      for (let i = 0; i < Math.min(limit, children.length) && deleted < limit; i++) {
        const take = Math.min(children[i] as number, limit - deleted)
        children[i] = (children[i] as number) - take
        deleted += take
      }
      return deleted
    }
  }
  const parentStep: PurgeStep = {
    name: 'parents',
    async deleteBatch (limit) {
      const window = children.slice(0, limit)
      const empty = window.filter(n => n === 0).length
      children = [...window.filter(n => n > 0), ...children.slice(limit)]
      return empty
    }
  }
  const purge = createPurge({ steps: [childStep, parentStep], intervalMs: 60_000, batchSize: 1000, pauseMs: 0 })
  t.same(await purge.run(), { children: 15_000, parents: 3000 })
  t.equal(children.length, 0)
})

t.test('started, it purges on its interval; stopped, it waits for the purge under way and starts no other', async (t) => {
  let release: () => void = () => {}
  let calls = 0
  const slow: PurgeStep = {
    name: 'slow',
    async deleteBatch () {
      calls++
      await new Promise<void>(resolve => { release = resolve })
      return 0
    }
  }
  const purge = createPurge({ steps: [slow], intervalMs: 10 })
  purge.start()
  while (calls === 0) await sleep(5)
  let stopped = false
  const stopping = purge.stop().then(() => { stopped = true })
  await sleep(20)
  t.equal(stopped, false, 'stop waits while a batch is running')
  release()
  await stopping
  t.equal(stopped, true)
  await sleep(50)
  t.equal(calls, 1, 'no purge after stop')
})

t.test('a failing purge is reported and the next one runs', async (t) => {
  let calls = 0
  const errors: unknown[] = []
  const flaky: PurgeStep = {
    name: 'flaky',
    async deleteBatch () {
      if (++calls === 1) throw new Error('database unavailable')
      return 0
    }
  }
  const purge = createPurge({ steps: [flaky], intervalMs: 10, onError: (err) => errors.push(err) })
  purge.start()
  while (calls < 2) await sleep(5)
  await purge.stop()
  t.match(errors, [{ message: 'database unavailable' }])
})
