// The driver connection under Prisma, for the statements on the hot paths
// (refresh rotation, login, the session and user lookups behind them).
// Prisma 6.19 spends 0.3–1.5 ms of CPU on each statement in its query
// interpreter; the driver runs the same SQL in tens of microseconds.
// Everything else goes through Prisma's query builder.
import type pg from 'pg'
import type { Provider } from './database-url.js'

export type Row = Record<string, unknown>

/** The parts of a better-sqlite3 connection used here (the one Prisma's adapter opened). */
export interface SqliteConnection {
  readonly inTransaction: boolean
  prepare(source: string): SqliteStatement
  transaction<F extends (...args: never[]) => unknown>(work: F): F
}

interface SqliteStatement {
  readonly reader: boolean
  safeIntegers(on: boolean): SqliteStatement
  all(...values: unknown[]): Row[]
  run(...values: unknown[]): { changes: number }
}

export interface Sql {
  readonly provider: Provider
  /** Rows of one statement; parameters are written `?`. */
  rows(text: string, values: readonly unknown[]): Promise<Row[]>
  /** Rows changed by one statement. */
  execute(text: string, values: readonly unknown[]): Promise<number>
}

export interface SqliteSql extends Sql {
  readonly provider: 'sqlite'
  /** Statements run as one transaction; the rows each changed. */
  batch(statements: ReadonlyArray<readonly [string, readonly unknown[]]>): Promise<number[]>
}

/** How Prisma's SQLite adapter stores a DateTime, so both write comparable text. */
function sqliteValue (value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace('Z', '+00:00')
  if (typeof value === 'boolean') return value ? 1 : 0
  return value
}

export function sqliteSql (connection: SqliteConnection): SqliteSql {
  const statements = new Map<string, SqliteStatement>()
  function statement (text: string): SqliteStatement {
    let prepared = statements.get(text)
    if (prepared === undefined) {
      prepared = connection.prepare(text)
      if (prepared.reader) prepared.safeIntegers(false)
      statements.set(text, prepared)
    }
    return prepared
  }
  const changes = (text: string, values: readonly unknown[]): number => statement(text).run(...values.map(sqliteValue)).changes
  const batch = connection.transaction((list: ReadonlyArray<readonly [string, readonly unknown[]]>) => list.map(([text, values]) => changes(text, values)))

  /**
   * Prisma's adapter keeps a transaction open on this same connection across
   * awaits. Running in the middle of one would make these statements part of
   * it, so wait until it has ended. Nothing here awaits between statements,
   * so Prisma never sees a transaction of ours half done.
   */
  async function whenIdle<T> (work: () => T): Promise<T> {
    while (connection.inTransaction) await new Promise(resolve => setImmediate(resolve))
    return work()
  }

  return {
    provider: 'sqlite',
    rows: (text, values) => whenIdle(() => statement(text).all(...values.map(sqliteValue))),
    execute: (text, values) => whenIdle(() => changes(text, values)),
    batch: (list) => whenIdle(() => batch(list))
  }
}

/** `?` placeholders, as written for both providers, in PostgreSQL's numbered form. */
function numbered (text: string): string {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}

function postgresValue (value: unknown): unknown {
  // timestamp(3) columns hold UTC; an ISO string keeps the driver from applying the local zone.
  return value instanceof Date ? value.toISOString() : value
}

const TIMESTAMP = 1114
const parseTimestamp = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`)

export function postgresSql (pool: pg.Pool, pgTypes: typeof pg.types): Sql {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === TIMESTAMP ? parseTimestamp : pgTypes.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser']
  }
  const texts = new Map<string, string>()
  async function query (text: string, values: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    let converted = texts.get(text)
    if (converted === undefined) texts.set(text, converted = numbered(text))
    return await pool.query<Row>({ text: converted, values: values.map(postgresValue), types })
  }
  return {
    provider: 'postgresql',
    rows: async (text, values) => (await query(text, values)).rows,
    execute: async (text, values) => (await query(text, values)).rowCount ?? 0
  }
}

/** A Date from a DateTime column as either driver returns it. */
export function toDate (value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string)
}

export function toNullableDate (value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value)
}
