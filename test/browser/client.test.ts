// @authgate/client's browser build in Chromium, from a page of another
// origin (listed in CORS_ORIGINS, which /graphql follows too): loaded as
// plain ES modules from dist/, with the README's localStorage store, it logs
// in over REST, calls the profile, keeps the session across a reload,
// survives an access-token expiry with one refresh request for several calls
// at once, and logs out; a header-token session reads its renewed token from
// X-Authorization across origins and ends cleanly once its token is refused.
// The gateway's clock is moved on to expire tokens; the page keeps the real
// one, so only the gateway's refusals tell the client. SQLite alone serves.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ADMIN } from '../helper.js'
import { ROOT } from '../setup/databases.js'
import { browserOrigin, browserTest, foreignRequests, screenshot, serveSite, visit, type SiteFile } from '../support/browser.js'
import { gatewayClock, startGateway, type Gateway } from '../client/support/gateway.js'

const DIST = join(ROOT, 'clients', 'typescript', 'dist')
const JAVASCRIPT = 'text/javascript; charset=utf-8'

const clientReadme = readFileSync(join(ROOT, 'clients', 'typescript', 'README.md'), 'utf8')

/** The README's localStorage block: the store and a client built with it. */
function readmeStoreSnippet (): string {
  const start = clientReadme.indexOf('**Browser, `localStorage`**')
  const block = /```js\n([\s\S]*?)```/.exec(clientReadme.slice(start))
  if (start < 0 || block?.[1] === undefined) throw new Error('no localStorage example in clients/typescript/README.md')
  return block[1]
}

/** The page, the client's build and the README's example, for a gateway at `gateway`. */
function siteFiles (gateway: string): Record<string, SiteFile> {
  if (!existsSync(join(DIST, 'index.js'))) throw new Error(`no ${DIST}/index.js: run npm run build first`)
  const files: Record<string, SiteFile> = {
    '/': { contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>app</title><script type="module" src="/app.js"></script></head><body><pre id="log"></pre></body></html>' },
    '/app.js': { contentType: JAVASCRIPT, body: readFileSync(join(import.meta.dirname, 'fixtures', 'client-app.js')) },
    // The example as written, but for the gateway's address and the import it leaves to the reader.
    '/readme-store.js': {
      contentType: JAVASCRIPT,
      body: `import { AuthgateClient } from '/client/index.js'\n${readmeStoreSnippet().replaceAll('https://auth.example.com', gateway)}\nexport { client, localStorageStore }\n`
    }
  }
  for (const name of readdirSync(DIST).filter(n => n.endsWith('.js'))) files[`/client/${name}`] = { contentType: JAVASCRIPT, body: readFileSync(join(DIST, name)) }
  return files
}

interface Outcome { ok: boolean, value?: unknown, name?: string, reason?: string, message?: string }
interface StoredSession { accessToken: string, refreshToken?: string, headerToken?: true, surface?: string }
/** What client-app.js puts on window. */
interface PageApp {
  stored (): StoredSession | null
  headerStored (): StoredSession | null
  ended (): Array<{ reason: string, message: string }>
  login (email: string, password: string): Promise<{ email: string }>
  profile (): Promise<Outcome>
  calls (n: number): Promise<Outcome[]>
  logout (): Promise<Outcome>
  headerLogin (email: string, password: string): Promise<void>
  headerCall (): Promise<Outcome>
}
declare const app: PageApp

/** Requests of the page's calls that reached the gateway since `from`: no CORS preflights. */
const callsSince = (gateway: Gateway, from: number) => gateway.reached.slice(from).filter(r => r.method !== 'OPTIONS')

async function status (gateway: Gateway, path: string, init: RequestInit): Promise<number> {
  return (await fetch(gateway.baseUrl + path, init)).status
}

browserTest('a page of another origin uses the client\'s browser build: login, profile, one refresh on expiry, logout', async (t, browser) => {
  // The site's files are read per request, so the gateway's address is filled in once it listens.
  const files: Record<string, SiteFile> = {}
  const site = await serveSite(t, files)
  const clock = gatewayClock()
  // Sixty-second tokens: the page's client, on the real clock, never sees them coming to an end by itself.
  const gateway = await startGateway(t, 'sqlite', { clock, env: { CORS_ORIGINS: site, ACCESS_TOKEN_TTL: '60' } })
  const origin = browserOrigin(gateway.baseUrl)
  Object.assign(files, siteFiles(origin))

  const { page, requests, errors } = await visit(browser, site, origin)
  await page.goto(`${site}/`)
  await page.waitForFunction(() => typeof (window as { app?: unknown }).app === 'object')
  const me = await page.evaluate(({ email, password }) => app.login(email, password), ADMIN)
  t.match(me, { email: ADMIN.email }, 'logged in over REST and called the profile')
  const first = await page.evaluate(() => app.stored())
  t.match(first, { accessToken: /^[\w-]+\.[\w-]+\.[\w-]+$/, refreshToken: String, surface: 'rest' }, 'the session is in localStorage')

  await page.reload()
  await page.waitForFunction(() => typeof (window as { app?: unknown }).app === 'object')
  t.match(await page.evaluate(() => app.profile()), { ok: true, value: { email: ADMIN.email } }, 'the session survives a reload')

  clock.advance(61)
  const start = gateway.reached.length
  const results = await page.evaluate(() => app.calls(6))
  t.same(results.filter(r => !r.ok), [], 'six calls at once after the access token expired all succeeded')
  const reached = callsSince(gateway, start)
  t.same(reached.filter(r => r.refresh).map(r => r.path), ['/auth/refresh-token'], 'with one refresh request reaching the gateway')
  t.equal(reached.filter(r => !r.refresh && r.status === 401).length, 6, 'each call met the expired token once')
  t.equal(reached.filter(r => !r.refresh && r.status === 200).length, 6, 'and succeeded on its retry')
  const refreshed = await page.evaluate(() => app.stored())
  t.not(refreshed?.accessToken, first?.accessToken, 'the new access token is in localStorage')
  t.not(refreshed?.refreshToken, first?.refreshToken, 'with the rotated refresh token')
  t.ok(reached.filter(r => r.status === 200).every(r => r.bearer === refreshed?.accessToken), 'every retry carried the new token')

  const after = await page.evaluate(() => app.logout())
  t.match(after, { ok: false, name: 'SessionEndedError', reason: 'logged_out' }, 'logged out')
  t.equal(await page.evaluate(() => app.stored()), null, 'localStorage holds no session')
  t.equal(gateway.refreshes(), 1, 'one refresh request from the page in all')
  const json = { 'content-type': 'application/json' }
  t.equal(await status(gateway, '/auth/refresh-token', { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: refreshed?.refreshToken }) }), 401,
    'the gateway ended the session (its refresh token is refused)')

  // A header-token session: its renewals come in X-Authorization, which the gateway exposes to the listed origin.
  const headerStart = gateway.reached.length
  await page.evaluate(({ email, password }) => app.headerLogin(email, password), ADMIN)
  const header = await page.evaluate(() => app.headerStored())
  t.match(header, { accessToken: /^[\w-]+\.[\w-]+\.[\w-]+$/, headerToken: true, surface: 'graphql' }, 'a header-token session, read from X-Authorization')
  t.notOk(header !== null && 'refreshToken' in header, 'with no refresh token')
  clock.advance(31)
  t.match(await page.evaluate(() => app.headerCall()), { ok: true }, 'a call past half the token\'s life')
  const renewed = await page.evaluate(() => app.headerStored())
  t.not(renewed?.accessToken, header?.accessToken, 'brought a renewed token, read across origins and stored')
  clock.advance(40)
  t.match(await page.evaluate(() => app.headerCall()), { ok: true }, 'the session lives on past its first token\'s life')
  t.equal(await status(gateway, '/auth/profile', { headers: { authorization: `Bearer ${header?.accessToken}` } }), 401, 'which the gateway refuses by now')
  clock.advance(100)
  t.match(await page.evaluate(() => app.headerCall()), { ok: false, name: 'SessionEndedError', reason: 'token_refused' }, 'unused for longer than its token lives, it is over')
  t.match(await page.evaluate(() => app.ended()), [{ reason: 'token_refused', message: /log in again/ }], 'onSessionEnded was called once')
  t.equal(await page.evaluate(() => app.headerStored()), null, 'and localStorage cleared')
  t.equal(callsSince(gateway, headerStart).filter(r => r.refresh).length, 0, 'without any refresh request')

  await screenshot(page, 'client-cross-origin')
  t.same(foreignRequests(requests, site, origin), [], 'the page reached only its own site and the gateway')
  t.ok(requests.includes(`${site}/client/index.js`), 'the client came from the page\'s own site')
  // Chromium logs each 401 the client met; anything else (a CORS refusal, an exception) is a failure.
  t.same(errors.filter(e => !/status of 401/.test(e)), [], 'the page logged no other error')
})
