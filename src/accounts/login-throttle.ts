// Per-account login throttling: growing delays after failed logins, counted
// by the account tried, shared by every surface and (with Redis) every
// instance. An attempt is counted *before* its password is checked, in one
// atomic step, so fifty guesses sent at once get no more tries than fifty
// sent one after another. The policy and why it resists cheap lockouts are in
// docs/security.md.
import { createHash } from 'node:crypto'
import type { Config } from '../config.js'
import { AuthError } from '../errors.js'
import type { Clock } from '../tokens/clock.js'

export interface ThrottleSettings {
  /** Failures that cost nothing; the one that reaches this number starts the delays. */
  freeAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** Failures are forgotten this long after the last counted attempt. */
  resetAfterMs: number
  /** How long a client that logged in stays exempt from the account's shared delays; 0 never exempts. */
  knownClientTtlMs: number
}

export function throttleSettings (config: Config): ThrottleSettings {
  return {
    freeAttempts: config.LOGIN_THROTTLE_FREE_ATTEMPTS,
    baseDelayMs: config.LOGIN_THROTTLE_BASE_DELAY * 1000,
    maxDelayMs: config.LOGIN_THROTTLE_MAX_DELAY * 1000,
    resetAfterMs: config.LOGIN_THROTTLE_RESET_AFTER * 1000,
    knownClientTtlMs: config.LOGIN_THROTTLE_KNOWN_CLIENT_TTL * 1000
  }
}

export interface CounterState {
  failures: number
  /** No attempt is let through before this instant (ms since the epoch). */
  blockedUntil: number
  lastAt: number
}

export type StepResult = { allowed: true, state: CounterState } | { allowed: false, waitMs: number }

/**
 * One attempt against a counter at `now`: refused while the counter blocks,
 * otherwise counted as a failure (a success clears it afterwards). Refused
 * attempts change nothing, so hammering a blocked account does not extend
 * the wait. The Redis store runs the same rule in Lua; keep the two alike.
 */
export function step (state: CounterState | null, now: number, settings: ThrottleSettings): StepResult {
  let failures = state?.failures ?? 0
  let blockedUntil = state?.blockedUntil ?? 0
  if (state !== null && now - state.lastAt >= settings.resetAfterMs) {
    failures = 0
    blockedUntil = 0
  }
  if (now < blockedUntil) return { allowed: false, waitMs: blockedUntil - now }
  failures += 1
  if (failures >= settings.freeAttempts) {
    blockedUntil = now + Math.min(settings.baseDelayMs * 2 ** (failures - settings.freeAttempts), settings.maxDelayMs)
  }
  return { allowed: true, state: { failures, blockedUntil, lastAt: now } }
}

/** The counters an attempt may be charged to; keys are digests, so no login name is stored. */
export interface ThrottleKeys {
  /** Shared by every client not known to the account. */
  account: string
  /** This client's own counter at this account, used once the client is known. */
  pair: string
  /** Present while this client is known to the account. */
  known: string
}

export type Reservation = { allowed: true, counter: string } | { allowed: false, waitMs: number }

export interface ThrottleStore {
  /** Atomically: picks the pair counter when the client is known (else the account's), then applies `step`. */
  reserve (keys: ThrottleKeys, now: number, settings: ThrottleSettings): Promise<Reservation>
  /** After a successful login: clears the counter the attempt was charged to and remembers the client. */
  succeed (counter: string, known: string, knownClientTtlMs: number, now: number): Promise<void>
}

export interface LoginAttempt {
  /** The password matched: forget this counter's failures and remember the client. */
  succeeded (): Promise<void>
}

function digest (text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32)
}

export function createLoginThrottle ({ store, settings, clock }: { store: ThrottleStore, settings: ThrottleSettings, clock: Clock }) {
  return {
    /**
     * Counts one attempt at `subject` (the account, or the normalised name
     * tried when no account has it) from `ip`, or throws TOO_MANY_ATTEMPTS
     * with the seconds to wait. Fails closed (UNAVAILABLE) when the store
     * cannot be reached: an outage must not open the door to guessing.
     */
    async begin (subject: string, ip: string | undefined): Promise<LoginAttempt> {
      const id = digest(subject)
      const client = ip ?? '-'
      const keys: ThrottleKeys = { account: `account:${id}`, pair: `pair:${id}:${client}`, known: `known:${id}:${client}` }
      let reservation: Reservation
      try {
        reservation = await store.reserve(keys, clock.now(), settings)
      } catch {
        throw new AuthError('UNAVAILABLE', 'Login is temporarily unavailable; try again shortly')
      }
      if (!reservation.allowed) {
        const seconds = Math.max(1, Math.ceil(reservation.waitMs / 1000))
        throw new AuthError('TOO_MANY_ATTEMPTS', `Too many failed logins; try again in ${seconds} seconds`, { retryAfter: seconds })
      }
      const { counter } = reservation
      return {
        // A lost reset only leaves failures that expire on their own; the login itself succeeded.
        succeeded: () => store.succeed(counter, keys.known, settings.knownClientTtlMs, clock.now()).catch(() => undefined)
      }
    }
  }
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>
