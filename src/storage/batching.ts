// Calls that share one statement. While `concurrency` statements are under
// way, further calls wait; when one ends, everything waiting (up to
// `maxSize`) goes as the next statement. With nothing under way a call runs at
// once, alone, so batching adds no wait to a quiet server; under load each
// statement carries the calls that came while the others ran. For PostgreSQL
// a statement's fixed costs (the executor's set-up of its plan, the commit
// and its WAL flush, a round trip and the system calls at both ends) are then
// paid once for many calls instead of once for each.

export interface BatchingOptions {
  /** Statements under way at once, at most. */
  concurrency: number
  /** Calls in one statement, at most. */
  maxSize: number
  /**
   * Whether a batch's error may be due to one call's input alone: each of its
   * calls then runs again on its own, so that no call fails for another's.
   */
  retryAlone?: (err: unknown) => boolean
}

/**
 * Wraps `runBatch`, which takes the inputs of several calls and returns
 * their outputs in the same order, as a function of one call. A batch that
 * fails fails each of its calls with its error (unless `retryAlone`); other
 * batches are not affected.
 */
export function batching<I, O> (runBatch: (inputs: I[]) => Promise<O[]>, { concurrency, maxSize, retryAlone = () => false }: BatchingOptions): (input: I) => Promise<O> {
  const waiting: Array<{ input: I, resolve: (output: O) => void, reject: (err: unknown) => void }> = []
  let underWay = 0

  function next (): void {
    if (waiting.length === 0 || underWay >= concurrency) return
    underWay++
    void settle(waiting.splice(0, maxSize)).finally(() => {
      underWay--
      next()
    })
  }

  /** Runs one batch and answers its calls; never rejects (a synchronous throw of runBatch fails the batch, not the caller's stack). */
  async function settle (calls: typeof waiting): Promise<void> {
    let outputs: O[]
    try {
      outputs = await runBatch(calls.map(c => c.input))
    } catch (err) {
      if (calls.length > 1 && retryAlone(err)) {
        // One at a time, in the failed batch's place: retries never exceed the concurrency.
        for (const call of calls) {
          try {
            const [output] = await runBatch([call.input])
            call.resolve(output as O)
          } catch (alone) {
            call.reject(alone)
          }
        }
      } else {
        for (const call of calls) call.reject(err)
      }
      return
    }
    calls.forEach((call, i) => { call.resolve(outputs[i] as O) })
  }

  return async (input) => await new Promise<O>((resolve, reject) => {
    waiting.push({ input, resolve, reject })
    next()
  })
}
