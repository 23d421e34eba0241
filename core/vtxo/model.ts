import { Schema } from "effect"

export const VtxoStatus = Schema.Literal("available", "assigned", "spent", "expired")
export type VtxoStatus = typeof VtxoStatus.Type
export const VTXO_STATUSES: ReadonlyArray<VtxoStatus> = ["available", "assigned", "spent", "expired"]

/**
 * A gateway-owned VTXO of the inventory, as it exists on the Ark server
 * (`txid:vout`, amount, script), plus the gateway's bookkeeping: which asset
 * it backs, which user it is assigned to, and how it was spent and settled.
 */
export const Vtxo = Schema.Struct({
  /** `txid:vout`. */
  vtxo_id: Schema.String,
  txid: Schema.String,
  vout: Schema.Number,
  amount_sats: Schema.BigInt,
  script_pubkey: Schema.String,
  asset_id: Schema.String,
  /** The key that can spend it on the Ark server: the gateway's. */
  owner_pubkey: Schema.String,
  user_pubkey: Schema.NullOr(Schema.String),
  status: VtxoStatus,
  batch_id: Schema.String,
  created_at: Schema.Number,
  expires_at: Schema.Number,
  assigned_at: Schema.NullOr(Schema.Number),
  /** What the assignment is for (a signing session), so a retried step gets the same VTXO back. */
  assignment_ref: Schema.NullOr(Schema.String),
  spent_at: Schema.NullOr(Schema.Number),
  spending_txid: Schema.NullOr(Schema.String),
  settlement_id: Schema.NullOr(Schema.String)
})
export type Vtxo = typeof Vtxo.Type

export const BatchOrigin = Schema.Literal("manual", "replenish", "change")
export type BatchOrigin = typeof BatchOrigin.Type

export const VtxoBatch = Schema.Struct({
  batch_id: Schema.String,
  asset_id: Schema.String,
  count: Schema.Number,
  amount_sats: Schema.BigInt,
  commitment_txid: Schema.String,
  origin: BatchOrigin,
  created_at: Schema.Number
})
export type VtxoBatch = typeof VtxoBatch.Type

/** One hourly batch round that anchored spent VTXOs on chain. */
export const Settlement = Schema.Struct({
  settlement_id: Schema.String,
  commitment_txid: Schema.String,
  vtxo_ids: Schema.Array(Schema.String),
  total_amount_sats: Schema.BigInt,
  created_at: Schema.Number
})
export type Settlement = typeof Settlement.Type

export const vtxoId = (o: { readonly txid: string; readonly vout: number }) => `${o.txid}:${o.vout}`

/** The inventory rules (ARCHITECTURE.md, core/vtxo). */
export const MIN_AVAILABLE = 10
export const REPLENISH_RATIO = 0.3
export const MAX_BATCH = 100
export const SETTLEMENT_INTERVAL_MS = 60 * 60_000

export interface StatusCount {
  readonly asset_id: string
  readonly status: VtxoStatus
  readonly count: number
  readonly amount_sats: bigint
}
