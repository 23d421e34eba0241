import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer } from "effect"
import { ClearingNotFound, PaymentAlreadyUsed } from "../../core/clearing/errors.js"
import { ClearingRequest, packetId } from "../../core/clearing/model.js"
import { type ClearingFilter, ClearingStore } from "../../ports/clearing-store.js"
import { isDuplicateKey, jsonColumn, storeOps } from "./sql.js"

const body = jsonColumn(ClearingRequest)

const columns = (r: ClearingRequest) => ({
  user_id: r.user_id,
  status: r.status,
  created_at: r.created_at,
  payment_tx_hash: r.payment?.tx_hash ?? null,
  body: body.encode(r)
})

/**
 * Clearing requests in MariaDB. A unique key on the payment tx hash is what
 * makes one payment pay for one request, across every replica: a write that
 * would give a second request the same hash fails with PaymentAlreadyUsed
 * and the transaction writes nothing. Quota checks lock the user's row, so a
 * burst of inserts is admitted one at a time.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "ClearingStore")
  const decodeAll = (rows: ReadonlyArray<{ readonly body: unknown }>) => Effect.forEach(rows, (r) => body.decode(r.body))
  const one = (rows: ReadonlyArray<{ readonly body: unknown }>) =>
    rows.length === 0 ? Effect.succeedNone : Effect.asSome(body.decode(rows[0]!.body))

  return ClearingStore.of({
    insert: <A, E>(request: ClearingRequest, windowStart: number, admit: (recent: ReadonlyArray<ClearingRequest>) => Either.Either<A, E>) =>
      sql`INSERT IGNORE INTO clearing_users (user_id) VALUES (${request.user_id})`.pipe(
        ops.run("insert"),
        Effect.zipRight(ops.transaction(
          "insert",
          Effect.gen(function*() {
            yield* sql`SELECT user_id FROM clearing_users WHERE user_id = ${request.user_id} FOR UPDATE`.pipe(ops.run("insert"))
            const recent = yield* sql<{ body: unknown }>`SELECT body FROM clearing_requests
              WHERE user_id = ${request.user_id} AND created_at >= ${windowStart} ORDER BY created_at, token`.pipe(
              Effect.flatMap(decodeAll),
              ops.run("insert")
            )
            const a = yield* Either.match(admit(recent), { onLeft: Effect.fail, onRight: Effect.succeed })
            yield* Effect.gen(function*() {
              yield* sql`INSERT INTO clearing_requests ${sql.insert({ token: request.token, ...columns(request) })}`
              if (request.packets.length > 0) {
                yield* sql`INSERT IGNORE INTO clearing_request_packets ${
                  sql.insert(request.packets.map((p) => ({ token: request.token, packet_id: packetId(p) })))
                }`
              }
            }).pipe(ops.run("insert"))
            return a
          })
        ))
      ),

    get: (token) =>
      sql<{ body: unknown }>`SELECT body FROM clearing_requests WHERE token = ${token}`.pipe(Effect.flatMap(one), ops.run("get")),

    modify: <A, E>(token: string, decide: (current: ClearingRequest) => Either.Either<readonly [ClearingRequest, A], E>) =>
      ops.transaction(
        "modify",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM clearing_requests WHERE token = ${token} FOR UPDATE`.pipe(
            ops.run("modify")
          )
          if (rows.length === 0) return yield* new ClearingNotFound({ token })
          const current = yield* body.decode(rows[0]!.body).pipe(ops.run("modify"))
          const [next, a] = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
          const hash = next.payment?.tx_hash
          if (hash !== undefined) {
            const owners = yield* sql<{ token: string }>`SELECT token FROM clearing_requests WHERE payment_tx_hash = ${hash}`.pipe(
              ops.run("modify")
            )
            if (owners.some((o) => o.token !== token)) return yield* new PaymentAlreadyUsed({ tx_hash: hash })
          }
          yield* sql`UPDATE clearing_requests SET ${sql.update(columns(next))} WHERE token = ${token}`.pipe(
            Effect.catchIf(isDuplicateKey, () => Effect.fail(new PaymentAlreadyUsed({ tx_hash: hash ?? "" }))),
            Effect.catchTag("SqlError", (e) => Effect.fail(ops.fail("modify")(e)))
          )
          return a
        })
      ),

    list: (filter: ClearingFilter) =>
      sql<{ body: unknown }>`SELECT r.body FROM clearing_requests r WHERE ${
        sql.and([
          ...(filter.user_id === undefined ? [] : [sql`r.user_id = ${filter.user_id}`]),
          ...(filter.statuses === undefined ? [] : [filter.statuses.length === 0 ? sql`1 = 0` : sql.in("r.status", filter.statuses)]),
          ...(filter.packet_id === undefined
            ? []
            : [sql`EXISTS (SELECT 1 FROM clearing_request_packets p WHERE p.token = r.token AND p.packet_id = ${filter.packet_id})`])
        ])
      } ORDER BY r.created_at DESC, r.token ASC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap(decodeAll),
        ops.run("list")
      ),

    findByPaymentTx: (txHash) =>
      sql<{ body: unknown }>`SELECT body FROM clearing_requests WHERE payment_tx_hash = ${txHash}`.pipe(
        Effect.flatMap(one),
        ops.run("findByPaymentTx")
      )
  })
})

export const layer = Layer.effect(ClearingStore, make)
