import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import type { Vtxo, VtxoBatch } from "../../core/vtxo/model.js"
import { VtxoStore } from "../../ports/vtxo-store.js"

let seq = 0
const hex64 = () => (++seq).toString(16).padStart(64, "0")

const batchOf = (assetId: string, amounts: ReadonlyArray<bigint>, overrides: Partial<Vtxo> = {}) => {
  const txid = hex64()
  const batch: VtxoBatch = {
    batch_id: `b-${txid.slice(-6)}`,
    asset_id: assetId,
    count: amounts.length,
    amount_sats: amounts[0] ?? 0n,
    commitment_txid: txid,
    origin: "manual",
    created_at: seq
  }
  const vtxos = amounts.map((amount_sats, vout): Vtxo => ({
    vtxo_id: `${txid}:${vout}`,
    txid,
    vout,
    amount_sats,
    script_pubkey: "5120" + "00".repeat(32),
    asset_id: assetId,
    owner_pubkey: "ee".repeat(32),
    user_pubkey: null,
    status: "available",
    batch_id: batch.batch_id,
    created_at: seq * 10 + vout,
    expires_at: 1_000_000,
    assigned_at: null,
    assignment_ref: null,
    spent_at: null,
    spending_txid: null,
    settlement_id: null,
    ...overrides
  }))
  return { batch, vtxos }
}

const user = "aa".repeat(32)

/** The behaviour every VtxoStore adapter must have; each adapter's test calls this. */
export const vtxoStoreContract = (name: string, layer: Layer.Layer<VtxoStore, StoreUnavailable>) =>
  describe(`VtxoStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, VtxoStore>) => Effect.provide(effect, layer)
    const insert = (assetId: string, amounts: ReadonlyArray<bigint>, overrides: Partial<Vtxo> = {}) =>
      Effect.gen(function*() {
        const b = batchOf(assetId, amounts, overrides)
        yield* (yield* VtxoStore).insertBatch(b.batch, b.vtxos)
        return b
      })

    it.effect("stores a batch and its VTXOs", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        const b = yield* insert("X", [1_000n, 2_000n])
        expect(yield* store.get(b.vtxos[1]!.vtxo_id)).toEqual(Option.some(b.vtxos[1]))
        expect(yield* store.listBatches({ asset_id: "X" })).toEqual([b.batch])
        expect(Option.isNone(yield* store.get("nope:0"))).toBe(true)
      })))

    it.effect("assigns the smallest available, unexpired VTXO of the asset that covers the amount", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        yield* insert("A", [500n, 5_000n, 2_000n, 3_000n])
        yield* insert("A", [1_500n], { expires_at: 50 })
        yield* insert("B", [1_600n])
        const got = yield* store.assignSmallestAtLeast({ asset_id: "A", amount: 1_200n, user_pubkey: user, ref: "r1", now: 100 })
        expect(Option.getOrThrow(got)).toMatchObject({ amount_sats: 2_000n, status: "assigned", user_pubkey: user, assignment_ref: "r1", assigned_at: 100 })
        const next = yield* store.assignSmallestAtLeast({ asset_id: "A", amount: 1_200n, user_pubkey: user, ref: null, now: 100 })
        expect(Option.getOrThrow(next).amount_sats).toBe(3_000n)
        const exact = yield* store.assignSmallestAtLeast({ asset_id: "A", amount: 5_000n, user_pubkey: user, ref: null, now: 100 })
        expect(Option.getOrThrow(exact).amount_sats).toBe(5_000n)
        expect(Option.isNone(yield* store.assignSmallestAtLeast({ asset_id: "A", amount: 600n, user_pubkey: user, ref: null, now: 100 }))).toBe(true)
      })))

    it.effect("200 concurrent assignments over 100 VTXOs: each VTXO goes to exactly one", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        yield* insert("C", Array.from({ length: 100 }, (_, i) => BigInt(1_000 + i)))
        const results = yield* Effect.all(
          Array.from({ length: 200 }, (_, i) =>
            store.assignSmallestAtLeast({ asset_id: "C", amount: 1_000n, user_pubkey: user, ref: `r${i}`, now: 1 })),
          { concurrency: "unbounded" }
        )
        const won = results.filter(Option.isSome).map((o) => o.value.vtxo_id)
        expect(won).toHaveLength(100)
        expect(new Set(won).size).toBe(100)
        expect(yield* store.list({ asset_id: "C", status: "available" })).toEqual([])
      })))

    it.effect("concurrent requests for different assets and amounts each get the smallest left for them, whatever their order", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        yield* insert("M", [1_000n, 2_000n, 3_000n, 10_000n])
        yield* insert("N", [1_000n])
        // A small request may have to take the larger VTXO a bigger request also wanted.
        yield* insert("P", [3_000n, 10_000n])
        const asks: ReadonlyArray<readonly [string, bigint]> = [
          ["M", 2_500n],
          ["M", 500n],
          ["N", 500n],
          ["M", 20_000n],
          ["P", 2_500n],
          ["M", 2_500n],
          ["N", 500n],
          ["P", 500n],
          ["M", 500n]
        ]
        const answers = yield* Effect.all(
          asks.map(([asset_id, amount], i) => store.assignSmallestAtLeast({ asset_id, amount, user_pubkey: user, ref: `m${i}`, now: 1 })),
          { concurrency: "unbounded" }
        )
        const got = (asset: string, amount: bigint) =>
          answers.flatMap((a, i) => (asks[i]![0] === asset && asks[i]![1] === amount ? [Option.map(a, (v) => v.amount_sats)] : []))
        const amounts = (os: ReadonlyArray<Option.Option<bigint>>) => os.flatMap((o) => (Option.isSome(o) ? [o.value] : [])).sort((a, b) => (a < b ? -1 : 1))
        // The 500s never need more than 2,000, so the 2,500s always get 3,000 and 10,000, in either order.
        expect(amounts(got("M", 2_500n))).toEqual([3_000n, 10_000n])
        expect(amounts(got("M", 500n))).toEqual([1_000n, 2_000n])
        expect(got("M", 20_000n)).toEqual([Option.none()])
        expect(amounts(got("N", 500n))).toEqual([1_000n])
        expect(amounts([...got("P", 2_500n), ...got("P", 500n)])).toEqual([3_000n, 10_000n])
        const won = answers.flatMap((a, i) => (Option.isSome(a) ? [{ v: a.value, i }] : []))
        for (const { v, i } of won) expect(v).toMatchObject({ asset_id: asks[i]![0], status: "assigned", assignment_ref: `m${i}` })
        expect(new Set(won.map(({ v }) => v.vtxo_id)).size).toBe(won.length)
        for (const { v } of won) expect(yield* store.get(v.vtxo_id)).toEqual(Option.some(v))
      })))

    it.effect("modify writes the decision; a rejected one writes nothing; an unknown id is VtxoNotFound", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        const { vtxos: [v] } = yield* insert("D", [1_000n])
        const out = yield* store.modify(v!.vtxo_id, (cur) => Either.right([{ ...cur, status: "spent" as const, spending_txid: "t" }, "ok"] as const))
        expect(out).toBe("ok")
        expect(Option.getOrThrow(yield* store.get(v!.vtxo_id)).status).toBe("spent")
        expect(yield* store.modify(v!.vtxo_id, () => Either.left("no" as const)).pipe(Effect.flip)).toBe("no")
        expect(Option.getOrThrow(yield* store.get(v!.vtxo_id)).spending_txid).toBe("t")
        expect(yield* store.modify("x:0", (cur) => Either.right([cur, 1] as const)).pipe(Effect.flip)).toMatchObject({ _tag: "VtxoNotFound" })
      })))

    it.effect("lists by user, asset, status, ref and unsettled, and counts by asset and status", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        const { vtxos } = yield* insert("E", [1_000n, 2_000n, 3_000n])
        yield* store.assignSmallestAtLeast({ asset_id: "E", amount: 1n, user_pubkey: user, ref: "ref-e", now: 1 })
        yield* store.modify(vtxos[2]!.vtxo_id, (cur) => Either.right([{ ...cur, status: "spent" as const, spending_txid: "t" }, null] as const))
        expect((yield* store.list({ user_pubkey: user, asset_id: "E" })).map((v) => v.amount_sats)).toEqual([1_000n])
        expect((yield* store.list({ assignment_ref: "ref-e" })).map((v) => v.vtxo_id)).toEqual([vtxos[0]!.vtxo_id])
        expect((yield* store.list({ asset_id: "E", unsettled: true })).map((v) => v.vtxo_id)).toEqual([vtxos[2]!.vtxo_id])
        expect(yield* store.list({ asset_id: "E", limit: 2 })).toHaveLength(2)
        const counts = (yield* store.countByStatus()).filter((r) => r.asset_id === "E")
        expect(new Set(counts.map((r) => `${r.status}:${r.count}:${r.amount_sats}`))).toEqual(
          new Set(["assigned:1:1000", "available:1:2000", "spent:1:3000"])
        )
      })))

    it.effect("expireDue marks unspent VTXOs past their expiry and leaves spent ones", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        const { vtxos } = yield* insert("F", [1_000n, 2_000n, 3_000n], { expires_at: 500 })
        yield* store.modify(vtxos[0]!.vtxo_id, (cur) => Either.right([{ ...cur, status: "spent" as const, spending_txid: "t" }, null] as const))
        expect(yield* store.expireDue(499)).toEqual([])
        const expired = yield* store.expireDue(500)
        expect(expired.map((v) => v.vtxo_id).sort()).toEqual([vtxos[1]!.vtxo_id, vtxos[2]!.vtxo_id].sort())
        expect(expired.every((v) => v.status === "expired")).toBe(true)
        expect(yield* store.expireDue(10_000)).toEqual([])
        expect(Option.isNone(yield* store.assignSmallestAtLeast({ asset_id: "F", amount: 1n, user_pubkey: user, ref: null, now: 0 }))).toBe(true)
      })))

    it.effect("a settlement stamps only spent, unsettled VTXOs, once", () =>
      run(Effect.gen(function*() {
        const store = yield* VtxoStore
        const { vtxos } = yield* insert("G", [1_000n, 2_000n])
        yield* store.modify(vtxos[0]!.vtxo_id, (cur) => Either.right([{ ...cur, status: "spent" as const, spending_txid: "t" }, null] as const))
        const settlement = { settlement_id: "s1", commitment_txid: "c1", vtxo_ids: vtxos.map((v) => v.vtxo_id), total_amount_sats: 3_000n, created_at: 5 }
        expect(yield* store.recordSettlement(settlement)).toEqual([vtxos[0]!.vtxo_id])
        expect(Option.getOrThrow(yield* store.get(vtxos[0]!.vtxo_id)).settlement_id).toBe("s1")
        expect(yield* store.recordSettlement({ ...settlement, settlement_id: "s2" })).toEqual([])
        const recorded = yield* store.listSettlements(10)
        expect(recorded.map((s) => [s.settlement_id, s.vtxo_ids.length, s.total_amount_sats])).toEqual([["s1", 1, 1_000n]])
      })))
  })
