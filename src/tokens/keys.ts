// Resolves the HMAC key that signs access tokens. Production must bring its
// own (config.ts refuses weak ones); development generates one once and keeps
// it in the data directory so tokens survive restarts.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export interface SigningKey {
  /** Key id placed in every token header and matched exactly on verification. */
  kid: string
  secret: string
}

export interface KeyResolution {
  key: SigningKey
  /** Set when the key was generated or read from the data directory, to warn about it. */
  warning?: string
}

export function keyId (secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 16)
}

export function resolveSigningKey (secret: string | undefined, dataDir: string): KeyResolution {
  if (secret !== undefined && secret !== '') return { key: { kid: keyId(secret), secret } }
  const file = join(resolve(dataDir), 'jwt-secret')
  let stored: string
  try {
    stored = readFileSync(file, 'utf8').trim()
  } catch {
    mkdirSync(resolve(dataDir), { recursive: true })
    stored = randomBytes(48).toString('base64url')
    writeFileSync(file, stored + '\n', { mode: 0o600, flag: 'wx' })
  }
  return {
    key: { kid: keyId(stored), secret: stored },
    warning: `JWT_SECRET is not set: using the development secret kept in ${file}. Set JWT_SECRET (at least 32 random bytes) before running in production.`
  }
}
