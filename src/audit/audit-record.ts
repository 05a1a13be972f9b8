// What one entry of the audit trail holds, and what the trail keeps about
// the client a request came from.
import type { Insertable, Kysely } from 'kysely'
import type { AuditEvent, DB } from '../generated/kysely/database.js'
import { prepare } from '../storage/prepared.js'

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

export type AuditRow = Required<Omit<Insertable<AuditEvent>, 'id'>>

/** The row an audit record is stored as, written at `now`. */
export function auditRow (record: AuditRecord, now: Date): AuditRow {
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

/** The insert of one audit event, compiled once: logins and refreshes record one each. */
export function prepareAuditInsert (db: Kysely<DB>) {
  return prepare((v: AuditRow) => db.insertInto('auditEvents').values({
    type: v.type, userId: v.userId, actorId: v.actorId, sessionId: v.sessionId, ip: v.ip, userAgent: v.userAgent, detail: v.detail, createdAt: v.createdAt
  }))
}
