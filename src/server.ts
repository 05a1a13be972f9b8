// Reads the settings, brings the database's schema up to date, builds the
// gateway, listens, and drains on SIGTERM/SIGINT. Anything that stops the
// start is one line on stderr: exit 78 for settings, 1 for the database.
import { holdTickObjectShape } from './http/tick-object-shape.js'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { migrationUrl } from './config.js'
import { checkedConfigOrExit } from './start-checks.js'
import { migrateIfNeeded, MigrationError } from './storage/migrate.js'
import { isDatabaseUnavailable } from './storage/unavailable.js'

const config = checkedConfigOrExit()
holdTickObjectShape()

let applied: string[]
try {
  applied = await migrateIfNeeded(migrationUrl(config))
} catch (err) {
  if (!(err instanceof MigrationError) && !isDatabaseUnavailable(err)) throw err
  const what = err instanceof MigrationError ? 'could not apply the database migrations' : 'the database is not reachable'
  process.stderr.write(`authgate: ${what}: ${(err as Error).message.split('\n')[0] ?? ''}\n`)
  process.exit(1)
}

const app = await buildApp(config)
if (applied.length > 0) app.log.info({ migrations: applied }, 'applied database migrations')

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'shutting down after an error')
  else app.log.info({ signal }, 'shutting down: finishing in-flight requests')
  await app.close()
})

await app.listen({ port: config.PORT, host: config.HOST })
