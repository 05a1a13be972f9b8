// The part of newman's Node API the tests use (newman ships no types).
declare module 'newman' {
  import type { EventEmitter } from 'node:events'

  export interface NewmanRunSummary {
    run: {
      stats: Record<'requests' | 'assertions' | 'testScripts' | 'prerequestScripts', { total: number, failed: number }>
      executions: Array<{
        item: { name: string }
        response?: { code: number }
        assertions?: Array<{ assertion: string, error?: { message: string } }>
      }>
      failures: Array<{ error: { name: string, message: string }, source?: { name?: string } }>
    }
  }

  export interface NewmanRunOptions {
    collection: object
    reporters?: string[]
    timeoutRequest?: number
  }

  function run (options: NewmanRunOptions, callback: (err: Error | null, summary: NewmanRunSummary) => void): EventEmitter

  const newman: { run: typeof run }
  export default newman
}
