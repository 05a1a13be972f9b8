// Calls sharing one statement (storage/batching.ts): what runs together,
// what each caller gets back, and whose failure reaches whom.
import t from 'tap'
import { batching } from '../../src/storage/batching.js'

/** A batch runner that records each batch and finishes it only when told to. */
function recorder (answer: (input: number) => number = (x) => x * 10) {
  const batches: number[][] = []
  const finishers: Array<() => void> = []
  const run = async (inputs: number[]): Promise<number[]> => {
    batches.push(inputs)
    await new Promise<void>((resolve) => finishers.push(resolve))
    return inputs.map(answer)
  }
  /** Finishes the batches under way, oldest first, and lets their callers and the next batch go. */
  const finish = async (): Promise<void> => {
    for (const f of finishers.splice(0)) f()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { batches, run, finish }
}

t.test('a call with nothing under way runs at once, alone; calls meanwhile wait and go together', async (t) => {
  const { batches, run, finish } = recorder()
  const call = batching(run, { concurrency: 1, maxSize: 10 })
  const first = call(1)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[1]], 'the first went alone, without waiting for company')
  const rest = [2, 3, 4].map(call)
  t.same(batches, [[1]], 'the others wait while one batch is under way')
  await finish()
  t.equal(await first, 10)
  t.same(batches, [[1], [2, 3, 4]], 'then go as one batch')
  await finish()
  t.same(await Promise.all(rest), [20, 30, 40], 'each caller gets its own answer')
})

t.test('no more batches under way than the concurrency, none larger than maxSize', async (t) => {
  const { batches, run, finish } = recorder()
  const call = batching(run, { concurrency: 2, maxSize: 3 })
  const all = Array.from({ length: 10 }, (_, i) => call(i))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[0], [1]], 'two under way')
  await finish()
  t.same(batches.slice(2), [[2, 3, 4], [5, 6, 7]], 'the waiting go at most three at a time, two batches at once')
  await finish()
  t.same(batches.slice(4), [[8, 9]])
  await finish()
  t.same(await Promise.all(all), Array.from({ length: 10 }, (_, i) => i * 10))
})

t.test('a failed batch fails its own calls only, and the next batch runs', async (t) => {
  let calls = 0
  const call = batching(async (inputs: number[]) => {
    calls++
    if (inputs.includes(2)) throw new Error('broken')
    return inputs
  }, { concurrency: 1, maxSize: 10 })
  const results = await Promise.allSettled([1, 2, 3, 4].map(call))
  t.same(results.map(r => r.status), ['fulfilled', 'rejected', 'rejected', 'rejected'], '2, 3 and 4 went together and failed together')
  t.equal(calls, 2)
  t.equal(await call(5), 5, 'and later calls are served')
})

t.test('retryAlone: each call of a batch that failed on its data runs again on its own, so only the bad one fails', async (t) => {
  const seen: number[][] = []
  const call = batching(async (inputs: number[]) => {
    seen.push(inputs)
    if (inputs.includes(2)) throw Object.assign(new Error('bad value'), { code: '22P02' })
    return inputs.map(x => -x)
  }, { concurrency: 1, maxSize: 10, retryAlone: (err) => (err as { code?: string }).code === '22P02' })
  const results = await Promise.allSettled([1, 2, 3, 4].map(call))
  t.same(results.map(r => r.status === 'fulfilled' ? r.value : 'rejected'), [-1, 'rejected', -3, -4])
  t.same(seen, [[1], [2, 3, 4], [2], [3], [4]])
  t.same(await Promise.allSettled([call(2)]).then(([r]) => r?.status), 'rejected', 'a bad call alone fails')
  t.same(seen.slice(5), [[2]], 'once, not run again')
})

t.test('retries of a failed batch run one at a time, within the concurrency', async (t) => {
  let underWay = 0
  let most = 0
  const call = batching(async (inputs: number[]) => {
    most = Math.max(most, ++underWay)
    await new Promise((resolve) => setImmediate(resolve))
    underWay--
    if (inputs.includes(2)) throw Object.assign(new Error('bad value'), { code: '22P02' })
    return inputs.map(x => -x)
  }, { concurrency: 1, maxSize: 10, retryAlone: (err) => (err as { code?: string }).code === '22P02' })
  const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(call))
  t.same(results.map(r => r.status === 'fulfilled' ? r.value : 'rejected'), [-1, 'rejected', -3, -4, -5, -6])
  t.equal(most, 1, 'never two statements at once with a concurrency of one')
  t.equal(await call(7), -7, 'and the next call runs after them')
})

t.test('a runner that throws before its first await fails its calls, never its caller\'s stack', async (t) => {
  const call = batching((): Promise<number[]> => { throw new Error('at once') }, { concurrency: 1, maxSize: 10 })
  await t.rejects(call(1), { message: 'at once' })
  await t.rejects(call(2), { message: 'at once' }, 'and the next batch still runs')
})
