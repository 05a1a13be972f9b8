// The package as users get it: `npm pack` of clients/typescript, the tarball
// installed (offline: it has no dependencies) into an empty project, used
// from there by a program against a running gateway, and its declarations
// type-checked by a consumer. Its browser entry must load in a browser as
// plain ES modules: relative imports with .js extensions, nothing of Node.js.
import { execFile } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { ADMIN } from '../helper.js'
import { jumpingClock, startGateway, SURFACES } from './support/gateway.js'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '..', '..')
const PACKAGE = join(ROOT, 'clients', 'typescript')
const FIXTURES = join(import.meta.dirname, 'fixtures')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

const work = mkdtempSync(join(tmpdir(), 'authgate-client-pack-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

/** Every module reachable from `entry` through its static imports, by path. */
function moduleGraph (entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  const visit = (file: string) => {
    if (graph.has(file)) return
    const source = readFileSync(file, 'utf8')
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm)]
      .map(m => (m[1] ?? m[2] ?? m[3]) as string)
    graph.set(file, specifiers)
    for (const s of specifiers) if (s.startsWith('./') || s.startsWith('../')) visit(resolve(dirname(file), s))
  }
  visit(entry)
  return graph
}

/**
 * A copy of the package's own files, where prepack builds it afresh without
 * touching the workspace's dist/ (other tests load it meanwhile). Only the
 * toolchain comes from the repository.
 */
function packageCopy (): string {
  const copy = join(work, 'package')
  mkdirSync(copy)
  for (const entry of ['package.json', 'tsconfig.json', 'README.md', 'src']) cpSync(join(PACKAGE, entry), join(copy, entry), { recursive: true })
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir')
  return copy
}

t.test('npm pack gives a tarball that installs in an empty project and works there', async (t) => {
  const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', work], { cwd: packageCopy(), timeout: 120_000 })
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string, files: Array<{ path: string }> }>
  if (packed === undefined) throw new Error('npm pack reported nothing')
  const files = packed.files.map(f => f.path)
  for (const file of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts']) {
    t.ok(files.includes(file), `the tarball holds ${file}`)
  }
  t.same(files.filter(f => !/^(dist|src)\/|^package\.json$|^README\.md$/.test(f)), [], 'and nothing else but sources for the source maps')

  const project = join(work, 'consumer')
  mkdirSync(project)
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await run(NPM, ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], { cwd: project, timeout: 120_000 })
  const installed = join(project, 'node_modules', '@authgate', 'client')
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>
  t.equal(manifest.dependencies, undefined, 'no runtime dependencies')
  t.same(readdirSync(join(project, 'node_modules')).filter(n => !n.startsWith('.')), ['@authgate'], 'nothing else was installed')

  t.test('its browser entry is plain ES modules without Node.js', async (t) => {
    const graph = moduleGraph(join(installed, 'dist', 'index.js'))
    t.ok(graph.size >= 5, `${graph.size} modules reachable from the main entry`)
    for (const [file, specifiers] of graph) {
      const name = file.slice(installed.length + 1)
      t.same(specifiers.filter(s => !/^\.\.?\/.+\.js$/.test(s)), [], `${name} imports only relative .js paths`)
      t.notMatch(readFileSync(file, 'utf8'), /\bprocess\.[a-z]|\bBuffer\.|\brequire\(|from\s*['"]node:/, `${name} uses nothing of Node.js`)
    }
    t.notOk([...graph.keys()].some(f => f.endsWith('node.js')), 'the file store is not part of it')
  })

  t.test('its declarations type-check a consumer', async (t) => {
    copyFileSync(join(FIXTURES, 'consumer.ts'), join(project, 'consumer.ts'))
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], types: [], strict: true, noEmit: true },
      files: ['consumer.ts']
    }))
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await run(process.execPath, [tsc, '-p', project], { timeout: 120_000 }).then(() => ({ code: 0, out: '' }), (err: { code?: number, stdout?: string }) => ({ code: err.code ?? 1, out: err.stdout ?? '' }))
    t.equal(result.code, 0, `tsc reports no error\n${result.out}`)
  })

  t.test('a program using it logs in, keeps the session in a file, refreshes and logs out', async (t) => {
    // Tokens of three seconds, expired by moving the gateway's clock on: the
    // later runs refresh, then have at least two seconds for their calls.
    const clock = jumpingClock()
    const gateway = await startGateway(t, 'sqlite', { clock, env: { ACCESS_TOKEN_TTL: '3' } })
    copyFileSync(join(FIXTURES, 'consumer.mjs'), join(project, 'consumer.mjs'))
    const env = { ...process.env, BASE_URL: gateway.baseUrl, EMAIL: ADMIN.email, PASSWORD: ADMIN.password }
    const program = (...args: string[]) => run(process.execPath, ['consumer.mjs', ...args], { cwd: project, env, timeout: 60_000 })

    const sessionFile = (surface: string) => join(project, `${surface}.session.json`)
    for (const surface of SURFACES) {
      const { stdout } = await program('login', surface, sessionFile(surface))
      t.match(JSON.parse(stdout), { id: Number }, `${surface}: logged in`)
      t.ok(existsSync(sessionFile(surface)), `${surface}: the session is in the file`)
    }
    clock.jump(4)
    const before = gateway.refreshes()
    const runs = await Promise.all(SURFACES.map(surface => program('use', surface, sessionFile(surface))))
    for (const [i, surface] of SURFACES.entries()) {
      const { stdout, stderr } = runs[i] as { stdout: string, stderr: string }
      const result = JSON.parse(stdout) as { ids: number[], loggedIn: boolean, after: string }
      t.equal(result.ids.length, 10, `${surface}: ten concurrent calls in a later run succeeded`)
      t.equal(new Set(result.ids).size, 1)
      t.same([result.loggedIn, result.after], [false, 'logged_out'], `${surface}: logged out`)
      t.equal(stderr.trim(), 'session ended: logged_out', `${surface}: onSessionEnded was called once`)
      t.notOk(existsSync(sessionFile(surface)), `${surface}: the file is gone`)
    }
    t.equal(gateway.refreshes() - before, SURFACES.length, 'one refresh per program')
  })
})
