// How long the audit trail keeps its events (AUDIT_RETENTION_DAYS): older
// ones are deleted by the purge (storage/purge.ts), oldest first, through the
// created_at index, at most `limit` a statement.
import type { SelectQueryBuilder } from 'kysely'
import type { Clock } from '../clock.js'
import type { Db } from '../storage/database.js'
import type { Provider } from '../storage/database-url.js'
import type { PurgeStep } from '../storage/purge.js'

/** Events recorded before `before`, at most `limit` of them. */
export function auditPurgeStatement (db: Db, provider: Provider) {
  const lockFree = <Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q =>
    provider === 'postgresql' ? query.forUpdate().skipLocked() as Q : query
  return (before: Date, limit: number) => db.deleteFrom('auditEvents').where('id', 'in', lockFree(
    db.selectFrom('auditEvents').select('id').where('createdAt', '<', before).limit(limit)))
}

export interface AuditRetention {
  db: Db
  provider: Provider
  clock: Clock
  /** Days an event is kept; undefined keeps every event. */
  retentionDays: number | undefined
}

/** The purge's step for the audit trail; none when every event is kept. */
export function auditPurgeSteps ({ db, provider, clock, retentionDays }: AuditRetention): PurgeStep[] {
  if (retentionDays === undefined) return []
  const statement = auditPurgeStatement(db, provider)
  return [{
    name: 'audit_events',
    async deleteBatch (limit) {
      const before = new Date(clock.now() - retentionDays * 86_400_000)
      return Number((await statement(before, limit).executeTakeFirst()).numDeletedRows)
    }
  }]
}
