import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer } from "effect"
import { TransactionExists, TransactionNotFound } from "../../core/transactions/errors.js"
import { Transaction } from "../../core/transactions/model.js"
import { type TransactionFilter, TransactionStore } from "../../ports/transaction-store.js"
import { isDuplicateKey, jsonColumn, storeOps } from "./sql.js"

const body = jsonColumn(Transaction)

const columns = (t: Transaction) => ({
  session_id: t.session_id,
  status: t.status,
  sender_pubkey: t.sender_pubkey,
  recipient_pubkey: t.recipient_pubkey,
  created_at: t.created_at,
  body: body.encode(t)
})

/**
 * Ark transactions by txid, with a unique key on the session id: one
 * transaction per signing session, whichever replica prepares it.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "TransactionStore")
  const one = (rows: ReadonlyArray<{ readonly body: unknown }>) =>
    rows.length === 0 ? Effect.succeedNone : Effect.asSome(body.decode(rows[0]!.body))

  return TransactionStore.of({
    insert: (tx) =>
      sql`INSERT INTO ark_transactions ${sql.insert({ txid: tx.txid, ...columns(tx) })}`.pipe(
        Effect.asVoid,
        Effect.catchIf(isDuplicateKey, () =>
          sql<{ txid: string }>`SELECT txid FROM ark_transactions WHERE txid = ${tx.txid} OR session_id = ${tx.session_id}
            ORDER BY txid = ${tx.txid} DESC LIMIT 1`.pipe(
            Effect.flatMap((rows) => Effect.fail(new TransactionExists({ txid: rows[0]?.txid ?? tx.txid })))
          )),
        Effect.catchTag("SqlError", (e) => Effect.fail(ops.fail("insert")(e))),
        Effect.withSpan("TransactionStore.insert")
      ),

    get: (txid) =>
      sql<{ body: unknown }>`SELECT body FROM ark_transactions WHERE txid = ${txid}`.pipe(Effect.flatMap(one), ops.run("get")),

    findBySession: (sessionId) =>
      sql<{ body: unknown }>`SELECT body FROM ark_transactions WHERE session_id = ${sessionId}`.pipe(
        Effect.flatMap(one),
        ops.run("findBySession")
      ),

    modify: <A, E>(txid: string, decide: (current: Transaction) => Either.Either<readonly [Transaction, A], E>) =>
      ops.transaction(
        "modify",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM ark_transactions WHERE txid = ${txid} FOR UPDATE`.pipe(
            ops.run("modify")
          )
          if (rows.length === 0) return yield* new TransactionNotFound({ txid })
          const current = yield* body.decode(rows[0]!.body).pipe(ops.run("modify"))
          const [next, a] = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
          yield* sql`UPDATE ark_transactions SET ${sql.update(columns(next))} WHERE txid = ${txid}`.pipe(ops.run("modify"))
          return a
        })
      ),

    list: (filter: TransactionFilter) =>
      sql<{ body: unknown }>`SELECT body FROM ark_transactions WHERE ${
        sql.and([
          ...(filter.user_pubkey === undefined
            ? []
            : [sql`(sender_pubkey = ${filter.user_pubkey} OR recipient_pubkey = ${filter.user_pubkey})`]),
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`])
        ])
      } ORDER BY created_at DESC, seq DESC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => body.decode(r.body))),
        ops.run("list")
      )
  })
})

export const layer = Layer.effect(TransactionStore, make)
