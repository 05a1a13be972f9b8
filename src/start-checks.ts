// What must hold before the gateway touches its database: settings that
// validate, and on SQLite a folder this process can write. A failure is one
// line on stderr naming the problem and exit code 78 (EX_CONFIG), before any
// migration runs or any file is made.
import { ConfigError, loadConfig, type Config } from './config.js'
import { DataDirectoryError, ensureSqliteDirectory, providerOf } from './storage/database-url.js'

export function checkedConfigOrExit (env: Record<string, string | undefined> = process.env): Config {
  try {
    const config = loadConfig(env)
    if (providerOf(config.DATABASE_URL) === 'sqlite') ensureSqliteDirectory(config.DATABASE_URL)
    return config
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DataDirectoryError) {
      process.stderr.write(`authgate: ${err.message}\n`)
      process.exit(78)
    }
    throw err
  }
}
