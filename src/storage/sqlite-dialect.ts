// Kysely's SQLite dialect on a better-sqlite3 connection of our own, with
// these things added:
//
// - Prepared statements are kept by their text. Kysely prepares every query
//   anew, which costs more than running it (≈ 20 µs against ≈ 5 µs for a
//   lookup by key).
// - Values travel as Prisma's SQLite adapter writes them, so that rows
//   written by either are read alike by both: a Date as ISO 8601 text
//   (`2026-11-30T12:00:00.000+00:00`, which also sorts and compares as text),
//   a boolean as 0 or 1. Columns named `*_at` come back as Dates and
//   `disabled` as a boolean (the model's conventions, see models.prisma).
// - Prisma runs on a connection of its own to the same file. A write
//   transaction on one connection while the other writes would make SQLite's
//   busy handler block the one thread both run on, so every connection of
//   the process to the file takes turns through one lock: Prisma for each
//   operation, Kysely for each query or transaction (see database.ts).
// - Every value is bound as `+?`, so that a statement's plan never depends
//   on the values bound to it (see PlanStableCompiler).
// - The write transactions of the hot paths (a login's, a rotation's) begun
//   in one turn of the event loop share one commit (see `transaction`): a
//   commit wrote ≈ 13 WAL frames of a rotation, most of them pages every
//   rotation touches, and took a third of its time in SQLite.
import type { Database as BetterSqlite, Statement } from 'better-sqlite3'
import { CompiledQuery, SqliteAdapter, SqliteDriver, SqliteIntrospector, SqliteQueryCompiler, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type SqliteDatabase, type SqliteStatement } from 'kysely'
import type { Mutex } from 'async-mutex'
import type { QueryRunner } from './prepared.js'

/** How Prisma's SQLite adapter stores a DateTime. */
export function sqliteTimestamp (date: Date): string {
  return date.toISOString().replace('Z', '+00:00')
}

function toSqlite (value: unknown): unknown {
  if (value instanceof Date) return sqliteTimestamp(value)
  if (typeof value === 'boolean') return value ? 1 : 0
  return value
}

type Convert = (value: unknown) => unknown
const toDate: Convert = (value) => typeof value === 'string' ? new Date(value) : value
const toBoolean: Convert = (value) => value === null ? null : Boolean(value)

function converterFor (column: string): Convert | undefined {
  if (column.endsWith('_at')) return toDate
  if (column === 'disabled') return toBoolean
  return undefined
}

/** A prepared statement that converts values both ways. */
function convertingStatement (statement: Statement): SqliteStatement {
  const readConverters = statement.reader
    ? statement.columns().flatMap(({ name }) => {
      const convert = converterFor(name)
      return convert === undefined ? [] : [[name, convert] as const]
    })
    : []
  const convertRow = (row: Record<string, unknown>) => {
    for (const [name, convert] of readConverters) row[name] = convert(row[name])
    return row
  }
  const bind = (parameters: ReadonlyArray<unknown>) => parameters.map(toSqlite)
  return {
    reader: statement.reader,
    all: (parameters) => {
      const rows = statement.all(bind(parameters)) as Array<Record<string, unknown>>
      return readConverters.length === 0 ? rows : rows.map(convertRow)
    },
    run: (parameters) => statement.run(bind(parameters)),
    * iterate (parameters) {
      for (const row of statement.iterate(bind(parameters))) yield convertRow(row as Record<string, unknown>)
    }
  }
}

/** snake_case → camelCase, as Kysely's CamelCasePlugin names result columns. */
const camelCase = (name: string): string => name.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase())

/** The connection as Kysely's driver sees it: statements prepared once per text. */
function cachingDatabase (connection: BetterSqlite): SqliteDatabase & { statements: Map<string, SqliteStatement> } {
  const prepared = new Map<string, SqliteStatement>()
  return {
    statements: prepared,
    close: () => connection.close(),
    prepare (sql) {
      let statement = prepared.get(sql)
      if (statement === undefined) {
        statement = convertingStatement(connection.prepare(sql))
        prepared.set(sql, statement)
      }
      return statement
    }
  }
}

/** Kysely's driver, taking its turn for each query or transaction. */
class TurnTakingDriver extends SqliteDriver {
  readonly #turns: Mutex
  #release: (() => void) | undefined

  constructor (database: SqliteDatabase, turns: Mutex) {
    super({ database })
    this.#turns = turns
  }

  override async acquireConnection (): Promise<DatabaseConnection> {
    // Kysely hands out its one connection to one user at a time, so a single release slot suffices.
    this.#release = await this.#turns.acquire()
    return await super.acquireConnection()
  }

  override async releaseConnection (): Promise<void> {
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  // IMMEDIATE takes the write lock at once: a transaction that reads before it
  // writes cannot then fail to upgrade while another process writes.
  override async beginTransaction (connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
}

/**
 * better-sqlite3 builds SQLite with STAT4. Once ANALYZE has run on a file
 * (by hand, or by `PRAGMA optimize`, which SQLite recommends for long-lived
 * connections), a prepared statement whose parameter is compared with an
 * indexed column is compiled again whenever that parameter's value changes,
 * so that the planner can look the value up in the statistics (the
 * sqlite3_prepare_v3 documentation). Every hot statement is such a lookup by
 * key, with a new key each time: on a file of 1,000,000 sessions the
 * rotation's token lookup cost ≈ 3 times as much once analysed (≈ 30 µs
 * instead of ≈ 9 µs on its own, ≈ 160 instead of ≈ 55 µs under load). The
 * unary plus leaves the value as it is (it is a no-op, and an expression
 * without affinity, as a bare parameter) but is not a value the planner
 * looks up, so the statement keeps the plan it was prepared with: the same
 * index, chosen from the table's shape.
 */
class PlanStableCompiler extends SqliteQueryCompiler {
  protected override getCurrentParameterPlaceholder (): string {
    return '+?'
  }
}

export interface SqliteAccess {
  /** Kysely's dialect for the connection. */
  dialect: Dialect
  /**
   * Runs compiled statements straight on the connection: no Kysely driver,
   * no promise between prepare and result. For the hot paths' prepared
   * statements (prepared.ts); rows come back as Kysely would give them.
   */
  run: QueryRunner
  /** Runs `work` in one write transaction on the connection, in the process's turn. */
  transaction: <T>(work: (run: QueryRunner) => Promise<T>) => Promise<T>
}

export function sqliteAccess (connection: BetterSqlite, turns: Mutex): SqliteAccess {
  const database = cachingDatabase(connection)
  const renamed = new WeakMap<SqliteStatement, (row: Record<string, unknown>) => Record<string, unknown>>()

  function renamerOf (statement: SqliteStatement, rows: Array<Record<string, unknown>>) {
    let rename = renamed.get(statement)
    if (rename === undefined && rows[0] !== undefined) {
      const names = Object.keys(rows[0]).map(name => [name, camelCase(name)] as const)
      rename = (row) => {
        const out: Record<string, unknown> = {}
        for (const [from, to] of names) out[to] = row[from]
        return out
      }
      renamed.set(statement, rename)
    }
    return rename
  }

  function execute<R> (query: CompiledQuery<R>): QueryResult<R> {
    const statement = database.prepare(query.sql)
    if (statement.reader) {
      const rows = statement.all(query.parameters) as Array<Record<string, unknown>>
      const rename = renamerOf(statement, rows)
      return { rows: (rename === undefined ? rows : rows.map(rename)) as R[] }
    }
    const { changes } = statement.run(query.parameters)
    return { rows: [], numAffectedRows: BigInt(changes) }
  }

  const inTurn: QueryRunner = { executeQuery: async (query) => execute(query) }
  const begin = CompiledQuery.raw('begin immediate')
  const commit = CompiledQuery.raw('commit')
  const rollback = CompiledQuery.raw('rollback')
  const savepoint = CompiledQuery.raw('savepoint one')
  const releaseSavepoint = CompiledQuery.raw('release one')
  const rollbackToSavepoint = CompiledQuery.raw('rollback to one')

  /**
   * The write transaction open in this turn of the event loop, if any: every
   * transaction begun before the turn ends joins it, each in a savepoint of
   * its own, and one commit at the turn's end (setImmediate) ends them all.
   * Under load, the rotations and logins of one turn then write the pages
   * they share (the tables' last pages, the audit trail's indexes) once, in
   * one commit. Each caller still hears of its transaction only once it is
   * committed.
   */
  let batch: Batch | undefined
  /** A batch waiting for the turn: transactions begun meanwhile join it. */
  let opening: Promise<Batch> | undefined

  async function openBatch (): Promise<Batch> {
    const release = await turns.acquire()
    try {
      execute(begin)
    } catch (err) {
      release()
      throw err
    }
    const opened: Batch = batch = { tail: Promise.resolve(), working: false, committed: Promise.resolve() }
    opened.committed = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        if (batch === opened) batch = undefined
        void opened.tail.then(() => {
          try {
            // An error that made SQLite roll the whole transaction back leaves nothing to commit: every member fails.
            if (!connection.inTransaction) throw rolledBack(opened)
            execute(commit)
            resolve()
          } catch (err) {
            if (connection.inTransaction) execute(rollback)
            reject(err)
          } finally {
            release()
          }
        })
      })
    })
    // A member whose own statements failed does not wait for the commit.
    opened.committed.catch(() => {})
    return opened
  }

  /** The batch's transaction is gone: later transactions open a new one (once this one gives the turn back). */
  function rolledBack (joined: Batch): Error {
    if (batch === joined) batch = undefined
    return new Error('the transaction was rolled back')
  }

  async function inBatch<T> (joined: Batch, work: (run: QueryRunner) => Promise<T>): Promise<T> {
    // Outside a transaction, a savepoint would begin (and its release commit) one of its own.
    if (!connection.inTransaction) throw rolledBack(joined)
    joined.working = true
    execute(savepoint)
    try {
      const result = await work(inTurn)
      execute(releaseSavepoint)
      return result
    } catch (err) {
      // Only this transaction's statements are undone; the others in the batch stand.
      if (connection.inTransaction) {
        execute(rollbackToSavepoint)
        execute(releaseSavepoint)
      } else {
        rolledBack(joined)
      }
      throw err
    } finally {
      joined.working = false
    }
  }

  /** Runs `step` once everything queued in the batch before it has run: one at a time, in order. */
  function queued<T> (joined: Batch, step: () => T | Promise<T>): Promise<T> {
    const done = joined.tail.then(step)
    joined.tail = done.catch(() => {})
    return done
  }

  async function transaction<T> (work: (run: QueryRunner) => Promise<T>): Promise<T> {
    const joined = batch ?? await (opening ??= openBatch().finally(() => { opening = undefined }))
    const result = await queued(joined, async () => await inBatch(joined, work))
    await joined.committed
    return result
  }

  return {
    dialect: {
      createDriver: (): Driver => new TurnTakingDriver(database, turns),
      createQueryCompiler: () => new PlanStableCompiler(),
      createAdapter: () => new SqliteAdapter(),
      createIntrospector: (db: Kysely<any>) => new SqliteIntrospector(db)
    },
    run: {
      // A statement completes synchronously: while nobody holds the turn, nothing can run in between.
      async executeQuery (query) {
        if (!turns.isLocked()) return execute(query)
        const open = batch
        if (open === undefined) return await turns.runExclusive(() => execute(query))
        // A write joins the batch as a transaction of its own: its caller hears of it once it is committed.
        if (!database.prepare(query.sql).reader) return await transaction(async (run) => await run.executeQuery(query))
        // A read between the batch's transactions sees what they wrote, as any statement of this
        // connection would. Should their commit then fail (a full disk, an I/O error), such a read
        // may have answered from rows that were undone: it fails closed, as a token or a session it
        // named is then not in the file.
        if (!open.working) return execute(query)
        return await queued(open, () => execute(query))
      }
    },
    transaction
  }
}

/** Transactions sharing one commit. */
interface Batch {
  /** Settles once the last transaction (or read) queued in the batch has run. */
  tail: Promise<unknown>
  /** A transaction's statements are running (between them, its own awaits). */
  working: boolean
  /** Settles once the batch is committed, or rejects if the commit failed. */
  committed: Promise<void>
}
