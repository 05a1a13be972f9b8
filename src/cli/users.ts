// `npm run users -- add --email E --password P [--username U] [--name N] [--role admin|customer]`
// Works on whatever DATABASE_URL points to (migrations must be applied).
import { parseArgs } from 'node:util'
import { createAccountsService, ROLES, type Role } from '../accounts/accounts-service.js'
import { createPasswords } from '../accounts/passwords.js'
import { createUsersStore } from '../accounts/users-store.js'
import { createAuditLog } from '../audit/audit-log.js'
import { systemClock } from '../clock.js'
import { loadConfig } from '../config.js'
import { isAuthError } from '../errors.js'
import { passwordSettings } from '../services.js'
import { openDatabase } from '../storage/database.js'

const USAGE = `usage: npm run users -- add --email EMAIL [--password PASSWORD] [--username NAME] [--name "FULL NAME"] [--role customer|admin] [--school ID]
       without --password, the password is read from standard input`

async function readStdin (): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

async function main (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
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
  if (values.help === true || positionals[0] !== 'add' || values.email === undefined) {
    process.stderr.write(USAGE + '\n')
    return values.help === true ? 0 : 64
  }
  if (!(ROLES as readonly string[]).includes(values.role as string)) {
    process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`)
    return 64
  }
  const config = loadConfig()
  const password = values.password ?? await readStdin()
  const database = await openDatabase(config.DATABASE_URL, { sqliteSynchronous: config.SQLITE_SYNCHRONOUS })
  try {
    const passwords = createPasswords(passwordSettings(config, 1))
    const accounts = createAccountsService({ users: createUsersStore(database), passwords, clock: systemClock, audit: createAuditLog(database) })
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
  } catch (err) {
    if (isAuthError(err)) {
      process.stderr.write(`error: ${err.message}\n`)
      return 1
    }
    throw err
  } finally {
    await database.close()
  }
}

process.exitCode = await main(process.argv.slice(2))
