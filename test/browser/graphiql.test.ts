// GraphiQL at /graphiql and /service/graphiql in Chromium: each page renders
// from the gateway's own files under its CSP, opens on its endpoint with the
// first operations in tabs, and a person can log in, see the answer, and use
// the token (bearer, or the X-Authorization header of loginUser) from it.
// Nothing the pages load or call comes from another origin, and they log no
// error (a CSP refusal would be one). The pages behave the same on either
// database, so SQLite alone serves.
import { ADMIN, buildTestApp } from '../helper.js'
import { browserOrigin, browserTest, foreignRequests, screenshot, visit } from '../support/browser.js'

type Page = Awaited<ReturnType<typeof visit>>['page']

const PAGE_CSP = "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self' data:;connect-src 'self';frame-ancestors 'none';base-uri 'none';form-action 'none'"
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/

type Editor = 'query' | 'variables' | 'headers' | 'response'

/** GraphiQL's editors (CodeMirror): the query, the variables and headers below it, the response beside it. */
function editor (page: Page, name: Editor) {
  if (name === 'query') return page.locator('.graphiql-query-editor .CodeMirror')
  if (name === 'response') return page.locator('.result-window .CodeMirror')
  return page.locator('.graphiql-editor-tool .CodeMirror').nth(name === 'variables' ? 0 : 1)
}

interface CodeMirrorElement { CodeMirror: { getValue(): string } }

/** The text of an editor, as the page shows it. */
function editorText (page: Page, name: Editor): Promise<string> {
  return editor(page, name).evaluate(element => (element as unknown as CodeMirrorElement).CodeMirror.getValue())
}

/** Replaces the text of the variables or headers editor as a person does: show it, click into it, select all, type. */
async function typeInto (page: Page, name: 'variables' | 'headers', value: Record<string, unknown>): Promise<void> {
  await page.locator(`.graphiql-editor-tools button[data-name="${name}"]`).click()
  await editor(page, name).click()
  await page.keyboard.press('Control+A')
  await page.keyboard.insertText(JSON.stringify(value, null, 2))
}

async function openTab (page: Page, title: string): Promise<void> {
  await page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${title}$`) }).click()
}

/** Runs the tab's operation with the run button and answers the response the page then shows. */
async function run (page: Page): Promise<any> {
  const answered = page.waitForResponse(response => response.request().method() === 'POST' && !/IntrospectionQuery/.test(response.request().postData() ?? ''))
  await page.locator('.graphiql-execute-button').click()
  await answered
  // The button offers to stop while the answer is being read, and to run again once it is shown.
  await page.locator('.graphiql-execute-button[aria-label^="Execute"]').waitFor()
  return JSON.parse(await editorText(page, 'response'))
}

/** Opens a console; answers the page once GraphiQL has rendered, with what it recorded. */
async function openConsole (t: Parameters<Parameters<typeof browserTest>[1]>[0], browser: Parameters<Parameters<typeof browserTest>[1]>[1], origin: string, path: string) {
  const visited = await visit(browser, origin)
  const response = await visited.page.goto(`${origin}${path}`)
  t.equal(response?.status(), 200, `${path} answers`)
  t.equal(response?.headers()['content-security-policy'], PAGE_CSP, 'scripts from the gateway only')
  await visited.page.locator('.graphiql-container').waitFor()
  return visited
}

browserTest('GraphiQL on both endpoints, served by the gateway', async (t, browser) => {
  const { app } = await buildTestApp(t, 'sqlite')
  const origin = browserOrigin(await app.listen({ host: '127.0.0.1', port: 0 }))

  await t.test('/graphiql: login and me, bearer and header tokens', async (t) => {
    const { page, requests, errors } = await openConsole(t, browser, origin, '/graphiql')
    t.equal(await page.locator('#endpoint').innerText(), '/graphql', 'the page names its endpoint')
    t.same(await page.locator('.graphiql-tab-button').allInnerTexts(), ['login', 'me', 'loginUser'], 'the first operations, in tabs')
    t.match(await editorText(page, 'query'), /mutation login\(\$username: String!, \$password: String!\)/)

    await typeInto(page, 'variables', { username: ADMIN.email, password: ADMIN.password })
    const login = await run(page)
    t.match(login, { data: { login: { accessToken: JWT, refreshToken: String, expiresIn: 900, user: { email: ADMIN.email } } } }, 'the answer of login is shown')
    await screenshot(page, 'graphiql')

    await openTab(page, 'me')
    t.match(await editorText(page, 'headers'), /"Authorization": "Bearer <accessToken>"/, 'the headers say where the bearer token goes')
    await typeInto(page, 'headers', { Authorization: `Bearer ${login.data.login.accessToken as string}` })
    t.match(await run(page), { data: { me: { email: ADMIN.email, role: 'admin' } } }, 'the bearer token from login works')

    await openTab(page, 'loginUser')
    t.notOk(await page.locator('.header-token').isVisible(), 'no header token before one is received')
    await typeInto(page, 'variables', { email: ADMIN.email, password: ADMIN.password })
    t.match(await run(page), { data: { loginUser: { email: ADMIN.email } } })
    const headerToken = await page.locator('#header-token').inputValue()
    t.match(headerToken, JWT, 'the X-Authorization header is shown above the console')
    await openTab(page, 'me')
    await typeInto(page, 'headers', { Authorization: `Bearer ${headerToken}` })
    t.match(await run(page), { data: { me: { email: ADMIN.email } } }, 'the header token works as a bearer token')
    await screenshot(page, 'graphiql-header-token')

    t.ok(requests.includes(`${origin}/graphql`), 'operations went to /graphql')
    t.same(foreignRequests(requests, origin), [], 'no request left the gateway origin')
    t.same(errors, [], 'no error in the page')
  })

  await t.test('/service/graphiql: login, refresh and validate', async (t) => {
    const { page, requests, errors } = await openConsole(t, browser, origin, '/service/graphiql')
    t.equal(await page.locator('#endpoint').innerText(), '/service/Auth')
    t.same(await page.locator('.graphiql-tab-button').allInnerTexts(), ['login', 'refresh', 'validate'])
    t.match(await editorText(page, 'query'), /query login\(\$username: String, \$password: String\)/)

    await typeInto(page, 'variables', { username: ADMIN.email, password: ADMIN.password })
    const login = await run(page)
    t.match(login, { ok: true, data: { login: { jwt: JWT, refresh: String, user: { email: ADMIN.email } } } }, 'the answer of login is shown')
    await screenshot(page, 'service-graphiql')

    await openTab(page, 'refresh')
    await typeInto(page, 'variables', { token: login.data.login.refresh })
    t.match(await run(page), { ok: true, data: { refresh: { jwt: JWT } } }, 'refresh with the refresh token of login')

    await openTab(page, 'validate')
    await typeInto(page, 'headers', { Authorization: `Bearer ${login.data.login.jwt as string}` })
    t.match(await run(page), { ok: true, data: { validate: { email: ADMIN.email } } }, 'the bearer token from login works')

    t.ok(requests.includes(`${origin}/service/Auth`), 'operations went to /service/Auth')
    t.same(foreignRequests(requests, origin), [], 'no request left the gateway origin')
    t.same(errors, [], 'no error in the page')
  })
})
