// One token service behind three surfaces: an access token obtained on any
// of REST /auth/login, /service/Auth and /graphql works on the other two, and
// a refresh token is exchanged at the endpoints of its session's policy.
import type { App } from '../../src/app.js'
import { ADMIN, buildTestApp, eachProvider, login as restLogin, type Test } from '../helper.js'
import { bearer, graphql, graphqlLogin, serviceAuth, serviceAuthLogin } from './support/requests.js'

interface Pair { access: string, refresh: string }

async function accessWorksEverywhere (t: Test, app: App, access: string, from: string) {
  const profile = await app.inject({ url: '/auth/profile', headers: bearer(access) })
  t.equal(profile.statusCode, 200, `${from} access token on REST /auth/profile`)
  t.equal(profile.json().email, ADMIN.email)
  const validate = await serviceAuth(app, '{ validate { email } }', { headers: bearer(access) })
  t.same(validate.json(), { ok: true, data: { validate: { email: ADMIN.email } } }, `${from} access token on /service/Auth validate`)
  const me = await graphql(app, '{ me { email } }', { headers: bearer(access) })
  t.same(me.json(), { data: { me: { email: ADMIN.email } } }, `${from} access token on /graphql me`)
}

/**
 * A session refreshes by the policy it started with: a REST session rotates
 * at REST only, a GraphQL session keeps its refresh token at either GraphQL
 * endpoint. The other endpoints refuse it and say which one to use; what
 * any refresh issues works everywhere.
 */
async function refreshesByItsPolicy (t: Test, app: App, refresh: string, from: string, rotates: boolean) {
  const ca = await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: refresh } })
  const ns = await graphql(app, 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', { variables: { r: refresh } })
  const rest = await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: refresh } })
  if (rotates) {
    t.equal(ca.statusCode, 401, `${from} refresh token refused by /service/Auth refresh`)
    t.match(ca.json(), { ok: false, errors: [{ message: /rotates its refresh tokens: exchange it at POST \/auth\/refresh-token/, extensions: { code: 'WRONG_REFRESH_ENDPOINT' } }], data: { refresh: null } })
    t.equal(ns.statusCode, 401, `${from} refresh token refused by /graphql refreshToken`)
    t.match(ns.json(), { errors: [{ message: /exchange it at POST \/auth\/refresh-token/, extensions: { code: 'UNAUTHENTICATED' } }] })
    t.equal(rest.statusCode, 201, `${from} refresh token on REST /auth/refresh-token`)
    await accessWorksEverywhere(t, app, rest.json().access_token, `${from} → REST refresh`)
  } else {
    t.equal(ca.json().ok, true, `${from} refresh token on /service/Auth refresh`)
    t.type(ns.json().data?.refreshToken?.accessToken, 'string', `${from} refresh token on /graphql refreshToken`)
    t.equal(rest.statusCode, 401, `${from} refresh token refused by REST /auth/refresh-token`)
    t.match(rest.json(), { statusCode: 401, message: /does not rotate: exchange it with the \/graphql refreshToken mutation or the \/service\/Auth refresh query/ })
    await accessWorksEverywhere(t, app, ca.json().data.refresh.jwt, `${from} → /service/Auth refresh`)
    await accessWorksEverywhere(t, app, ns.json().data.refreshToken.accessToken, `${from} → /graphql refreshToken`)
    const again = await graphql(app, 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', { variables: { r: refresh } })
    t.type(again.json().data?.refreshToken?.accessToken, 'string', `${from} refresh token is still valid after the refused REST attempt`)
  }
}

eachProvider('access tokens from each surface work on the other two; refresh tokens where their session refreshes', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const rest = await restLogin(app)
  const ca = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const pairs: Array<[string, Pair, boolean]> = [
    ['REST', { access: rest.accessToken, refresh: rest.refreshToken }, true],
    ['/service/Auth', { access: ca.jwt, refresh: ca.refresh }, false],
    ['/graphql', { access: ns.accessToken, refresh: ns.refreshToken }, false]
  ]
  for (const [from, { access, refresh }, rotates] of pairs) {
    await accessWorksEverywhere(t, app, access, from)
    await refreshesByItsPolicy(t, app, refresh, from, rotates)
  }
  const header = await graphql(app, 'query($p: String!) { loginUser(username: "admin", password: $p) { id } }', { variables: { p: ADMIN.password } })
  await accessWorksEverywhere(t, app, header.headers['x-authorization'] as string, 'loginUser')
})

eachProvider('no surface takes a refresh token as an access token, nor the reverse', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const rest = await restLogin(app)
  const ca = await serviceAuthLogin(app, ADMIN.email, ADMIN.password)
  const ns = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  for (const [from, access, refresh] of [['REST', rest.accessToken, rest.refreshToken], ['/service/Auth', ca.jwt, ca.refresh], ['/graphql', ns.accessToken, ns.refreshToken]] as const) {
    t.equal((await app.inject({ url: '/auth/profile', headers: bearer(refresh) })).statusCode, 401, `${from} refresh token as REST bearer`)
    t.equal((await serviceAuth(app, 'query($j: String) { validate(jwt: $j) { id } }', { variables: { j: refresh } })).statusCode, 401, `${from} refresh token as /service/Auth jwt`)
    t.equal((await graphql(app, '{ me { id } }', { headers: bearer(refresh) })).statusCode, 401, `${from} refresh token as /graphql bearer`)
    t.equal((await app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: access } })).statusCode, 401, `${from} access token to REST refresh`)
    t.equal((await serviceAuth(app, 'query($t: String) { refresh(token: $t) { jwt } }', { variables: { t: access } })).statusCode, 401, `${from} access token to /service/Auth refresh`)
    t.equal((await graphql(app, 'mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken } }', { variables: { r: access } })).statusCode, 401, `${from} access token to /graphql refreshToken`)
  }
})
