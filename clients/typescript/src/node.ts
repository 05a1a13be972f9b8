// @authgate/client/node: what only Node.js can offer. FileTokenStore keeps a
// command-line tool's session between runs, readable by its user only.
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isTokens, type TokenStore, type Tokens } from './tokens.js'

export * from './index.js'

export class FileTokenStore implements TokenStore {
  constructor (readonly path: string) {}

  /** The session in the file; null when there is none or the file is not one (the user logs in again). */
  async get (): Promise<Tokens | null> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    try {
      const value = JSON.parse(text) as unknown
      return isTokens(value) ? value : null
    } catch {
      return null
    }
  }

  /** Writes a new file and renames it over the old, so a reader never sees half a session. */
  async set (tokens: Tokens | null): Promise<void> {
    if (tokens === null) {
      await rm(this.path, { force: true })
      return
    }
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 })
    const temporary = `${this.path}.${randomUUID()}.tmp`
    await writeFile(temporary, JSON.stringify(tokens), { mode: 0o600 })
    await rename(temporary, this.path)
  }
}
