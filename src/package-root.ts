// The folder holding the gateway's package.json, from the source tree (tests)
// and from the build (dist/src/...) alike.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

export function packageRoot (): string {
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
  }
  throw new Error(`no package.json above ${import.meta.dirname}`)
}
