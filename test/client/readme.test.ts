// The READMEs' examples, run as written (but for the gateway's URL) against
// a live gateway: seed 001's refresh-and-retry scenario, once meeting an
// expired token and once a session ended elsewhere, and the file store.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { createUser } from '../helper.js'
import { gatewayClock, startGateway } from './support/gateway.js'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '..', '..')
const clientReadme = readFileSync(join(ROOT, 'clients', 'typescript', 'README.md'), 'utf8')
const rootReadme = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** The first ```js block after the heading, or after the text, in a README. */
function codeAfter (readme: string, marker: string): string {
  const start = readme.indexOf(marker)
  if (start < 0) throw new Error(`no "${marker}" in the README`)
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start))
  if (block?.[1] === undefined) throw new Error(`no js block after "${marker}"`)
  return block[1]
}

// Next to the repository's node_modules, so `@authgate/client` resolves to the built workspace package.
const scratch = join(ROOT, '.tap', 'readme-examples')
mkdirSync(scratch, { recursive: true })
t.teardown(() => rmSync(scratch, { recursive: true, force: true }))

const seedScenario = codeAfter(clientReadme, '## Refresh and retry, as the NextSchool guide does it')

t.test('the seed-001 scenario is the same in both READMEs', async (t) => {
  t.ok(rootReadme.includes(seedScenario), 'the root README shows the same code')
  t.ok(seedScenario.split('\n').filter(l => l.trim() !== '').length <= 12, 'in a few lines')
})

t.test('the seed-001 scenario refreshes and retries an expired token, and asks to log in again when the session ended', async (t) => {
  const clock = gatewayClock()
  // After each login through /graphql, time passes (the access token expires) and, when asked, the user logs out everywhere.
  let endSessionsAfterLogin = false
  const gateway = await startGateway(t, 'sqlite', {
    clock,
    configure: (app) => {
      // onSend: done before the client has the answer.
      app.addHook('onSend', async (request, _reply, payload) => {
        const query = (request.body as { query?: unknown } | undefined)?.query
        if (request.url === '/graphql' && typeof query === 'string' && /\blogin\s*\(/.test(query)) {
          clock.advance(3)
          if (endSessionsAfterLogin) await app.services.sessions.endAll(john.id)
        }
        return payload
      })
    }
  })
  const john = await createUser(gateway.app, { email: 'john@mail.com', username: 'john', password: 'changeme' })
  const file = join(scratch, 'seed-001.mjs')
  writeFileSync(file, seedScenario.replaceAll('http://localhost:3000', gateway.baseUrl))

  const ok = await run(process.execPath, [file], { timeout: 30_000 })
  t.match(ok.stdout, /me: \{ id: \d+, username: 'john' \}/, 'the protected data, after the retry')
  t.equal(gateway.refreshes(), 1, 'one refresh')
  t.same(gateway.reached.filter(r => r.path === '/graphql').map(r => r.refresh ? 'refresh' : r.status), [200, 401, 'refresh', 200],
    'login, the expired token refused, the refresh, the retry')

  endSessionsAfterLogin = true
  const ended = await run(process.execPath, [file], { timeout: 30_000 })
  t.equal(ended.stdout, 'Please login again.\n', 'a refused refresh asks to log in again')
})

t.test('the localStorage store is the same in both READMEs', async (t) => {
  // The example itself runs in Chromium, in test/browser/client.test.ts.
  const store = codeAfter(clientReadme, '**Browser, `localStorage`**').split('\n').slice(0, 4).join('\n')
  t.match(store, /^const localStorageStore = /)
  t.ok(rootReadme.includes(store), 'the root README shows the same store')
})

t.test('the file store for command-line tools keeps a private session and removes it', async (t) => {
  const code = codeAfter(clientReadme, '**Command-line tool, a file**')
  t.ok(rootReadme.includes(code.split('\n').slice(2).join('\n')), 'the root README shows the same store')
  const dir = mkdtempSync(join(tmpdir(), 'authgate-readme-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(scratch, 'file-store.mjs')
  writeFileSync(file, `${code}\nexport { fileStore }\n`)
  const { fileStore } = await import(file) as { fileStore: (path: string) => { get (): Promise<unknown>, set (tokens: unknown): Promise<void> } }

  const store = fileStore(join(dir, 'session.json'))
  t.equal(await store.get(), null)
  await store.set({ accessToken: 'a.b.c', refreshToken: 'r' })
  t.same(await store.get(), { accessToken: 'a.b.c', refreshToken: 'r' })
  t.equal(statSync(join(dir, 'session.json')).mode & 0o777, 0o600)
  await store.set(null)
  t.equal(await store.get(), null)
})
