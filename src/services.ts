// Wires the shared services every surface uses from the settings and an open
// database. Transports receive these and nothing below them.
import { createAccountsService } from './accounts/accounts-service.js'
import { createPasswords } from './accounts/passwords.js'
import { createSessionsRepository } from './accounts/sessions-repository.js'
import { createUsersRepository } from './accounts/users-repository.js'
import type { Config } from './config.js'
import type { Database } from './storage/database.js'
import { createAccessTokens } from './tokens/access-tokens.js'
import type { Clock } from './tokens/clock.js'
import type { KeySet } from './tokens/keys.js'
import { createTokenService } from './tokens/token-service.js'

export function createServices (config: Config, db: Database, keys: KeySet, clock: Clock) {
  const passwords = createPasswords({
    memoryCost: config.ARGON2_MEMORY_KIB,
    timeCost: config.ARGON2_TIME_COST,
    parallelism: config.ARGON2_PARALLELISM,
    concurrency: config.ARGON2_CONCURRENCY
  })
  const accounts = createAccountsService(createUsersRepository(db), passwords)
  const tokens = createTokenService({
    accessTokens: createAccessTokens({
      keys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL,
      clock
    }),
    sessions: createSessionsRepository(db),
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL,
    clock
  })
  return { accounts, tokens, passwords, keys }
}

export type Services = ReturnType<typeof createServices>
