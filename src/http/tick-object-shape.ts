// On Node.js 20 and 24, `process.nextTick` builds each tick object from an
// object literal with computed (symbol) keys, and V8 keeps the hidden classes
// that literal's properties lead through only while some tick object is
// alive. A full garbage collection at a moment when none is queued (an idle
// instance, V8's memory reducer, a heap snapshot) drops them. The next tick
// objects take new classes, the property definitions in nextTick's
// optimised code go megamorphic, and from then on every property of every
// tick object is defined through V8's runtime: Node's stream and HTTP code
// queues several ticks a request, and a hello world then costs twice the
// instructions a request for the rest of the process's life
// (docs/benchmark.md). One tick object held for the life of the process
// keeps those classes alive. Node.js 26 builds tick objects another way;
// there the held object costs nothing.
import { executionAsyncResource } from 'node:async_hooks'

let held: object | undefined

/** Holds the next tick object for the life of the process (once per process). */
export function holdTickObjectShape (): void {
  if (held !== undefined) return
  // Inside a nextTick callback, the executing async resource is its tick object.
  process.nextTick(() => { held ??= executionAsyncResource() })
}
