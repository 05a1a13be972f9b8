// FileTokenStore, the session of a command-line tool between runs: a file
// only its user can read, replaced whole on every write, removed on logout.
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { FileTokenStore } from '../../clients/typescript/src/node.js'

const dir = mkdtempSync(join(tmpdir(), 'authgate-client-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('keeps a session between instances, readable by its owner only', async (t) => {
  const path = join(dir, 'nested', 'session.json')
  const store = new FileTokenStore(path)
  t.equal(await store.get(), null, 'no file, no session')

  const tokens = { accessToken: 'a.b.c', refreshToken: 'r1', surface: 'rest' as const, expiresAt: 1234 }
  await store.set(tokens)
  t.same(await new FileTokenStore(path).get(), tokens, 'another instance (a later run) reads it back')
  t.equal(statSync(path).mode & 0o777, 0o600, 'the file is private to its user')
  t.equal(statSync(join(dir, 'nested')).mode & 0o077, 0, 'in a directory made private too')

  await store.set({ ...tokens, refreshToken: 'r2' })
  t.equal((await store.get())?.refreshToken, 'r2', 'a write replaces the session')
  t.same(readdirSync(join(dir, 'nested')), ['session.json'], 'leaving no temporary file behind')

  const headerSession = { accessToken: 'a.b.c', headerToken: true as const, surface: 'graphql' as const, expiresAt: 5678 }
  await store.set(headerSession)
  t.same(await store.get(), headerSession, 'a header-token session, which has no refresh token, too')

  await store.set(null)
  t.equal(await store.get(), null, 'null removes the session')
  await store.set(null)
  t.pass('removing it twice is fine')
})

t.test('a file that holds no session reads as none', async (t) => {
  const path = join(dir, 'broken.json')
  const contents = [
    '{"accessToken": "a.b.c"', '{"accessToken": "a.b.c"}', '[]', '',
    // A session marked as a header-token one has no refresh token; one that does has no such mark.
    '{"accessToken": "a.b.c", "refreshToken": "r", "headerToken": true}', '{"accessToken": "a.b.c", "headerToken": "yes"}', '{"accessToken": "a.b.c", "refreshToken": "r", "headerToken": false}'
  ]
  for (const content of contents) {
    writeFileSync(path, content)
    t.equal(await new FileTokenStore(path).get(), null, JSON.stringify(content))
  }
})

t.test('errors other than a missing file are not hidden', async (t) => {
  await t.rejects(new FileTokenStore(dir).get(), { code: 'EISDIR' })
})
