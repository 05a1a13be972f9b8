// Requests to the two GraphQL endpoints over app.inject, as clients send them.
import type { App } from '../../../src/app.js'

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export interface GraphQLRequest {
  headers?: Record<string, string>
  variables?: Record<string, unknown>
}

function post (app: App, url: string, query: string, { headers = {}, variables }: GraphQLRequest) {
  return app.inject({ method: 'POST', url, headers, payload: variables === undefined ? { query } : { query, variables } })
}

export const serviceAuth = (app: App, query: string, request: GraphQLRequest = {}) => post(app, '/service/Auth', query, request)
export const graphql = (app: App, query: string, request: GraphQLRequest = {}) => post(app, '/graphql', query, request)

/** The payload of a JWT, read without verifying it. */
export function jwtPayload (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>
}

export async function serviceAuthLogin (app: App, username: string, password: string): Promise<{ jwt: string, refresh: string }> {
  const res = await serviceAuth(app, 'query($u: String, $p: String) { login(username: $u, password: $p) { jwt refresh } }', { variables: { u: username, p: password } })
  const login = res.json().data?.login as { jwt: string | null, refresh: string | null } | null
  if (login?.jwt == null || login.refresh == null) throw new Error(`/service/Auth login failed: ${res.body}`)
  return { jwt: login.jwt, refresh: login.refresh }
}

export async function graphqlLogin (app: App, username: string, password: string): Promise<{ accessToken: string, refreshToken: string, expiresIn: number }> {
  const res = await graphql(app, 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken expiresIn } }', { variables: { u: username, p: password } })
  const login = res.json().data?.login
  if (login == null) throw new Error(`/graphql login failed: ${res.body}`)
  return login
}
