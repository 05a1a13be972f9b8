// Closing the server while a keep-alive client has a request in flight: the
// request is answered, the answer tells the client to close the connection,
// and the close completes without waiting for the keep-alive timeout.
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { ADMIN, buildTestApp } from '../helper.js'

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
