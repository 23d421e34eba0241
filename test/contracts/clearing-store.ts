import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { ClearingStore } from "../../ports/clearing-store.js"
import { sampleRequest, T0 } from "../support/clearing.js"

const paid = (hash: string) => ({ tx_hash: hash, amount: 1n, denom: "uosmo", height: 1, verified_at: T0 })

/** The behaviour every ClearingStore adapter must have; each adapter's test calls this. */
export const clearingStoreContract = (name: string, layer: Layer.Layer<ClearingStore, StoreUnavailable>) =>
  describe(`ClearingStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, ClearingStore>) => Effect.provide(effect, layer)
    const admitAll = () => Either.right("in" as const)

    it.effect("returns what was inserted, by token and by packet", () =>
      run(Effect.gen(function*() {
        const store = yield* ClearingStore
        const r = sampleRequest()
        expect(yield* store.insert(r, 0, admitAll)).toBe("in")
        expect(yield* store.get(r.token)).toEqual(Option.some(r))
        expect(Option.isNone(yield* store.get("clr_missing"))).toBe(true)
        const byPacket = yield* store.list({ packet_id: `osmosis-1-channel-750-${r.packets[0]!.sequence}` })
        expect(byPacket.map((x) => x.token)).toEqual([r.token])
      })))

    it.effect("gives admission the user's requests inside the window and inserts nothing when refused", () =>
      run(Effect.gen(function*() {
        const store = yield* ClearingStore
        const user = `usr_${Math.random()}`
        const old = sampleRequest({ user_id: user, created_at: T0 })
        const recent = sampleRequest({ user_id: user, created_at: T0 + 5_000 })
        yield* store.insert(old, 0, admitAll)
        yield* store.insert(recent, 0, admitAll)
        yield* store.insert(sampleRequest({ created_at: T0 + 6_000 }), 0, admitAll)
        const seen = yield* store.insert(sampleRequest({ user_id: user }), T0 + 1_000, (xs) => Either.right(xs.map((x) => x.token)))
        expect(seen).toEqual([recent.token])
        const refused = sampleRequest({ user_id: user })
        expect(yield* Effect.flip(store.insert(refused, 0, () => Either.left("full" as const)))).toBe("full")
        expect(Option.isNone(yield* store.get(refused.token))).toBe(true)
      })))

    it.effect("concurrent inserts cannot exceed a quota", () =>
      run(Effect.gen(function*() {
        const store = yield* ClearingStore
        const user = `usr_${Math.random()}`
        const attempt = () =>
          store.insert(sampleRequest({ user_id: user }), 0, (xs) => (xs.length < 10 ? Either.right(true) : Either.left(false)))
        const results = yield* Effect.all(Array.from({ length: 30 }, () => Effect.either(attempt())), { concurrency: "unbounded" })
        expect(results.filter(Either.isRight)).toHaveLength(10)
      })))

    it.effect("modify writes the decision, or nothing and its error", () =>
      run(Effect.gen(function*() {
        const store = yield* ClearingStore
        const r = sampleRequest()
        yield* store.insert(r, 0, admitAll)
        expect(yield* store.modify(r.token, (cur) => Either.right([{ ...cur, status: "awaiting_payment" as const }, 1] as const))).toBe(1)
        expect(yield* Effect.flip(store.modify(r.token, () => Either.left("no" as const)))).toBe("no")
        expect(Option.getOrThrow(yield* store.get(r.token)).status).toBe("awaiting_payment")
        const missing = yield* Effect.flip(store.modify("clr_missing", (cur) => Either.right([cur, 1] as const)))
        expect(missing).toMatchObject({ _tag: "ClearingNotFound", token: "clr_missing" })
      })))

    it.effect("a payment tx hash belongs to one request only, even under concurrency", () =>
      run(Effect.gen(function*() {
        const store = yield* ClearingStore
        const hash = `HASH${Math.random()}`
        const rs = Array.from({ length: 8 }, () => sampleRequest({ status: "awaiting_payment" }))
        for (const r of rs) yield* store.insert(r, 0, admitAll)
        const pay = (token: string) =>
          store.modify(token, (cur) => Either.right([{ ...cur, status: "paid" as const, payment: paid(hash) }, token] as const))
        const results = yield* Effect.all(rs.map((r) => Effect.either(pay(r.token))), { concurrency: "unbounded" })
        const winners = results.filter(Either.isRight)
        expect(winners).toHaveLength(1)
        for (const l of results.filter(Either.isLeft)) expect(l.left).toMatchObject({ _tag: "PaymentAlreadyUsed", tx_hash: hash })
        const owner = Option.getOrThrow(yield* store.findByPaymentTx(hash))
        expect(owner.token).toBe(winners[0]!.right)
        const loser = rs.find((r) => r.token !== owner.token)!
        expect(Option.getOrThrow(yield* store.get(loser.token)).payment).toBeNull()
        // The owner writing its own payment again is fine.
        yield* store.modify(owner.token, (cur) => Either.right([{ ...cur, updated_at: cur.updated_at + 1 }, null] as const))
      })))

    it.effect("lists by user and status, newest first", () =>
      run(Effect.gen(function*() {
        const store = yield* ClearingStore
        const user = `usr_${Math.random()}`
        const a = sampleRequest({ user_id: user, created_at: 1 })
        const b = sampleRequest({ user_id: user, created_at: 2, status: "cleared" })
        for (const r of [a, b]) yield* store.insert(r, 0, admitAll)
        expect((yield* store.list({ user_id: user })).map((r) => r.token)).toEqual([b.token, a.token])
        expect((yield* store.list({ user_id: user, statuses: ["cleared"] })).map((r) => r.token)).toEqual([b.token])
        expect(yield* store.list({ user_id: user, limit: 1 })).toHaveLength(1)
      })))
  })
