// Imports in src/ run one way (docs/architecture.md, .dependency-cruiser.cjs):
// transports → services → accounts → sessions → tokens, with audit and
// storage below; no domain module reads the settings or knows a transport.
// The same check as `npm run check:imports`.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { ROOT } from './setup/databases.js'

const run = promisify(execFile)

t.test('no import runs against the direction of the layers', async (t) => {
  const cli = join(ROOT, 'node_modules', '.bin', 'depcruise')
  const result = await run(cli, ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: ROOT })
    .then(({ stdout }) => ({ ok: true, output: stdout }), (err: { stdout: string }) => ({ ok: false, output: err.stdout }))
  t.ok(result.ok, 'every import follows the layers', { output: result.output })
  t.match(result.output, /no dependency violations found \(\d+ modules/)
})
