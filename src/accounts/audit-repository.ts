import type { Database } from '../storage/database.js'
import type { Sql } from '../storage/sql.js'

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

export const INSERT_AUDIT = 'INSERT INTO audit_events (type, user_id, session_id, ip, user_agent, detail, created_at)'

/** The values of INSERT_AUDIT's columns, in order. */
export function auditValues (record: AuditRecord, now: Date): unknown[] {
  const a = auditRow(record)
  return [a.type, a.userId, a.sessionId, a.ip, a.userAgent, a.detail, now]
}

export interface AuditQuery {
  limit: number
  /** Only events with an id below this one (paging, newest first). */
  before?: number | undefined
  type?: string | undefined
  userId?: number | undefined
}

export function createAuditRepository (db: Database, sql: Sql) {
  return {
    // Every login records one: plain SQL (see storage/sql.ts).
    record: async (record: AuditRecord, now = new Date()): Promise<void> => {
      await sql.execute(`${INSERT_AUDIT} VALUES (?, ?, ?, ?, ?, ?, ?)`, auditValues(record, now))
    },

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
