import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import type { Transaction } from "../../core/transactions/model.js"
import { TransactionStore } from "../../ports/transaction-store.js"

let seq = 0
const tx = (overrides: Partial<Transaction> = {}): Transaction => {
  seq++
  return {
    txid: seq.toString(16).padStart(64, "0"),
    session_id: `s-${seq}`,
    tx_type: "p2p_transfer",
    status: "prepared",
    sender_pubkey: "aa".repeat(32),
    recipient_pubkey: "bb".repeat(32),
    asset_id: "BTC",
    amount_sats: 10_000n,
    fee_sats: 0n,
    raw_tx: "cHNidP8=",
    confirmations: 0,
    created_at: seq,
    updated_at: seq,
    broadcast_at: null,
    confirmed_at: null,
    failure_reason: null,
    ...overrides
  }
}

/** The behaviour every TransactionStore adapter must have; each adapter's test calls this. */
export const transactionStoreContract = (name: string, layer: Layer.Layer<TransactionStore, StoreUnavailable>) =>
  describe(`TransactionStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, TransactionStore>) => Effect.provide(effect, layer)

    it.effect("one transaction per txid and per session", () =>
      run(Effect.gen(function*() {
        const store = yield* TransactionStore
        const a = tx({ amount_sats: 9007199254740991n })
        yield* store.insert(a)
        expect(yield* store.get(a.txid)).toEqual(Option.some(a))
        expect(yield* store.findBySession(a.session_id)).toEqual(Option.some(a))
        expect((yield* store.insert({ ...a, session_id: "other" }).pipe(Effect.flip))._tag).toBe("TransactionExists")
        expect((yield* store.insert({ ...tx(), session_id: a.session_id }).pipe(Effect.flip))._tag).toBe("TransactionExists")
        expect(Option.isNone(yield* store.findBySession("nope"))).toBe(true)
      })))

    it.effect("modify is atomic: a one-shot transition wins once", () =>
      run(Effect.gen(function*() {
        const store = yield* TransactionStore
        const a = tx()
        yield* store.insert(a)
        const once = store.modify(a.txid, (c) =>
          c.status === "prepared" ? Either.right([{ ...c, status: "broadcast" as const }, true] as const) : Either.left("done" as const))
        const results = yield* Effect.all(Array.from({ length: 20 }, () => Effect.either(once)), { concurrency: "unbounded" })
        expect(results.filter(Either.isRight)).toHaveLength(1)
        expect((yield* store.modify("ff".repeat(32), (c) => Either.right([c, 1] as const)).pipe(Effect.flip))._tag).toBe("TransactionNotFound")
      })))

    it.effect("lists what a user sent or received, newest first, by status, with a limit", () =>
      run(Effect.gen(function*() {
        const store = yield* TransactionStore
        const user = "cc".repeat(32)
        const sent = tx({ sender_pubkey: user })
        const received = tx({ recipient_pubkey: user, status: "broadcast" })
        yield* store.insert(sent)
        yield* store.insert(received)
        yield* store.insert(tx())
        expect((yield* store.list({ user_pubkey: user })).map((t) => t.txid)).toEqual([received.txid, sent.txid])
        expect((yield* store.list({ user_pubkey: user, status: "broadcast" })).map((t) => t.txid)).toEqual([received.txid])
        expect(yield* store.list({ user_pubkey: user, limit: 1 })).toHaveLength(1)
      })))
  })
