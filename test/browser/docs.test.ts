// Swagger UI at /docs in Chromium: it shows every documented operation, its
// "Try it out" logs in (201 with tokens), and "Authorize" with that access
// token makes GET /auth/profile answer 200 from the page. Nothing the page
// loads or calls comes from another origin. The page behaves the same on
// either database, so SQLite alone serves.
import { ADMIN, buildTestApp } from '../helper.js'
import { browserOrigin, browserTest, foreignRequests, screenshot, visit } from '../support/browser.js'

type Page = Awaited<ReturnType<typeof visit>>['page']

/** Opens an operation in "Try it out" mode (the mode the UI starts in, tryItOutEnabled). */
async function tryItOut (page: Page, operation: string) {
  const block = page.locator(`#${operation}`)
  await block.locator('.opblock-summary-control').click()
  const tryOut = block.getByRole('button', { name: 'Try it out' })
  if (await tryOut.count() > 0) await tryOut.click()
  await block.getByRole('button', { name: 'Cancel' }).waitFor()
  return block
}

/** Executes the open operation and answers the status and body the page shows. */
async function execute (block: ReturnType<Page['locator']>): Promise<{ status: string, body: unknown }> {
  await block.locator('button.execute').click()
  const response = block.locator('.live-responses-table .response').first()
  const status = (await response.locator('.response-col_status').innerText()).trim()
  const body = JSON.parse(await response.locator('.response-col_description .highlight-code pre.microlight').innerText()) as unknown
  return { status, body }
}

browserTest('/docs: Swagger UI logs in and calls the profile with the token', async (t, browser) => {
  const { app } = await buildTestApp(t, 'sqlite')
  const origin = browserOrigin(await app.listen({ host: '127.0.0.1', port: 0 }))
  const { page, requests } = await visit(browser, origin)

  const response = await page.goto(`${origin}/docs`)
  t.equal(response?.status(), 200)
  t.notMatch(response?.headers()['content-security-policy'], /https:|validator/, 'the CSP allows no other origin')
  await page.locator('.opblock').first().waitFor()
  const documented = Object.values((await app.inject({ url: '/openapi.json' })).json().paths as Record<string, object>)
    .reduce((count, operations) => count + Object.keys(operations).length, 0)
  t.equal(await page.locator('.opblock').count(), documented, 'every documented operation is shown')

  const loginBlock = await tryItOut(page, 'operations-auth-post_auth_login')
  await loginBlock.locator('textarea.body-param__text').fill(JSON.stringify({ email: ADMIN.email, password: ADMIN.password }))
  const login = await execute(loginBlock)
  t.equal(login.status, '201', 'POST /auth/login answers 201 in the page')
  const tokens = login.body as { access_token: string, refresh_token: string }
  t.match(tokens, { access_token: /^[\w-]+\.[\w-]+\.[\w-]+$/, refresh_token: String })

  await page.locator('.auth-wrapper button.authorize').click()
  const dialog = page.locator('.dialog-ux .modal-ux')
  const bearer = dialog.locator('form', { hasText: 'bearerAuth' })
  await bearer.locator('input').fill(tokens.access_token)
  await bearer.locator('button', { hasText: 'Authorize' }).click()
  await bearer.locator('button', { hasText: 'Logout' }).waitFor()
  await dialog.locator('button.close-modal').click()

  const profileBlock = await tryItOut(page, 'operations-auth-get_auth_profile')
  const profile = await execute(profileBlock)
  t.equal(profile.status, '200', 'GET /auth/profile answers 200 with the authorized token')
  t.match(profile.body, { email: ADMIN.email, role: 'admin' })
  t.notOk(Object.keys(profile.body as object).some(key => /password|hash/i.test(key)), 'no password in the profile')

  await profileBlock.locator('.live-responses-table').scrollIntoViewIfNeeded()
  await screenshot(page, 'docs')
  t.ok(requests.includes(`${origin}/auth/profile`), 'the page called the API itself')
  t.same(foreignRequests(requests, origin), [], 'no request left the gateway origin')
})
