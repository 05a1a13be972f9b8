import type { Config } from '../config.js'
import type { RateLimits } from '../http/rate-limits.js'
import type { Services } from '../services.js'

/** What each GraphQL endpoint's plugin is registered with. */
export interface GraphQLSurfaceOptions {
  config: Config
  services: Services
  limits: RateLimits
}
