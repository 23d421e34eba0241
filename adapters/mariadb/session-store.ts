import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer } from "effect"
import { SessionNotFound } from "../../core/signing/errors.js"
import { Session, SESSION_STATUSES, type SessionStatus, TERMINAL_STATUSES } from "../../core/signing/model.js"
import { type SessionFilter, SessionStore } from "../../ports/session-store.js"
import { jsonColumn, storeOps, toNumber } from "./sql.js"

const body = jsonColumn(Session)
const TERMINAL = Array.from(TERMINAL_STATUSES)

const columns = (s: Session) => ({
  user_pubkey: s.user_pubkey,
  status: s.status,
  created_at: s.created_at,
  expires_at: s.expires_at,
  body: body.encode(s)
})

/**
 * Sessions as rows: the aggregate (challenge and ceremony inside) as JSON,
 * with the columns the queries need. `modify` is a transaction holding the
 * row lock (`SELECT … FOR UPDATE`) across read, decision and write, so two
 * replicas answering the same challenge are serialized and one of them loses.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "SessionStore")
  const decodeRows = (rows: ReadonlyArray<{ readonly body: unknown }>) => Effect.forEach(rows, (r) => body.decode(r.body))

  return SessionStore.of({
    insert: (session) =>
      sql`INSERT INTO sessions ${sql.insert({ session_id: session.session_id, ...columns(session) })}`.pipe(
        Effect.asVoid,
        ops.run("insert")
      ),

    get: (sessionId) =>
      sql<{ body: unknown }>`SELECT body FROM sessions WHERE session_id = ${sessionId}`.pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(body.decode(rows[0]!.body))),
        ops.run("get")
      ),

    modify: <A, E>(sessionId: string, decide: (current: Session) => Either.Either<readonly [Session, A], E>) =>
      ops.transaction(
        "modify",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM sessions WHERE session_id = ${sessionId} FOR UPDATE`.pipe(ops.run("modify"))
          if (rows.length === 0) return yield* new SessionNotFound({ session_id: sessionId })
          const current = yield* body.decode(rows[0]!.body).pipe(ops.run("modify"))
          const [next, a] = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
          yield* sql`UPDATE sessions SET ${sql.update(columns(next))} WHERE session_id = ${sessionId}`.pipe(ops.run("modify"))
          return a
        })
      ),

    list: (filter: SessionFilter) =>
      sql<{ body: unknown }>`SELECT body FROM sessions WHERE ${
        sql.and([
          ...(filter.user_pubkey === undefined ? [] : [sql`user_pubkey = ${filter.user_pubkey}`]),
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`])
        ])
      } ORDER BY created_at DESC, session_id ASC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap(decodeRows),
        ops.run("list")
      ),

    listSweepable: (now) =>
      sql<{ body: unknown }>`SELECT body FROM sessions
        WHERE status = 'signing' OR (NOT ${sql.in("status", TERMINAL)} AND expires_at <= ${now})`.pipe(
        Effect.flatMap(decodeRows),
        ops.run("listSweepable")
      ),

    countByStatus: () =>
      sql<{ status: SessionStatus; n: unknown }>`SELECT status, COUNT(*) AS n FROM sessions GROUP BY status`.pipe(
        Effect.map((rows) => {
          const counts = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>
          for (const r of rows) counts[r.status] = toNumber(r.n)
          return counts
        }),
        ops.run("countByStatus")
      )
  })
})

export const layer = Layer.effect(SessionStore, make)
