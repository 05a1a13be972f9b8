// Copies the browser builds GraphiQL's page loads (React, ReactDOM and
// GraphiQL, UMD) from the packages package-lock.json pins into
// public/graphiql/vendor, with their licences. Run by `npm run build`: the
// packages are build-time dependencies, so production installs carry these
// four files rather than GraphiQL's hundred-odd packages of dependencies.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const target = join(import.meta.dirname, '..', 'public', 'graphiql', 'vendor')

/** [package, file in it, name in vendor/] */
const FILES = [
  ['react', 'umd/react.production.min.js', 'react.js'],
  ['react-dom', 'umd/react-dom.production.min.js', 'react-dom.js'],
  ['graphiql', 'graphiql.min.js', 'graphiql.js'],
  ['graphiql', 'graphiql.min.css', 'graphiql.css']
]

rmSync(target, { recursive: true, force: true })
mkdirSync(target, { recursive: true })
for (const name of new Set(FILES.map(([name]) => name))) {
  copyFileSync(join(packageDir(name), 'LICENSE'), join(target, `${name}.LICENSE`))
}
for (const [name, file, copy] of FILES) copyFileSync(join(packageDir(name), file), join(target, copy))

function packageDir (name) {
  return dirname(require.resolve(`${name}/package.json`))
}
