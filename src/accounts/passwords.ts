// argon2id hashing with the configured cost, at most `concurrency` hashes at
// once so memory stays bounded under a login flood.
import argon2 from 'argon2'
import pLimit from 'p-limit'

export interface PasswordSettings {
  memoryCost: number
  timeCost: number
  parallelism: number
  concurrency: number
}

export function createPasswords (settings: PasswordSettings) {
  const limit = pLimit(settings.concurrency)
  const options = {
    type: argon2.argon2id,
    memoryCost: settings.memoryCost,
    timeCost: settings.timeCost,
    parallelism: settings.parallelism
  } as const
  // Verified when the user does not exist, so both answers take as long.
  const dummyHash = limit(() => argon2.hash('authgate-dummy-password', options))

  return {
    hash: (password: string) => limit(() => argon2.hash(password, options)),
    /** Compares against `hash`, or against a dummy hash when there is no user, and answers false. */
    async verify (hash: string | null, password: string): Promise<boolean> {
      const target = hash ?? await dummyHash
      const ok = await limit(() => argon2.verify(target, password).catch(() => false))
      return hash !== null && ok
    },
    /** Hashes waiting for a slot. */
    get pending () { return limit.pendingCount }
  }
}

export type Passwords = ReturnType<typeof createPasswords>
