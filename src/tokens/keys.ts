// The keys that sign and verify access tokens. One key signs; others may
// only verify, so a fleet can rotate keys without rejecting tokens in flight.
// Production brings its own keys (config.ts refuses weak ones); development
// generates them once into the data directory so tokens survive restarts.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ALGORITHMS = ['HS256', 'ES256', 'EdDSA'] as const
export type Algorithm = typeof ALGORITHMS[number]

export interface VerificationKey {
  /** Matched exactly against a token's `kid`. */
  kid: string
  algorithm: Algorithm
  /** An HMAC secret, or a PEM public key. */
  key: string
  /** The public JWK published at /.well-known/jwks.json; absent for HMAC secrets. */
  jwk?: JsonWebKey
}

export interface SigningKey extends VerificationKey {
  /** An HMAC secret, or a PEM private key. */
  signingKey: string
}

export interface KeySet {
  algorithm: Algorithm
  signing: SigningKey
  /** Every key a token may be signed with, the signing key first. */
  verification: VerificationKey[]
}

export interface KeySettings {
  algorithm: Algorithm
  secret?: string | undefined
  verifyOnlySecrets?: string[]
  privateKeyPem?: string | undefined
  verifyOnlyPublicKeyPems?: string[]
  dataDir: string
}

export interface KeyResolution {
  keys: KeySet
  /** Set when a development key was generated or read from the data directory. */
  warning?: string
}

function secretKid (secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 16)
}

/** RFC 7638 thumbprint of a public key: stable, and names nothing secret. */
function publicKid (publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' })
  const members = jwk.kty === 'EC'
    ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
    : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

function hmacKey (secret: string): VerificationKey {
  return { kid: secretKid(secret), algorithm: 'HS256', key: secret }
}

function publicKey (algorithm: Algorithm, publicKeyObject: KeyObject): VerificationKey {
  const expected = algorithm === 'ES256' ? 'ec' : 'ed25519'
  if (publicKeyObject.asymmetricKeyType !== expected || (algorithm === 'ES256' && publicKeyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1')) {
    throw new Error(`a ${algorithm} key must be ${algorithm === 'ES256' ? 'an EC P-256' : 'an Ed25519'} key`)
  }
  const kid = publicKid(publicKeyObject)
  const jwk = { ...publicKeyObject.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' }
  return { kid, algorithm, key: publicKeyObject.export({ format: 'pem', type: 'spki' }).toString(), jwk }
}

function developmentFile (dataDir: string, name: string, make: () => string): { value: string, file: string } {
  const file = join(resolve(dataDir), name)
  try {
    return { value: readFileSync(file, 'utf8').trim(), file }
  } catch {
    mkdirSync(resolve(dataDir), { recursive: true })
    const value = make()
    writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' })
    return { value, file }
  }
}

export function resolveKeys (settings: KeySettings): KeyResolution {
  const { algorithm } = settings
  let warning: string | undefined

  if (algorithm === 'HS256') {
    let secret = settings.secret
    if (secret === undefined || secret === '') {
      const dev = developmentFile(settings.dataDir, 'jwt-secret', () => randomBytes(48).toString('base64url'))
      secret = dev.value
      warning = `JWT_SECRET is not set: using the development secret kept in ${dev.file}. Set JWT_SECRET (at least 32 random bytes) before running in production.`
    }
    const signing = { ...hmacKey(secret), signingKey: secret }
    const others = (settings.verifyOnlySecrets ?? []).map(hmacKey).filter(k => k.kid !== signing.kid)
    return { keys: { algorithm, signing, verification: [signing, ...others] }, ...(warning !== undefined ? { warning } : {}) }
  }

  let pem = settings.privateKeyPem
  if (pem === undefined || pem === '') {
    const name = algorithm === 'ES256' ? 'jwt-es256.pem' : 'jwt-ed25519.pem'
    const dev = developmentFile(settings.dataDir, name, () => {
      const pair = algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
      return pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString().trim()
    })
    pem = dev.value
    warning = `JWT_PRIVATE_KEY_FILE is not set: using the development ${algorithm} key kept in ${dev.file}. Provide your own key before running in production.`
  }
  const privateKey = createPrivateKey(pem)
  const signing = { ...publicKey(algorithm, createPublicKey(privateKey)), signingKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }
  const others = (settings.verifyOnlyPublicKeyPems ?? [])
    .map(p => publicKey(algorithm, createPublicKey(p)))
    .filter(k => k.kid !== signing.kid)
  return { keys: { algorithm, signing, verification: [signing, ...others] }, ...(warning !== undefined ? { warning } : {}) }
}

/** The JSON Web Key Set downstream services verify tokens with; HMAC secrets are never published. */
export function jwks (keys: KeySet): { keys: JsonWebKey[] } {
  return { keys: keys.verification.flatMap(k => k.jwk !== undefined ? [k.jwk] : []) }
}
