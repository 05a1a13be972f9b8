// Real processes for the load-balancer test: gateway servers as the
// container runs them, and nginx with a config derived from deploy/nginx.conf.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ADMIN } from '../../helper.js'
import { ROOT } from '../../setup/databases.js'
import { tool } from '../../support/services.mjs'

export interface Running {
  child: ChildProcess
  port: number
  /** Everything the process wrote so far. */
  output (): string
  exited: Promise<number | null>
}

/** A loopback port nothing listens on right now. */
export async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise(resolve => server.close(resolve))
  return port
}

function collect (child: ChildProcess): { output: () => string, exited: Promise<number | null> } {
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { output: () => output, exited }
}

/** A spawned gateway's settings: a secret of its own, the tests' administrator, quick hashes, request limits out of reach; `env` adds or overrides. */
export function gatewayEnv (databaseUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    RATE_LIMIT_MAX: '1000000',
    LOGIN_RATE_LIMIT_MAX: '1000000',
    ...env
  }
}

/**
 * How long a start may take before the test gives up. Generous: a start is
 * well under 2 s on a quiet machine, but the suites run two files at once,
 * several of them starting gateways, on two cores.
 */
const START_TIMEOUT_MS = 60_000

/**
 * `node dist/src/server.js` on a loopback port of its choosing (or env.PORT);
 * resolves once it listens. `within`: a command that runs it as its last
 * arguments (unshare, say), which must end by exec-ing them, so the child's
 * pid is the server's. `nodeArgs`: Node.js's own flags for the server.
 */
export async function startGateway (env: Record<string, string>, within: string[] = [], nodeArgs: string[] = []): Promise<Running> {
  const [command = process.execPath, ...args] = [...within, process.execPath, ...nodeArgs, 'dist/src/server.js']
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const { output, exited } = collect(child)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not listen within ${START_TIMEOUT_MS / 1000} s: ${output()}`)), START_TIMEOUT_MS)
    const look = () => {
      const match = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(output())
      if (match === null) return
      clearTimeout(timer)
      // Not looked at again: a gateway logging every request would otherwise be searched once per line.
      child.stdout?.off('data', look)
      resolve(Number(match[1]))
    }
    child.stdout?.on('data', look)
    void exited.then(code => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}: ${output()}`)) })
  })
  return { child, port, output, exited }
}

export interface NginxSetup {
  listenPort: number
  gatewayPorts: number[]
  appPort: number
}

/**
 * deploy/nginx.conf with the compose hostnames and port replaced by loopback
 * ones and temporary files kept in `dir`; every replacement must apply, so a
 * change to the shipped file that the test no longer covers fails loudly.
 */
export function nginxConfig ({ listenPort, gatewayPorts, appPort }: NginxSetup, dir: string): string {
  let config = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8')
  const replace = (pattern: RegExp, replacement: (...match: string[]) => string) => {
    if (!pattern.test(config)) throw new Error(`deploy/nginx.conf no longer matches ${pattern}`)
    config = config.replace(pattern, replacement)
  }
  replace(/^worker_processes .*;$/m, () => 'worker_processes 1;')
  replace(/^( *)access_log .*;$/m, (_all, indent = '') => `${indent}access_log off;`)
  replace(/^( *)server authgate-1:3000 (.*);\n(?:\1server authgate-\d+:3000 .*;\n)*/m,
    (_all, indent = '', options = '') => gatewayPorts.map(port => `${indent}server 127.0.0.1:${port} ${options};\n`).join(''))
  replace(/^( *)server whoami:80;$/m, (_all, indent = '') => `${indent}server 127.0.0.1:${appPort};`)
  replace(/^( *)listen 8080;$/m, (_all, indent = '') => `${indent}listen 127.0.0.1:${listenPort};`)
  const temporary = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(kind => `  ${kind}_temp_path ${join(dir, kind)};`).join('\n')
  replace(/^http \{$/m, () => `http {\n${temporary}`)
  return config
}

/** Runs nginx in the foreground with the derived config; resolves once it answers on its port. */
export async function startNginx (setup: NginxSetup): Promise<Running & { stop (): Promise<void> }> {
  const found = tool('nginx')
  if (!found.ok) throw new Error(found.reason)
  const nginx = found.value
  const dir = mkdtempSync(join(tmpdir(), 'authgate-nginx-'))
  // nginx's workers run as an unprivileged user when the master runs as root; they need the temp paths.
  chmodSync(dir, 0o755)
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, nginxConfig(setup, dir))
  const test = spawnSync(nginx, ['-t', '-p', dir, '-c', file, '-g', `pid ${join(dir, 'nginx.pid')}; error_log stderr;`], { encoding: 'utf8' })
  if (test.status !== 0) throw new Error(`nginx refuses the derived config: ${test.stderr}`)

  const child = spawn(nginx, ['-p', dir, '-c', file, '-g', `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr;`], { stdio: ['ignore', 'pipe', 'pipe'] })
  const { output, exited } = collect(child)
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${setup.listenPort}/health/live`).then(r => r.ok, () => false)
    if (ok) break
    if (i === 100 || child.exitCode !== null) throw new Error(`nginx did not answer: ${output()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return {
    child,
    port: setup.listenPort,
    output,
    exited,
    async stop () {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
