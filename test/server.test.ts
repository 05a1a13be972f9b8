// The server as the container runs it (`npm run serve`): real process, real socket.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t, { type Test } from 'tap'
import { ROOT } from './setup/databases.js'
import { freshDatabaseUrl } from './helper.js'
import { testWith, tool } from './support/services.mjs'

interface Started { child: ChildProcess, port: number, output: () => string }

async function serve (env: Record<string, string>): Promise<Started> {
  const child = spawn('npm', ['run', 'serve', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match !== null) resolve(Number(match[1]))
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)))
  })
  return { child, port, output: () => output }
}

t.test('serves over a socket and drains in-flight requests on SIGTERM', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t, 'sqlite')
  const password = 'operator-password-1'
  const server = await serve({
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: 'ops@example.com',
    ADMIN_PASSWORD: password
  })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const base = `http://127.0.0.1:${server.port}`
  const login = () => fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@example.com', password })
  })
  const first = await login()
  t.equal(first.status, 201)
  const { access_token: accessToken } = await first.json() as { access_token: string }
  const profile = await fetch(`${base}/api/v1/auth/profile`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(profile.status, 200)

  // Each login spends tens of milliseconds in argon2 (production parameters);
  // signal once the server has received all six, so they are in flight.
  const received = () => (server.output().match(/incoming request/g) ?? []).length
  const before = received()
  const inFlight = Array.from({ length: 6 }, () => login())
  while (received() < before + 6) await new Promise(resolve => setTimeout(resolve, 2))
  const exited = once(server.child, 'exit')
  server.child.kill('SIGTERM')
  const answers = await Promise.all(inFlight)
  t.same(answers.map(r => r.status), [201, 201, 201, 201, 201, 201], 'every in-flight request was answered')
  const [code] = await exited
  t.equal(code, 0, 'a clean exit', { output: server.output() })
  t.match(server.output(), /shutting down/)
  await t.rejects(fetch(`${base}/auth/profile`), 'no longer listening')
})

t.test('production refuses to start without a strong JWT_SECRET', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t, 'sqlite')
  for (const secret of ['', 'short', 'change-me-please-change-me-please-change-me']) {
    const child = spawn(process.execPath, ['dist/src/server.js'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, JWT_SECRET: secret, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    const [code] = await once(child, 'exit')
    t.equal(code, 78, `refused: "${secret}"`)
    t.match(stderr, /authgate: JWT_SECRET/)
  }
})

/** Runs a command to its exit; its exit code and what it wrote to stderr. */
async function runToExit (command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stderr }
}

function scratchFolder (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-start-'))
  t.teardown(() => { chmodSync(dir, 0o755); rmSync(dir, { recursive: true, force: true }) })
  return dir
}

t.test('settings are refused before a migration touches the database', async (t) => {
  const data = join(scratchFolder(t), 'data')
  const { code, stderr } = await runToExit('npm', ['run', 'serve', '--silent'], {
    NODE_ENV: 'production', DATABASE_URL: `file:${join(data, 'authgate.db')}`, JWT_SECRET: ''
  })
  t.equal(code, 78)
  t.match(stderr, /^authgate: JWT_SECRET is required when NODE_ENV=production\n$/, 'one line naming the setting')
  t.notOk(existsSync(data), 'no database, not even its folder')
})

// Root writes anywhere; without CAP_DAC_OVERRIDE (setpriv) it obeys file modes as any user does.
const asRoot = process.getuid?.() === 0
void testWith(t, 'a data folder this user cannot write stops the start with one line that says so', asRoot ? [tool('setpriv')] : [], async (t) => {
  const data = join(scratchFolder(t), 'data')
  mkdirSync(data)
  chmodSync(data, 0o555)
  const env = { NODE_ENV: 'production', DATABASE_URL: `file:${join(data, 'authgate.db')}`, JWT_SECRET: randomBytes(32).toString('base64url') }
  const unprivileged = (command: string, args: string[]) => asRoot
    ? runToExit(tool('setpriv').value, ['--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search', '--', command, ...args], env)
    : runToExit(command, args, env)

  for (const [name, command, args] of [['npm run serve', 'npm', ['run', 'serve', '--silent']], ['the server', process.execPath, ['dist/src/server.js']]] as const) {
    const { code, stderr } = await unprivileged(command, [...args])
    t.equal(code, 78, name)
    t.match(stderr, new RegExp(`^authgate: the SQLite database folder ${data} is not writable \\(owned by \\d+:\\d+; this process runs as \\d+:\\d+\\): .*\n$`), `${name}: one line naming the folder`)
    t.same(readdirSync(data), [], `${name}: nothing written`)
  }
})

t.test('the built server loads typebox and Kysely as one module each (scripts/bundle-dependencies.mjs), with every export of the packages', async (t) => {
  for (const name of ['typebox', 'kysely']) {
    const bundle = join(ROOT, 'dist', 'node_modules', name, 'index.js')
    const resolved = spawnSync(process.execPath, ['--input-type=module', '-e', `process.stdout.write(import.meta.resolve('${name}'))`], { cwd: join(ROOT, 'dist', 'src', 'storage'), encoding: 'utf8' })
    t.equal(resolved.stdout, pathToFileURL(bundle).href, `${name}: dist/ resolves it to its bundle`)
    const exported = (module: object) => Object.keys(module).sort()
    t.same(exported(await import(pathToFileURL(bundle).href) as object), exported(await import(name) as object), `${name}: the bundle exports what the package does`)
  }
})
