import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import * as GatewayKey from "../../../adapters/crypto/gateway-signer.js"
import * as SimulatedArkd from "../../../adapters/memory/ark-server.js"
import * as MemoryLedger from "../../../adapters/memory/ledger-store.js"
import * as MemoryVtxos from "../../../adapters/memory/vtxo-store.js"
import * as LedgerService from "../../../core/ledger/service.js"
import * as VtxoService from "../../../core/vtxo/service.js"
import { ArkServer } from "../../../ports/ark-server.js"
import { GatewaySigner } from "../../../ports/gateway-signer.js"

const Env = VtxoService.layer({ expirationMs: 3_600_000, minAmountSats: 1_000n }).pipe(
  Layer.provideMerge(LedgerService.layer),
  Layer.provideMerge(Layer.mergeAll(MemoryLedger.layer, MemoryVtxos.layer, SimulatedArkd.layer())),
  Layer.provideMerge(Layer.effect(GatewaySigner, Effect.flatMap(GatewayKey.generatePrivateKey(), GatewayKey.make)))
)

const user = "aa".repeat(32)

const setup = Effect.gen(function*() {
  const ledger = yield* LedgerService.LedgerService
  yield* ledger.createAsset({ asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC" })
  return { vtxos: yield* VtxoService.VtxoService, ark: yield* ArkServer, gateway: yield* GatewaySigner, sim: yield* SimulatedArkd.ArkServerSimulator }
})

describe("VtxoService", () => {
  it.effect("a batch is boarded through arkd: its VTXOs are the gateway's on the Ark server", () =>
    Effect.gen(function*() {
      const { ark, gateway, vtxos } = yield* setup
      const { batch, vtxos: created } = yield* vtxos.createBatch({ asset_id: "gBTC", count: 3, amount_sats: 5_000n })
      const onArk = new Set((yield* ark.listVtxos(gateway.pubkey)).map((v) => `${v.txid}:${v.vout}`))
      expect(created.every((v) => onArk.has(v.vtxo_id) && v.owner_pubkey === gateway.pubkey)).toBe(true)
      expect(created.every((v) => v.txid === batch.commitment_txid && v.expires_at === 3_600_000)).toBe(true)
      for (const bad of [{ count: 0, amount_sats: 5_000n }, { count: 101, amount_sats: 5_000n }, { count: 1, amount_sats: 999n }]) {
        expect((yield* vtxos.createBatch({ asset_id: "gBTC", ...bad }).pipe(Effect.flip))._tag).toBe("InvalidBatch")
      }
      expect((yield* vtxos.createBatch({ asset_id: "nope", count: 1, amount_sats: 5_000n }).pipe(Effect.flip))._tag).toBe("AssetNotFound")
    }).pipe(Effect.provide(Env)))

  it.effect("replenishment restores at least 10 available and 30 % of the live inventory, in the last denomination", () =>
    Effect.gen(function*() {
      const { vtxos } = yield* setup
      yield* vtxos.createBatch({ asset_id: "gBTC", count: 12, amount_sats: 2_000n })
      expect(yield* vtxos.replenish()).toEqual([])
      for (let i = 0; i < 5; i++) yield* vtxos.assign({ user_pubkey: user, asset_id: "gBTC", amount_needed: 1_000n })
      expect(yield* vtxos.inventory("gBTC")).toMatchObject({ needs_replenishment: true, recommended_batch: 3 })
      expect(yield* vtxos.replenish()).toEqual([{ asset_id: "gBTC", created: 3 }])
      expect(yield* vtxos.inventory("gBTC")).toMatchObject({ counts: { available: 10, assigned: 5 }, needs_replenishment: false })
      expect((yield* vtxos.batches("gBTC"))[0]).toMatchObject({ origin: "replenish", amount_sats: 2_000n, count: 3 })
      expect(yield* vtxos.replenish()).toEqual([])
    }).pipe(Effect.provide(Env)))

  it.effect("an assignment made under a ref is found again, not repeated", () =>
    Effect.gen(function*() {
      const { vtxos } = yield* setup
      yield* vtxos.createBatch({ asset_id: "gBTC", count: 3, amount_sats: 2_000n })
      const a = yield* vtxos.assign({ user_pubkey: user, asset_id: "gBTC", amount_needed: 1_500n, ref: "session-1" })
      const b = yield* vtxos.assign({ user_pubkey: user, asset_id: "gBTC", amount_needed: 1_500n, ref: "session-1" })
      expect(b.vtxo_id).toBe(a.vtxo_id)
      expect((yield* vtxos.inventory("gBTC")).counts).toMatchObject({ available: 2, assigned: 1 })
      expect((yield* vtxos.unassign(a.vtxo_id, "someone-else").pipe(Effect.flip))._tag).toBe("InvalidVtxoState")
      yield* vtxos.unassign(a.vtxo_id, "session-1")
      expect((yield* vtxos.inventory("gBTC")).counts.available).toBe(3)
    }).pipe(Effect.provide(Env)))

  it.effect("settlement anchors spent VTXOs through one arkd round, once; with arkd down nothing is recorded", () =>
    Effect.gen(function*() {
      const { sim, vtxos } = yield* setup
      const { vtxos: created } = yield* vtxos.createBatch({ asset_id: "gBTC", count: 3, amount_sats: 2_000n })
      expect(yield* vtxos.processSettlement()).toEqual([])
      for (const v of created.slice(0, 2)) yield* vtxos.markSpent({ vtxo_id: v.vtxo_id, spending_txid: "ee".repeat(32) })
      yield* sim.setBehaviour("fail")
      expect(yield* vtxos.processSettlement().pipe(Effect.flip)).toMatchObject({ _tag: "ArkBatchFailed", unavailable: true })
      expect((yield* vtxos.settlementStatus()).pending_vtxos).toBe(2)
      yield* sim.setBehaviour("normal")
      const [settlement, ...rest] = yield* vtxos.processSettlement()
      expect(rest).toEqual([])
      expect(settlement).toMatchObject({ total_amount_sats: 4_000n })
      expect(new Set(settlement!.vtxo_ids)).toEqual(new Set(created.slice(0, 2).map((v) => v.vtxo_id)))
      expect(yield* vtxos.processSettlement()).toEqual([])
      expect(yield* vtxos.settlementStatus()).toMatchObject({ pending_vtxos: 0, next_settlement_at: settlement!.created_at + 3_600_000 })
    }).pipe(Effect.provide(Env)))

  it.effect("VTXO_EXPIRATION_HOURS after creation, unspent VTXOs expire and can no longer be assigned", () =>
    Effect.gen(function*() {
      const { vtxos } = yield* setup
      const { vtxos: created } = yield* vtxos.createBatch({ asset_id: "gBTC", count: 2, amount_sats: 2_000n })
      yield* vtxos.markSpent({ vtxo_id: created[0]!.vtxo_id, spending_txid: "ee".repeat(32) })
      yield* TestClock.adjust("59 minutes")
      expect(yield* vtxos.cleanup()).toEqual([])
      yield* TestClock.adjust("1 minute")
      expect((yield* vtxos.cleanup()).map((v) => v.vtxo_id)).toEqual([created[1]!.vtxo_id])
      expect((yield* vtxos.assign({ user_pubkey: user, asset_id: "gBTC", amount_needed: 1n }).pipe(Effect.flip))._tag).toBe("NoVtxoAvailable")
      expect((yield* vtxos.markSpent({ vtxo_id: created[1]!.vtxo_id, spending_txid: "ee".repeat(32) }).pipe(Effect.flip))._tag).toBe("InvalidVtxoState")
    }).pipe(Effect.provide(Env)))
})
