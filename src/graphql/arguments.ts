// Checks of argument values the GraphQL types cannot express. Failures are
// BAD_REQUEST from the shared catalogue; each surface words them.
import { LOGIN_MAX_LENGTH } from '../accounts/accounts-service.js'
import { PASSWORD_MAX_LENGTH } from '../accounts/password-policy.js'
import { AuthError } from '../errors.js'
import { TOKEN_MAX_LENGTH } from '../http/input-limits.js'

/** A non-empty string of at most `max` characters, or BAD_REQUEST naming the argument. */
export function requiredText (value: string | null | undefined, name: string, max: number): string {
  if (value === undefined || value === null || value === '') throw new AuthError('BAD_REQUEST', `${name} is required`)
  if (value.length > max) throw new AuthError('BAD_REQUEST', `${name} must be at most ${max} characters`)
  return value
}

export const loginArgument = (value: string | null | undefined, name = 'username') => requiredText(value, name, LOGIN_MAX_LENGTH)
export const passwordArgument = (value: string | null | undefined) => requiredText(value, 'password', PASSWORD_MAX_LENGTH)
export const tokenArgument = (value: string | null | undefined, name: string) => requiredText(value, name, TOKEN_MAX_LENGTH)
