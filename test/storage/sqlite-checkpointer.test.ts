// The checkpoint worker (storage/sqlite-checkpointer.ts) reports its own
// failure, so the serving connection can take its checkpoints back.
import t from 'tap'
import { startCheckpointer } from '../../src/storage/sqlite-checkpointer.js'

t.test('a worker that cannot open its file reports the failure and stops cleanly', async (t) => {
  const failures: Error[] = []
  const heard = new Promise<void>((resolve) => {
    const checkpointer = startCheckpointer('/nonexistent-authgate-dir/x.db', { synchronous: 'NORMAL', timeout: 5000 }, (err) => { failures.push(err); resolve() })
    t.teardown(checkpointer.stop)
  })
  // The worker never holds the process open (unref): something else must while it starts.
  const alive = setInterval(() => {}, 1000)
  await heard
  clearInterval(alive)
  t.equal(failures.length, 1, 'the failure is reported once')
  t.match(failures[0]?.message, /directory does not exist/)
})
