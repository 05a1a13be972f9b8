// Access tokens signed and verified exactly as the gateway does: the edge
// (src/http/access-tokens.ts, @fastify/jwt) registered on a bare Fastify
// instance, with claims made by the rules of src/tokens/access-tokens.ts.
import Fastify from 'fastify'
import type { Test } from 'tap'
import type { Clock } from '../../src/clock.js'
import { registerAccessTokens } from '../../src/http/access-tokens.js'
import { accessClaims, type AccessClaims } from '../../src/tokens/access-tokens.js'
import type { KeySet } from '../../src/tokens/keys.js'

export interface Subject {
  userId: number
  username: string
  email: string
  role: string
  tenantId: string | null
  sessionId: string
}

export interface TestAccessTokens {
  sign (subject: Subject, session?: { createdAt?: Date, expiresAt?: Date }): { token: string, claims: AccessClaims }
  verify (token: string): AccessClaims
}

export async function accessTokens (t: Test, { keys, issuer, audience, ttlSeconds, clock, clockToleranceSeconds = 5, revoked = new Set<string>() }: {
  keys: KeySet
  issuer: string
  audience: string
  ttlSeconds: number
  clock: Clock
  clockToleranceSeconds?: number
  revoked?: Set<string>
}): Promise<TestAccessTokens> {
  const app = Fastify()
  t.teardown(() => app.close())
  const rules = { issuer, audience, ttlSeconds, clockToleranceSeconds }
  const edge = await registerAccessTokens(app, { keys, rules, clock, isRevoked: (sid) => revoked.has(sid) })
  await app.ready()
  return {
    sign (subject, session = {}) {
      const now = clock.now()
      const claims = accessClaims(subject, {
        id: subject.sessionId,
        createdAt: session.createdAt ?? new Date(now),
        expiresAt: session.expiresAt ?? new Date(now + 365 * 86_400_000)
      }, now, rules)
      if (claims === null) throw new Error('the session has ended')
      return { token: edge.sign(claims), claims }
    },
    verify: (token) => edge.verify(token).claims
  }
}
