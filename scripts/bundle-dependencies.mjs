// Bundles typebox and Kysely, which the gateway loads at every start and which
// ship as hundreds of ES modules each (373 and 255 files, each resolved, read
// and compiled on its own), into one module each under dist/node_modules.
// Node's resolution looks there first for every module of dist/, so the
// server, the CLI and the benchmark load these copies, while the sources,
// the tests and the type checker keep the packages in node_modules. Run by
// `npm run build`. On the benchmark's machine, start to ready went from
// 1.6–1.7 s to 1.4 s (three alternating rounds of five starts on each
// database; docs/benchmark.md).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'

const root = join(import.meta.dirname, '..')
const target = join(root, 'dist', 'node_modules')

/** The packages bundled: each is imported by the gateway's own modules only. */
const BUNDLED = ['typebox', 'kysely']

/** A module exporting everything `name` exports (`export *` leaves out a default export). */
async function reExports (name) {
  const hasDefault = 'default' in await import(name)
  return `export * from '${name}'\n` + (hasDefault ? `export { default } from '${name}'\n` : '')
}

rmSync(target, { recursive: true, force: true })
for (const name of BUNDLED) {
  const source = join(root, 'node_modules', name)
  const { version, license } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'))
  const out = join(target, name)
  mkdirSync(out, { recursive: true })
  await build({
    stdin: { contents: await reExports(name), resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: join(out, 'index.js'),
    legalComments: 'inline',
    logLevel: 'warning'
  })
  writeFileSync(join(out, 'package.json'), JSON.stringify({ name, version, license, private: true, type: 'module', exports: './index.js' }, null, 2) + '\n')
  const licence = readdirSync(source).find(file => /^licen[cs]e/i.test(file))
  if (licence === undefined) throw new Error(`${name} has no licence file to ship with its bundle`)
  copyFileSync(join(source, licence), join(out, licence))
}
