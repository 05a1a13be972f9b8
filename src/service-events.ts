// What the shared services report as it happens, whichever surface asked:
// metrics count these. Listeners run inline on the request path, so they
// must be cheap and must not throw.
export type ServiceEvent =
  | 'login.succeeded'
  | 'login.failed'
  /** A refresh token rotated into a new pair (or a retry answered with the same successor). */
  | 'token.refreshed'
  /** A new access token for a refresh token left as it is (the GraphQL refreshToken mutations). */
  | 'token.access_refreshed'
  /** A fresh access token for a header-token session in use (sliding renewal). */
  | 'token.renewed'
  /** A retired refresh token presented again: its session is ended. */
  | 'token.reuse_detected'

export type ServiceEventListener = (event: ServiceEvent) => void
