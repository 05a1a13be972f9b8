import { AuthError } from '../errors.js'

export const PASSWORD_MIN_LENGTH = 8
/** Long passphrases are welcome; the bound only keeps hashing cost sane. argon2 never truncates. */
export const PASSWORD_MAX_LENGTH = 1024

export function assertAcceptablePassword (password: string, field = 'password'): void {
  const length = [...password].length
  if (length < PASSWORD_MIN_LENGTH) throw new AuthError('BAD_REQUEST', `${field} must be at least ${PASSWORD_MIN_LENGTH} characters`)
  if (length > PASSWORD_MAX_LENGTH) throw new AuthError('BAD_REQUEST', `${field} must be at most ${PASSWORD_MAX_LENGTH} characters`)
}
