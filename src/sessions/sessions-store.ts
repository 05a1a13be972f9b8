// The statements of sessions and their refresh tokens, written once for
// both databases (Kysely, typed by the model). Every change that takes more
// than one statement is atomic with its audit event and, when a session ends,
// its revocation (see revocation-list.ts): one transaction, or on PostgreSQL,
// for a login and a rotation, one statement.
import { sql, type Expression, type ExpressionBuilder, type Insertable, type QueryCreator, type Selectable } from 'kysely'
import { auditRow, prepareAuditInsert, type AuditRecord, type AuditRow } from '../audit/audit-record.js'
import type { DB, RefreshToken, Session, User } from '../generated/kysely/database.js'
import type { Database } from '../storage/database.js'
import { batching } from '../storage/batching.js'
import { prepare, type QueryRunner } from '../storage/prepared.js'

export type StoredSession = Selectable<Session>
export type StoredRefreshToken = Selectable<RefreshToken>
export type NewSession = Insertable<Session>
/** What a new refresh token's row holds; it is retired later, if ever. */
export type NewRefreshToken = Required<Pick<Insertable<RefreshToken>, 'id' | 'sessionId' | 'tokenHash' | 'parentId'>> & { createdAt: Date, expiresAt: Date }

/** What the sessions of a user need to know about the user. */
export type SessionUser = Pick<Selectable<User>, 'id' | 'username' | 'email' | 'role' | 'tenantId' | 'disabled'>

export interface TokenInSession {
  token: StoredRefreshToken
  session: StoredSession
  user: SessionUser
}

/** When a session counts as live at a moment: not ended, not past its end, not idle too long. */
export interface Liveness {
  now: Date
  /** A session last used at or before this instant is idle; absent when there is no idle timeout. */
  idleBefore?: Date | undefined
}

/** A rotation, known before its token is looked up. */
export interface Rotation {
  /** The presented token's hash. */
  tokenHash: string
  /** The successor's row; it expires at the session's end at the latest. */
  successor: { id: string, tokenHash: string, expiresAt: Date }
  liveness: Liveness
  /** The event recorded; its user and session are the token's. */
  audit: AuditRecord
}

/** A rotation's values; for rotations sharing a statement, references to their columns. */
interface RetireValues { tokenHash: string | Expression<string>, now: Date | Expression<Date>, idleBefore: Date | Expression<Date> }
interface RotateValues { tokenHash: string, now: Date, idleBefore: Date, id: string, successorHash: string, expiresAt: Date, audit: AuditRow }
/** Rotations as one column of values each (timestamps in ISO 8601, UTC), one row per rotation. */
interface RotateColumns {
  tokenHashes: string[], successorIds: string[], successorHashes: string[], successorExpiresAts: string[], nows: string[], idleBefores: string[]
  auditTypes: string[], auditActorIds: Array<number | null>, auditIps: Array<string | null>, auditUserAgents: Array<string | null>, auditDetails: string[]
}

type TokenColumns = Pick<StoredRefreshToken, 'tokenHash' | 'parentId' | 'retiredAt'> & { tId: string, tCreatedAt: Date, tExpiresAt: Date }
interface UserColumns { uId: number, uUsername: string, uEmail: string, uRole: string, uTenantId: string | null, uDisabled: boolean }
type TokenInSessionRow = StoredSession & TokenColumns & UserColumns

export interface EndSessions {
  userId: number
  /** Only these sessions; all of the user's when absent. */
  sessionIds?: string[] | undefined
  /** Never this session (the caller's own). */
  exceptSessionId?: string | undefined
  now: Date
  /** How long their access tokens may still be presented, so how long the revocations must last. */
  revokeUntil: Date
  /** The event recorded with the sessions ended. */
  audit: (ended: string[]) => AuditRecord
  /** The change to the user that ends them, written in the same transaction: both happen or neither. */
  userChange?: UserChange | undefined
}

/** What may change about a user together with the end of its sessions: some of its fields, or its deletion. */
export type UserChange = { passwordHash?: string, disabled?: boolean } | 'delete'

export function createSessionsStore ({ provider, db, prisma, run, transaction }: Pick<Database, 'provider' | 'db' | 'prisma' | 'run' | 'transaction'>) {
  const sessionColumns = ['s.id', 's.userId', 's.refreshPolicy', 's.userAgent', 's.ip', 's.createdAt', 's.lastUsedAt', 's.expiresAt', 's.endedAt'] as const
  const tokenColumns = ['t.id as tId', 't.tokenHash', 't.parentId', 't.createdAt as tCreatedAt', 't.expiresAt as tExpiresAt', 't.retiredAt'] as const
  const userColumns = ['u.id as uId', 'u.username as uUsername', 'u.email as uEmail', 'u.role as uRole', 'u.tenantId as uTenantId', 'u.disabled as uDisabled'] as const

  function userOf (row: UserColumns): SessionUser {
    return { id: row.uId, username: row.uUsername, email: row.uEmail, role: row.uRole, tenantId: row.uTenantId, disabled: row.uDisabled }
  }

  function foundOf (row: TokenInSessionRow): TokenInSession {
    return {
      token: { id: row.tId, sessionId: row.id, tokenHash: row.tokenHash, parentId: row.parentId, createdAt: row.tCreatedAt, expiresAt: row.tExpiresAt, retiredAt: row.retiredAt },
      session: sessionOf(row),
      user: userOf(row)
    }
  }

  function sessionOf (row: StoredSession): StoredSession {
    return {
      id: row.id, userId: row.userId, refreshPolicy: row.refreshPolicy, userAgent: row.userAgent, ip: row.ip,
      createdAt: row.createdAt, lastUsedAt: row.lastUsedAt, expiresAt: row.expiresAt, endedAt: row.endedAt
    }
  }

  // The statements of a login and a refresh, compiled once (storage/prepared.ts).
  const tokenByHash = prepare((v: { tokenHash: string }) => db.selectFrom('refreshTokens as t')
    .innerJoin('sessions as s', 's.id', 't.sessionId')
    .innerJoin('users as u', 'u.id', 's.userId')
    .select([
      ...tokenColumns, ...sessionColumns, ...userColumns
    ])
    .where('t.tokenHash', '=', v.tokenHash))
  const sessionById = prepare((v: { sessionId: string }) => db.selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.userId')
    .select([...sessionColumns, ...userColumns])
    .where('s.id', '=', v.sessionId))
  const insertSession = prepare((v: Required<NewSession>) => db.insertInto('sessions').values({
    id: v.id, userId: v.userId, refreshPolicy: v.refreshPolicy, userAgent: v.userAgent, ip: v.ip,
    createdAt: v.createdAt, lastUsedAt: v.lastUsedAt, expiresAt: v.expiresAt, endedAt: v.endedAt
  }))
  const insertToken = prepare((v: NewRefreshToken) => db.insertInto('refreshTokens').values({
    id: v.id, sessionId: v.sessionId, tokenHash: v.tokenHash, parentId: v.parentId, createdAt: v.createdAt, expiresAt: v.expiresAt
  }))
  /**
   * The compare-and-set of a rotation: the token is retired once, by
   * whichever rotation gets here first, and only while it is unexpired, its
   * session live and rotating and its user enabled: the rules rotate()
   * checks again to say why nothing rotated.
   */
  const retire = (qc: QueryCreator<DB>, v: RetireValues) => qc.updateTable('refreshTokens')
    .set({ retiredAt: v.now })
    .where('tokenHash', '=', v.tokenHash)
    .where('retiredAt', 'is', null)
    .where('expiresAt', '>', v.now)
    .where(({ exists, selectFrom }) => exists(selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.userId')
      .select('s.id')
      .whereRef('s.id', '=', 'refreshTokens.sessionId')
      .where('s.refreshPolicy', '=', 'rotating')
      .where('s.endedAt', 'is', null)
      .where('s.expiresAt', '>', v.now)
      .where('s.lastUsedAt', '>', v.idleBefore)
      .where('u.disabled', '=', false)))
  const retireOne = prepare((v: RetireValues) => retire(db, v))
  const touchLive = prepare((v: { sessionId: string, now: Date, idleBefore: Date }) => db.updateTable('sessions').set({ lastUsedAt: v.now })
    .where('id', '=', v.sessionId).where('endedAt', 'is', null).where('expiresAt', '>', v.now).where('lastUsedAt', '>', v.idleBefore))
  const insertAudit = prepareAuditInsert(db)
  /**
   * The revocations of the sessions `end` has just ended, found by the end it
   * wrote instead of sent back as values: one compiled statement of three
   * values, where a row of values each made Kysely build and compile a
   * statement of 300 for a user of 100 sessions, and made a mass revocation's
   * garbage (336 KB an end of 100 sessions on PostgreSQL, 122 KB now).
   * Sessions of the user ended by another transaction in the same
   * millisecond get a second revocation of the same length, which changes
   * nothing.
   */
  const insertRevocations = prepare((v: { userId: number, now: Date, expiresAt: Date }) => db.insertInto('revocations')
    .columns(['sessionId', 'expiresAt', 'createdAt'])
    .expression(db.selectFrom('sessions').select((eb) => ['id', eb.val(v.expiresAt).as('expiresAt'), eb.val(v.now).as('createdAt')])
      .where('userId', '=', v.userId).where('endedAt', '=', v.now)))

  // On PostgreSQL a login is one statement of chained data-modifying CTEs:
  // one round trip and one commit instead of four. Rotations are too, and
  // those under way at once share one (rotateInOneStatement). Values in a
  // SELECT list have no column to take their type from, so those are cast.
  const asTimestamp = (value: unknown) => sql<Date>`cast(${value} as timestamp(3))`
  const asInteger = (value: unknown) => sql<number>`cast(${value} as integer)`
  /** A login's audit event, as flat values (a placeholder cannot be read into). */
  interface AuditValues { auditType: string, auditUserId: number | null, auditActorId: number | null, auditIp: string | null, auditUserAgent: string | null, auditDetail: string }
  const auditValues = (row: AuditRow): AuditValues => ({
    auditType: row.type, auditUserId: row.userId, auditActorId: row.actorId, auditIp: row.ip, auditUserAgent: row.userAgent, auditDetail: row.detail
  })
  /** A login's event, its row made from its session's (`started`). */
  const auditFrom = (v: AuditValues & { now: Date }) => (eb: ExpressionBuilder<any, any>) => eb.selectFrom('started').select([
    eb.val(v.auditType).as('type'), asInteger(v.auditUserId).as('userId'), asInteger(v.auditActorId).as('actorId'), 'started.sessionId as sessionId',
    eb.val(v.auditIp).as('ip'), eb.val(v.auditUserAgent).as('userAgent'), eb.val(v.auditDetail).as('detail'), asTimestamp(v.now).as('createdAt')
  ])
  const AUDIT_COLUMNS = ['type', 'userId', 'actorId', 'sessionId', 'ip', 'userAgent', 'detail', 'createdAt'] as const
  const TOKEN_COLUMNS = ['id', 'sessionId', 'tokenHash', 'parentId', 'createdAt', 'expiresAt'] as const
  interface StartValues extends AuditValues {
    sessionId: string, userId: number, refreshPolicy: string, userAgent: string | null, ip: string | null, now: Date, expiresAt: Date
    tokenId: string, tokenHash: string, tokenExpiresAt: Date
  }
  const startInOneStatement = prepare((v: StartValues) => db
    .with('started', (qc) => qc.insertInto('sessions').values({
      id: v.sessionId, userId: v.userId, refreshPolicy: v.refreshPolicy, userAgent: v.userAgent, ip: v.ip,
      createdAt: v.now, lastUsedAt: v.now, expiresAt: v.expiresAt, endedAt: null
    }).returning('id as sessionId'))
    .with('token', (qc) => qc.insertInto('refreshTokens').columns(TOKEN_COLUMNS).expression((eb) => eb.selectFrom('started').select([
      eb.val(v.tokenId).as('id'), 'started.sessionId as sessionId', eb.val(v.tokenHash).as('tokenHash'),
      sql<null>`null`.as('parentId'), asTimestamp(v.now).as('createdAt'), asTimestamp(v.tokenExpiresAt).as('expiresAt')
    ])))
    .insertInto('auditEvents').columns(AUDIT_COLUMNS).expression(auditFrom(v)))
  /**
   * The rotations of one batch (storage/batching.ts) in one statement: one
   * row of parameters per rotation, unnested, and for each the same
   * compare-and-set (see retire), successor, touch and event as a rotation
   * alone, with the lookup of the token as presented. Of two rotations of one
   * token in a batch, one retires it (PostgreSQL updates a row once per
   * statement) and only its successor is written. Rows come back with their
   * rotation's ordinal (`n`, from 1). One statement sets up its plan, commits
   * and flushes the WAL once for the batch: PostgreSQL's CPU a rotation fell
   * from ≈ 510 to ≈ 150 µs and the gateway's from ≈ 500 to ≈ 200 µs.
   *
   * The limit (always the number of rows) is for the planner: in the plan it
   * keeps for a named statement it cannot know how many rows a parameter
   * holds, guesses 10, and on a table still small (a new install) then plans
   * a hash join over a scan of the whole table, which it keeps as the table
   * grows. A limit it cannot read makes it guess a tenth of that, one row,
   * and plan the lookups by index, as for a rotation alone.
   */
  const rotateInOneStatement = prepare((v: RotateColumns) => ({
    compile: () => sql<TokenInSessionRow & { n: string, rotated: boolean }>`with input as (
        select * from unnest(
          cast(${v.tokenHashes} as text[]), cast(${v.successorIds} as text[]), cast(${v.successorHashes} as text[]),
          cast(${v.successorExpiresAts} as timestamp(3)[]), cast(${v.nows} as timestamp(3)[]), cast(${v.idleBefores} as timestamp(3)[]),
          cast(${v.auditTypes} as text[]), cast(${v.auditActorIds} as integer[]), cast(${v.auditIps} as text[]),
          cast(${v.auditUserAgents} as text[]), cast(${v.auditDetails} as text[])
        ) with ordinality as i (presented_hash, successor_id, successor_hash, successor_expires_at, now, idle_before, audit_type, audit_actor_id, audit_ip, audit_user_agent, audit_detail, n)
        limit cardinality(cast(${v.tokenHashes} as text[]))
      ),
      retired as (${retire(db, { tokenHash: sql.ref('i.presentedHash'), now: sql.ref('i.now'), idleBefore: sql.ref('i.idleBefore') })
        .from(sql`input`.as('i'))
        .returning([sql<string>`i.n`.as('n'), 'refreshTokens.id as parentId', 'refreshTokens.sessionId'])}),
      touched as (
        update sessions as s set last_used_at = r.now
        from (select retired.session_id, max(input.now) as now from retired inner join input on input.n = retired.n group by retired.session_id) as r
        where s.id = r.session_id
        returning s.id as session_id, s.user_id, s.expires_at
      ),
      successor as (
        insert into refresh_tokens (id, session_id, token_hash, parent_id, created_at, expires_at)
        select i.successor_id, r.session_id, i.successor_hash, r.parent_id, i.now, least(i.successor_expires_at, s.expires_at)
        from retired as r inner join input as i on i.n = r.n inner join touched as s on s.session_id = r.session_id
        returning parent_id
      ),
      recorded as (
        insert into audit_events (type, user_id, actor_id, session_id, ip, user_agent, detail, created_at)
        select i.audit_type, s.user_id, i.audit_actor_id, r.session_id, i.audit_ip, i.audit_user_agent, i.audit_detail, i.now
        from retired as r inner join input as i on i.n = r.n inner join touched as s on s.session_id = r.session_id
      )
      -- Every part of one statement reads the database as it was before it: these are the tokens as presented.
      select i.n, t.id as t_id, t.token_hash, t.parent_id, t.created_at as t_created_at, t.expires_at as t_expires_at, t.retired_at,
        s.id, s.user_id, s.refresh_policy, s.user_agent, s.ip, s.created_at, s.last_used_at, s.expires_at, s.ended_at,
        u.id as u_id, u.username as u_username, u.email as u_email, u.role as u_role, u.tenant_id as u_tenant_id, u.disabled as u_disabled,
        exists (select from retired where retired.n = i.n) and exists (select from successor where successor.parent_id = t.id) as rotated
      from input as i
      inner join refresh_tokens as t on t.token_hash = i.presented_hash
      inner join sessions as s on s.id = t.session_id
      inner join users as u on u.id = s.user_id`.compile(db)
  }))
  /** Rotations on PostgreSQL, each joining the batch of whatever else is rotating. */
  const rotateShared = batching(async (rotations: RotateValues[]) => {
    const column = <T> (of: (r: RotateValues) => T): T[] => rotations.map(of)
    const { rows } = await rotateInOneStatement.execute(run, {
      tokenHashes: column(r => r.tokenHash),
      successorIds: column(r => r.id),
      successorHashes: column(r => r.successorHash),
      successorExpiresAts: column(r => r.expiresAt.toISOString()),
      nows: column(r => r.now.toISOString()),
      idleBefores: column(r => r.idleBefore.toISOString()),
      auditTypes: column(r => r.audit.type),
      auditActorIds: column(r => r.audit.actorId),
      auditIps: column(r => r.audit.ip),
      auditUserAgents: column(r => r.audit.userAgent),
      auditDetails: column(r => r.audit.detail)
    })
    const byOrdinal = new Map(rows.map(row => [Number(row.n), row]))
    return rotations.map((_, i) => byOrdinal.get(i + 1))
  }, SHARED_ROTATIONS)

  /** Marks a live session used now; false when it is not live (any more). */
  async function touch (runner: QueryRunner, sessionId: string, { now, idleBefore = NEVER }: Liveness): Promise<boolean> {
    return (await touchLive.execute(runner, { sessionId, now, idleBefore })).numAffectedRows === 1n
  }

  return {
    /** Inserts a session, its first refresh token (none for sliding sessions) and the event of its start, in one transaction. */
    async start (session: NewSession, token: NewRefreshToken | null, audit: AuditRecord, now: Date): Promise<void> {
      if (provider === 'postgresql' && token !== null) {
        await startInOneStatement.execute(run, {
          sessionId: session.id, userId: session.userId, refreshPolicy: session.refreshPolicy, userAgent: session.userAgent ?? null, ip: session.ip ?? null,
          now, expiresAt: new Date(session.expiresAt), tokenId: token.id, tokenHash: token.tokenHash,
          tokenExpiresAt: new Date(token.expiresAt), ...auditValues(auditRow(audit, now))
        })
        return
      }
      await transaction(async (tx) => {
        await insertSession.execute(tx, { userAgent: null, ip: null, endedAt: null, ...session } as Required<NewSession>)
        if (token !== null) await insertToken.execute(tx, token)
        await insertAudit.execute(tx, auditRow(audit, now))
      })
    },

    /** The refresh token with this hash, its session and the session's user. */
    async findByTokenHash (tokenHash: string): Promise<TokenInSession | null> {
      const [row] = (await tokenByHash.execute(run, { tokenHash })).rows
      return row === undefined ? null : foundOf(row)
    },

    /** A session and its user. */
    async findSession (sessionId: string): Promise<{ session: StoredSession, user: SessionUser } | null> {
      const [row] = (await sessionById.execute(run, { sessionId })).rows
      return row === undefined ? null : { session: sessionOf(row), user: userOf(row) }
    },

    /**
     * Rotates the token with `tokenHash`: retires it (the compare-and-set,
     * see retire), inserts its successor, marks the session used and
     * records the event, atomically; on PostgreSQL in one statement, lookup
     * included. Returns the token as it was found and whether it rotated: of
     * concurrent rotations of one token exactly one does; a token that may
     * not rotate changes nothing.
     */
    async rotate ({ tokenHash, successor, liveness, audit }: Rotation): Promise<{ found: TokenInSession | null, rotated: boolean }> {
      const { now, idleBefore = NEVER } = liveness
      const retiring = { tokenHash, now, idleBefore }
      if (provider === 'postgresql') {
        const row = await rotateShared({ ...retiring, id: successor.id, successorHash: successor.tokenHash, expiresAt: successor.expiresAt, audit: auditRow(audit, now) })
        return row === undefined ? { found: null, rotated: false } : { found: foundOf(row), rotated: Boolean(row.rotated) }
      }
      const found = await this.findByTokenHash(tokenHash)
      if (found === null) return { found, rotated: false }
      const { session } = found
      const rotated = await transaction(async (tx) => {
        if ((await retireOne.execute(tx, retiring)).numAffectedRows !== 1n) return false
        await touch(tx, session.id, liveness)
        await insertToken.execute(tx, {
          id: successor.id, sessionId: session.id, tokenHash: successor.tokenHash, parentId: found.token.id, createdAt: now,
          expiresAt: new Date(Math.min(successor.expiresAt.getTime(), session.expiresAt.getTime()))
        })
        await insertAudit.execute(tx, auditRow({ ...audit, userId: session.userId, sessionId: session.id }, now))
        return true
      })
      return { found, rotated }
    },

    /**
     * The key named `name`: the one stored, or `candidate`, stored now, when
     * there is none yet. Of instances asking at once, the first to store
     * one wins and all get it.
     */
    async gatewayKey (name: string, candidate: string, now: Date): Promise<string> {
      await db.insertInto('gatewayKeys').values({ name, value: candidate, createdAt: now }).onConflict((oc) => oc.column('name').doNothing()).execute()
      const { value } = await db.selectFrom('gatewayKeys').select('value').where('name', '=', name).executeTakeFirstOrThrow()
      return value
    },

    /** Marks a live session used now; false when it is not live (any more). */
    touch: (sessionId: string, liveness: Liveness): Promise<boolean> => touch(run, sessionId, liveness),

    /**
     * Ends live sessions of a user: marks them ended and records their
     * revocations and one event, with the change to the user that ends them
     * if any, in one transaction. Returns the ids ended, or null, with
     * nothing written, when the user to change is gone (deleted since the
     * caller read it).
     */
    async end ({ userId, sessionIds, exceptSessionId, now, revokeUntil, audit, userChange }: EndSessions): Promise<string[] | null> {
      if (sessionIds?.length === 0 && userChange === undefined) return []
      try {
        return await db.transaction().execute(async (tx) => {
          if (userChange !== undefined && userChange !== 'delete') {
            const { numUpdatedRows } = await tx.updateTable('users').set({ ...userChange, updatedAt: now }).where('id', '=', userId).executeTakeFirst()
            if (numUpdatedRows !== 1n) throw new UserGone()
          }
          let update = tx.updateTable('sessions').set({ endedAt: now }).where('userId', '=', userId).where('endedAt', 'is', null)
          if (sessionIds !== undefined) update = update.where('id', 'in', sessionIds)
          if (exceptSessionId !== undefined) update = update.where('id', '!=', exceptSessionId)
          const ended = (await update.returning('id').execute()).map(r => r.id)
          if (ended.length > 0) await insertRevocations.execute(tx, { userId, now, expiresAt: revokeUntil })
          await insertAudit.execute(tx, auditRow(audit(ended), now))
          // Last: its sessions and their refresh tokens go with it; the revocations stay until its access tokens expire.
          if (userChange === 'delete') {
            const { numDeletedRows } = await tx.deleteFrom('users').where('id', '=', userId).executeTakeFirst()
            if (numDeletedRows !== 1n) throw new UserGone()
          }
          return ended
        })
      } catch (err) {
        if (err instanceof UserGone) return null
        throw err
      }
    },

    /**
     * The user's sessions live at `now`, oldest first. A sliding session
     * lives while its last access token does; the others while they have a
     * refresh token that is neither retired nor expired.
     */
    listLive: async (userId: number, { now, idleBefore }: Liveness, slidingUsedAfter: Date): Promise<StoredSession[]> =>
      await prisma.session.findMany({
        where: {
          userId,
          endedAt: null,
          expiresAt: { gt: now },
          ...(idleBefore !== undefined ? { lastUsedAt: { gt: idleBefore } } : {}),
          OR: [
            { refreshPolicy: 'sliding', lastUsedAt: { gt: slidingUsedAfter } },
            { refreshTokens: { some: { retiredAt: null, expiresAt: { gt: now } } } }
          ]
        },
        orderBy: { createdAt: 'asc' }
      })
  }
}

/**
 * Rotations on PostgreSQL: two statements under way at once, each of up to
 * 64 rotations. With one, rotations a second were the same on this project's
 * benchmark machine, but a statement held up (say, by a row lock of another
 * instance's) would hold up every other. A batch that fails on its data
 * (SQLSTATE classes 22 and 23) is run again one rotation at a time.
 */
const SHARED_ROTATIONS = {
  concurrency: 2,
  maxSize: 64,
  retryAlone: (err: unknown) => /^2[23]/.test(String((err as { code?: unknown } | null)?.code))
}

/** Rolls back a change to a user that another request deleted meanwhile. */
class UserGone extends Error {}

/** An idle cut-off no session is older than: no idle timeout. */
const NEVER = new Date(0)

export type SessionsStore = ReturnType<typeof createSessionsStore>
