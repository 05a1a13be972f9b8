// REQUEST_TIMEOUT: a client that sends its request too slowly gets a 408 in
// the API's error shape and its connection closed; a request received in
// time is answered however long the answer takes.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { freshDatabaseUrl, testConfig } from '../helper.js'

/** The gateway with a 1-s request timeout and one route that answers after 2.5 s, listening; shared by the tests below. */
async function listening (): Promise<number> {
  const app = await buildApp(testConfig(await freshDatabaseUrl(t, 'sqlite'), { REQUEST_TIMEOUT: '1' }), { announce: () => {} })
  t.teardown(() => app.close())
  app.get('/slow-answer', async () => {
    await sleep(2500)
    return { answered: true }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as AddressInfo).port
}
const port = await listening()

/** What the server has sent on `socket` so far, as a function to call at any time. */
function receivedOn (socket: net.Socket): () => string {
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { received += chunk })
  return () => received
}

/** Everything the server sends on `socket` until it closes the connection. */
async function untilClosed (socket: net.Socket): Promise<string> {
  const received = receivedOn(socket)
  await once(socket, 'close')
  return received()
}

async function connect (): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  return socket
}

t.test('a request whose body stops coming is answered 408 and its connection closed', async (t) => {
  const socket = await connect()
  const body = '{"email":"admin@example.com","password":"admin-password-123"}'
  socket.write(`POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`)
  const started = Date.now()
  const received = await untilClosed(socket)
  t.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'a 408')
  const answer = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
  t.same(answer, { error: 'Request Timeout', message: 'Client Timeout', statusCode: 408 }, 'in the shape of the API\'s errors')
  const took = Date.now() - started
  t.ok(took >= 900 && took < 10_000, `at the limit, not the head's own 60 s (${took} ms)`)
})

t.test('a request whose head never ends is answered 408 and its connection closed', async (t) => {
  const socket = await connect()
  socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Slow: ')
  const received = await untilClosed(socket)
  t.match(received, /^HTTP\/1\.1 408 Request Timeout\r\n/)
})

t.test('a connection that never sends a request is closed', async (t) => {
  const socket = await connect()
  const received = await untilClosed(socket)
  t.notMatch(received, /^HTTP\/1\.1 2/, 'nothing was answered')
})

t.test('a request received in time is answered, however long the answer takes', async (t) => {
  const socket = await connect()
  socket.write('GET /slow-answer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  const received = await untilClosed(socket)
  t.match(received, /^HTTP\/1\.1 200 OK\r\n/, 'a 200 after more than twice the limit')
  t.match(received, /\{"answered":true\}$/)
})

t.test('a kept-alive connection idle past the limit gets no 408: its next request is answered', async (t) => {
  const socket = await connect()
  const received = receivedOn(socket)
  socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n')
  while (!received().includes('{"status":"ok"}')) await once(socket, 'data')
  // Idle between two requests: the keep-alive timeout's business, not the request's.
  await sleep(2000)
  t.equal(received().match(/HTTP\/1\.1 \d{3}/g)?.length, 1, 'nothing was sent while the connection was idle')
  socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
  await once(socket, 'close')
  t.same(received().match(/HTTP\/1\.1 \d{3}/g), ['HTTP/1.1 200', 'HTTP/1.1 200'], 'both requests answered 200 on the one connection')
})

t.test('the limit is 30 s unless set; 0 turns it off', async (t) => {
  const url = await freshDatabaseUrl(t, 'sqlite')
  t.equal(testConfig(url).REQUEST_TIMEOUT, 30)
  const app = await buildApp(testConfig(url, { REQUEST_TIMEOUT: '0' }), { announce: () => {} })
  t.teardown(() => app.close())
  t.equal(app.server.requestTimeout, 0, 'no limit')
  t.throws(() => testConfig(url, { REQUEST_TIMEOUT: '-1' }), /REQUEST_TIMEOUT/)
})
