// @authgate/client: the browser-safe entry (no Node.js imports here; the
// file store for command-line tools is in '@authgate/client/node').
export { AuthgateClient, type AuthgateClientOptions, type GraphQLCallOptions } from './client.js'
export {
  AuthgateError, GraphQLResponseError, NetworkError, RateLimitedError, SessionEndedError,
  type AuthgateErrorDetails, type GraphQLErrorEntry, type SessionEndReason
} from './errors.js'
export type { Credentials, LoginOptions, Profile } from './surfaces.js'
export { MemoryTokenStore, type HeaderTokens, type RefreshableTokens, type Surface, type TokenStore, type Tokens } from './tokens.js'
