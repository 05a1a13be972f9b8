import type { Database } from '../storage/database.js'

export interface AuditRecord {
  type: string
  userId?: number | null
  sessionId?: string | null
  ip?: string | null
  userAgent?: string | null
  detail?: Record<string, unknown>
}

export function auditRow (record: AuditRecord) {
  return {
    type: record.type,
    userId: record.userId ?? null,
    sessionId: record.sessionId ?? null,
    ip: record.ip ?? null,
    userAgent: record.userAgent ?? null,
    detail: JSON.stringify(record.detail ?? {})
  }
}

export interface AuditQuery {
  limit: number
  /** Only events with an id below this one (paging, newest first). */
  before?: number | undefined
  type?: string | undefined
  userId?: number | undefined
}

export function createAuditRepository (db: Database) {
  return {
    record: async (record: AuditRecord): Promise<void> => { await db.auditEvent.create({ data: auditRow(record) }) },

    async list ({ limit, before, type, userId }: AuditQuery) {
      const rows = await db.auditEvent.findMany({
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

export type AuditRepository = ReturnType<typeof createAuditRepository>
