import { Clock, Context, Effect, Either, Layer, Option } from "effect"
import { AssetInactive, type AssetNotFound } from "../ledger/errors.js"
import { MAX_AMOUNT } from "../ledger/model.js"
import { LedgerService } from "../ledger/service.js"
import type { StoreUnavailable } from "../shared/errors.js"
import { randomUuid } from "../shared/random.js"
import { ArkServer, type ArkServerError } from "../../ports/ark-server.js"
import { GatewaySigner } from "../../ports/gateway-signer.js"
import { type VtxoFilter, VtxoStore } from "../../ports/vtxo-store.js"
import {
  ArkBatchFailed,
  InvalidBatch,
  InvalidVtxoState,
  NoVtxoAvailable,
  type VtxoAlreadySpent,
  VtxoNotFound
} from "./errors.js"
import * as Machine from "./machine.js"
import {
  type BatchOrigin,
  MAX_BATCH,
  type Settlement,
  SETTLEMENT_INTERVAL_MS,
  type StatusCount,
  type Vtxo,
  type VtxoBatch,
  vtxoId
} from "./model.js"

export interface VtxoSettings {
  /** VTXO_EXPIRATION_HOURS, as milliseconds. */
  readonly expirationMs: number
  /** VTXO_MIN_AMOUNT_SATS: the smallest VTXO a batch may create. */
  readonly minAmountSats: bigint
}

export interface CreatedBatch {
  readonly batch: VtxoBatch
  readonly vtxos: ReadonlyArray<Vtxo>
}

export interface SettlementStatus {
  readonly pending_vtxos: number
  readonly pending_amount_sats: bigint
  readonly last_settlement: Settlement | null
  readonly next_settlement_at: number | null
  readonly recent: ReadonlyArray<Settlement>
}

type AssetErrors = AssetNotFound | AssetInactive

const daemonFailure = (e: ArkServerError) =>
  new ArkBatchFailed({
    reason: e._tag === "ArkServerUnavailable" ? `arkd unavailable: ${e.reason}` : `arkd refused the batch: ${e.reason}`,
    unavailable: e._tag === "ArkServerUnavailable"
  })

/** The gateway's VTXO inventory: batches, assignment, spend, expiry, replenishment and hourly settlement. */
export class VtxoService extends Context.Tag("relaygate/VtxoService")<
  VtxoService,
  {
    readonly createBatch: (input: {
      readonly asset_id: string
      readonly count: number
      readonly amount_sats: bigint
      readonly origin?: BatchOrigin | undefined
    }) => Effect.Effect<CreatedBatch, InvalidBatch | ArkBatchFailed | AssetErrors | StoreUnavailable>
    /**
     * The smallest available VTXO of at least `amount_needed`, assigned
     * atomically. With a `ref`, asking again returns the VTXO already assigned
     * under that ref instead of a second one.
     */
    readonly assign: (input: {
      readonly user_pubkey: string
      readonly asset_id: string
      readonly amount_needed: bigint
      readonly ref?: string | undefined
    }) => Effect.Effect<Vtxo, NoVtxoAvailable | AssetNotFound | StoreUnavailable>
    /** Assigns one particular available VTXO (one just created for the user). */
    readonly assignVtxo: (
      vtxoId: string,
      userPubkey: string
    ) => Effect.Effect<Vtxo, VtxoNotFound | InvalidVtxoState | StoreUnavailable>
    /** Back to available, for an assignment that will not be spent. */
    readonly unassign: (vtxoId: string, ref: string) => Effect.Effect<Vtxo, VtxoNotFound | InvalidVtxoState | StoreUnavailable>
    readonly markSpent: (input: {
      readonly vtxo_id: string
      readonly spending_txid: string
    }) => Effect.Effect<Vtxo, VtxoNotFound | VtxoAlreadySpent | InvalidVtxoState | StoreUnavailable>
    /** A VTXO that came back to the gateway (a transfer's change) joins the inventory. */
    readonly adopt: (input: {
      readonly txid: string
      readonly vout: number
      readonly amount_sats: bigint
      readonly script_pubkey: string
      readonly asset_id: string
    }) => Effect.Effect<Vtxo, StoreUnavailable>
    readonly get: (vtxoId: string) => Effect.Effect<Vtxo, VtxoNotFound | StoreUnavailable>
    readonly list: (filter: VtxoFilter) => Effect.Effect<ReadonlyArray<Vtxo>, StoreUnavailable>
    /** Marks VTXOs past VTXO_EXPIRATION_HOURS expired. */
    readonly cleanup: () => Effect.Effect<ReadonlyArray<Vtxo>, StoreUnavailable>
    readonly inventory: (assetId: string) => Effect.Effect<Machine.InventoryStatus, AssetNotFound | StoreUnavailable>
    readonly counts: () => Effect.Effect<ReadonlyArray<StatusCount>, StoreUnavailable>
    readonly batches: (assetId?: string) => Effect.Effect<ReadonlyArray<VtxoBatch>, StoreUnavailable>
    /**
     * One batch for every asset whose inventory broke a rule (fewer than 10
     * available, or under 30 % of live), in the denomination of its last batch.
     */
    readonly replenish: () => Effect.Effect<
      ReadonlyArray<{ readonly asset_id: string; readonly created: number; readonly error?: string }>,
      StoreUnavailable
    >
    /** Anchors every spent, unsettled VTXO through one arkd batch round; empty when there was nothing to settle. */
    readonly processSettlement: () => Effect.Effect<ReadonlyArray<Settlement>, ArkBatchFailed | StoreUnavailable>
    readonly settlementStatus: () => Effect.Effect<SettlementStatus, StoreUnavailable>
  }
>() {}

/** A VTXO the gateway has just come to own: unassigned, unspent, expiring after the configured lifetime. */
const available = (
  coin: Pick<Vtxo, "vtxo_id" | "txid" | "vout" | "amount_sats" | "script_pubkey" | "asset_id" | "owner_pubkey" | "batch_id">,
  now: number,
  settings: VtxoSettings
): Vtxo => ({
  ...coin,
  user_pubkey: null,
  status: "available",
  created_at: now,
  expires_at: now + settings.expirationMs,
  assigned_at: null,
  assignment_ref: null,
  spent_at: null,
  spending_txid: null,
  settlement_id: null
})

export const make = (settings: VtxoSettings) =>
  Effect.gen(function*() {
    const store = yield* VtxoStore
    const ark = yield* ArkServer
    const gateway = yield* GatewaySigner
    const ledger = yield* LedgerService

    const get = Effect.fn("VtxoService.get")(function*(id: string) {
      return yield* Option.match(yield* store.get(id), {
        onNone: () => Effect.fail(new VtxoNotFound({ vtxo_id: id })),
        onSome: Effect.succeed
      })
    })

    const createBatch = Effect.fn("VtxoService.createBatch")(function*(input: {
      readonly asset_id: string
      readonly count: number
      readonly amount_sats: bigint
      readonly origin?: BatchOrigin | undefined
    }) {
      if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_BATCH) {
        return yield* new InvalidBatch({ reason: `count must be 1..${MAX_BATCH}, got ${input.count}` })
      }
      const asset = yield* ledger.getAsset(input.asset_id)
      if (!asset.is_active) return yield* new AssetInactive({ asset_id: asset.asset_id })
      const info = yield* ark.getInfo().pipe(Effect.mapError(daemonFailure))
      const floor = settings.minAmountSats > info.dust ? settings.minAmountSats : info.dust
      if (input.amount_sats < floor || input.amount_sats > MAX_AMOUNT) {
        return yield* new InvalidBatch({ reason: `amount_sats must be at least ${floor} (VTXO_MIN_AMOUNT_SATS / arkd dust), got ${input.amount_sats}` })
      }
      const board = yield* ark.boardVtxos({ ownerPubkey: gateway.pubkey, amounts: Array.from({ length: input.count }, () => input.amount_sats) })
        .pipe(Effect.mapError(daemonFailure))
      const now = yield* Clock.currentTimeMillis
      const batch: VtxoBatch = {
        batch_id: yield* randomUuid,
        asset_id: asset.asset_id,
        count: input.count,
        amount_sats: input.amount_sats,
        commitment_txid: board.commitmentTxid,
        origin: input.origin ?? "manual",
        created_at: now
      }
      const vtxos = board.vtxos.map((v) =>
        available({
          vtxo_id: vtxoId(v),
          txid: v.txid,
          vout: v.vout,
          amount_sats: v.amount,
          script_pubkey: v.script,
          asset_id: asset.asset_id,
          owner_pubkey: v.pubkey,
          batch_id: batch.batch_id
        }, now, settings)
      )
      yield* store.insertBatch(batch, vtxos)
      yield* Effect.logInfo("VTXO batch created").pipe(
        Effect.annotateLogs({ asset_id: asset.asset_id, count: input.count, amount_sats: String(input.amount_sats), origin: batch.origin })
      )
      return { batch, vtxos }
    })

    const inventory = Effect.fn("VtxoService.inventory")(function*(assetId: string) {
      yield* ledger.getAsset(assetId)
      return Machine.inventoryStatus(assetId, yield* store.countByStatus())
    })

    return VtxoService.of({
      createBatch,

      assign: Effect.fn("VtxoService.assign")(function*(input) {
        yield* ledger.getAsset(input.asset_id)
        const ref = input.ref ?? null
        if (ref !== null) {
          const [already] = yield* store.list({ assignment_ref: ref, status: "assigned", limit: 1 })
          if (already !== undefined) return already
        }
        const now = yield* Clock.currentTimeMillis
        const assigned = yield* store.assignSmallestAtLeast({
          asset_id: input.asset_id,
          amount: input.amount_needed,
          user_pubkey: input.user_pubkey,
          ref,
          now
        })
        return yield* Option.match(assigned, {
          onNone: () => Effect.fail(new NoVtxoAvailable({ asset_id: input.asset_id, amount_needed: Number(input.amount_needed) })),
          onSome: Effect.succeed
        })
      }),

      assignVtxo: Effect.fn("VtxoService.assignVtxo")(function*(id: string, userPubkey: string) {
        const now = yield* Clock.currentTimeMillis
        return yield* store.modify(id, (v) => {
          if (v.status !== "available" || v.expires_at <= now) {
            return Either.left(new InvalidVtxoState({ vtxo_id: id, status: v.status, action: "assign it" }))
          }
          const assigned = Machine.assign(v, { user_pubkey: userPubkey, ref: null }, now)
          return Either.right([assigned, assigned] as const)
        })
      }),

      unassign: Effect.fn("VtxoService.unassign")(function*(id: string, ref: string) {
        return yield* store.modify(id, (v) => Either.map(Machine.unassign(v, ref), (next) => [next, next] as const))
      }),

      markSpent: Effect.fn("VtxoService.markSpent")(function*(input) {
        const now = yield* Clock.currentTimeMillis
        return yield* store.modify(input.vtxo_id, (v) =>
          Either.map(Machine.markSpent(v, input.spending_txid, now), (next) => [next, next] as const))
      }),

      adopt: Effect.fn("VtxoService.adopt")(function*(input) {
        const id = vtxoId(input)
        const existing = yield* store.get(id)
        if (Option.isSome(existing)) return existing.value
        const now = yield* Clock.currentTimeMillis
        const batch: VtxoBatch = {
          batch_id: yield* randomUuid,
          asset_id: input.asset_id,
          count: 1,
          amount_sats: input.amount_sats,
          commitment_txid: input.txid,
          origin: "change",
          created_at: now
        }
        const vtxo = available({
          vtxo_id: id,
          txid: input.txid,
          vout: input.vout,
          amount_sats: input.amount_sats,
          script_pubkey: input.script_pubkey,
          asset_id: input.asset_id,
          owner_pubkey: gateway.pubkey,
          batch_id: batch.batch_id
        }, now, settings)
        yield* store.insertBatch(batch, [vtxo])
        return vtxo
      }),

      get,

      list: Effect.fn("VtxoService.list")(function*(filter: VtxoFilter) {
        return yield* store.list(filter)
      }),

      cleanup: Effect.fn("VtxoService.cleanup")(function*() {
        const expired = yield* store.expireDue(yield* Clock.currentTimeMillis)
        if (expired.length > 0) yield* Effect.logInfo("VTXOs expired").pipe(Effect.annotateLogs({ count: expired.length }))
        return expired
      }),

      inventory,

      counts: Effect.fn("VtxoService.counts")(function*() {
        return yield* store.countByStatus()
      }),

      batches: Effect.fn("VtxoService.batches")(function*(assetId?: string) {
        return yield* store.listBatches({ asset_id: assetId })
      }),

      replenish: Effect.fn("VtxoService.replenish")(function*() {
        const counts = yield* store.countByStatus()
        const denominations = new Map<string, bigint>()
        for (const b of yield* store.listBatches({})) {
          // The newest deliberate batch sets the denomination; change outputs are odd amounts.
          if (b.origin !== "change" && !denominations.has(b.asset_id)) denominations.set(b.asset_id, b.amount_sats)
        }
        const results: Array<{ readonly asset_id: string; readonly created: number; readonly error?: string }> = []
        for (const [assetId, amount] of denominations) {
          const status = Machine.inventoryStatus(assetId, counts)
          if (!status.needs_replenishment) continue
          const outcome = yield* createBatch({ asset_id: assetId, count: status.recommended_batch, amount_sats: amount, origin: "replenish" })
            .pipe(Effect.either)
          if (Either.isRight(outcome)) {
            results.push({ asset_id: assetId, created: outcome.right.vtxos.length })
          } else if (outcome.left._tag === "StoreUnavailable") {
            return yield* outcome.left
          } else {
            results.push({ asset_id: assetId, created: 0, error: outcome.left.message })
          }
        }
        return results
      }),

      processSettlement: Effect.fn("VtxoService.processSettlement")(function*() {
        const pending = yield* store.list({ unsettled: true })
        if (pending.length === 0) return []
        const result = yield* ark.settleBatch({ vtxos: pending.map(({ txid, vout }) => ({ txid, vout })) })
          .pipe(Effect.mapError(daemonFailure))
        const now = yield* Clock.currentTimeMillis
        const byCommitment = new Map<string, Array<string>>()
        for (const a of result.anchored) byCommitment.set(a.commitmentTxid, [...(byCommitment.get(a.commitmentTxid) ?? []), vtxoId(a)])
        const recorded: Array<Settlement> = []
        for (const [commitment, ids] of byCommitment) {
          const settlement: Settlement = {
            settlement_id: yield* randomUuid,
            commitment_txid: commitment,
            vtxo_ids: ids,
            total_amount_sats: pending.filter((v) => ids.includes(v.vtxo_id)).reduce((n, v) => n + v.amount_sats, 0n),
            created_at: now
          }
          const stamped = yield* store.recordSettlement(settlement)
          if (stamped.length > 0) recorded.push({ ...settlement, vtxo_ids: stamped })
        }
        yield* Effect.logInfo("settlement batch").pipe(
          Effect.annotateLogs({ vtxos: pending.length, commitment_txid: result.commitmentTxid ?? "earlier rounds" })
        )
        return recorded
      }),

      settlementStatus: Effect.fn("VtxoService.settlementStatus")(function*() {
        const pending = yield* store.list({ unsettled: true })
        const recent = yield* store.listSettlements(10)
        const last = recent[0] ?? null
        return {
          pending_vtxos: pending.length,
          pending_amount_sats: pending.reduce((n, v) => n + v.amount_sats, 0n),
          last_settlement: last,
          next_settlement_at: last === null ? null : last.created_at + SETTLEMENT_INTERVAL_MS,
          recent
        }
      })
    })
  })

export const layer = (settings: VtxoSettings) => Layer.effect(VtxoService, make(settings))
