// The sessions API on /graphql: the same sessions as REST's /auth/sessions.
import { createUser, buildTestApp, eachProvider } from '../helper.js'
import { bearer, graphql, graphqlLogin } from './support/requests.js'

const SESSIONS = '{ sessions { id userAgent ip createdAt lastUsedAt expiresAt current } }'

eachProvider('/graphql lists the sessions, ends one, and ends all the others', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  await createUser(app, { email: 'ivy@example.com', password: 'ivy-password-1', username: 'ivy' })
  const a = await graphqlLogin(app, 'ivy', 'ivy-password-1')
  const b = await graphqlLogin(app, 'ivy', 'ivy-password-1')
  const c = await graphqlLogin(app, 'ivy@example.com', 'ivy-password-1')

  const listed = await graphql(app, SESSIONS, { headers: bearer(a.accessToken) })
  t.equal(listed.statusCode, 200)
  const sessions = listed.json().data.sessions as Array<{ id: string, current: boolean, ip: string }>
  t.equal(sessions.length, 3)
  t.equal(sessions.filter(s => s.current).length, 1)
  t.ok(sessions.every(s => s.ip === '127.0.0.1'))
  const rest = await app.inject({ url: '/auth/sessions', headers: bearer(a.accessToken) })
  t.same(rest.json().map((s: { id: string }) => s.id).sort(), sessions.map(s => s.id).sort(), 'the same sessions as REST')

  const currentOfB = (await graphql(app, SESSIONS, { headers: bearer(b.accessToken) })).json().data.sessions.find((s: { current: boolean }) => s.current).id
  const ended = await graphql(app, 'mutation($id: ID!) { revokeSession(id: $id) }', { headers: bearer(a.accessToken), variables: { id: currentOfB } })
  t.same(ended.json(), { data: { revokeSession: true } })
  t.equal((await graphql(app, '{ me { id } }', { headers: bearer(b.accessToken) })).json().errors[0].extensions.code, 'UNAUTHENTICATED', "b's access token is refused")
  const again = await graphql(app, 'mutation($id: ID!) { revokeSession(id: $id) }', { headers: bearer(a.accessToken), variables: { id: currentOfB } })
  t.same(again.json(), { data: { revokeSession: false } }, 'no longer live')
  const junk = await graphql(app, 'mutation { revokeSession(id: "../\\u0000") }', { headers: bearer(a.accessToken) })
  t.same(junk.json(), { data: { revokeSession: false } })

  const others = await graphql(app, 'mutation { revokeOtherSessions }', { headers: bearer(a.accessToken) })
  t.same(others.json(), { data: { revokeOtherSessions: 1 } })
  t.equal((await graphql(app, '{ me { id } }', { headers: bearer(c.accessToken) })).json().errors[0].extensions.code, 'UNAUTHENTICATED')
  const left = (await graphql(app, SESSIONS, { headers: bearer(a.accessToken) })).json().data.sessions
  t.equal(left.length, 1)
  t.equal(left[0].current, true)

  const anonymous = await graphql(app, SESSIONS)
  t.equal(anonymous.json().errors[0].extensions.code, 'UNAUTHENTICATED')
  const anonymousRevoke = await graphql(app, 'mutation { revokeOtherSessions }')
  t.equal(anonymousRevoke.json().errors[0].extensions.code, 'UNAUTHENTICATED')
})
