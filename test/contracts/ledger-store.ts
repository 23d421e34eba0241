import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import * as Machine from "../../core/ledger/machine.js"
import { type Asset, availableOf, ISSUANCE, reservedOf } from "../../core/ledger/model.js"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { LedgerStore } from "../../ports/ledger-store.js"

let seq = 0
const asset = (overrides: Partial<Asset> = {}): Asset => ({
  asset_id: `A${++seq}`,
  name: "Test",
  ticker: "TST",
  asset_type: "normal",
  decimal_places: 8,
  total_supply: 0n,
  circulating_supply: 0n,
  is_active: true,
  created_at: seq,
  ...overrides
})

const alice = "aa".repeat(32)
const bob = "bb".repeat(32)

/** The behaviour every LedgerStore adapter must have; each adapter's test calls this. */
export const ledgerStoreContract = (name: string, layer: Layer.Layer<LedgerStore, StoreUnavailable>) =>
  describe(`LedgerStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, LedgerStore>) => Effect.provide(effect, layer)

    const exec = (a: Asset, c: Machine.LedgerCommand) =>
      Effect.flatMap(LedgerStore, (store) =>
        store.commit(
          { entry_id: Machine.entryIdOf(c), asset_id: a.asset_id, accounts: Machine.accountsOf(c), hold_id: Machine.holdIdOf(c) },
          (s) => Machine.decide(c, s, 1)
        ))

    it.effect("stores assets once and lists them", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset({ total_supply: 9007199254740991n })
        yield* store.insertAsset(a)
        expect(yield* store.getAsset(a.asset_id)).toEqual(Option.some(a))
        expect((yield* store.insertAsset(a).pipe(Effect.flip))._tag).toBe("AssetAlreadyExists")
        expect((yield* store.listAssets()).map((x) => x.asset_id)).toContain(a.asset_id)
        expect(Option.isNone(yield* store.getAsset("missing"))).toBe(true)
      })))

    it.effect("commit applies the decision's postings, asset and hold together", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset()
        yield* store.insertAsset(a)
        yield* exec(a, { _tag: "Mint", entry_id: "m1", user: alice, amount: 1_000n })
        const r = yield* exec(a, { _tag: "Reserve", hold_id: "h1", owner: alice, amount: 300n, purpose: "test", reference: null })
        expect(r.replayed).toBe(false)
        expect(Option.getOrThrow(r.hold)).toMatchObject({ status: "held", amount: 300n })
        expect(Option.getOrThrow(yield* store.getAsset(a.asset_id)).circulating_supply).toBe(1_000n)
        const rows = yield* store.balances({ user_pubkey: alice })
        expect(new Set(rows.map((x) => [x.account, x.balance].join("=")))).toEqual(
          new Set([`${availableOf(alice)}=700`, `${reservedOf(alice)}=300`])
        )
        const byAsset = yield* store.balances({ asset_id: a.asset_id })
        expect(byAsset.reduce((n, x) => n + x.balance, 0n)).toBe(0n)
        expect(byAsset.find((x) => x.account === ISSUANCE)?.balance).toBe(-1_000n)
        expect(Option.getOrThrow(yield* store.getHold("h1")).status).toBe("held")
      })))

    it.effect("an entry id is applied at most once; the replay returns the original entry", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset()
        yield* store.insertAsset(a)
        const first = yield* exec(a, { _tag: "Mint", entry_id: "same", user: alice, amount: 5n })
        const again = yield* exec(a, { _tag: "Mint", entry_id: "same", user: alice, amount: 7n })
        expect(again).toMatchObject({ replayed: true, entry: first.entry })
        expect((yield* store.balances({ user_pubkey: alice })).find((x) => x.asset_id === a.asset_id)?.balance).toBe(5n)
      })))

    it.effect("a rejected decision writes nothing and surfaces its error", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset()
        yield* store.insertAsset(a)
        const err = yield* store.commit({ entry_id: "x", asset_id: a.asset_id, accounts: [availableOf(bob)] }, () => Either.left("no" as const))
          .pipe(Effect.flip)
        expect(err).toBe("no")
        expect(yield* store.journal({ asset_id: a.asset_id })).toEqual([])
        // The entry id was not consumed by the failed attempt.
        expect((yield* exec(a, { _tag: "Mint", entry_id: "x", user: bob, amount: 1n })).replayed).toBe(false)
      })))

    it.effect("commit on an unknown asset fails with AssetNotFound", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const err = yield* store.commit({ entry_id: "y", asset_id: "nope", accounts: [] }, () => Either.left("unused")).pipe(Effect.flip)
        expect(err).toMatchObject({ _tag: "AssetNotFound", asset_id: "nope" })
      })))

    it.effect("concurrent commits are serialized: 50 withdrawals of 30 from 1000 leave 20 and never go negative", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset()
        yield* store.insertAsset(a)
        yield* exec(a, { _tag: "Mint", entry_id: "seed", user: alice, amount: 1_000n })
        const results = yield* Effect.all(
          Array.from({ length: 50 }, (_, i) =>
            Effect.either(exec(a, { _tag: "Transfer", entry_id: `t${i}`, from: alice, to: bob, amount: 30n }))),
          { concurrency: "unbounded" }
        )
        expect(results.filter(Either.isRight)).toHaveLength(33)
        const rows = yield* store.balances({ asset_id: a.asset_id })
        expect(rows.find((x) => x.account === availableOf(alice))?.balance).toBe(10n)
        expect(rows.find((x) => x.account === availableOf(bob))?.balance).toBe(990n)
      })))

    it.effect("a hold ends once: concurrent settle and release, exactly one wins", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset()
        yield* store.insertAsset(a)
        yield* exec(a, { _tag: "Mint", entry_id: "seed", user: alice, amount: 100n })
        yield* exec(a, { _tag: "Reserve", hold_id: "h", owner: alice, amount: 100n, purpose: "test", reference: null })
        const outcomes = yield* Effect.all([
          Effect.either(exec(a, { _tag: "Settle", hold_id: "h", owner: alice, to: { user: bob } })),
          Effect.either(exec(a, { _tag: "Release", hold_id: "h", owner: alice, reason: "x" }))
        ], { concurrency: "unbounded" })
        expect(outcomes.filter(Either.isRight)).toHaveLength(1)
        const total = (yield* store.balances({ asset_id: a.asset_id })).filter((x) => x.account.startsWith("user:"))
          .reduce((n, x) => n + x.balance, 0n)
        expect(total).toBe(100n)
      })))

    it.effect("lists holds by status, owner and purpose, and the journal newest first with a limit", () =>
      run(Effect.gen(function*() {
        const store = yield* LedgerStore
        const a = asset()
        yield* store.insertAsset(a)
        yield* exec(a, { _tag: "Mint", entry_id: `m-${a.asset_id}`, user: bob, amount: 10n })
        yield* exec(a, { _tag: "Reserve", hold_id: `${a.asset_id}-1`, owner: bob, amount: 4n, purpose: "land", reference: null })
        yield* exec(a, { _tag: "Reserve", hold_id: `${a.asset_id}-2`, owner: bob, amount: 4n, purpose: "ceremony", reference: null })
        yield* exec(a, { _tag: "Release", hold_id: `${a.asset_id}-2`, owner: bob, reason: "test" })
        const held = (yield* store.listHolds({ status: "held", owner: bob })).filter((h) => h.asset_id === a.asset_id)
        expect(held.map((h) => h.hold_id)).toEqual([`${a.asset_id}-1`])
        expect((yield* store.listHolds({ purpose: "ceremony", owner: bob })).some((h) => h.hold_id === `${a.asset_id}-2`)).toBe(true)
        const journal = yield* store.journal({ asset_id: a.asset_id })
        expect(journal.map((e) => e.kind)).toEqual(["release", "reserve", "reserve", "mint"])
        expect(yield* store.journal({ asset_id: a.asset_id, limit: 2 })).toHaveLength(2)
        expect((yield* store.journal({ user_pubkey: bob, asset_id: a.asset_id })).length).toBe(4)
      })))
  })
