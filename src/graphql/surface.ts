import type { Clock } from '../clock.js'
import type { Config } from '../config.js'
import type { AccessTokenEdge } from '../http/access-tokens.js'
import type { RateLimits } from '../http/rate-limits.js'
import type { Services } from '../services.js'

/** What each GraphQL endpoint's plugin is registered with. */
export interface GraphQLSurfaceOptions {
  config: Config
  services: Services
  edge: AccessTokenEdge
  limits: RateLimits
  clock: Clock
  /** Hears of each request the database failed (the outage log). */
  onDatabaseUnavailable?: ((err: unknown) => void) | undefined
}
