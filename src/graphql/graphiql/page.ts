// GraphiQL for one GraphQL endpoint, at `graphiql` in the endpoint's own
// context (/graphiql, /service/graphiql). Every file the page loads is served
// from here (files.ts) under the page CSP, which allows no other origin and
// no inline script: the page's settings travel in a JSON data block, which
// is never run, and public/graphiql/start.js reads them.
import type { FastifyInstance } from 'fastify'
import { PAGE_ROUTE } from '../../http/security-headers.js'
import { pageFiles, type PageFile, type PageFileName } from './files.js'

/** One tab of the console as it opens; GraphiQL names the tab after the operation. */
export interface GraphiQLTab {
  query: string
  /** JSON text for the variables editor. */
  variables?: string
  /** JSON text for the headers editor. */
  headers?: string
}

export interface GraphiQLPage {
  /** The endpoint, relative to the page (`graphql` beside /graphiql), so the page also works under a proxy's path prefix. */
  endpoint: string
  /** What the bar above the console says about the endpoint. */
  description: string
  tabs: GraphiQLTab[]
  /** The headers editor of a tab opened later. */
  defaultHeaders: string
}

/** Names carry a hash of the content: a cached copy is never stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

export function serveGraphiQL (app: FastifyInstance, page: GraphiQLPage): void {
  const files = pageFiles()
  const html = pageHtml(page, files)
  app.get('/graphiql', { config: PAGE_ROUTE, logLevel: 'warn' }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html))
  for (const file of Object.values(files)) {
    app.get(`/graphiql/${file.name}`, { config: PAGE_ROUTE, logLevel: 'warn' }, async (_request, reply) => {
      return reply.header('cache-control', IMMUTABLE).type(file.contentType).send(file.body)
    })
  }
}

function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** JSON safe inside a script element: no `</script>` or `<!--` can close it early. */
function jsonForScript (value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

function pageHtml (page: GraphiQLPage, files: Record<PageFileName, PageFile>): string {
  // Relative to the page: /graphiql loads /graphiql/<file>, /service/graphiql /service/graphiql/<file>.
  const href = (file: PageFile) => `graphiql/${file.name}`
  const { react, 'react-dom': reactDom, graphiql, 'graphiql-styles': graphiqlStyles, start, 'page-styles': pageStyles } = files
  const settings = { endpoint: page.endpoint, tabs: page.tabs, defaultHeaders: page.defaultHeaders }
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>GraphiQL · authgate</title>
  <link rel="stylesheet" href="${href(graphiqlStyles)}">
  <link rel="stylesheet" href="${href(pageStyles)}">
  <script id="graphiql-settings" type="application/json">${jsonForScript(settings)}</script>
  ${[react, reactDom, graphiql, start].map(file => `<script src="${href(file)}" defer></script>`).join('\n  ')}
</head>
<body>
  <header class="endpoint-bar">
    <span>authgate · GraphiQL on <code id="endpoint">${escapeHtml(page.endpoint)}</code></span>
    <span>${escapeHtml(page.description)}</span>
    <label class="header-token" hidden>X-Authorization of the last answer
      <input id="header-token" readonly spellcheck="false" aria-label="X-Authorization of the last answer">
    </label>
  </header>
  <div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
</body>
</html>
`
}
