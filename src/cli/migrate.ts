// `npm run migrate`: applies the migrations this build ships that the
// database DATABASE_URL names lacks (through DIRECT_URL when set), as the
// server does at start (waiting while another process migrates), and says
// what it did on one line.
import { migrationUrl } from '../config.js'
import { checkedConfigOrExit } from '../start-checks.js'
import { migrateIfNeeded, MigrationError } from '../storage/migrate.js'
import { isDatabaseUnavailable } from '../storage/unavailable.js'

const config = checkedConfigOrExit()
try {
  const applied = await migrateIfNeeded(migrationUrl(config))
  process.stdout.write(applied.length === 0 ? 'the database is up to date\n' : `applied ${applied.length} migration(s): ${applied.join(', ')}\n`)
} catch (err) {
  const what = err instanceof MigrationError
    ? 'could not apply the database migrations'
    : isDatabaseUnavailable(err) ? 'the database is not reachable' : 'failed'
  process.stderr.write(`authgate migrate: ${what}: ${(err as Error).message.split('\n')[0] ?? ''}\n`)
  process.exitCode = 1
}
