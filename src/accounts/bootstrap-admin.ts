// A fresh install must be usable: when the database has no users yet, create
// the administrator named by ADMIN_EMAIL/ADMIN_PASSWORD, or one with a
// generated password shown once.
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { AccountsService } from './accounts-service.js'

export const DEFAULT_ADMIN_EMAIL = 'admin@authgate.local'

export async function bootstrapAdmin (
  accounts: AccountsService,
  settings: { email?: string | undefined, password?: string | undefined },
  log: FastifyBaseLogger,
  announce: (text: string) => void = (text) => process.stdout.write(text)
): Promise<void> {
  if (await accounts.hasUsers()) return
  const email = settings.email ?? DEFAULT_ADMIN_EMAIL
  const generated = settings.password === undefined
  const password = settings.password ?? randomBytes(18).toString('base64url')
  try {
    await accounts.create({ email, password, username: 'admin', name: 'Administrator', role: 'admin' })
  } catch (err) {
    // Another instance sharing the database got there first.
    if ((err as { code?: string }).code === 'CONFLICT' && await accounts.hasUsers()) return
    throw err
  }
  log.warn({ email }, 'created the first administrator')
  // Printed once, outside the structured log, so it is not shipped with it.
  if (generated) announce(`\n  First administrator: ${email}\n  Password (shown once): ${password}\n  Change it, or set ADMIN_EMAIL and ADMIN_PASSWORD before the first start.\n\n`)
}
