// Access tokens are checked without the database: this list of ended
// sessions is kept in memory and brought up to date from the shared
// revocations table every `pollMs`, so a session ended on one instance is
// refused by every instance within that interval.
//
// New rows are found by id. Ids come from a sequence (PostgreSQL) taken
// inside transactions that may commit out of order: id 42 can be visible
// before id 41 is. So every id skipped over is remembered and asked for
// again at each poll, until no row with it could still matter: a revocation
// lasts the access-token lifetime plus the clock tolerance from when its
// session ended, which was before its id was taken, so `gapWaitMs` after the
// skip was seen any such row has expired (a rolled-back id never shows up).
// Expired rows are deleted by the purge (sessions-purge.ts).
import type { Db } from '../storage/database.js'
import type { Clock } from '../clock.js'

export interface RevocationListOptions {
  db: Db
  clock: Clock
  pollMs: number
  /** How long a skipped id is asked for; at least the access-token lifetime plus twice the clock tolerance. */
  gapWaitMs: number
  /** Called when a poll fails; the next one retries. */
  onPollError?: (err: unknown) => void
  /** Called when a poll succeeds. */
  onPollSuccess?: () => void
}

/** Rows read per query. */
const PAGE = 5000
/** Skipped ids remembered one by one; a larger jump is remembered as a range. */
const MAX_SKIPPED_IDS = 10_000
/** Ids below the highest one at the first load that are treated as skipped. */
const FIRST_LOAD_WINDOW = 1000

interface Range { from: number, to: number, until: number }

export function createRevocationList ({ db, clock, pollMs, gapWaitMs, onPollError, onPollSuccess }: RevocationListOptions) {
  /** session id → until when its access tokens are refused (ms) */
  const revoked = new Map<string, number>()
  /**
   * No entry of `revoked` expires before this (ms), so polls until then skip
   * the sweep: after a mass revocation the list holds 100,000 entries or more,
   * and sweeping 100,000 took 1.4–1.9 ms of the event loop's thread at every poll.
   * It may be earlier than the earliest entry (an entry's time only grows); a
   * sweep then finds nothing and sets it right.
   */
  let nextExpiry = Infinity
  /** Ids skipped over, each until when it is asked for. */
  const skipped = new Map<number, number>()
  const skippedRanges: Range[] = []
  let lastId = 0
  let loaded = false
  let timer: NodeJS.Timeout | undefined

  function apply (sessionId: string, expiresAt: Date): void {
    const until = Math.max(revoked.get(sessionId) ?? 0, expiresAt.getTime())
    revoked.set(sessionId, until)
    if (until < nextExpiry) nextExpiry = until
  }

  function forgetExpired (now: number): void {
    if (now < nextExpiry) return
    nextExpiry = Infinity
    for (const [sessionId, until] of revoked) {
      if (until <= now) revoked.delete(sessionId)
      else if (until < nextExpiry) nextExpiry = until
    }
  }

  function skip (from: number, to: number, now: number): void {
    if (to < from) return
    const until = now + gapWaitMs
    if (to - from + 1 > MAX_SKIPPED_IDS) {
      skippedRanges.push({ from, to, until })
      return
    }
    for (let id = from; id <= to; id++) skipped.set(id, until)
  }

  /** Every unexpired revocation, page by page, before the instance serves. */
  async function load (): Promise<void> {
    const now = new Date(clock.now())
    const top = await db.selectFrom('revocations').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
    const highest = top?.id ?? 0
    for (let after = 0; ;) {
      const rows = await db.selectFrom('revocations').select(['id', 'sessionId', 'expiresAt'])
        .where('expiresAt', '>', now).where('id', '>', after).where('id', '<=', highest).orderBy('id').limit(PAGE).execute()
      for (const row of rows) apply(row.sessionId, row.expiresAt)
      if (rows.length < PAGE) break
      after = (rows.at(-1) as { id: number }).id
    }
    // Transactions still open at this moment may hold ids below the highest: the ids missing just below it.
    const floor = Math.max(0, highest - FIRST_LOAD_WINDOW)
    const present = new Set((await db.selectFrom('revocations').select('id').where('id', '>', floor).where('id', '<=', highest).execute()).map(r => r.id))
    for (let id = floor + 1; id < highest; id++) if (!present.has(id)) skip(id, id, now.getTime())
    lastId = Math.max(lastId, highest)
    loaded = true
  }

  async function readNew (now: number): Promise<void> {
    const askAgain = [...skipped.keys()].slice(0, PAGE)
    for (;;) {
      const rows = await db.selectFrom('revocations').select(['id', 'sessionId', 'expiresAt'])
        .where((eb) => eb.or([
          eb('id', '>', lastId),
          ...(askAgain.length > 0 ? [eb('id', 'in', askAgain)] : []),
          ...skippedRanges.map(r => eb.between('id', r.from, r.to))
        ]))
        .orderBy('id').limit(PAGE).execute()
      for (const row of rows) {
        apply(row.sessionId, row.expiresAt)
        if (row.id > lastId) {
          skip(lastId + 1, row.id - 1, now)
          lastId = row.id
        } else {
          skipped.delete(row.id)
        }
      }
      if (rows.length < PAGE) return
      askAgain.length = 0
    }
  }

  async function poll (): Promise<void> {
    if (!loaded) {
      await load()
      return
    }
    const now = clock.now()
    await readNew(now)
    for (const [id, until] of skipped) if (until <= now) skipped.delete(id)
    for (let i = skippedRanges.length - 1; i >= 0; i--) if ((skippedRanges[i] as Range).until <= now) skippedRanges.splice(i, 1)
    forgetExpired(now)
  }

  function schedule (): void {
    timer = setTimeout(() => {
      poll().then(onPollSuccess, onPollError).finally(() => { if (timer !== undefined) schedule() })
    }, pollMs).unref()
  }

  return {
    isRevoked: (sessionId: string): boolean => revoked.has(sessionId),

    /** Takes effect on this instance at once; the others learn it at their next poll. */
    add (sessionIds: string[], until: Date): void {
      for (const sessionId of sessionIds) apply(sessionId, until)
    },

    /** Loads every unexpired revocation, then keeps polling. */
    async start (): Promise<void> {
      await load()
      schedule()
    },

    stop (): void {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },

    poll,

    /** How many ended sessions are held (for tests). */
    get size (): number { return revoked.size },

    /** How many ids and ranges are being asked for again (for tests and metrics). */
    get skippedIds (): number { return skipped.size + skippedRanges.length }
  }
}

export type RevocationList = ReturnType<typeof createRevocationList>
