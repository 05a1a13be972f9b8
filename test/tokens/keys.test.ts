import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSigner } from 'fast-jwt'
import { createLocalJWKSet, jwtVerify } from 'jose'
import t, { type Test } from 'tap'
import { jwks, resolveKeys, type Algorithm } from '../../src/tokens/keys.js'
import { buildTestApp, login, manualClock } from '../helper.js'
import { accessTokens } from '../support/access-tokens.js'

const subject = { userId: 7, username: 'kim', email: 'kim@example.com', role: 'customer', tenantId: null, sessionId: 's-1' }

function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function pemPair (algorithm: Algorithm) {
  const pair = algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
  return {
    privatePem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString()
  }
}

for (const algorithm of ['ES256', 'EdDSA'] as const) {
  t.test(`${algorithm}: tokens verify downstream against the published JWKS`, async (t) => {
    const { keys, warning } = resolveKeys({ algorithm, dataDir: tempDir(t) })
    t.match(warning, /development/)
    const clock = manualClock()
    const tokens = await accessTokens(t, { keys, issuer: 'authgate', audience: 'api', ttlSeconds: 900, clock })
    const { token } = tokens.sign(subject)
    const set = jwks(keys)
    t.equal(set.keys.length, 1)
    t.match(set.keys[0], { kid: keys.signing.kid, alg: algorithm, use: 'sig' })
    t.notOk('d' in (set.keys[0] as object), 'no private member is published')
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(set as never), {
      issuer: 'authgate', audience: 'api', algorithms: [algorithm], typ: 'at+jwt', currentDate: new Date(clock.now())
    })
    t.equal(payload.sub, '7')
    t.equal(protectedHeader.kid, keys.signing.kid)
    t.equal(tokens.verify(token).sub, '7')
  })

  t.test(`${algorithm}: rotation with overlap`, async (t) => {
    const dir = tempDir(t)
    const old = pemPair(algorithm)
    const next = pemPair(algorithm)
    const oldFile = join(dir, 'old.pub.pem')
    writeFileSync(oldFile, old.publicPem)
    const clock = manualClock()
    const before = await accessTokens(t, { keys: resolveKeys({ algorithm, privateKeyPem: old.privatePem, dataDir: dir }).keys, issuer: 'i', audience: 'a', ttlSeconds: 900, clock })
    const oldToken = before.sign(subject).token

    const rotated = resolveKeys({ algorithm, privateKeyPem: next.privatePem, verifyOnlyPublicKeyPems: [readFileSync(oldFile, 'utf8')], dataDir: dir })
    t.equal(rotated.warning, undefined)
    const after = await accessTokens(t, { keys: rotated.keys, issuer: 'i', audience: 'a', ttlSeconds: 900, clock })
    t.equal(after.verify(oldToken).sub, '7', 'tokens of the old key still verify')
    t.equal(jwks(rotated.keys).keys.length, 2, 'both keys are published')
    const newToken = after.sign(subject).token
    t.not(JSON.parse(Buffer.from(newToken.split('.')[0] as string, 'base64url').toString()).kid, JSON.parse(Buffer.from(oldToken.split('.')[0] as string, 'base64url').toString()).kid)

    const retired = await accessTokens(t, { keys: resolveKeys({ algorithm, privateKeyPem: next.privatePem, dataDir: dir }).keys, issuer: 'i', audience: 'a', ttlSeconds: 900, clock })
    t.throws(() => retired.verify(oldToken), { code: 'UNAUTHENTICATED' }, 'refused once the old key is removed')
    t.equal(retired.verify(newToken).sub, '7')
  })

  t.test(`${algorithm}: algorithm confusion and foreign keys are refused`, async (t) => {
    const dir = tempDir(t)
    const { keys } = resolveKeys({ algorithm, dataDir: dir })
    const clock = manualClock()
    const tokens = await accessTokens(t, { keys, issuer: 'i', audience: 'a', ttlSeconds: 900, clock })
    const { claims } = tokens.sign(subject)
    const header = { typ: 'at+jwt', kid: keys.signing.kid }
    // HS256 keyed with the public key, the classic confusion attack.
    const confused = createSigner({ key: keys.signing.key, algorithm: 'HS256', header: { ...header, alg: 'HS256' } })(claims)
    t.throws(() => tokens.verify(confused), { code: 'UNAUTHENTICATED' }, 'HS256 with the public key as secret')
    const stranger = pemPair(algorithm)
    const foreign = createSigner({ key: stranger.privatePem, algorithm, kid: keys.signing.kid, header: { ...header, alg: algorithm } })(claims)
    t.throws(() => tokens.verify(foreign), { code: 'UNAUTHENTICATED' }, 'signed by another key under our kid')
    const embedded = createSigner({ key: stranger.privatePem, algorithm, header: { ...header, alg: algorithm, jwk: JSON.parse(JSON.stringify(jwks(resolveKeys({ algorithm, privateKeyPem: stranger.privatePem, dataDir: dir }).keys).keys[0])) } })(claims)
    t.throws(() => tokens.verify(embedded), { code: 'UNAUTHENTICATED' }, 'an embedded jwk header is not trusted')
  })
}

t.test('a key of the wrong type for the algorithm is refused at start', async (t) => {
  const ed = pemPair('EdDSA')
  t.throws(() => resolveKeys({ algorithm: 'ES256', privateKeyPem: ed.privatePem, dataDir: tempDir(t) }), /EC P-256/)
})

t.test('HS256 publishes no keys, and verify-only secrets still verify', async (t) => {
  const dir = tempDir(t)
  const oldSecret = 'old-' + 'Zp3Qm9Xr2Lt7Vw4Ny6Bc1Hd8Fj5Gs0Ka'
  const newSecret = 'new-' + 'Zp3Qm9Xr2Lt7Vw4Ny6Bc1Hd8Fj5Gs0Ka'
  const clock = manualClock()
  const old = await accessTokens(t, { keys: resolveKeys({ algorithm: 'HS256', secret: oldSecret, dataDir: dir }).keys, issuer: 'i', audience: 'a', ttlSeconds: 900, clock })
  const rotated = resolveKeys({ algorithm: 'HS256', secret: newSecret, verifyOnlySecrets: [oldSecret], dataDir: dir }).keys
  t.same(jwks(rotated), { keys: [] })
  const next = await accessTokens(t, { keys: rotated, issuer: 'i', audience: 'a', ttlSeconds: 900, clock })
  t.equal(next.verify(old.sign(subject).token).sub, '7')
})

t.test('the gateway serves its JWKS and its tokens verify against it', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite', { env: { JWT_ALGORITHM: 'EdDSA' } })
  const res = await app.inject({ url: '/.well-known/jwks.json' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /application\/jwk-set\+json/)
  const { accessToken } = await login(app)
  const { payload } = await jwtVerify(accessToken, createLocalJWKSet(res.json()), { issuer: 'authgate', audience: 'authgate', algorithms: ['EdDSA'] })
  t.equal(payload.email, 'admin@example.com')
  const profile = await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(profile.statusCode, 200)
})
