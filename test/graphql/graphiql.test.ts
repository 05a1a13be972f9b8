// The GraphiQL pages as served: every file they load comes from the gateway
// (the npm packages' own files, byte for byte, and public/graphiql), under
// the page CSP, with no inline script; and the operations they open with
// are valid against the endpoint's schema. test/browser/ runs them in
// Chromium. Pages do not depend on the database, so SQLite alone serves.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { buildSchema, parse, validate, type OperationDefinitionNode } from 'graphql'
import t from 'tap'
import { nextSchoolSchema } from '../../src/graphql/nextschool/schema.js'
import { serviceAuthSchema } from '../../src/graphql/service-auth/schema.js'
import { buildTestApp } from '../helper.js'
import { graphiqlSettings } from './support/graphiql.js'

const require = createRequire(import.meta.url)
const packageFile = (name: string, file: string) => readFileSync(join(dirname(require.resolve(`${name}/package.json`)), file))
const ROOT = join(import.meta.dirname, '..', '..')

const PAGE_CSP = "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self' data:;connect-src 'self';frame-ancestors 'none';base-uri 'none';form-action 'none'"

/** What each page must load, in order, and where the bytes come from. */
const EXPECTED_FILES = [
  { pattern: /^graphiql\/graphiql-styles\.[0-9a-f]{10}\.css$/, body: () => packageFile('graphiql', 'graphiql.min.css') },
  { pattern: /^graphiql\/page-styles\.[0-9a-f]{10}\.css$/, body: () => readFileSync(join(ROOT, 'public/graphiql/page.css')) },
  { pattern: /^graphiql\/react\.[0-9a-f]{10}\.js$/, body: () => packageFile('react', 'umd/react.production.min.js') },
  { pattern: /^graphiql\/react-dom\.[0-9a-f]{10}\.js$/, body: () => packageFile('react-dom', 'umd/react-dom.production.min.js') },
  { pattern: /^graphiql\/graphiql\.[0-9a-f]{10}\.js$/, body: () => packageFile('graphiql', 'graphiql.min.js') },
  { pattern: /^graphiql\/start\.[0-9a-f]{10}\.js$/, body: () => readFileSync(join(ROOT, 'public/graphiql/start.js')) }
]

const PAGES = [
  { url: '/graphiql', endpoint: '/graphql', schema: nextSchoolSchema, operations: ['login', 'me', 'loginUser'] },
  { url: '/service/graphiql', endpoint: '/service/Auth', schema: serviceAuthSchema, operations: ['login', 'refresh', 'validate'] }
]

t.test('GraphiQL pages load only the gateway\'s own files', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  for (const { url } of PAGES) {
    const page = await app.inject({ url })
    t.equal(page.statusCode, 200)
    t.equal(page.headers['content-security-policy'], PAGE_CSP, `${url}: the page CSP`)
    t.equal(page.headers['cache-control'], 'no-store')
    t.equal(page.headers['x-frame-options'], 'DENY', 'the other security headers stay')
    t.notMatch(page.body, /(?:src|href)="(?:[a-z]+:)?\/\//, 'no address of another origin')
    const inline = [...page.body.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map(m => m[1])
    t.same(inline, [' id="graphiql-settings" type="application/json"'], 'the one script element without src is data, never run')

    const loaded = [...page.body.matchAll(/<(?:script src|link rel="stylesheet" href)="([^"]+)"/g)].map(m => m[1] as string)
    t.equal(loaded.length, EXPECTED_FILES.length, `${url} loads ${EXPECTED_FILES.length} files`)
    for (const [index, expected] of EXPECTED_FILES.entries()) {
      const file = loaded[index] as string
      t.match(file, expected.pattern, 'relative to the page, named by content')
      const res = await app.inject({ url: new URL(file, `http://gateway${url}`).pathname })
      t.equal(res.statusCode, 200, file)
      t.match(res.headers['content-type'], file.endsWith('.js') ? /^text\/javascript/ : /^text\/css/)
      t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
      t.ok(res.rawPayload.equals(expected.body()), `${file} is the pinned package's file, unchanged`)
    }
  }
  t.equal((await app.inject({ url: '/graphiql/start.js' })).statusCode, 404, 'only the named files are served')
  t.equal((await app.inject({ url: '/service/graphiql/react.0000000000.js' })).statusCode, 404)
})

t.test('GraphiQL opens on its endpoint with operations the schema accepts', async (t) => {
  const { app } = await buildTestApp(t, 'sqlite')
  for (const { url, endpoint, schema, operations } of PAGES) {
    const settings = graphiqlSettings((await app.inject({ url })).body)
    t.equal(new URL(settings.endpoint, `http://gateway${url}`).pathname, endpoint, `${url} runs operations on ${endpoint}`)
    const names = settings.tabs.map(tab => (parse(tab.query).definitions[0] as OperationDefinitionNode).name?.value)
    t.same(names, operations, `${url} opens with ${operations.join(', ')}`)
    for (const tab of settings.tabs) {
      t.same(validate(buildSchema(schema), parse(tab.query)), [], `${url}: ${tab.query.split('\n').find(line => !line.startsWith('#')) as string} is valid`)
      for (const json of [tab.variables ?? '{}', tab.headers ?? '{}']) t.doesNotThrow(() => JSON.parse(json), 'editors hold JSON')
    }
    t.match(settings.defaultHeaders, /"Authorization": "Bearer </, 'a new tab shows where the bearer token goes')
  }
})
