import { readFileSync } from 'node:fs'
import { list, type Config } from '../config.js'
import type { KeySettings } from './keys.js'

/** Reads the key material the settings name (files are read once, at start). */
export function keySettingsFrom (config: Config): KeySettings {
  const privateKeyPem = config.JWT_PRIVATE_KEY_FILE !== undefined
    ? readFileSync(config.JWT_PRIVATE_KEY_FILE, 'utf8')
    : config.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n')
  return {
    algorithm: config.JWT_ALGORITHM,
    secret: config.JWT_SECRET,
    verifyOnlySecrets: list(config.JWT_VERIFY_ONLY_SECRETS),
    privateKeyPem,
    verifyOnlyPublicKeyPems: list(config.JWT_VERIFY_ONLY_KEY_FILES).map(file => readFileSync(file, 'utf8')),
    dataDir: config.DATA_DIR
  }
}
