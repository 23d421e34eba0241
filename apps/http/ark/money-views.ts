import { HttpApiSchema } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"
import { type Asset, ASSET_ID_PATTERN, type Balance, totalOf } from "../../../core/ledger/model.js"
import type { LightningInvoice } from "../../../core/lightning/model.js"
import { normalizeXOnlyPubkey } from "../../../core/shared/pubkey.js"
import { toIso } from "../../../core/shared/time.js"
import type { Transaction } from "../../../core/transactions/model.js"
import type { InventoryStatus } from "../../../core/vtxo/machine.js"
import { MIN_AVAILABLE, REPLENISH_RATIO, type Settlement, type Vtxo } from "../../../core/vtxo/model.js"
import { ArkServiceUnavailable } from "./errors.js"

/** JSON shapes of the ark money routes: the seed's snake_case fields, amounts as safe-integer numbers, instants ISO-8601. */

const Iso = Schema.String.annotations({ description: "ISO-8601 instant" })
const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms))
/** Every amount the ledger holds is ≤ 2^53 − 1 (it refuses more), so this is exact. */
const n = (v: bigint) => Number(v)

// ---- input

/** A positive amount that JSON carries exactly: an integer in 1..2^53 − 1. Anything else is a 400 that changes nothing. */
export const Sats = Schema.Number.pipe(
  Schema.filter((x) => Number.isSafeInteger(x) && x > 0, {
    message: () => "must be a positive integer no larger than 9007199254740991"
  })
).annotations({ description: "positive integer ≤ 2^53 − 1" })

export const NonNegativeSats = Schema.Number.pipe(
  Schema.filter((x) => Number.isSafeInteger(x) && x >= 0, {
    message: () => "must be a non-negative integer no larger than 9007199254740991"
  })
)

/** A Nostr key as 64-hex (either case) or npub, decoded to lower-case x-only hex. */
export const UserKey = Schema.transformOrFail(Schema.String, Schema.String, {
  strict: true,
  decode: (s, _, ast) => {
    const key = normalizeXOnlyPubkey(s)
    return key === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, s, "must be a 64-hex x-only public key or an npub"))
      : ParseResult.succeed(key)
  },
  encode: ParseResult.succeed
}).annotations({ description: "64-hex x-only public key or npub" })

export const AssetIdInput = Schema.String.pipe(
  Schema.pattern(ASSET_ID_PATTERN, { message: () => "must be 1-64 letters, digits, '.', '_' or '-'" })
)

export const UserKeyParam = HttpApiSchema.param("user_pubkey", UserKey)
export const AssetIdParam = HttpApiSchema.param("asset_id", AssetIdInput)

export const Limit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))

/** "true"/"false" in a query string. */
export const BooleanFromQuery = Schema.transform(Schema.Literal("true", "false", "1", "0"), Schema.Boolean, {
  strict: true,
  decode: (s) => s === "true" || s === "1",
  encode: (b) => (b ? "true" : "false")
})

/** A daemon the route depends on is down: the ark module's 503, naming it. Nothing was changed. */
export const daemonOutage = (dependency: string) => <A, E extends { readonly _tag: string; readonly message: string }, R>(
  effect: Effect.Effect<A, E, R>
) =>
  Effect.catchIf(
    effect,
    (e): e is Extract<E, { readonly _tag: "LightningNodeUnavailable" | "ArkBatchFailed" | "TaprootAssetsUnavailable" }> =>
      e._tag === "LightningNodeUnavailable" || e._tag === "ArkBatchFailed" || e._tag === "TaprootAssetsUnavailable",
    (e) =>
      Effect.fail(
        new ArkServiceUnavailable({ dependency, reason: "reason" in e && typeof e.reason === "string" ? e.reason : e.message })
      )
  )

// ---- output

export const AssetView = Schema.Struct({
  asset_id: Schema.String,
  name: Schema.String,
  ticker: Schema.String,
  type: Schema.String,
  decimal_places: Schema.Number,
  total_supply: Schema.Number.annotations({ description: "declared cap; 0 = uncapped" }),
  circulating_supply: Schema.Number.annotations({ description: "minted + lifted − landed; what all balances sum to" }),
  is_active: Schema.Boolean,
  created_at: Iso
})

export const assetView = (a: Asset): typeof AssetView.Type => ({
  asset_id: a.asset_id,
  name: a.name,
  ticker: a.ticker,
  type: a.asset_type,
  decimal_places: a.decimal_places,
  total_supply: n(a.total_supply),
  circulating_supply: n(a.circulating_supply),
  is_active: a.is_active,
  created_at: toIso(a.created_at)
})

export const BalanceView = Schema.Struct({
  user_pubkey: Schema.String,
  asset_id: Schema.String,
  balance: Schema.Number,
  reserved_balance: Schema.Number,
  available_balance: Schema.Number
})

export const balanceView = (b: Balance): typeof BalanceView.Type => ({
  user_pubkey: b.user_pubkey,
  asset_id: b.asset_id,
  balance: n(totalOf(b)),
  reserved_balance: n(b.reserved),
  available_balance: n(b.available)
})

export const VtxoView = Schema.Struct({
  vtxo_id: Schema.String,
  txid: Schema.String,
  vout: Schema.Number,
  amount_sats: Schema.Number,
  script_pubkey: Schema.String,
  asset_id: Schema.String,
  user_pubkey: Schema.NullOr(Schema.String),
  status: Schema.String,
  batch_id: Schema.String,
  created_at: Iso,
  expires_at: Iso,
  assigned_at: Schema.NullOr(Iso),
  spent_at: Schema.NullOr(Iso),
  spending_txid: Schema.NullOr(Schema.String),
  settlement_id: Schema.NullOr(Schema.String)
})

export const vtxoView = (v: Vtxo): typeof VtxoView.Type => ({
  vtxo_id: v.vtxo_id,
  txid: v.txid,
  vout: v.vout,
  amount_sats: n(v.amount_sats),
  script_pubkey: v.script_pubkey,
  asset_id: v.asset_id,
  user_pubkey: v.user_pubkey,
  status: v.status,
  batch_id: v.batch_id,
  created_at: toIso(v.created_at),
  expires_at: toIso(v.expires_at),
  assigned_at: isoOrNull(v.assigned_at),
  spent_at: isoOrNull(v.spent_at),
  spending_txid: v.spending_txid,
  settlement_id: v.settlement_id
})

export const InventoryView = Schema.Struct({
  asset_id: Schema.String,
  total_vtxos: Schema.Number,
  available: Schema.Number,
  assigned: Schema.Number,
  spent: Schema.Number,
  expired: Schema.Number,
  available_sats: Schema.Number,
  assigned_sats: Schema.Number,
  available_ratio: Schema.Number,
  min_available: Schema.Number,
  replenish_threshold: Schema.Number,
  needs_replenishment: Schema.Boolean,
  recommended_batch: Schema.Number
})

export const inventoryView = (i: InventoryStatus): typeof InventoryView.Type => ({
  asset_id: i.asset_id,
  total_vtxos: i.counts.available + i.counts.assigned + i.counts.spent + i.counts.expired,
  available: i.counts.available,
  assigned: i.counts.assigned,
  spent: i.counts.spent,
  expired: i.counts.expired,
  available_sats: n(i.available_sats),
  assigned_sats: n(i.assigned_sats),
  available_ratio: i.available_ratio,
  min_available: MIN_AVAILABLE,
  replenish_threshold: REPLENISH_RATIO,
  needs_replenishment: i.needs_replenishment,
  recommended_batch: i.recommended_batch
})

export const SettlementView = Schema.Struct({
  settlement_id: Schema.String,
  commitment_txid: Schema.String,
  vtxo_count: Schema.Number,
  vtxo_ids: Schema.Array(Schema.String),
  total_amount_sats: Schema.Number,
  created_at: Iso
})

export const settlementView = (s: Settlement): typeof SettlementView.Type => ({
  settlement_id: s.settlement_id,
  commitment_txid: s.commitment_txid,
  vtxo_count: s.vtxo_ids.length,
  vtxo_ids: s.vtxo_ids,
  total_amount_sats: n(s.total_amount_sats),
  created_at: toIso(s.created_at)
})

export const TransactionView = Schema.Struct({
  txid: Schema.String,
  session_id: Schema.String,
  tx_type: Schema.String,
  status: Schema.String,
  sender_pubkey: Schema.String,
  recipient_pubkey: Schema.String,
  asset_id: Schema.String,
  amount_sats: Schema.Number,
  fee_sats: Schema.Number,
  raw_tx: Schema.NullOr(Schema.String),
  confirmations: Schema.Number,
  created_at: Iso,
  updated_at: Iso,
  broadcast_at: Schema.NullOr(Iso),
  confirmed_at: Schema.NullOr(Iso),
  failure_reason: Schema.NullOr(Schema.String)
})

export const transactionView = (t: Transaction): typeof TransactionView.Type => ({
  txid: t.txid,
  session_id: t.session_id,
  tx_type: t.tx_type,
  status: t.status,
  sender_pubkey: t.sender_pubkey,
  recipient_pubkey: t.recipient_pubkey,
  asset_id: t.asset_id,
  amount_sats: n(t.amount_sats),
  fee_sats: n(t.fee_sats),
  raw_tx: t.raw_tx,
  confirmations: t.confirmations,
  created_at: toIso(t.created_at),
  updated_at: toIso(t.updated_at),
  broadcast_at: isoOrNull(t.broadcast_at),
  confirmed_at: isoOrNull(t.confirmed_at),
  failure_reason: t.failure_reason
})

export const InvoiceView = Schema.Struct({
  payment_hash: Schema.String,
  bolt11_invoice: Schema.String,
  invoice_type: Schema.Literal("lift", "land"),
  user_pubkey: Schema.String,
  asset_id: Schema.String,
  amount_sats: Schema.Number,
  status: Schema.String,
  session_id: Schema.NullOr(Schema.String),
  created_at: Iso,
  expires_at: Iso,
  settled_at: Schema.NullOr(Iso),
  fee_sats: Schema.NullOr(Schema.Number),
  payment_preimage: Schema.NullOr(Schema.String),
  failure_reason: Schema.NullOr(Schema.String),
  payment_attempts: Schema.Number
})

export const invoiceView = (i: LightningInvoice): typeof InvoiceView.Type => ({
  payment_hash: i.payment_hash,
  bolt11_invoice: i.bolt11_invoice,
  invoice_type: i.invoice_type,
  user_pubkey: i.user_pubkey,
  asset_id: i.asset_id,
  amount_sats: n(i.amount_sats),
  status: i.status,
  session_id: i.session_id,
  created_at: toIso(i.created_at),
  expires_at: toIso(i.expires_at),
  settled_at: isoOrNull(i.settled_at),
  fee_sats: i.fee_sats === null ? null : n(i.fee_sats),
  payment_preimage: i.preimage,
  failure_reason: i.failure_reason,
  payment_attempts: i.payment_attempts
})
