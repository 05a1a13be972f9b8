// `npm run users -- add --email E --password P [--username U] [--name N] [--role admin|customer] [--school ID]`
// Works on whatever DATABASE_URL names, brings its schema up to date first
// (as the server does), and reports any failure on one line.
import { parseArgs } from 'node:util'
import { ROLES, type Role } from '../accounts/accounts-service.js'
import { systemClock } from '../clock.js'
import { isAuthError } from '../errors.js'
import { createUserAdministration } from '../services.js'
import { migrationUrl } from '../config.js'
import { checkedConfigOrExit } from '../start-checks.js'
import { openDatabase } from '../storage/database.js'
import { migrateIfNeeded, MigrationError } from '../storage/migrate.js'
import { isDatabaseUnavailable } from '../storage/unavailable.js'

const USAGE = `usage: npm run users -- add --email EMAIL [--password PASSWORD] [--username NAME] [--name "FULL NAME"] [--role customer|admin] [--school ID]
       without --password, the password is read from standard input`

/** A failure the user can fix: reported as one line, with this exit code. */
class UsageError extends Error {}

async function readStdin (): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

function options (argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        username: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string', default: 'customer' },
        school: { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see --help)`)
  }
}

async function main (argv: string[]): Promise<number> {
  const { values, positionals } = options(argv)
  if (values.help === true) {
    process.stdout.write(USAGE + '\n')
    return 0
  }
  if (positionals[0] !== 'add' || values.email === undefined) {
    process.stderr.write(USAGE + '\n')
    return 64
  }
  if (!(ROLES as readonly string[]).includes(values.role as string)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`)
  const config = checkedConfigOrExit()
  const password = values.password ?? await readStdin()
  await migrateIfNeeded(migrationUrl(config))
  const database = await openDatabase(config.DATABASE_URL, { sqliteSynchronous: config.SQLITE_SYNCHRONOUS })
  try {
    const accounts = createUserAdministration(config, database, systemClock)
    const user = await accounts.create({
      email: values.email,
      password,
      username: values.username,
      name: values.name,
      role: values.role as Role,
      tenantId: values.school ?? null
    })
    process.stdout.write(`created user ${user.id} ${user.email} (username ${user.username}, role ${user.role})\n`)
    return 0
  } finally {
    await database.close()
  }
}

/** Every failure on one line: no stack trace for anything a user can cause. */
function report (err: unknown): number {
  const line = (message: string) => process.stderr.write(`authgate users: ${message.split('\n')[0] ?? ''}\n`)
  if (err instanceof UsageError) { line(err.message); return 64 }
  if (isAuthError(err)) { line(err.message); return 1 }
  if (err instanceof MigrationError) { line(`could not apply the database migrations: ${err.message}`); return 1 }
  if (isDatabaseUnavailable(err)) { line(`the database is not reachable: ${(err as Error).message}`); return 1 }
  line(`failed: ${(err as Error).message}`)
  return 70
}

process.exitCode = await main(process.argv.slice(2)).catch(report)
