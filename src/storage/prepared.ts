// Statements of the hot paths, built and compiled by Kysely once and run with
// new values each time. Building and compiling a query costs Kysely 15–30 µs,
// more than SQLite spends running a lookup by key; a refresh runs seven of
// them. The statement is typed exactly as the query it was built from.
//
// Values are named when the statement is built, by reading them from the
// placeholders object (`(v) => db.selectFrom('users').where('id', '=', v.id)`);
// each becomes a parameter of the compiled SQL, filled from the arguments of
// every run. Placeholders are flat: `v.session.id` is not one. A value Kysely
// must see while building (a list for `in`, a null for `is`) cannot be a
// placeholder either: write those statements as plain queries.
//
// On PostgreSQL each runs as a named statement (storage/database.ts): planning
// the rotation's one statement of chained CTEs on every run had cost the
// server about 1 ms of CPU a rotation, more than the rest of the rotation.
// A named statement's result must keep its shape across migrations, so these
// name their columns and never select `*`.
import type { CompiledQuery, Compilable, QueryResult } from 'kysely'

const NAME = Symbol('authgate.placeholder')

interface Placeholder { readonly [NAME]: string }

function isPlaceholder (value: unknown): value is Placeholder {
  return typeof value === 'object' && value !== null && NAME in value
}

/** What runs a compiled query: the database, or a transaction of it. */
export interface QueryRunner {
  executeQuery<R> (query: CompiledQuery<R>): Promise<QueryResult<R>>
}

export interface PreparedQuery<A, R> {
  readonly sql: string
  /** Runs the statement with `args` on the database or a transaction. */
  execute (runner: QueryRunner, args: A): Promise<QueryResult<R>>
}

/** A statement as compiled: its SQL and, per parameter, the placeholder it is filled from (undefined: a constant). */
export interface StatementText {
  readonly sql: string
  readonly slots: ReadonlyArray<string | undefined>
  readonly constants: readonly unknown[]
}

/** Each distinct statement prepared in this process, by its SQL, with the name PostgreSQL knows it by. */
const compiledStatements = new Map<string, StatementText & { readonly name: string }>()

/**
 * Every statement prepared in this process so far: the hot paths. The
 * benchmark shows the database's plan of each (EXPLAIN) on a large database.
 */
export function preparedStatements (): readonly StatementText[] {
  return [...compiledStatements.values()]
}

/**
 * The name a hot statement runs under on PostgreSQL, which then parses and
 * plans it once per connection instead of on every run; undefined for any
 * other SQL. Names are stable within a process, and one SQL text has one name.
 */
export function statementName (sql: string): string | undefined {
  return compiledStatements.get(sql)?.name
}

export function prepare<A extends object, R> (build: (values: A) => Compilable<R>): PreparedQuery<A, R> {
  const placeholders = new Proxy({}, { get: (_target, name) => ({ [NAME]: String(name) }) }) as A
  const compiled = build(placeholders).compile()
  const slots = compiled.parameters.map(value => isPlaceholder(value) ? value[NAME] : undefined)
  if (!compiledStatements.has(compiled.sql)) {
    compiledStatements.set(compiled.sql, { sql: compiled.sql, slots, constants: compiled.parameters, name: `authgate_${compiledStatements.size + 1}` })
  }
  return {
    sql: compiled.sql,
    execute (runner, args) {
      const parameters = slots.map((name, i) => name === undefined ? compiled.parameters[i] : (args as Record<string, unknown>)[name])
      return runner.executeQuery({ ...compiled, parameters })
    }
  }
}
