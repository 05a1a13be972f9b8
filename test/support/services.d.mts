// Types of services.mjs (plain JavaScript so that migrate-templates.mjs shares it).
import type { Test } from 'tap'

export interface Availability {
  /** What it is, for messages: "PostgreSQL", "nginx". */
  what: string
  ok: boolean
  /** The URL (services) or command (tools) to use; empty when not ok. */
  value: string
  /** Why it cannot be used; empty when ok. */
  reason: string
  /** A setting named it: its absence is a failure, not a skip. */
  configured: boolean
}

export type ToolName = 'nginx' | 'curl' | 'jq' | 'python3-requests' | 'docker-compose' | 'chromium' | 'setpriv' | 'unshare' | 'pgbouncer'

export const DEFAULT_POSTGRES_URL: string
export const DEFAULT_REDIS_URL: string

export function postgres (): Promise<Availability>
export function redis (): Promise<Availability>
export function tool (name: ToolName): Availability
export function requireAll (): boolean
export function verdict (needs: Availability[]): { run: true } | { run: false, fatal: boolean, reason: string }
export function testWith (parent: Test, name: string, needs: Availability[], fn: (t: Test) => Promise<void>): Promise<void>
