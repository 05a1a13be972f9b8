import type { SessionView } from '../accounts/sessions-repository.js'

export function toSessionViews (sessions: SessionView[], currentSessionId?: string) {
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
