// The files GraphiQL's page loads, all served from the gateway's own origin:
// React, ReactDOM and GraphiQL as the npm packages the lock file pins ship
// them (copied into public/graphiql/vendor by `npm run build`), and the
// page's own start-up script and styles. Read once, when GraphiQL is first
// served; each is named by a hash of its content, so browsers may keep it
// for good and an upgrade changes its name.
//
// GraphiQL 4.1 is the last release with a UMD build (graphiql.min.js, with
// CodeMirror editors) that runs in a page as it is; GraphiQL 5 needs Monaco,
// web workers and a bundler. Its UMD build takes React and ReactDOM as
// globals, which React 19 no longer ships, so React 18 serves it.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../../package-root.js'

export interface PageFile {
  /** The name it is served under, with a hash of its content: `graphiql.1a2b3c4d5e.js`. */
  name: string
  contentType: string
  body: Buffer
}

/** Each file's place under public/graphiql. */
const SOURCES = {
  react: 'vendor/react.js',
  'react-dom': 'vendor/react-dom.js',
  graphiql: 'vendor/graphiql.js',
  'graphiql-styles': 'vendor/graphiql.css',
  start: 'start.js',
  'page-styles': 'page.css'
} as const

export type PageFileName = keyof typeof SOURCES

const CONTENT_TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' }

function load (name: string, path: string): PageFile {
  if (!existsSync(path)) throw new Error(`GraphiQL is on, but ${path} is missing: \`npm run build\` copies it from the graphiql and react packages`)
  const body = readFileSync(path)
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10)
  const type = path.endsWith('.css') ? 'css' : 'js'
  return { name: `${name}.${hash}.${type}`, contentType: CONTENT_TYPES[type], body }
}

let loaded: Record<PageFileName, PageFile> | undefined

/** The page's files, read on first use. */
export function pageFiles (): Record<PageFileName, PageFile> {
  const folder = join(packageRoot(), 'public', 'graphiql')
  loaded ??= Object.fromEntries(Object.entries(SOURCES).map(([name, file]) => [name, load(name, join(folder, file))])) as Record<PageFileName, PageFile>
  return loaded
}
