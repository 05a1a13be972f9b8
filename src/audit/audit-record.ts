// What one entry of the audit trail holds, and what the trail keeps about
// the client a request came from.
import type { Insertable } from 'kysely'
import type { AuditEvent } from '../generated/kysely/database.js'

/** What is known about the client behind a request; `ip` honours TRUST_PROXY. */
export interface ClientInfo {
  userAgent?: string | undefined
  ip?: string | undefined
}

export interface AuditRecord {
  type: string
  /** The user the event is about. */
  userId?: number | null
  /** Who acted, when someone authenticated did: the user, or an administrator. */
  actorId?: number | null
  sessionId?: string | null
  client?: ClientInfo | undefined
  detail?: Record<string, unknown>
}

const MAX_USER_AGENT = 512

/** The row an audit record is stored as, written at `now`. */
export function auditRow (record: AuditRecord, now: Date): Insertable<AuditEvent> {
  return {
    type: record.type,
    userId: record.userId ?? null,
    actorId: record.actorId ?? null,
    sessionId: record.sessionId ?? null,
    ip: record.client?.ip ?? null,
    userAgent: record.client?.userAgent?.slice(0, MAX_USER_AGENT) ?? null,
    detail: JSON.stringify(record.detail ?? {}),
    createdAt: now
  }
}
