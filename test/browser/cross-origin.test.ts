// A page of another site calling the gateway from Chromium, as a browser
// client does: from an origin CORS_ORIGINS lists, it logs in over REST, calls
// the profile with the access token, and reads the X-Authorization header of
// a /graphql header-token login; from an origin not listed, the browser
// itself keeps the answer from the page. The @authgate/client browser build
// runs in such a page in client.test.ts. The browser's part does not depend
// on the database, so SQLite alone serves.
import { ADMIN, buildTestApp } from '../helper.js'
import { browserOrigin, browserTest, foreignRequests, serveSite, visit } from '../support/browser.js'

const PAGE = { '/': { contentType: 'text/html; charset=utf-8', body: '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>app</title></head><body></body></html>' } }

browserTest('a page of a listed origin calls the gateway; an unlisted one is refused', async (t, browser) => {
  const site = await serveSite(t, PAGE)
  const { app } = await buildTestApp(t, 'sqlite', { env: { CORS_ORIGINS: site } })
  const gateway = browserOrigin(await app.listen({ host: '127.0.0.1', port: 0 }))

  const { page, requests } = await visit(browser, site, gateway)
  await page.goto(`${site}/`)
  const calls = await page.evaluate(async ({ gateway, email, password }) => {
    const json = { 'content-type': 'application/json' }
    const login = await fetch(`${gateway}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) })
    const tokens = await login.json() as { access_token: string, refresh_token: string }
    const profile = await fetch(`${gateway}/auth/profile`, { headers: { authorization: `Bearer ${tokens.access_token}` } })
    const headerLogin = await fetch(`${gateway}/graphql`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ query: 'query($e: String, $p: String!) { loginUser(email: $e, password: $p) { id } }', variables: { e: email, p: password } })
    })
    return { login: login.status, tokens, profile: profile.status, user: await profile.json(), headerToken: headerLogin.headers.get('x-authorization') }
  }, { gateway, email: ADMIN.email, password: ADMIN.password })
  t.equal(calls.login, 201, 'login from the listed origin')
  t.match(calls.tokens, { access_token: /^[\w-]+\.[\w-]+\.[\w-]+$/, refresh_token: String })
  t.equal(calls.profile, 200, 'the profile with the bearer token, after a preflight')
  t.match(calls.user, { email: ADMIN.email })
  t.match(calls.headerToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'the page may read X-Authorization')
  t.same(foreignRequests(requests, site, gateway), [])

  const other = await serveSite(t, PAGE)
  const { page: outsider } = await visit(browser, other, gateway)
  await outsider.goto(`${other}/`)
  const refused = await outsider.evaluate(async ({ gateway, email, password }) => {
    try {
      await fetch(`${gateway}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
      return 'answered'
    } catch (err) {
      return (err as Error).name
    }
  }, { gateway, email: ADMIN.email, password: ADMIN.password })
  t.equal(refused, 'TypeError', 'an unlisted origin gets no answer it may read')
})
