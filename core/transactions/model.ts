import { Schema } from "effect"

/** prepared (signed, not yet sent to arkd) → broadcast (arkd finalized it; balances moved) → confirmed; prepared → failed. */
export const TransactionStatus = Schema.Literal("prepared", "broadcast", "confirmed", "failed")
export type TransactionStatus = typeof TransactionStatus.Type

/** An ark transaction the gateway built for a signing session. */
export const Transaction = Schema.Struct({
  txid: Schema.String,
  session_id: Schema.String,
  tx_type: Schema.Literal("p2p_transfer"),
  status: TransactionStatus,
  sender_pubkey: Schema.String,
  recipient_pubkey: Schema.String,
  asset_id: Schema.String,
  amount_sats: Schema.BigInt,
  /** Ark off-chain transfers pay no fee: outputs equal inputs. */
  fee_sats: Schema.BigInt,
  /** The ark tx as a base64 PSBT: signed by the gateway once prepared, co-signed by arkd once broadcast. */
  raw_tx: Schema.NullOr(Schema.String),
  confirmations: Schema.Number,
  created_at: Schema.Number,
  updated_at: Schema.Number,
  broadcast_at: Schema.NullOr(Schema.Number),
  confirmed_at: Schema.NullOr(Schema.Number),
  failure_reason: Schema.NullOr(Schema.String)
})
export type Transaction = typeof Transaction.Type
