// A real PgBouncer in transaction mode in front of the test PostgreSQL
// server: each transaction (or statement outside one) may run on another
// server connection than the last, and the pool has fewer server
// connections than the gateway has clients, so nothing tied to a server
// session (a named prepared statement, a session-level lock) survives.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { Test } from 'tap'
import { freePort } from '../deploy/support/processes.js'

export interface PgBouncer {
  /** The same database as `directUrl` (a URL of the server behind it), reached through PgBouncer. */
  urlFor (directUrl: string): string
}

/** PgBouncer refuses to run as root: it runs as nobody when the tests do. */
const NOBODY = 65534

/** Starts PgBouncer (`command`) in front of the server at `serverUrl`; stopped at teardown. */
export async function startPgBouncer (t: Test, command: string, serverUrl: string, { poolSize = 2 } = {}): Promise<PgBouncer> {
  const server = new URL(serverUrl)
  const dir = mkdtempSync(join(tmpdir(), 'authgate-pgbouncer-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const port = await freePort()
  // Every database of the server, logged in to as the test server's user whatever the client says.
  const login = [
    `host=${server.hostname}`, `port=${server.port === '' ? 5432 : server.port}`,
    `user=${decodeURIComponent(server.username)}`,
    ...(server.password !== '' ? [`password=${decodeURIComponent(server.password)}`] : [])
  ].join(' ')
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `* = ${login}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = any',
    'pool_mode = transaction',
    `default_pool_size = ${poolSize}`,
    'max_client_conn = 500',
    ''
  ].join('\n'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) chownSync(dir, NOBODY, NOBODY)
  const child = spawn(command, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {})
  })
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })

  const urlFor = (directUrl: string): string => {
    const url = new URL(directUrl)
    url.hostname = '127.0.0.1'
    url.port = String(port)
    return url.toString()
  }
  // Ready once it answers a query through to the server.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: urlFor(serverUrl), connectionTimeoutMillis: 1000 })
    try {
      await client.connect()
      await client.query('SELECT 1')
      break
    } catch (err) {
      if (child.exitCode !== null || attempt >= 50) throw new Error(`PgBouncer did not start: ${(err as Error).message}\n${output}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    } finally {
      await client.end().catch(() => {})
    }
  }
  return { urlFor }
}
