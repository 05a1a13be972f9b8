// The refresh-and-retry clients of seed 001 (bash with curl and jq, JavaScript
// fetch, Python requests), run unchanged but for the URL and the protected
// query against a real server on a loopback port. Access tokens live two
// seconds, so the clients really meet an expired token, refresh and retry.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { ADMIN, buildTestApp, eachProvider } from '../helper.js'
import { testWith, tool, type Availability } from '../support/services.mjs'
import { bearer, graphql, graphqlLogin, jwtPayload } from './support/requests.js'

const run = promisify(execFile)
const CLIENTS = join(import.meta.dirname, 'clients')
const python = tool('python3-requests')
// Each client: its name, the command and arguments, and the tools it needs.
const clients: Array<[string, string, string[], Availability[]]> = [
  ['bash + curl + jq', 'bash', [join(CLIENTS, 'refresh-and-retry.sh')], [tool('curl'), tool('jq')]],
  ['JavaScript fetch', process.execPath, [join(CLIENTS, 'refresh-and-retry.mjs')], []],
  ['Python requests', python.value, [join(CLIENTS, 'refresh_and_retry.py')], [python]]
]

async function runClient (command: string, args: string[], env: Record<string, string>) {
  try {
    const { stdout } = await run(command, args, { env: { ...process.env, ...env }, timeout: 30_000 })
    return { code: 0, stdout }
  } catch (err) {
    const failed = err as { code?: number, stdout?: string, stderr?: string }
    return { code: failed.code ?? 1, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

eachProvider('seed-001 clients detect UNAUTHENTICATED, refresh and retry against a live server', async (t, provider) => {
  const { app } = await buildTestApp(t, provider, { env: { ACCESS_TOKEN_TTL: '2' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  const API_URL = `http://127.0.0.1:${address.port}/graphql`

  const live = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  const dead = await graphqlLogin(app, ADMIN.email, ADMIN.password)
  await graphql(app, 'mutation($r: String!) { logout(refreshToken: $r) }', { variables: { r: dead.refreshToken } })
  // Wait for the access tokens to expire for real.
  await sleep(Math.max(0, (jwtPayload(live.accessToken).exp as number) * 1000 - Date.now()) + 50)
  const expired = await graphql(app, '{ me { id } }', { headers: bearer(live.accessToken) })
  t.equal(expired.json().errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', 'precondition: the access token has expired')

  for (const [name, command, args, needs] of clients) {
    await testWith(t, name, needs, async (t) => {
      const ok = await runClient(command, args, { API_URL, ACCESS_TOKEN: live.accessToken, REFRESH_TOKEN: live.refreshToken })
      t.equal(ok.code, 0, `${name} exits 0\n${ok.stdout}`)
      t.match(ok.stdout, /Token expired, refreshing\.\.\.\nToken refreshed successfully\.\n/, `${name} saw the expiry and refreshed`)
      t.match(ok.stdout, /["']?username["']?: ["']admin["']/, `${name} got the protected data on the retry`)

      const refused = await runClient(command, args, { API_URL, ACCESS_TOKEN: dead.accessToken, REFRESH_TOKEN: dead.refreshToken })
      t.not(refused.code, 0, `${name} fails when the refresh token was logged out`)
      t.match(refused.stdout, /Please login again/, `${name} asks to log in again`)
    })
  }
})
