import type { SessionSummary } from '../sessions/sessions-service.js'

/** A user's sessions as every surface shows them: ISO times and which one is the caller's. */
export function sessionList (sessions: SessionSummary[], currentSessionId?: string) {
  return sessions.map(s => ({
    id: s.id,
    userAgent: s.userAgent,
    ip: s.ip,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === currentSessionId
  }))
}
