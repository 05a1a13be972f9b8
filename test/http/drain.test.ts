// Closing the server while a keep-alive client has a request in flight: the
// request is answered, the answer tells the client to close the connection,
// and the close completes without waiting for the keep-alive timeout. Work
// whose client has gone away finishes before the database closes.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { ADMIN, buildTestApp, eachProvider, login, testConfig } from '../helper.js'

t.test('an answer in flight while the server closes ends its keep-alive connection', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  // Far beyond the test's own timeout: a connection left open would hold the close that long.
  app.server.keepAliveTimeout = 10 * 60_000
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => { agent.destroy() })

  // The request's head reaches the server now; its body only once the close has begun.
  const body = JSON.stringify({ email: ADMIN.email, password: ADMIN.password })
  const received = once(app.server, 'request')
  const request = http.request({
    port,
    agent,
    method: 'POST',
    path: '/auth/login',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
  })
  request.flushHeaders()
  await received

  const closed = app.close()
  // Fastify stops listening right after its preClose hooks have run.
  while (app.server.listening) await sleep(1)
  request.end(body)
  const [response] = await once(request, 'response') as [http.IncomingMessage]
  response.resume()
  t.equal(response.statusCode, 201, 'the request in flight is answered')
  t.equal(response.headers.connection, 'close', 'and the client is told not to reuse the connection')
  await once(response.socket, 'close')
  await closed
  t.pass('the close completed without waiting for the keep-alive timeout')
})

eachProvider('a password change whose client went away finishes before the database closes: the new password and the ended sessions, both or neither', async (t, provider) => {
  // One hash at a time, so the change's password check can be held in the queue behind others.
  const { app, databaseUrl } = await buildTestApp(t, provider, { env: { ARGON2_CONCURRENCY: '1' } })
  const changing = await login(app)
  const other = await login(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo

  const { passwords } = app.services
  const AHEAD = 64
  let done = 0
  const ahead = Array.from({ length: AHEAD }, () => passwords.hash('a password ahead in the queue').then(() => { done++ }))
  const body = JSON.stringify({ currentPassword: ADMIN.password, newPassword: 'a-new-password-456' })
  const request = http.request({
    port,
    method: 'POST',
    path: '/auth/password',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${changing.accessToken}` }
  })
  request.on('error', () => {})
  request.end(body)
  // The change waits for its password check behind the hashes of ours (one of which runs): more
  // wait than ours. Its client goes away and the server closes.
  while (done < AHEAD && passwords.pending <= AHEAD - done - 1) await sleep(1)
  t.ok(done < AHEAD, 'the change was still waiting for its password check when its client went away')
  request.destroy()
  await app.close()
  await Promise.all(ahead)

  const reopened = await buildApp(testConfig(databaseUrl), { announce: () => {}, logger: false })
  t.teardown(() => reopened.close())
  const attempt = async (password: string) => (await reopened.inject({ method: 'POST', url: '/auth/login', payload: { email: ADMIN.email, password } })).statusCode
  t.equal(await attempt('a-new-password-456'), 201, 'the new password is in effect')
  t.equal(await attempt(ADMIN.password), 401, 'the old one is not')
  const refreshed = await reopened.inject({ method: 'POST', url: '/auth/refresh-token', payload: { refreshToken: other.refreshToken } })
  t.equal(refreshed.statusCode, 401, 'the other session ended with the change')
})
