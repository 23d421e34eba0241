import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { InvalidBatch, InvalidVtxoState } from "../../../core/vtxo/errors.js"
import * as Machine from "../../../core/vtxo/machine.js"
import { SETTLEMENT_INTERVAL_MS, VTXO_STATUSES } from "../../../core/vtxo/model.js"
import { VtxoService } from "../../../core/vtxo/service.js"
import { toIso } from "../../../core/shared/time.js"
import { InventoryMonitor, type MonitorStatus } from "../../ark-money.js"
import { RelaygateApi } from "../api.js"
import { daemonOutage, inventoryView, settlementView, vtxoView } from "./money-views.js"
import { storeOutage } from "./unavailable.js"

const monitorView = (m: MonitorStatus) => ({
  running: m.enabled,
  interval_seconds: m.interval_seconds,
  last_check_at: m.last_check_at === null ? null : toIso(m.last_check_at),
  checks: m.checks,
  last_expired: m.last_expired,
  last_replenished: m.last_replenished,
  last_error: m.last_error
})

const missing = (what: string) => new InvalidBatch({ reason: `${what} is required for this action` })

export const VtxosLive = HttpApiBuilder.group(RelaygateApi, "vtxos", (handlers) =>
  Effect.gen(function*() {
    const vtxos = yield* VtxoService
    const monitor = yield* InventoryMonitor
    const arkd = daemonOutage("arkd")

    return handlers
      .handle("inventory", ({ path }) => vtxos.inventory(path.asset_id).pipe(Effect.map(inventoryView), storeOutage))
      .handle("batch", ({ payload }) =>
        vtxos.createBatch({ asset_id: payload.asset_id, count: payload.count, amount_sats: BigInt(payload.amount_sats) }).pipe(
          Effect.map(({ batch, vtxos: created }) => ({
            batch_id: batch.batch_id,
            asset_id: batch.asset_id,
            count: batch.count,
            amount_sats: Number(batch.amount_sats),
            total_sats: Number(batch.amount_sats) * batch.count,
            commitment_txid: batch.commitment_txid,
            vtxos: created.map(vtxoView)
          })),
          arkd,
          storeOutage
        ))
      .handle("assign", ({ payload }) =>
        vtxos.assign({ user_pubkey: payload.user_pubkey, asset_id: payload.asset_id, amount_needed: BigInt(payload.amount_needed) })
          .pipe(Effect.map(vtxoView), storeOutage))
      .handle("user", ({ path, urlParams }) =>
        vtxos.list({ user_pubkey: path.user_pubkey, asset_id: urlParams.asset_id, status: urlParams.status, limit: urlParams.limit }).pipe(
          Effect.map((list) => ({ user_pubkey: path.user_pubkey, vtxos: list.map(vtxoView), count: list.length })),
          storeOutage
        ))
      .handle("markSpent", ({ payload }) =>
        vtxos.markSpent({ vtxo_id: payload.vtxo_id.toLowerCase(), spending_txid: payload.spending_txid.toLowerCase() })
          .pipe(Effect.map(vtxoView), storeOutage))
      .handle("cleanup", () =>
        vtxos.cleanup().pipe(
          Effect.map((expired) => ({ expired_count: expired.length, vtxo_ids: expired.map((v) => v.vtxo_id) })),
          storeOutage
        ))
      .handle("settle", () =>
        vtxos.processSettlement().pipe(
          Effect.map((done) => ({
            processed: done.length > 0,
            vtxo_count: done.reduce((k, s) => k + s.vtxo_ids.length, 0),
            total_amount_sats: done.reduce((k, s) => k + Number(s.total_amount_sats), 0),
            settlements: done.map(settlementView)
          })),
          arkd,
          storeOutage
        ))
      .handle("settlementStatus", () =>
        vtxos.settlementStatus().pipe(
          Effect.map((s) => ({
            pending_vtxos: s.pending_vtxos,
            pending_amount_sats: Number(s.pending_amount_sats),
            interval_seconds: SETTLEMENT_INTERVAL_MS / 1000,
            last_settlement: s.last_settlement === null ? null : settlementView(s.last_settlement),
            next_settlement_at: s.next_settlement_at === null ? null : toIso(s.next_settlement_at),
            recent_settlements: s.recent.map(settlementView)
          })),
          storeOutage
        ))
      .handle("monitorStart", () => monitor.start().pipe(Effect.map(monitorView)))
      .handle("monitorStop", () => monitor.stop().pipe(Effect.map(monitorView)))
      .handle("monitorStatus", () => monitor.status().pipe(Effect.map(monitorView)))
      .handle("stats", () =>
        Effect.gen(function*() {
          const counts = yield* vtxos.counts()
          const assets = Array.from(new Set(counts.map((c) => c.asset_id))).sort()
          const byStatus = Object.fromEntries(VTXO_STATUSES.map((s) => [s, counts.filter((c) => c.status === s).reduce((k, c) => k + c.count, 0)]))
          return {
            total_vtxos: counts.reduce((k, c) => k + c.count, 0),
            by_status: byStatus,
            by_asset: assets.map((a) => inventoryView(Machine.inventoryStatus(a, counts))),
            batches: (yield* vtxos.batches()).length,
            settlements: (yield* vtxos.settlementStatus()).recent.length
          }
        }).pipe(storeOutage))
      .handle("manage", ({ path, urlParams: q }) =>
        Effect.gen(function*() {
          const user = path.user_pubkey
          const done = (list: ReadonlyArray<Parameters<typeof vtxoView>[0]>) => ({ action: q.action, user_pubkey: user, vtxos: list.map(vtxoView), count: list.length })
          switch (q.action) {
            case "list":
              return done(yield* vtxos.list({ user_pubkey: user, asset_id: q.asset_id, status: q.status }))
            case "create": {
              if (q.asset_id === undefined) return yield* missing("asset_id")
              if (q.amount_sats === undefined) return yield* missing("amount_sats")
              const { vtxos: created } = yield* vtxos.createBatch({ asset_id: q.asset_id, count: q.count ?? 1, amount_sats: BigInt(q.amount_sats) })
              return done(yield* Effect.forEach(created, (v) => vtxos.assignVtxo(v.vtxo_id, user)))
            }
            case "assign": {
              if (q.asset_id === undefined) return yield* missing("asset_id")
              const needed = q.amount_needed ?? q.amount_sats
              if (needed === undefined) return yield* missing("amount_needed")
              return done([yield* vtxos.assign({ user_pubkey: user, asset_id: q.asset_id, amount_needed: BigInt(needed) })])
            }
            case "spend": {
              if (q.vtxo_id === undefined) return yield* missing("vtxo_id")
              if (q.spending_txid === undefined) return yield* missing("spending_txid")
              const v = yield* vtxos.get(q.vtxo_id.toLowerCase())
              if (v.user_pubkey !== user) {
                return yield* new InvalidVtxoState({ vtxo_id: v.vtxo_id, status: v.status, action: "spend it for a user it is not assigned to" })
              }
              return done([yield* vtxos.markSpent({ vtxo_id: v.vtxo_id, spending_txid: q.spending_txid.toLowerCase() })])
            }
          }
        }).pipe(arkd, storeOutage))
  }))
