// Login throttling: growing waits after failed logins, counted by the login
// name tried (see throttleSubject in accounts-service.ts), shared by every
// surface and (with Redis) every instance. An attempt holds a slot while its password is checked, and
// taking a slot is one atomic step, so parallel attempts are decided as if
// they came one after another: fifty guesses sent at once get no more tries
// than fifty sent in turn, and six right passwords sent at once all get in.
// The policy and why it resists cheap lockouts are in docs/security.md.
import { createHash, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { AuthError } from '../errors.js'
import type { Clock } from '../clock.js'

export interface ThrottleSettings {
  /** Failures that cost nothing; the one that reaches this number starts the waits. */
  freeAttempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** Failures are forgotten this long after the last attempt. */
  resetAfterMs: number
  /** How long a client that logged in stays exempt from the account's shared waits; 0 never exempts. */
  knownClientTtlMs: number
}

/** A slot not released within this long (its process died mid-check) is freed. */
export const SLOT_TTL_MS = 30_000

export interface CounterState {
  failures: number
  /** No attempt is let in before this instant (ms since the epoch). */
  blockedUntil: number
  lastAt: number
}

export type Decision = { kind: 'allowed' } | { kind: 'wait', waitMs: number } | { kind: 'busy' }

/** The counter as it stands at `now`: forgotten after a quiet spell. The Redis store runs the same rules in Lua. */
export function current (state: CounterState | null, now: number, settings: ThrottleSettings): CounterState {
  if (state === null || now - state.lastAt >= settings.resetAfterMs) return { failures: 0, blockedUntil: 0, lastAt: now }
  return state
}

/**
 * Whether an attempt may check its password now, with `inFlight` attempts
 * still checking theirs. Each of those may yet fail, so together they may
 * use only the free failures left; past them, one at a time, since each
 * failure sets a new wait. `busy` means: ask again once one finishes.
 */
export function decide (state: CounterState, inFlight: number, now: number, settings: ThrottleSettings): Decision {
  if (now < state.blockedUntil) return { kind: 'wait', waitMs: state.blockedUntil - now }
  if (inFlight >= Math.max(settings.freeAttempts - state.failures, 1)) return { kind: 'busy' }
  return { kind: 'allowed' }
}

/** The counter after a failed attempt: from the free ones on, each failure doubles the wait, up to the cap. */
export function afterFailure (state: CounterState, now: number, settings: ThrottleSettings): CounterState {
  const failures = state.failures + 1
  const wait = failures >= settings.freeAttempts ? Math.min(settings.baseDelayMs * 2 ** (failures - settings.freeAttempts), settings.maxDelayMs) : 0
  return { failures, blockedUntil: Math.max(state.blockedUntil, now + wait), lastAt: now }
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

/**
 * What a store decided. `counter` names the counter charged (`keys.account`
 * or `keys.pair`); a shared store also tells the counter's `state` as it saw
 * it, which the in-memory fallback keeps as this instance's last view.
 */
export type Reservation =
  | { kind: 'allowed', counter: string, state?: CounterState }
  | { kind: 'wait', waitMs: number, counter?: string, state?: CounterState }
  | { kind: 'busy' }

export type Outcome = 'failed' | 'succeeded' | 'abandoned'

export interface ThrottleStore {
  /** Atomically: picks the pair counter when the client is known (else the account's), decides, and takes slot `slot` when allowed. */
  reserve (keys: ThrottleKeys, slot: string, now: number, settings: ThrottleSettings): Promise<Reservation>
  /** Gives the slot back and records how the attempt ended: `failed`, `succeeded` (which also remembers the client) or neither; resolves to the counter's state when the store tells it. */
  release (counter: string, slot: string, outcome: Outcome, knownKey: string, now: number, settings: ThrottleSettings): Promise<CounterState | undefined>
}

export interface LoginAttempt {
  /** The password was wrong (or the account disabled): count a failure. */
  failed (): Promise<void>
  /** The password matched: forget this counter's failures and remember the client. */
  succeeded (): Promise<void>
  /** The check itself failed (an outage): count nothing. */
  abandoned (): Promise<void>
}

/** How long an attempt waits for a slot before it is refused, and how often it looks. */
const WAIT_FOR_SLOT_MS = 10_000
const POLL_MS = 15

function digest (text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32)
}

function tooMany (waitMs: number): AuthError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  return new AuthError('TOO_MANY_ATTEMPTS', `Too many failed logins; try again in ${seconds} seconds`, { retryAfter: seconds })
}

export function createLoginThrottle ({ store, settings, clock }: { store: ThrottleStore, settings: ThrottleSettings, clock: Clock }) {
  async function reserve (keys: ThrottleKeys, slot: string): Promise<Reservation> {
    try {
      return await store.reserve(keys, slot, clock.now(), settings)
    } catch {
      // Fail closed: an outage must not open the door to unthrottled guessing. (With Redis, the
      // app's store falls back to this instance's memory instead of failing: throttle-stores.ts.)
      throw new AuthError('UNAVAILABLE', 'Login is temporarily unavailable; try again shortly')
    }
  }

  return {
    /**
     * Takes a slot for one attempt at `subject` (the normalised login name
     * tried) from `ip`, waiting while
     * the slots are held by attempts still being checked, or throws
     * TOO_MANY_ATTEMPTS with the seconds to wait.
     */
    async begin (subject: string, ip: string | undefined): Promise<LoginAttempt> {
      const id = digest(subject)
      const client = ip ?? '-'
      const keys: ThrottleKeys = { account: `account:${id}`, pair: `pair:${id}:${client}`, known: `known:${id}:${client}` }
      const slot = randomUUID()
      const started = Date.now()
      let reservation = await reserve(keys, slot)
      while (reservation.kind === 'busy') {
        if (Date.now() - started > WAIT_FOR_SLOT_MS) throw tooMany(1000)
        await sleep(POLL_MS)
        reservation = await reserve(keys, slot)
      }
      if (reservation.kind === 'wait') throw tooMany(reservation.waitMs)
      const { counter } = reservation
      let released = false
      const release = async (outcome: Outcome) => {
        if (released) return
        released = true
        // A lost release only leaves a slot that frees itself (SLOT_TTL_MS); the login's answer stands.
        await store.release(counter, slot, outcome, keys.known, clock.now(), settings).then(() => undefined, () => undefined)
      }
      return {
        failed: () => release('failed'),
        succeeded: () => release('succeeded'),
        abandoned: () => release('abandoned')
      }
    }
  }
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>
