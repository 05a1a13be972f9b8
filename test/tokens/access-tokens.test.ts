import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { AuthError } from '../../src/errors.js'
import { resolveKeys } from '../../src/tokens/keys.js'
import { newRefreshToken } from '../../src/tokens/refresh-tokens.js'
import { manualClock } from '../helper.js'
import { accessTokens } from '../support/access-tokens.js'

const secret = 'k'.repeat(8) + 'Zp3Qm9Xr2Lt7Vw4Ny6Bc1Hd8Fj5Gs0Ka'
const keys = resolveKeys({ algorithm: 'HS256', secret, dataDir: '/nonexistent' }).keys
const key = keys.signing
const subject = { userId: 42, username: 'ada', email: 'ada@example.com', role: 'customer', tenantId: 'school-7', sessionId: 'sess-1' }

async function setup (t: Test, ttlSeconds = 900) {
  const clock = manualClock(Date.UTC(2026, 0, 1))
  const tokens = await accessTokens(t, { keys, issuer: 'authgate', audience: 'clients', ttlSeconds, clock })
  return { clock, tokens }
}

function b64 (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Re-signs a token's header and payload with HMAC of the given algorithm. */
function forge (header: object, payload: object, hmac: 'sha256' | 'sha512' = 'sha256', withKey = secret): string {
  const body = `${b64(header)}.${b64(payload)}`
  return `${body}.${createHmac(hmac, withKey).update(body).digest('base64url')}`
}

function decodePayload (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())
}
function decodeHeader (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())
}

t.test('issues a token with every required claim', async (t) => {
  const { clock, tokens } = await setup(t)
  const { token } = tokens.sign(subject)
  const claims = decodePayload(token)
  const now = clock.now() / 1000
  t.match(claims, {
    sub: '42', id: '42', username: 'ada', email: 'ada@example.com', role: 'customer', schoolId: 'school-7',
    sid: 'sess-1', iss: 'authgate', aud: 'clients', iat: now, nbf: now, exp: now + 900
  })
  t.type(claims.jti, 'string')
  t.match(decodeHeader(token), { alg: 'HS256', typ: 'at+jwt', kid: key.kid })
  t.not(tokens.sign(subject).claims.jti, claims.jti, 'every token has its own jti')
  t.same(tokens.verify(token).sub, '42')
  t.notOk('schoolId' in tokens.sign({ ...subject, tenantId: null }).claims, 'no tenant claim without a tenant')
})

t.test('expires by the injected clock', async (t) => {
  const { clock, tokens } = await setup(t, 60)
  const { token } = tokens.sign(subject)
  clock.advance(59)
  t.equal(tokens.verify(token).sub, '42')
  clock.advance(1)
  t.throws(() => tokens.verify(token), new AuthError('TOKEN_EXPIRED', 'Access token expired'))
})

t.test('refuses tokens not yet valid', async (t) => {
  const { clock, tokens } = await setup(t)
  const { token } = tokens.sign(subject)
  clock.advance(-120)
  t.throws(() => tokens.verify(token), { code: 'UNAUTHENTICATED' })
})

t.test('refuses forged and foreign tokens', async (t) => {
  const { clock, tokens } = await setup(t)
  const { token, claims } = tokens.sign(subject)
  const header = decodeHeader(token)
  const [h, p, s] = token.split('.') as [string, string, string]
  const now = clock.now() / 1000
  const cases: Record<string, string> = {
    'alg none': `${b64({ ...header, alg: 'none' })}.${p}.`,
    'alg NoNe': `${b64({ ...header, alg: 'NoNe' })}.${p}.`,
    'HS512 with the same secret': forge({ ...header, alg: 'HS512' }, claims, 'sha512'),
    'signed with another secret': forge(header, claims, 'sha256', 'another-secret-another-secret-another'),
    'signature stripped': `${h}.${p}.`,
    'signature truncated': `${h}.${p}.${s.slice(0, 20)}`,
    'payload changed': `${h}.${b64({ ...claims, role: 'admin' })}.${s}`,
    'wrong issuer': forge(header, { ...claims, iss: 'someone-else' }),
    'wrong audience': forge(header, { ...claims, aud: 'other-service' }),
    'wrong type': forge({ ...header, typ: 'JWT' }, claims),
    'unknown kid': forge({ ...header, kid: 'x' + key.kid }, claims),
    'kid path traversal': forge({ ...header, kid: '../../etc/passwd' }, claims),
    'kid SQL injection': forge({ ...header, kid: "x' OR '1'='1" }, claims),
    'kid of another type': forge({ ...header, kid: 1 }, claims),
    'jku header': forge({ ...header, kid: undefined, jku: 'https://attacker.example/jwks.json' }, claims),
    'x5u header': forge({ ...header, kid: undefined, x5u: 'https://attacker.example/cert.pem' }, claims),
    'typ of a refresh token': forge({ ...header, typ: 'rt+jwt' }, claims),
    'wrong signature with a known kid and x5u': forge({ ...header, x5u: 'https://attacker.example/cert.pem' }, claims, 'sha256', 'attacker-secret-attacker-secret-attacker'),
    'unknown crit': forge({ ...header, crit: ['exp-ext'], 'exp-ext': 1 }, claims),
    'iat in the future': forge(header, { ...claims, iat: now + 3600, nbf: now }),
    'no exp': forge(header, { ...claims, exp: undefined }),
    'no iss': forge(header, { ...claims, iss: undefined }),
    'no aud': forge(header, { ...claims, aud: undefined }),
    'no sub': forge(header, { ...claims, sub: undefined }),
    'no sid': forge(header, { ...claims, sid: undefined }),
    'a sub that is no user id': forge(header, { ...claims, sub: 'admin' }),
    'a refresh token': newRefreshToken(),
    'garbage': 'not.a.jwt',
    'empty': ''
  }
  for (const [name, forged] of Object.entries(cases)) {
    t.throws(() => tokens.verify(forged), { code: 'UNAUTHENTICATED' }, name)
  }
})

t.test('a token verified before is remembered by its end, and only the whole token finds it', async (t) => {
  const { clock, tokens } = await setup(t)
  const { token, claims } = tokens.sign(subject)
  const [h, p, s] = token.split('.') as [string, string, string]
  t.equal(tokens.verify(token).role, 'customer', 'verified, and remembered')
  const now = clock.now() / 1000
  const endingAlike: Record<string, string> = {
    'its signature on another payload': `${h}.${b64({ ...claims, role: 'admin' })}.${s}`,
    'its signature on another header': `${b64({ ...decodeHeader(token), kid: 'x' })}.${p}.${s}`,
    'its payload and the end of its signature, the rest another': `${h}.${p}.${'A'.repeat(s.length - 8)}${s.slice(-8)}`,
    'a token signed with the same key, its signature ending like this token': forge(decodeHeader(token), { ...claims, iat: now - 1 }).slice(0, -8) + s.slice(-8)
  }
  for (const [name, forged] of Object.entries(endingAlike)) {
    t.throws(() => tokens.verify(forged), { code: 'UNAUTHENTICATED' }, name)
  }
  t.equal(tokens.verify(token).role, 'customer', 'the token itself still verifies')
})

t.test('carries the login time and never outlives its session', async (t) => {
  const { clock, tokens } = await setup(t)
  const login = new Date(clock.now() - 3600_000)
  const { claims } = tokens.sign(subject, { createdAt: login, expiresAt: new Date(clock.now() + 60_000) })
  t.equal(claims.auth_time, login.getTime() / 1000, 'auth_time is the session\'s login, not the token\'s issue')
  t.equal(claims.exp - claims.iat, 60, 'the lifetime is cut to what is left of the session')
  t.throws(() => tokens.sign(subject, { expiresAt: new Date(clock.now()) }), /ended/, 'a session at its end gets no token')
})

t.test('clocks may differ by the tolerance: not-yet-valid tokens within it pass, expiry stays exact', async (t) => {
  const { clock, tokens } = await setup(t, 60)
  const { token } = tokens.sign(subject)
  clock.advance(-5)
  t.equal(tokens.verify(token).sub, '42', 'issued by an instance 5 s ahead: accepted')
  clock.advance(-1)
  t.throws(() => tokens.verify(token), { code: 'UNAUTHENTICATED' }, '6 s ahead: refused')
  clock.advance(6 + 59)
  t.equal(tokens.verify(token).sub, '42')
  clock.advance(1)
  t.throws(() => tokens.verify(token), { code: 'TOKEN_EXPIRED' }, 'no grace after exp')
})
