import type { AccessTokenEdge } from '../http/access-tokens.js'
import type { RateLimits } from '../http/rate-limits.js'
import type { Services } from '../services.js'

/** What the REST route plugins are registered with. */
export interface RestOptions {
  services: Services
  edge: AccessTokenEdge
  limits: RateLimits
}
