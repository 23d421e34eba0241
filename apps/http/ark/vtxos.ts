import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { MAX_BATCH, VtxoStatus } from "../../../core/vtxo/model.js"
import * as Err from "./errors.js"
import { AssetIdInput, AssetIdParam, InventoryView, Limit, Sats, SettlementView, UserKey, UserKeyParam, VtxoView } from "./money-views.js"

const Txid = Schema.String.pipe(Schema.pattern(/^[0-9a-fA-F]{64}$/, { message: () => "must be a 32-byte txid in hex" }))
const VtxoIdInput = Schema.String.pipe(Schema.pattern(/^[0-9a-fA-F]{64}:\d{1,10}$/, { message: () => "must be txid:vout" }))
const Count = Schema.Number.pipe(
  Schema.filter((x) => Number.isInteger(x) && x >= 1 && x <= MAX_BATCH, { message: () => `must be an integer in 1..${MAX_BATCH}` })
)

export const BatchBody = Schema.Struct({ asset_id: AssetIdInput, count: Count, amount_sats: Sats })
export const AssignBody = Schema.Struct({ user_pubkey: UserKey, asset_id: AssetIdInput, amount_needed: Sats })
export const MarkSpentBody = Schema.Struct({ vtxo_id: VtxoIdInput, spending_txid: Txid })

export const BatchResult = Schema.Struct({
  batch_id: Schema.String,
  asset_id: Schema.String,
  count: Schema.Number,
  amount_sats: Schema.Number,
  total_sats: Schema.Number,
  commitment_txid: Schema.String,
  vtxos: Schema.Array(VtxoView)
})

export const VtxoList = Schema.Struct({ user_pubkey: Schema.String, vtxos: Schema.Array(VtxoView), count: Schema.Number })

/** The seed's GET /vtxos/{user_pubkey}?action=… : one shape for every action. */
export const ManageParams = Schema.Struct({
  action: Schema.optionalWith(Schema.Literal("list", "create", "assign", "spend"), { default: () => "list" as const }),
  asset_id: Schema.optional(AssetIdInput),
  amount_sats: Schema.optional(Schema.NumberFromString.pipe(Schema.compose(Sats))),
  amount_needed: Schema.optional(Schema.NumberFromString.pipe(Schema.compose(Sats))),
  count: Schema.optional(Schema.NumberFromString.pipe(Schema.compose(Count))),
  vtxo_id: Schema.optional(VtxoIdInput),
  spending_txid: Schema.optional(Txid),
  status: Schema.optional(VtxoStatus)
})
export const ManageResult = Schema.Struct({
  action: Schema.Literal("list", "create", "assign", "spend"),
  user_pubkey: Schema.String,
  vtxos: Schema.Array(VtxoView),
  count: Schema.Number
})

export const CleanupResult = Schema.Struct({ expired_count: Schema.Number, vtxo_ids: Schema.Array(Schema.String) })

export const SettlementProcessed = Schema.Struct({
  processed: Schema.Boolean,
  vtxo_count: Schema.Number,
  total_amount_sats: Schema.Number,
  settlements: Schema.Array(SettlementView)
})

export const SettlementStatusView = Schema.Struct({
  pending_vtxos: Schema.Number,
  pending_amount_sats: Schema.Number,
  interval_seconds: Schema.Number,
  last_settlement: Schema.NullOr(SettlementView),
  next_settlement_at: Schema.NullOr(Schema.String),
  recent_settlements: Schema.Array(SettlementView)
})

export const MonitorView = Schema.Struct({
  running: Schema.Boolean,
  interval_seconds: Schema.Number,
  last_check_at: Schema.NullOr(Schema.String),
  checks: Schema.Number,
  last_expired: Schema.Number,
  last_replenished: Schema.Array(Schema.Struct({ asset_id: Schema.String, created: Schema.Number, error: Schema.optional(Schema.String) })),
  last_error: Schema.NullOr(Schema.String)
})

export const VtxoStats = Schema.Struct({
  total_vtxos: Schema.Number,
  by_status: Schema.Record({ key: Schema.String, value: Schema.Number }),
  by_asset: Schema.Array(InventoryView),
  batches: Schema.Number,
  settlements: Schema.Number
})

/** The gateway's VTXO inventory: batches, assignment, spend, expiry, settlement, the monitor. */
export class VtxosApi extends HttpApiGroup.make("vtxos")
  .add(HttpApiEndpoint.get("inventory")`/vtxos/inventory/${AssetIdParam}`.addSuccess(InventoryView))
  .add(
    HttpApiEndpoint.post("batch", "/vtxos/batch/create")
      .setPayload(BatchBody)
      .addSuccess(BatchResult, { status: 201 })
      .addError(Err.InvalidBatchBody)
      .addError(Err.AssetInactiveBody)
  )
  .add(
    HttpApiEndpoint.post("assign", "/vtxos/assign")
      .setPayload(AssignBody)
      .addSuccess(VtxoView)
      .addError(Err.NoVtxoAvailableBody)
  )
  .add(
    HttpApiEndpoint.get("user")`/vtxos/user/${UserKeyParam}`
      .setUrlParams(Schema.Struct({ asset_id: Schema.optional(AssetIdInput), status: Schema.optional(VtxoStatus), limit: Schema.optional(Limit) }))
      .addSuccess(VtxoList)
  )
  .add(
    HttpApiEndpoint.post("markSpent", "/vtxos/mark-spent")
      .setPayload(MarkSpentBody)
      .addSuccess(VtxoView)
      .addError(Err.VtxoNotFoundBody)
      .addError(Err.VtxoSpentBody)
      .addError(Err.VtxoStateBody)
  )
  .add(HttpApiEndpoint.post("cleanup", "/vtxos/cleanup").addSuccess(CleanupResult))
  .add(HttpApiEndpoint.post("settle", "/vtxos/settlement/process").addSuccess(SettlementProcessed))
  .add(HttpApiEndpoint.get("settlementStatus", "/vtxos/settlement/status").addSuccess(SettlementStatusView))
  .add(HttpApiEndpoint.post("monitorStart", "/vtxos/monitor/start").addSuccess(MonitorView))
  .add(HttpApiEndpoint.post("monitorStop", "/vtxos/monitor/stop").addSuccess(MonitorView))
  .add(HttpApiEndpoint.get("monitorStatus", "/vtxos/monitor/status").addSuccess(MonitorView))
  .add(HttpApiEndpoint.get("stats", "/vtxos/stats").addSuccess(VtxoStats))
  .add(
    HttpApiEndpoint.get("manage")`/vtxos/${UserKeyParam}`
      .setUrlParams(ManageParams)
      .addSuccess(ManageResult)
      .addError(Err.NoVtxoAvailableBody)
      .addError(Err.InvalidBatchBody)
      .addError(Err.AssetInactiveBody)
      .addError(Err.VtxoNotFoundBody)
      .addError(Err.VtxoSpentBody)
      .addError(Err.VtxoStateBody)
      .annotate(
        OpenApi.Description,
        "action=list (default) | create (asset_id, amount_sats, count?: creates VTXOs and assigns them to the user) | assign (asset_id, amount_needed) | spend (vtxo_id, spending_txid)"
      )
  )
  .addError(Err.ValidationErrorBody)
  .addError(Err.AssetNotFoundBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Ark VTXO inventory")
{}
