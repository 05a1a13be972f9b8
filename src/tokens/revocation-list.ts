// Access tokens are checked without the database: this list of ended
// sessions is kept in memory and refreshed from the shared revocations table
// every `pollMs`, so a logout on one instance reaches every instance within
// that interval. Entries (and rows) go once the access tokens they cover
// have expired.
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../storage/database.js'
import type { Clock } from './clock.js'

export interface RevocationListOptions {
  db: Database
  clock: Clock
  pollMs: number
  log?: FastifyBaseLogger
}

export function createRevocationList ({ db, clock, pollMs, log }: RevocationListOptions) {
  /** session id → when its last access token expires (ms) */
  const revoked = new Map<string, number>()
  let lastId = 0
  let timer: NodeJS.Timeout | undefined
  let polls = 0

  async function poll (): Promise<void> {
    const rows = await db.revocation.findMany({ where: { id: { gt: lastId } }, orderBy: { id: 'asc' }, take: 10_000 })
    for (const row of rows) {
      revoked.set(row.sessionId, Math.max(revoked.get(row.sessionId) ?? 0, row.expiresAt.getTime()))
      lastId = row.id
    }
    const now = clock.now()
    for (const [sid, expiresAt] of revoked) if (expiresAt <= now) revoked.delete(sid)
    // Pruning is idempotent, so every instance may do it; once a minute is plenty.
    if (++polls % Math.max(1, Math.round(60_000 / pollMs)) === 0) {
      await db.revocation.deleteMany({ where: { expiresAt: { lte: new Date(now) } } })
    }
  }

  return {
    isRevoked: (sessionId: string): boolean => revoked.has(sessionId),

    /** Takes effect on this instance at once; the others learn it at their next poll. */
    add (sessionIds: string[], expiresAt: Date): void {
      for (const sid of sessionIds) revoked.set(sid, Math.max(revoked.get(sid) ?? 0, expiresAt.getTime()))
    },

    async start (): Promise<void> {
      await poll()
      const tick = () => {
        poll().catch(err => log?.warn({ err }, 'could not refresh the revocation list'))
          .finally(() => { if (timer !== undefined) timer = setTimeout(tick, pollMs).unref() })
      }
      timer = setTimeout(tick, pollMs).unref()
    },

    stop (): void {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },

    poll
  }
}

export type RevocationList = ReturnType<typeof createRevocationList>
