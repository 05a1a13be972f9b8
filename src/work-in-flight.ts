// What the services are still doing. A request's work goes on after its
// client has gone away, and the server counts such a request as finished:
// its close would otherwise close the database under that work, losing what
// it had not yet written, or part of it where it writes more than once (a
// user created without its audit event). The database closes once `settled`
// resolves.

export interface WorkInFlight {
  /** `service` with each method's pending promise counted as work in flight. */
  track<T extends object>(service: T): T
  /** Resolves once no tracked work is pending, nor starts in the turn after the last ends. */
  settled(): Promise<void>
}

export function workInFlight (): WorkInFlight {
  let pending = 0
  let wake: (() => void) | undefined
  const finished = () => {
    if (--pending === 0) wake?.()
  }

  return {
    track<T extends object>(service: T): T {
      const tracked: Record<string, unknown> = { ...service as Record<string, unknown> }
      for (const [name, method] of Object.entries(service)) {
        if (typeof method !== 'function') continue
        tracked[name] = (...args: unknown[]) => {
          const result: unknown = method.apply(service, args)
          if (!(result instanceof Promise)) return result
          pending++
          return result.finally(finished)
        }
      }
      return tracked as T
    },

    async settled () {
      // A handler's next call to a service starts in a later microtask than the end of its
      // previous one: the count is checked again after a turn of the event loop.
      while (pending > 0) {
        await new Promise<void>((resolve) => { wake = resolve })
        wake = undefined
        await new Promise(setImmediate)
      }
    }
  }
}
