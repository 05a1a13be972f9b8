// `npm run postman`: writes postman/authgate.postman_collection.json from the
// OpenAPI document of a gateway built with default settings against a
// scratch SQLite database (the document needs a started app, which needs a
// migrated database). Run it after changing a route's schema; a test fails
// while the committed collection is stale.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { postmanCollection } from './postman.js'

export const COLLECTION_PATH = join('postman', 'authgate.postman_collection.json')

const root = resolve('.')
const scratch = mkdtempSync(join(tmpdir(), 'authgate-postman-'))
try {
  const databaseUrl = `file:${join(scratch, 'spec.db')}`
  execFileSync(join(root, 'node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' })
  const config = loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'error',
    DATABASE_URL: databaseUrl,
    DATA_DIR: scratch,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    ADMIN_EMAIL: 'admin@authgate.local',
    ADMIN_PASSWORD: randomBytes(18).toString('base64url')
  })
  const app = await buildApp(config, { announce: () => {} })
  await app.ready()
  const collection = await postmanCollection(app.swagger())
  await app.close()
  mkdirSync(join(root, 'postman'), { recursive: true })
  writeFileSync(join(root, COLLECTION_PATH), JSON.stringify(collection, null, 2) + '\n')
  process.stdout.write(`wrote ${COLLECTION_PATH}\n`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
