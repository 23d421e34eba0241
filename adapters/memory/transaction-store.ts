import { Effect, Either, Layer, Option } from "effect"
import { TransactionExists, TransactionNotFound } from "../../core/transactions/errors.js"
import type { Transaction } from "../../core/transactions/model.js"
import { type TransactionFilter, TransactionStore } from "../../ports/transaction-store.js"

const matches = (f: TransactionFilter) => (t: Transaction) =>
  (f.user_pubkey === undefined || t.sender_pubkey === f.user_pubkey || t.recipient_pubkey === f.user_pubkey) &&
  (f.status === undefined || t.status === f.status)

/** Transactions in process memory; each operation is one synchronous block, hence atomic. */
export const make = Effect.sync(() => {
  const byTxid = new Map<string, Transaction>()
  const bySession = new Map<string, string>()
  const order = new Map<string, number>()
  let seq = 0

  return TransactionStore.of({
    insert: (tx) =>
      Effect.suspend(() => {
        const clash = byTxid.get(tx.txid) ?? byTxid.get(bySession.get(tx.session_id) ?? "")
        if (clash !== undefined) return Effect.fail(new TransactionExists({ txid: clash.txid }))
        byTxid.set(tx.txid, tx)
        bySession.set(tx.session_id, tx.txid)
        order.set(tx.txid, ++seq)
        return Effect.void
      }).pipe(Effect.withSpan("TransactionStore.insert")),

    get: (txid) => Effect.sync(() => Option.fromNullable(byTxid.get(txid))).pipe(Effect.withSpan("TransactionStore.get")),

    findBySession: (sessionId) =>
      Effect.sync(() => Option.fromNullable(byTxid.get(bySession.get(sessionId) ?? ""))).pipe(Effect.withSpan("TransactionStore.findBySession")),

    modify: <A, E>(txid: string, decide: (current: Transaction) => Either.Either<readonly [Transaction, A], E>) =>
      Effect.suspend((): Effect.Effect<A, E | TransactionNotFound> => {
        const current = byTxid.get(txid)
        if (current === undefined) return Effect.fail(new TransactionNotFound({ txid }))
        return Either.match(decide(current), {
          onLeft: Effect.fail,
          onRight: ([next, a]) => {
            byTxid.set(txid, next)
            return Effect.succeed(a)
          }
        })
      }).pipe(Effect.withSpan("TransactionStore.modify")),

    list: (filter) =>
      Effect.sync(() => {
        const all = Array.from(byTxid.values())
          .filter(matches(filter))
          .sort((a, b) => b.created_at - a.created_at || order.get(b.txid)! - order.get(a.txid)!)
        return filter.limit === undefined ? all : all.slice(0, filter.limit)
      }).pipe(Effect.withSpan("TransactionStore.list"))
  })
})

export const layer = Layer.effect(TransactionStore, make)
