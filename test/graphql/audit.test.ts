// Logins and logouts on the GraphQL endpoints land in the same audit trail
// as REST's, with the client that made them.
import { ADMIN, buildTestApp, eachProvider, login as restLogin } from '../helper.js'
import { bearer, graphql, serviceAuth } from './support/requests.js'

eachProvider('GraphQL logins, failures and logouts are audited with their client', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const agent = { 'user-agent': 'graphql-audit-test/1.0' }
  await serviceAuth(app, '{ login(username: "admin", password: "wrong-password") { jwt } }', { headers: agent })
  const ca = await serviceAuth(app, `{ login(username: "admin", password: "${ADMIN.password}") { jwt refresh } }`, { headers: agent })
  await graphql(app, 'query($p: String!) { loginUser(username: "admin", password: $p) { id } }', { headers: agent, variables: { p: 'wrong-password' } })
  const ns = await graphql(app, 'mutation($p: String!) { login(username: "admin", password: $p) { accessToken refreshToken } }', { headers: agent, variables: { p: ADMIN.password } })
  await graphql(app, 'mutation($r: String!) { logout(refreshToken: $r) }', { headers: agent, variables: { r: ca.json().data.login.refresh } })
  await graphql(app, 'mutation { logoutAll }', { headers: { ...agent, ...bearer(ns.json().data.login.accessToken) } })

  const { accessToken } = await restLogin(app)
  const audit = await app.inject({ url: '/audit?limit=500', headers: bearer(accessToken) })
  t.equal(audit.statusCode, 200)
  const ours = (audit.json() as Array<{ type: string, userAgent: string | null }>).filter(e => e.userAgent === agent['user-agent']).map(e => e.type)
  t.same(ours, ['logout_all', 'logout', 'login.succeeded', 'login.failed', 'login.succeeded', 'login.failed'], 'newest first')
})
