import { ADMIN, buildTestApp, createUser, eachProvider, login } from '../helper.js'
import { countRows, openTestDatabase, refuseDeletes, refuseInserts } from '../support/database.js'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

eachProvider('an admin creates users who can then log in', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await login(app)
  const res = await app.inject({
    method: 'POST',
    url: '/users',
    headers: bearer(accessToken),
    payload: { email: 'Ada@Example.com', password: 'a long enough passphrase', username: 'ada', name: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', schoolId: 'school-1' }
  })
  t.equal(res.statusCode, 201)
  t.match(res.json(), { email: 'ada@example.com', username: 'ada', name: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', role: 'customer', schoolId: 'school-1', disabled: false })
  t.notOk(/password/i.test(res.body))
  const ada = await login(app, 'ada@example.com', 'a long enough passphrase')
  const profile = await app.inject({ url: '/auth/profile', headers: bearer(ada.accessToken) })
  t.equal(profile.json().username, 'ada')
  const claims = JSON.parse(Buffer.from(ada.accessToken.split('.')[1] as string, 'base64url').toString())
  t.equal(claims.schoolId, 'school-1', 'the tenant travels in the token')

  const viaPrefix = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(accessToken), payload: { email: 'root2@example.com', password: 'another-password', role: 'admin' } })
  t.equal(viaPrefix.statusCode, 201)
  t.equal(viaPrefix.json().role, 'admin')
  t.equal(viaPrefix.json().username, 'root2', 'the username defaults to the email local part')
})

eachProvider('only admins create users', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  await createUser(app, { email: 'john@mail.com', password: 'changeme', username: 'john' })
  const john = await login(app, 'john@mail.com', 'changeme')
  const payload = { email: 'eve@example.com', password: 'eve-password' }
  const forbidden = await app.inject({ method: 'POST', url: '/users', headers: bearer(john.accessToken), payload })
  t.equal(forbidden.statusCode, 403)
  t.same(forbidden.json(), { statusCode: 403, error: 'Forbidden', message: 'admin role required' })
  const anonymous = await app.inject({ method: 'POST', url: '/users', payload })
  t.equal(anonymous.statusCode, 401)
  const withRefresh = await app.inject({ method: 'POST', url: '/users', headers: bearer(john.refreshToken), payload })
  t.equal(withRefresh.statusCode, 401)
  const eve = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'eve@example.com', password: 'eve-password' } })
  t.equal(eve.statusCode, 401, 'no user was written')
})

eachProvider('user creation validates its input and refuses duplicates', async (t, provider) => {
  const { app } = await buildTestApp(t, provider)
  const { accessToken } = await login(app)
  const post = (payload: unknown) => app.inject({ method: 'POST', url: '/users', headers: bearer(accessToken), payload: payload as object })
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['short password', { email: 'a@example.com', password: 'short' }, 400, /at least 8 characters/],
    ['password over the limit', { email: 'a@example.com', password: 'p'.repeat(1025) }, 400, /password/],
    ['not an email', { email: 'not-an-email', password: 'long-enough-1' }, 400, /email/],
    ['unknown role', { email: 'a@example.com', password: 'long-enough-1', role: 'root' }, 400, /role/],
    ['unknown field', { email: 'a@example.com', password: 'long-enough-1', isAdmin: true }, 400, /additional/],
    ['username with @', { email: 'a@example.com', password: 'long-enough-1', username: 'a@b' }, 400, /username/],
    ['duplicate email', { email: ADMIN.email.toUpperCase(), password: 'long-enough-1', username: 'other' }, 409, /already exists/],
    ['duplicate username', { email: 'new@example.com', password: 'long-enough-1', username: 'admin' }, 409, /already exists/]
  ]
  for (const [name, payload, status, message] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, status, name)
    t.match(res.json().message, message, name)
  }
  const ok = await post({ email: 'a@example.com', password: '密码密码密码密码' })
  t.equal(ok.statusCode, 201, 'eight characters of any script are enough')
})

// A fault between the user's row and the event of its creation: both are
// one transaction.
eachProvider('a user whose creation cannot be recorded is not created', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const { accessToken } = await login(app)
  const created = await createUser(app, { email: 'first@example.com', password: 'long-enough-1' })
  t.equal(await countRows(db, 'auditEvents', { type: 'user.created', userId: created.id }), 1, 'a creation is recorded with the user')
  await refuseInserts(db, provider, 'audit_events')
  const refused = await app.inject({ method: 'POST', url: '/users', headers: bearer(accessToken), payload: { email: 'second@example.com', password: 'long-enough-1' } })
  t.not(refused.statusCode, 201, 'the creation fails')
  t.equal(await countRows(db, 'users', { email: 'second@example.com' }), 0, 'and leaves no user behind')
})

// Re-enabling writes the user and the event that records it in one
// transaction, as disabling does with the end of the user's sessions.
eachProvider('a re-enabling that cannot be recorded leaves the user disabled', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const admin = await login(app)
  const adminId = (await app.inject({ url: '/auth/profile', headers: bearer(admin.accessToken) })).json().id
  const sam = await createUser(app, { email: 'sam@example.com', password: 'sam-password-1' })
  const patch = (disabled: boolean) => app.inject({ method: 'PATCH', url: `/users/${sam.id}`, headers: bearer(admin.accessToken), payload: { disabled } })
  const samLogin = () => app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'sam@example.com', password: 'sam-password-1' } })

  t.equal((await patch(true)).statusCode, 200)
  const enabled = await patch(false)
  t.equal(enabled.statusCode, 200)
  t.equal(enabled.json().disabled, false)
  t.ok(Date.parse(enabled.json().updatedAt) > Date.parse(enabled.json().creationAt), 'the re-enabling is dated')
  t.equal(await countRows(db, 'auditEvents', { type: 'user.enabled', userId: sam.id, actorId: adminId }), 1, 'a re-enabling is recorded with its actor')
  t.equal((await samLogin()).statusCode, 201)

  t.equal((await patch(true)).statusCode, 200)
  await refuseInserts(db, provider, 'audit_events')
  const refused = await patch(false)
  t.ok(refused.statusCode >= 500, `the re-enabling fails (${refused.statusCode})`)
  t.match(refused.json(), { statusCode: refused.statusCode, error: String, message: String }, 'in the REST error shape')
  t.equal(await countRows(db, 'auditEvents', { type: 'user.enabled', userId: sam.id }), 1, 'no event was written')
  t.equal((await app.inject({ url: `/users/${sam.id}`, headers: bearer(admin.accessToken) })).json().disabled, true, 'and the user stays disabled')

  const missing = await app.inject({ method: 'PATCH', url: '/users/999999', headers: bearer(admin.accessToken), payload: { disabled: false } })
  t.equal(missing.statusCode, 404, 're-enabling no one is NOT_FOUND')
})

// Deleting a user ends its sessions (revoking their access tokens on every
// instance), records it and removes the row, in one transaction.
eachProvider('a deletion that cannot be completed ends no session and records nothing', async (t, provider) => {
  const { app, databaseUrl } = await buildTestApp(t, provider)
  const db = await openTestDatabase(t, databaseUrl)
  const admin = await login(app)
  const remove = (id: number) => app.inject({ method: 'DELETE', url: `/users/${id}`, headers: bearer(admin.accessToken) })
  const verify = (accessToken: string) => app.inject({ url: '/auth/verify', headers: bearer(accessToken) })
  const refresh = (refreshToken: string) => app.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken } })

  const lee = await createUser(app, { email: 'lee@example.com', password: 'lee-password-1' })
  const leeSession = await login(app, 'lee@example.com', 'lee-password-1')
  t.equal((await remove(lee.id)).statusCode, 204)
  t.equal(await countRows(db, 'users', { id: lee.id }), 0, 'the user is gone')
  t.equal(await countRows(db, 'sessions', { userId: lee.id }), 0, 'and its sessions with it')
  t.equal(await countRows(db, 'auditEvents', { type: 'user.deleted', userId: lee.id }), 1, 'the deletion is recorded')
  t.equal((await verify(leeSession.accessToken)).statusCode, 401, 'its access tokens stop at once')
  t.equal((await refresh(leeSession.refreshToken)).statusCode, 401, 'and its refresh tokens')
  t.equal((await remove(lee.id)).statusCode, 404, 'a second deletion finds no one')

  // Two administrators at once: both find the user, one transaction removes it, the other finds no row and changes nothing.
  const kim = await createUser(app, { email: 'kim@example.com', password: 'kim-password-1' })
  const both = await Promise.all([remove(kim.id), remove(kim.id)])
  t.same(both.map(r => r.statusCode).sort(), [204, 404], 'one deletion succeeds, the other finds no one')
  t.equal(await countRows(db, 'auditEvents', { type: 'user.deleted', userId: kim.id }), 1, 'and only one is recorded')
  const ray = await createUser(app, { email: 'ray@example.com', password: 'ray-password-1' })
  const [deleted, disabled] = await Promise.all([remove(ray.id), app.inject({ method: 'PATCH', url: `/users/${ray.id}`, headers: bearer(admin.accessToken), payload: { disabled: true } })])
  t.equal(deleted.statusCode, 204)
  // Either order is right: the disabling done before the deletion, or the deletion first and the disabling finding no one.
  t.equal(disabled.statusCode === 200 ? 1 : disabled.statusCode === 404 ? 0 : -1,
    await countRows(db, 'auditEvents', { type: 'user.disabled', userId: ray.id }), `a disabling is recorded only when it answers 200 (${disabled.statusCode})`)

  const sam = await createUser(app, { email: 'sam@example.com', password: 'sam-password-1' })
  const samSession = await login(app, 'sam@example.com', 'sam-password-1')
  const revocations = await countRows(db, 'revocations')
  await refuseDeletes(db, provider, 'users')
  const refused = await remove(sam.id)
  t.ok(refused.statusCode >= 500, `the deletion fails (${refused.statusCode})`)
  t.match(refused.json(), { statusCode: refused.statusCode, error: String, message: String }, 'in the REST error shape')
  t.equal(await countRows(db, 'users', { id: sam.id }), 1, 'the user is still there')
  t.equal(await countRows(db, 'sessions', { userId: sam.id, endedAt: null }), 1, 'its session was not ended')
  t.equal(await countRows(db, 'revocations'), revocations, 'nor revoked')
  t.equal(await countRows(db, 'auditEvents', { type: 'user.deleted', userId: sam.id }), 0, 'no deletion was recorded')
  t.equal((await verify(samSession.accessToken)).statusCode, 200, 'its access token still passes forward-auth')
  t.equal((await refresh(samSession.refreshToken)).statusCode, 201, 'and its refresh token still rotates')
})
