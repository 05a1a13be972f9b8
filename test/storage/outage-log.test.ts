// An outage is logged once when it begins, then summarised at most once per
// interval with the number of requests it affected, and once when it ends;
// every affected request is counted, and the state changes are reported.
import t from 'tap'
import { createOutageLog } from '../../src/storage/outage-log.js'
import { manualClock } from '../helper.js'

interface Line { level: 'warn' | 'info', fields: Record<string, unknown>, message: string }

function recorder () {
  const lines: Line[] = []
  return {
    lines,
    log: {
      warn: (fields: object, message: string) => { lines.push({ level: 'warn', fields: fields as Record<string, unknown>, message }) },
      info: (fields: object, message: string) => { lines.push({ level: 'info', fields: fields as Record<string, unknown>, message }) }
    }
  }
}

t.test('one warning when it goes, a summary at most every interval, one line when it is back', async (t) => {
  const clock = manualClock(1_000_000)
  const { lines, log } = recorder()
  let failures = 0
  const changes: boolean[] = []
  const outage = createOutageLog({
    dependency: 'database', log, clock, summaryEveryMs: 10_000,
    onFailure: () => { failures++ }, onChange: (up) => { changes.push(up) }
  })
  t.equal(outage.up, true)

  const cause = new Error('connect ECONNREFUSED')
  outage.failed(cause)
  t.equal(outage.up, false)
  t.same(changes, [false])
  t.equal(lines.length, 1, 'the first failure is logged')
  t.match(lines[0], { level: 'warn', fields: { dependency: 'database', err: cause }, message: 'database unavailable' })

  // 75 failures a second for 25 seconds.
  for (let i = 0; i < 25 * 75; i++) {
    clock.advance(1 / 75)
    outage.failed(cause)
  }
  outage.lost(cause)
  t.equal(failures, 1 + 25 * 75, 'every failure is counted')
  const summaries = lines.slice(1)
  t.equal(summaries.length, 2, 'two summaries in 25 seconds, not one line per failure')
  for (const line of summaries) {
    t.equal(line.level, 'warn')
    t.match(line.message, /^database still unavailable: \d+ operations could not use it in the last 10(\.\d)? s$/)
  }
  const summarised = summaries.reduce((sum, line) => sum + (line.fields.failures as number), 0)
  t.ok(summarised >= 1495 && summarised <= 1505, `the summaries count what failed meanwhile (${summarised})`)
  t.same(changes, [false], 'no change while it stays down')

  clock.advance(2)
  outage.recovered()
  outage.recovered()
  t.equal(outage.up, true)
  t.same(changes, [false, true])
  const back = lines.at(-1) as Line
  t.equal(lines.length, 4, 'one line when it is back, however often that is said')
  t.match(back, { level: 'info', fields: { dependency: 'database', failures: 1 + 25 * 75, downForSeconds: 27 } })
  t.match(back.message, /^database is back after 27 s; 1876 operations could not use it meanwhile$/)
})

t.test('background evidence logs the outage but counts nothing, and no summary without failures', async (t) => {
  const clock = manualClock()
  const { lines, log } = recorder()
  let failures = 0
  const outage = createOutageLog({ dependency: 'redis', log, clock, meanwhile: 'logins are throttled in memory', onFailure: () => { failures++ } })
  outage.lost(new Error('ECONNREFUSED'))
  t.equal(outage.up, false)
  t.match(lines, [{ level: 'warn', message: 'redis unavailable; logins are throttled in memory' }])
  for (let i = 0; i < 100; i++) {
    clock.advance(0.5)
    outage.lost(new Error('ECONNREFUSED'))
  }
  t.equal(lines.length, 1, 'a poll failing every 500 ms for 50 s writes nothing more')
  t.equal(failures, 0)

  outage.failed(new Error('ECONNREFUSED'))
  t.equal(failures, 1)
  t.equal(lines.length, 2, 'a failure long after the last line is summarised at once')
  t.match(lines[1], { fields: { failures: 1, downForSeconds: 50 } })

  outage.recovered()
  outage.lost(new Error('again'))
  t.equal(lines.length, 4, 'a new outage is a new first line')
  t.match(lines[3], { level: 'warn', message: /^redis unavailable/ })
})

t.test('recovered while up says nothing', async (t) => {
  const { lines, log } = recorder()
  const outage = createOutageLog({ dependency: 'database', log, clock: manualClock() })
  outage.recovered()
  t.same(lines, [])
})
