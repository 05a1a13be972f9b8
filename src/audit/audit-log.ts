// The security audit trail: events are appended on the hot paths (Kysely,
// often in the same transaction as the change they describe) and listed by
// administrators (Prisma).
import type { Database } from '../storage/database.js'
import { auditRow, prepareAuditInsert, type AuditRecord } from './audit-record.js'

export interface AuditQuery {
  limit: number
  /** Only events with an id below this one (paging, newest first). */
  before?: number | undefined
  type?: string | undefined
  userId?: number | undefined
}

export function createAuditLog ({ db, prisma, run }: Pick<Database, 'db' | 'prisma' | 'run'>) {
  const insert = prepareAuditInsert(db)
  return {
    async record (record: AuditRecord, now: Date): Promise<void> {
      await insert.execute(run, auditRow(record, now))
    },

    async list ({ limit, before, type, userId }: AuditQuery) {
      const rows = await prisma.auditEvent.findMany({
        where: {
          ...(before !== undefined ? { id: { lt: before } } : {}),
          ...(type !== undefined ? { type } : {}),
          ...(userId !== undefined ? { userId } : {})
        },
        orderBy: { id: 'desc' },
        take: limit
      })
      return rows.map(r => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }))
    }
  }
}

export type AuditLog = ReturnType<typeof createAuditLog>
