import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { buildApp } from '../../src/app.js'
import { ROOT } from '../setup/databases.js'
import { eachProvider, freshDatabaseUrl, login, testConfig } from '../helper.js'

const run = promisify(execFile)
const CLI = join(ROOT, 'dist', 'src', 'cli', 'users.js')

function cli (databaseUrl: string, args: string[], input?: string) {
  const child = run(process.execPath, [CLI, ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' }
  })
  if (input !== undefined) child.child.stdin?.end(input)
  else child.child.stdin?.end()
  return child
}

eachProvider('the users CLI adds accounts that can log in', async (t, provider) => {
  const databaseUrl = await freshDatabaseUrl(t, provider)
  const added = await cli(databaseUrl, ['add', '--email', 'grace@example.com', '--password', 'grace-hopper-1', '--username', 'grace', '--name', 'Grace Hopper', '--role', 'admin'])
  t.match(added.stdout, /created user \d+ grace@example.com \(username grace, role admin\)/)
  const piped = await cli(databaseUrl, ['add', '--email', 'linus@example.com'], 'from-standard-input\n')
  t.match(piped.stdout, /created user \d+ linus@example.com/)

  const duplicate = await cli(databaseUrl, ['add', '--email', 'grace@example.com', '--password', 'grace-hopper-1']).catch(err => err)
  t.equal(duplicate.code, 1)
  t.match(duplicate.stderr, /already exists/)
  const short = await cli(databaseUrl, ['add', '--email', 'x@example.com', '--password', 'short']).catch(err => err)
  t.equal(short.code, 1)
  t.match(short.stderr, /at least 8 characters/)
  const usage = await cli(databaseUrl, ['remove']).catch(err => err)
  t.equal(usage.code, 64)
  t.match(usage.stderr, /usage: npm run users -- add/)
  const badRole = await cli(databaseUrl, ['add', '--email', 'y@example.com', '--password', 'long-enough', '--role', 'root']).catch(err => err)
  t.equal(badRole.code, 64)

  const app = await buildApp(testConfig(databaseUrl), { announce: () => {} })
  t.teardown(() => app.close())
  const grace = await login(app, 'grace@example.com', 'grace-hopper-1')
  const profile = await app.inject({ url: '/auth/profile', headers: { authorization: `Bearer ${grace.accessToken}` } })
  t.match(profile.json(), { username: 'grace', name: 'Grace Hopper', role: 'admin' })
  await login(app, 'linus@example.com', 'from-standard-input')
})
