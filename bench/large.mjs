// npm run bench -- --large: do the hot paths cost the same on a grown
// database? On each provider, in one run:
//   1. a database seeded in bulk, through the driver, with 1,000,000 users
//      and 5,000,000 sessions (each with its refresh token; 100,000 of them
//      live, 100 for each of 1,000 users), and a freshly migrated one beside
//      it; login, rotation and profile on each, in alternating rounds (the
//      order swapped every round), each path run on one right after the
//      other, so that the machine's drift lands on both sides of each ratio;
//      the median round's ratio counts. EXPLAIN of every
//      hot statement on the grown one: each must find its rows by index;
//   3. the same figures while the background purge deletes the 4,900,000
//      spent sessions and their tokens (PURGE_INTERVAL=10), and how many rows
//      it deleted meanwhile;
//   4. a mass revocation: an administrator disables those 1,000 users, which
//      ends 100,000 sessions at once; GET /auth/verify is measured before and
//      after on the instance that ended them and on a second instance, with
//      the RSS of both.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import argon2 from 'argon2'
import Database from 'better-sqlite3'
import pg from 'pg'
import { ADMIN, ARGON2, ROOT, atLeast, below, fmt, gatewayEnv, int, login, loginScenario, median, post, refreshPool, request, rssMb, sleep, rotationScenario, startGateway, stop, withPostgresDatabase, wrk } from './lib.mjs'
import { measureReads } from './reads.mjs'

const USERS = Number(process.env.BENCH_LARGE_USERS ?? 1_000_000)
const SESSIONS = Number(process.env.BENCH_LARGE_SESSIONS ?? 5_000_000)
/** Users whose sessions are all ended at once, and live sessions each of them has. */
const REVOKED_USERS = 1000
const LIVE_PER_USER = 100
const LIVE = REVOKED_USERS * LIVE_PER_USER
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
/** Alternating rounds of the grown and the empty database. */
const ROUNDS = Number(process.env.BENCH_LARGE_ROUNDS ?? 5)
const DAY = 86_400_000

/**
 * Login, rotation and the read paths on each of `gateways` ([name, gateway]
 * pairs), one path at a time: a path's runs on each gateway follow each
 * other, so a machine that drifts over a round moves both alike.
 */
async function hotPaths (bare, gateways) {
  const figures = Object.fromEntries(gateways.map(([name]) => [name, { errors: 0 }]))
  for (const [name, gateway] of gateways) {
    const { access_token: token } = await login(gateway.port)
    const reads = measureReads({ bare }, gateway, token, 1, Math.max(1, Math.round(SECONDS / 2)))
    Object.assign(figures[name], { profile_ratio: reads.profile.ratio, verify_ratio: reads.verify.ratio })
    figures[name].errors += reads.profile.errors + reads.verify.errors
  }
  // Every pool first: drawing one takes a login per token, which would separate the two rotation runs.
  const pools = []
  for (const [, gateway] of gateways) pools.push(await refreshPool(gateway.port))
  for (const [i, [name, gateway]] of gateways.entries()) {
    const rotate = wrk(gateway.port, rotationScenario(pools[i], { seconds: SECONDS }))
    figures[name].refresh_rps = rotate.rps
    figures[name].errors += rotate.errors
  }
  for (const [name, gateway] of gateways) {
    const logins = wrk(gateway.port, loginScenario({ connections: 8, seconds: SECONDS }))
    figures[name].login_rps = logins.rps
    figures[name].errors += logins.errors
  }
  return figures
}

// The seed, as one INSERT … SELECT per table and chunk: users 2… (1 is the administrator).
const sqliteSeed = {
  users: (from, to) => `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
    INSERT INTO users (id, email, username, password_hash, name, first_name, last_name, role, tenant_id, avatar, disabled, created_at, updated_at)
    SELECT i + 1, 'user' || i || '@bench.example', 'user' || i, :hash, 'User ' || i, 'User', '' || i, 'customer', NULL, '', 0, :now, :now FROM n`,
  sessions: (from, to) => `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
    INSERT INTO sessions (id, user_id, refresh_policy, user_agent, ip, created_at, last_used_at, expires_at, ended_at)
    SELECT printf('00000000-0000-4000-8000-%012x', i),
      CASE WHEN i <= ${LIVE} THEN 2 + (i - 1) % ${REVOKED_USERS} ELSE 2 + (i - 1) % ${USERS} END,
      'rotating', 'bench', '127.0.0.1',
      CASE WHEN i <= ${LIVE} THEN :now ELSE :past END, CASE WHEN i <= ${LIVE} THEN :now ELSE :past END,
      CASE WHEN i <= ${LIVE} THEN :future ELSE :expired END,
      CASE WHEN i > ${LIVE} AND i % 2 = 0 THEN :expired ELSE NULL END FROM n`,
  tokens: (from, to) => `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})
    INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, retired_at)
    SELECT printf('10000000-0000-4000-8000-%012x', i), printf('00000000-0000-4000-8000-%012x', i), printf('%064x', i), NULL,
      CASE WHEN i <= ${LIVE} THEN :now ELSE :past END, CASE WHEN i <= ${LIVE} THEN :future ELSE :expired END, NULL FROM n`
}

const postgresSeed = {
  users: (from, to) => `INSERT INTO users (id, email, username, password_hash, name, first_name, last_name, role, tenant_id, avatar, disabled, created_at, updated_at)
    SELECT i + 1, 'user' || i || '@bench.example', 'user' || i, $1, 'User ' || i, 'User', '' || i, 'customer', NULL, '', false, $2, $2
    FROM generate_series(${from}, ${to}) AS i`,
  sessions: (from, to) => `INSERT INTO sessions (id, user_id, refresh_policy, user_agent, ip, created_at, last_used_at, expires_at, ended_at)
    SELECT '00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'),
      CASE WHEN i <= ${LIVE} THEN 2 + (i - 1) % ${REVOKED_USERS} ELSE 2 + (i - 1) % ${USERS} END,
      'rotating', 'bench', '127.0.0.1',
      CASE WHEN i <= ${LIVE} THEN $1 ELSE $2 END::timestamp(3), CASE WHEN i <= ${LIVE} THEN $1 ELSE $2 END::timestamp(3),
      CASE WHEN i <= ${LIVE} THEN $3 ELSE $4 END::timestamp(3),
      CASE WHEN i > ${LIVE} AND i % 2 = 0 THEN $4::timestamp(3) ELSE NULL END
    FROM generate_series(${from}, ${to}) AS i`,
  tokens: (from, to) => `INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at, retired_at)
    SELECT '10000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'), '00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'), lpad(to_hex(i), 64, '0'), NULL,
      CASE WHEN i <= ${LIVE} THEN $1 ELSE $2 END::timestamp(3), CASE WHEN i <= ${LIVE} THEN $3 ELSE $4 END::timestamp(3), NULL
    FROM generate_series(${from}, ${to}) AS i`
}

const CHUNK = 500_000

function chunks (total) {
  const list = []
  for (let from = 1; from <= total; from += CHUNK) list.push([from, Math.min(total, from + CHUNK - 1)])
  return list
}

const sqliteTime = (ms) => new Date(ms).toISOString().replace('Z', '+00:00')

async function seed (provider, url, passwordHash) {
  const now = Date.now()
  const started = performance.now()
  const plan = [['users', USERS], ['sessions', SESSIONS], ['tokens', SESSIONS]]
  if (provider === 'sqlite') {
    const db = new Database(url.slice('file:'.length))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = OFF')
    const times = { hash: passwordHash, now: sqliteTime(now), past: sqliteTime(now - 60 * DAY), future: sqliteTime(now + 30 * DAY), expired: sqliteTime(now - 30 * DAY) }
    for (const [table, total] of plan) {
      for (const [from, to] of chunks(total)) {
        const statement = db.prepare(sqliteSeed[table](from, to))
        const names = ['hash', 'now', 'past', 'future', 'expired'].filter(name => statement.source.includes(`:${name}`))
        statement.run(Object.fromEntries(names.map(name => [name, times[name]])))
        process.stdout.write(`\rseeding ${table} ${int(to)} / ${int(total)}   `)
      }
    }
    db.exec('ANALYZE')
    db.close()
  } else {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", [USERS + 1])
    for (const [table, total] of plan) {
      for (const [from, to] of chunks(total)) {
        const values = table === 'users' ? [passwordHash, new Date(now)] : [new Date(now), new Date(now - 60 * DAY), new Date(now + 30 * DAY), new Date(now - 30 * DAY)]
        await client.query(postgresSeed[table](from, to), values)
        process.stdout.write(`\rseeding ${table} ${int(to)} / ${int(total)}   `)
      }
    }
    await client.query('ANALYZE')
    await client.end()
  }
  process.stdout.write('\n')
  return (performance.now() - started) / 1000
}

/** Sample values for the EXPLAIN of a statement, by placeholder name: a real row's keys where it matters. */
function sampleValue (provider, name) {
  const known = {
    tokenHash: (7).toString(16).padStart(64, '0'),
    sessionId: '00000000-0000-4000-8000-000000000007',
    parentId: '10000000-0000-4000-8000-000000000007',
    email: 'user7@bench.example',
    username: 'user7'
  }
  if (name in known) return known[name]
  // The rotations sharing one statement: one value per rotation in each, here one rotation.
  const batched = { tokenHashes: 'tokenHash', nows: 'now', idleBefores: 'idleBefore', successorExpiresAts: 'expiresAt' }
  if (name in batched) return [sampleValue(provider, batched[name])]
  if (/^(successor|audit)\w+s$/.test(name)) return ['8']
  if (name === 'now' || /(At|Before)$/.test(name)) return provider === 'sqlite' ? sqliteTime(Date.now()) : new Date()
  return '8'
}

/** The plan of every hot statement (those the gateway compiles once, storage/prepared.ts). */
async function explainHotStatements (provider, url) {
  const { openDatabase } = await import(join(ROOT, 'dist/src/storage/database.js'))
  const { preparedStatements } = await import(join(ROOT, 'dist/src/storage/prepared.js'))
  const { createSessionsStore } = await import(join(ROOT, 'dist/src/sessions/sessions-store.js'))
  const { createUsersStore } = await import(join(ROOT, 'dist/src/accounts/users-store.js'))
  const database = await openDatabase(url)
  const before = preparedStatements().length
  createSessionsStore(database)
  createUsersStore(database)
  const statements = preparedStatements().slice(before).filter(s => provider === 'postgresql' || !/^with /i.test(s.sql))
  await database.close()
  const values = (s) => s.slots.map((name, i) => name === undefined ? s.constants[i] : sampleValue(provider, name))
  const plans = []
  if (provider === 'sqlite') {
    const db = new Database(url.slice('file:'.length), { readonly: true })
    for (const s of statements) {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(values(s).map(v => typeof v === 'boolean' ? Number(v) : v))
      const plan = rows.map(r => r.detail)
      plans.push({ sql: s.sql, plan, scans: plan.filter(d => /^SCAN (?!CONSTANT)/.test(d)) })
    }
    db.close()
  } else {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    for (const s of statements) {
      const { rows } = await client.query(`EXPLAIN ${s.sql}`, values(s))
      const plan = rows.map(r => r['QUERY PLAN'])
      plans.push({ sql: s.sql, plan, scans: plan.filter(d => /Seq Scan on (users|sessions|refresh_tokens|audit_events|revocations)/.test(d)) })
    }
    await client.end()
  }
  return plans
}

/**
 * Verify's ratio to bare Fastify on one instance (7 rounds of verify alone,
 * median), and its RSS. "Before" and "after" are minutes apart, so each is
 * asked in as many rounds as the other read paths get in three.
 */
function verifyOn (bare, instance, token) {
  const reads = measureReads({ bare, only: ['verify'] }, instance, token, 7, Math.max(1, Math.round(SECONDS / 2)))
  return { ratio: reads.verify.ratio, ratios: reads.verify.ratios, cpu_us: reads.verify.cpu_us, rps: reads.verify.rps, errors: reads.verify.errors, rss_mb: rssMb(instance.child.pid).now }
}

async function massRevocation (bare, env) {
  const a = await startGateway(env)
  const b = await startGateway(env)
  try {
    const admin = await login(a.port)
    const token = admin.access_token
    // A session of one of the users about to be disabled, opened on the second instance: it must be refused there afterwards.
    const victim = await post(b.port, '/auth/login', { email: 'user1@bench.example', password: ADMIN.password })
    if (victim.status !== 201) throw new Error(`seeded user could not log in: ${JSON.stringify(victim)}`)
    // The administration path's first use (Prisma's query compiler, its caches) is not the revocations' cost: warm it first
    // with requests that end nothing (enabling users who are enabled).
    for (let id = REVOKED_USERS + 2; id < REVOKED_USERS + 52; id++) {
      await request(`http://127.0.0.1:${a.port}/users/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: false }) })
    }
    const before = { a: verifyOn(bare, a, token), b: verifyOn(bare, b, token) }
    const started = performance.now()
    const ids = Array.from({ length: REVOKED_USERS }, (_, i) => i + 2)
    const failed = []
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
        const res = await request(`http://127.0.0.1:${a.port}/users/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }) })
        if (res.status !== 200) failed.push(res.status)
      }
    }))
    const disableSeconds = (performance.now() - started) / 1000
    // The second instance learns of them at its next polls.
    let refusedOnB = false
    for (let i = 0; i < 100 && !refusedOnB; i++) {
      const res = await request(`http://127.0.0.1:${b.port}/auth/verify`, { headers: { authorization: `Bearer ${victim.body.access_token}` } })
      refusedOnB = res.status === 401
      if (!refusedOnB) await sleep(100)
    }
    await sleep(2000)
    const after = { a: verifyOn(bare, a, token), b: verifyOn(bare, b, token) }
    return { before, after, disable_seconds: disableSeconds, disable_failures: failed.length, refused_on_second_instance: refusedOnB }
  } finally {
    await stop(a.child)
    await stop(b.child)
  }
}

/** Sessions and refresh tokens in the database. */
async function countRows (provider, url) {
  const query = 'SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM refresh_tokens) AS tokens'
  if (provider === 'sqlite') {
    const db = new Database(url.slice('file:'.length), { readonly: true })
    try { return db.prepare(query).get() } finally { db.close() }
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows: [row] } = await client.query(query)
    return { sessions: Number(row.sessions), tokens: Number(row.tokens) }
  } finally { await client.end() }
}

const HOT = ['login_rps', 'refresh_rps', 'profile_ratio', 'verify_ratio']

/**
 * The hot paths on the grown and on the empty database, in alternating
 * rounds, each gateway started once. Both first rotate for a few seconds:
 * a bulk load leaves the grown file's pages out of the operating system's
 * cache, where a database grown by use has its hot pages.
 */
async function alternated (bare, largeEnv, emptyEnv) {
  const large = await startGateway(largeEnv)
  const empty = await startGateway(emptyEnv)
  try {
    const warmUp = {}
    for (const [name, gateway] of [['large', large], ['empty', empty]]) warmUp[name] = wrk(gateway.port, rotationScenario(await refreshPool(gateway.port), { seconds: 3 }))
    const rounds = []
    for (let i = 0; i < ROUNDS; i++) rounds.push(await hotPaths(bare, i % 2 === 0 ? [['empty', empty], ['large', large]] : [['large', large], ['empty', empty]]))
    const summary = (name) => ({ ...Object.fromEntries(HOT.map(k => [k, median(rounds.map(r => r[name][k]))])), errors: rounds.reduce((sum, r) => sum + r[name].errors, warmUp[name].errors) })
    const change = Object.fromEntries(HOT.map(k => [k, median(rounds.map(r => r.large[k] / r.empty[k]))]))
    return { empty: summary('empty'), large: summary('large'), change, rounds }
  } finally {
    await stop(large.child)
    await stop(empty.child)
  }
}

/** The hot paths on a gateway started with `env`, stopped afterwards. */
async function measured (bare, env, during = async () => {}) {
  const gateway = await startGateway(env)
  try {
    await during(gateway)
    return (await hotPaths(bare, [['gateway', gateway]])).gateway
  } finally {
    await stop(gateway.child)
  }
}

async function largeProvider (provider, url, emptyUrl, work, bare) {
  // No purge while the grown database is measured: it would shrink it.
  const secret = randomBytes(48).toString('base64url')
  const env = { ...gatewayEnv(url, work, secret), PURGE_INTERVAL: '86400' }
  // The first start makes the administrator (user 1); the seeded users follow it.
  await stop((await startGateway(env)).child)
  const passwordHash = await argon2.hash(ADMIN.password, { type: argon2.argon2id, ...ARGON2 })
  const seedSeconds = await seed(provider, url, passwordHash)
  const { empty, large, change, rounds } = await alternated(bare, env, { ...env, DATABASE_URL: emptyUrl })
  const plans = await explainHotStatements(provider, url)
  // The first purge starts 8 to 12 s after the start; its batches go on while the paths are measured.
  const rowsBefore = await countRows(provider, url)
  const purging = await measured(bare, { ...env, PURGE_INTERVAL: '10' }, () => sleep(12_000))
  const rowsAfter = await countRows(provider, url)
  const purged = rowsBefore.sessions + rowsBefore.tokens - rowsAfter.sessions - rowsAfter.tokens
  const revocation = await massRevocation(bare, env)
  return { provider, seed_seconds: seedSeconds, empty, large, change, rounds, purging, purged, plans, revocation }
}

function report (all) {
  const rows = []
  const change = (large, empty) => `${atLeast(large / empty)}×`
  const rounds = (r, key) => r.rounds.map(round => fmt(round.large[key] / round.empty[key])).join(', ')
  const span = (ratios) => `${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))}`
  for (const r of all) {
    const p = r.provider
    rows.push([p, 'seeding (users, sessions, refresh tokens)', `${int(USERS)} + ${int(SESSIONS)} + ${int(SESSIONS)} rows in ${fmt(r.seed_seconds, 0)} s`, ''])
    rows.push([p, `\`POST /auth/login\`, large / empty (median of ${r.rounds.length} alternating rounds)`, `${atLeast(r.change.login_rps)}× (${fmt(r.large.login_rps, 1)} / ${fmt(r.empty.login_rps, 1)} per s; rounds ${rounds(r, 'login_rps')})`, '≥ 0.90×'])
    rows.push([p, `\`POST /auth/refresh-token\`, large / empty (median of ${r.rounds.length} alternating rounds)`, `${atLeast(r.change.refresh_rps)}× (${int(r.large.refresh_rps)} / ${int(r.empty.refresh_rps)} req/s; rounds ${rounds(r, 'refresh_rps')})`, '≥ 0.90×'])
    rows.push([p, `\`GET /auth/profile\` (ratio to bare), large / empty (median of ${r.rounds.length} alternating rounds)`, `${atLeast(r.change.profile_ratio)}× (${fmt(r.large.profile_ratio)} / ${fmt(r.empty.profile_ratio)}; rounds ${rounds(r, 'profile_ratio')})`, '≥ 0.90×'])
    rows.push([p, 'while the purge runs: rotation, profile ratio; purging / not', `${change(r.purging.refresh_rps, r.large.refresh_rps)}, ${change(r.purging.profile_ratio, r.large.profile_ratio)} (${int(r.purged)} rows purged meanwhile)`, '≥ 0.90×'])
    rows.push([p, 'errors', `${r.empty.errors + r.large.errors + r.purging.errors}`, '0'])
    const scanning = r.plans.filter(s => s.scans.length > 0)
    rows.push([p, 'hot statements found by index (EXPLAIN)', `${r.plans.length - scanning.length} of ${r.plans.length}`, 'all'])
    const v = r.revocation
    for (const side of ['a', 'b']) {
      const name = side === 'a' ? 'the instance that ended them' : 'a second instance'
      rows.push([p, `100,000 sessions ended: \`GET /auth/verify\` on ${name}, after / before`, `${change(v.after[side].ratio, v.before[side].ratio)} (${fmt(v.after[side].ratio)} / ${fmt(v.before[side].ratio)} of bare; rounds ${span(v.after[side].ratios)} / ${span(v.before[side].ratios)}; CPU ${fmt(v.after[side].cpu_us, 1)} / ${fmt(v.before[side].cpu_us, 1)} µs a request)`, '≥ 0.90×'])
      rows.push([p, `100,000 sessions ended: RSS growth of ${name}`, `${below(v.after[side].rss_mb - v.before[side].rss_mb, 1)} MB (${fmt(v.before[side].rss_mb, 0)} → ${fmt(v.after[side].rss_mb, 0)} MB)`, '< 50 MB'])
    }
    rows.push([p, '1,000 users disabled', `${fmt(v.disable_seconds, 1)} s, ${v.disable_failures} failures; refused on the second instance: ${v.refused_on_second_instance ? 'yes' : 'NO'}`, ''])
  }
  const header = ['database', 'scenario', 'figure', 'target']
  const table = [header, header.map(() => '---'), ...rows].map(r => `| ${r.join(' | ')} |`).join('\n')
  const plans = all.map(r => `\n## EXPLAIN on ${r.provider}\n` + r.plans.map(s => `\n${s.sql}\n  ${s.plan.join('\n  ')}${s.scans.length ? '\n  ^ SCANS A TABLE' : ''}`).join('\n')).join('\n')
  return table + '\n' + plans
}

export async function runLarge ({ work, bare }) {
  const all = [await largeProvider('sqlite', `file:${join(work, 'large.db')}`, `file:${join(work, 'empty.db')}`, work, bare)]
  const server = process.env.BENCH_DATABASE_URL
  if (server) {
    all.push(await withPostgresDatabase(server, 'large', (url) => withPostgresDatabase(server, 'empty', (emptyUrl) => largeProvider('postgresql', url, emptyUrl, work, bare))))
  }
  return { json: { users: USERS, sessions: SESSIONS, results: all }, text: report(all) }
}
