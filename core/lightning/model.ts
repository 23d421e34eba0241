import { Schema } from "effect"

export const InvoiceType = Schema.Literal("lift", "land")
export type InvoiceType = typeof InvoiceType.Type

/**
 * lift: pending → paid (credited) | expired.
 * land: pending (reserved) → in_flight → paid (debited) | failed (released); pending → expired (released).
 */
export const InvoiceStatus = Schema.Literal("pending", "in_flight", "paid", "failed", "expired")
export type InvoiceStatus = typeof InvoiceStatus.Type

/** A lift (the gateway's invoice, paid by the user) or a land (the user's invoice, paid by the gateway). */
export const LightningInvoice = Schema.Struct({
  payment_hash: Schema.String,
  bolt11_invoice: Schema.String,
  invoice_type: InvoiceType,
  user_pubkey: Schema.String,
  asset_id: Schema.String,
  amount_sats: Schema.BigInt,
  status: InvoiceStatus,
  session_id: Schema.NullOr(Schema.String),
  /** The ledger hold of a land (its reserved balance). */
  hold_id: Schema.NullOr(Schema.String),
  created_at: Schema.Number,
  updated_at: Schema.Number,
  expires_at: Schema.Number,
  settled_at: Schema.NullOr(Schema.Number),
  fee_sats: Schema.NullOr(Schema.BigInt),
  preimage: Schema.NullOr(Schema.String),
  failure_reason: Schema.NullOr(Schema.String),
  payment_attempts: Schema.Number
})
export type LightningInvoice = typeof LightningInvoice.Type

export const landHoldId = (paymentHash: string) => `land:${paymentHash}`
