// Debian's Chromium driven by playwright-core, which never downloads a
// browser of its own, against a gateway listening on a loopback port. The
// browser reaches it by a host name of its own, as a browser reaches a
// deployed gateway: pages treat localhost specially (Swagger UI asks a
// public validator about any other host). A second host name serves pages of
// another origin, for what browser clients do across origins. Every request a
// page makes is recorded, and any to an origin the test did not open is
// refused, so the suites reach nothing off this machine.
import { existsSync, mkdirSync } from 'node:fs'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { ROOT } from '../setup/databases.js'
import { testWith, type Availability } from './services.mjs'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Where the suites leave a screenshot of each page for a person to look at (never committed). */
export const SCREENSHOTS = join(ROOT, '.tap', 'screenshots')

/**
 * Why the browser suites cannot run here, or undefined when they can. The one
 * availability check of these suites: Chromium is a file on this machine.
 */
export function chromiumMissing (): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
}

/** The names the browser knows the gateway and a second site by; only the browser resolves them, to loopback. */
const GATEWAY_HOST = 'authgate.test'
const SITE_HOST = 'app.test'

// The flags a closed network needs: without the background-networking ones
// Chromium keeps trying to reach Google's hosts. playwright's launch() gives
// every browser a fresh, empty --user-data-dir of its own and removes it after.
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  `--host-resolver-rules=MAP ${GATEWAY_HOST} 127.0.0.1, MAP ${SITE_HOST} 127.0.0.1`
]

function originAt (host: string, address: string): string {
  const url = new URL(address)
  return `${url.protocol}//${host}:${url.port}`
}

/** The origin a browser opens the gateway at, for an address from app.listen on 127.0.0.1. */
export function browserOrigin (address: string): string {
  return originAt(GATEWAY_HOST, address)
}

export interface SiteFile {
  contentType: string
  body: string | Buffer
}

/**
 * Another site, on a loopback port of its own, serving `files` by path (404
 * otherwise): the second origin a browser client's page comes from, which
 * the gateway lets in through CORS_ORIGINS. Answers its origin as the
 * browser sees it; closed at the end of `t`.
 */
export async function serveSite (t: Test, files: Record<string, SiteFile>): Promise<string> {
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://site').pathname]
    if (file === undefined) return void response.writeHead(404).end()
    response.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-store' }).end(file.body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>(resolve => { server.close(() => resolve()) }))
  return originAt(SITE_HOST, `http://127.0.0.1:${(server.address() as AddressInfo).port}`)
}

/**
 * A test with a fresh browser, closed at its end, before the test's
 * teardowns. Without Chromium the test is skipped with the reason, and
 * fails instead under REQUIRE_ALL=1.
 */
export function browserTest (name: string, fn: (t: Test, browser: Browser) => Promise<void>): void {
  const missing = chromiumMissing()
  const needs: Availability[] = missing === undefined ? [] : [{ what: 'Chromium', ok: false, value: '', reason: missing, configured: process.env.CHROMIUM_PATH !== undefined }]
  void testWith(t, name, needs, async (tt) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false, args: FLAGS })
    // Closed before the test's teardowns close the gateway and the sites: a
    // server's close waits for every connection a live browser still holds.
    try {
      await fn(tt, browser)
    } finally {
      await browser.close()
    }
  })
}

export interface Visit {
  context: BrowserContext
  page: Page
  /** Every URL the page asked for, in order. */
  requests: string[]
  /** Errors the page logged or threw, CSP refusals among them. */
  errors: string[]
}

/**
 * A fresh browser context (no storage shared with other visits) with one
 * page, recording its requests; requests to any origin but `origins` are refused.
 */
export async function visit (browser: Browser, ...origins: string[]): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const requests: string[] = []
  const errors: string[] = []
  context.on('request', request => { requests.push(request.url()) })
  await context.route(url => !origins.includes(url.origin), route => route.abort('blockedbyclient'))
  const page = await context.newPage()
  page.on('console', message => {
    // Chromium's word on the tests' plain-HTTP host names, not the page's: helmet's
    // Cross-Origin-Opener-Policy header takes effect over HTTPS only.
    if (message.type() === 'error' && !message.text().startsWith('The Cross-Origin-Opener-Policy header has been ignored')) errors.push(message.text())
  })
  page.on('pageerror', error => { errors.push(error.message) })
  return { context, page, requests, errors }
}

/** Requests that went anywhere but `origins`. */
export function foreignRequests (requests: string[], ...origins: string[]): string[] {
  return requests.filter(url => !origins.includes(new URL(url).origin))
}

export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: false })
  return path
}
