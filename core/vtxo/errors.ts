import { Schema } from "effect"

export class VtxoNotFound extends Schema.TaggedError<VtxoNotFound>()("VtxoNotFound", {
  vtxo_id: Schema.String
}) {
  override get message() {
    return `VTXO ${this.vtxo_id} not found`
  }
}

/** No unassigned, unexpired VTXO of the asset is large enough. Nothing was assigned. */
export class NoVtxoAvailable extends Schema.TaggedError<NoVtxoAvailable>()("NoVtxoAvailable", {
  asset_id: Schema.String,
  amount_needed: Schema.Number
}) {
  override get message() {
    return `No available ${this.asset_id} VTXO of at least ${this.amount_needed} sats`
  }
}

export class VtxoAlreadySpent extends Schema.TaggedError<VtxoAlreadySpent>()("VtxoAlreadySpent", {
  vtxo_id: Schema.String,
  spending_txid: Schema.String
}) {
  override get message() {
    return `VTXO ${this.vtxo_id} was already spent by ${this.spending_txid}`
  }
}

export class InvalidVtxoState extends Schema.TaggedError<InvalidVtxoState>()("InvalidVtxoState", {
  vtxo_id: Schema.String,
  status: Schema.String,
  action: Schema.String
}) {
  override get message() {
    return `Cannot ${this.action}: VTXO ${this.vtxo_id} is ${this.status}`
  }
}

/** A batch outside 1..100 VTXOs, or of VTXOs smaller than VTXO_MIN_AMOUNT_SATS / arkd's dust. */
export class InvalidBatch extends Schema.TaggedError<InvalidBatch>()("InvalidBatch", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** The Ark server refused or could not run a batch round; nothing was recorded. */
export class ArkBatchFailed extends Schema.TaggedError<ArkBatchFailed>()("ArkBatchFailed", {
  reason: Schema.String,
  unavailable: Schema.Boolean
}) {
  override get message() {
    return this.reason
  }
}
