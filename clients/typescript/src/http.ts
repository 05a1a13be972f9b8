// What the surfaces need from the client to talk to the gateway, and the
// reading of its answers that every surface shares.
import { AuthgateError, GraphQLResponseError, RateLimitedError, retryAfterSeconds, type GraphQLErrorEntry } from './errors.js'

export interface Transport {
  /** An absolute URL for a gateway path. */
  url (path: string): string
  /**
   * Sends a request; rejects with NetworkError when no answer came. When
   * `accessToken` is the bearer sent, a renewed token in the answer's
   * X-Authorization header is adopted.
   */
  send (url: string, init: RequestInit, accessToken?: string): Promise<Response>
  /** The client's clock, ms since the epoch. */
  now (): number
}

/**
 * The outcome of one call made with an access token. `tokenRefused` says
 * the gateway did not accept the token (expired, or its session ended), so
 * the call is worth one retry after a refresh; `settle` gives the caller's
 * result or throws the error the answer stands for.
 */
export interface Attempt<T> {
  tokenRefused: boolean
  settle (): T
  /** Frees what the answer still holds before the call is retried. */
  discard? (): void
}

/** The gateway refused a refresh: the session is over. */
export class RefreshRefused extends Error {
  constructor (message: string, readonly status: number, readonly code: string | undefined, readonly body: unknown) {
    super(message)
  }
}

/** A refresh is refused with these statuses; anything else (429, 5xx, 404) leaves the session as it is. */
export const REFUSED_STATUSES: ReadonlySet<number> = new Set([400, 401, 403])

/** The JSON body of an answer, or undefined when it has none or it is not JSON. */
export async function readJson (res: Response): Promise<unknown> {
  const text = await res.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

export const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` })

export async function postJson (transport: Transport, path: string, body: unknown, headers: Record<string, string> = {}, accessToken?: string) {
  const res = await transport.send(transport.url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body)
  }, accessToken)
  return { res, body: await readJson(res) }
}

export function rateLimited (res: Response, message: string, details: { code?: string | undefined, body?: unknown } = {}): RateLimitedError {
  return new RateLimitedError(message, retryAfterSeconds(res.headers.get('retry-after')), details)
}

/** The error a REST answer `{statusCode, error, message}` stands for. */
export function restError (res: Response, body: unknown): AuthgateError {
  const message = (body as { message?: unknown } | undefined)?.message
  const text = typeof message === 'string' ? message : Array.isArray(message) ? message.join('; ') : `HTTP ${res.status}`
  if (res.status === 429) return rateLimited(res, text, { body })
  return new AuthgateError(text, { status: res.status, body })
}

export interface GraphQLAnswer {
  res: Response
  body: unknown
  data: Record<string, unknown> | null
  errors: GraphQLErrorEntry[]
}

export async function graphqlRequest (transport: Transport, path: string, query: string, variables: Record<string, unknown> | undefined, accessToken?: string, signal?: AbortSignal): Promise<GraphQLAnswer> {
  const res = await transport.send(transport.url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(accessToken !== undefined ? bearer(accessToken) : {}) },
    body: JSON.stringify(variables === undefined ? { query } : { query, variables }),
    ...(signal !== undefined ? { signal } : {})
  }, accessToken)
  const body = await readJson(res)
  const parsed = body as { data?: unknown, errors?: unknown } | undefined
  const data = typeof parsed?.data === 'object' && parsed.data !== null ? parsed.data as Record<string, unknown> : null
  const errors = Array.isArray(parsed?.errors) ? parsed.errors as GraphQLErrorEntry[] : []
  return { res, body, data, errors }
}

/**
 * Whether a GraphQL answer refuses the access token: a 401, an
 * UNAUTHENTICATED code (/graphql, and /service/Auth for a token whose session
 * ended) or CollectiveAccess's expired-token flag (/service/Auth).
 */
export function refusesToken ({ res, errors }: GraphQLAnswer): boolean {
  if (res.status === 401) return true
  return errors.some(e => e.expiredToken === true || e.extensions?.code === 'UNAUTHENTICATED' || e.extensions?.code === 'TOKEN_EXPIRED')
}

/** The error a GraphQL answer with errors (or no usable body) stands for. */
export function graphqlError (answer: GraphQLAnswer): AuthgateError {
  const { res, body, data, errors } = answer
  const first = errors[0]
  if (res.status === 429 || first?.extensions?.code === 'RATE_LIMITED') {
    return rateLimited(res, first?.message ?? 'Too many requests', { code: first?.extensions?.code, body })
  }
  if (errors.length > 0) return new GraphQLResponseError(errors, data, { status: res.status, body })
  return new AuthgateError(`Unexpected answer from the gateway: HTTP ${res.status}`, { status: res.status, body })
}

/** The value of a GraphQL call, or the error its answer stands for. */
export function graphqlAttempt<T> (answer: GraphQLAnswer, pick: (data: Record<string, unknown>) => T): Attempt<T> {
  return {
    tokenRefused: refusesToken(answer),
    settle () {
      if (answer.errors.length > 0 || answer.data === null || !answer.res.ok) throw graphqlError(answer)
      return pick(answer.data)
    }
  }
}
