import { Schema } from "effect"

/**
 * Amounts are bigint inside and JSON numbers at the edge, so every amount the
 * ledger holds stays a safe integer: nothing it reports can lose precision.
 */
export const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER)

/** Asset ids as the seed uses them (`BTC`, `gBTC`, `LP-FOO-BAR`). */
export const ASSET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export const Asset = Schema.Struct({
  asset_id: Schema.String,
  name: Schema.String,
  ticker: Schema.String,
  asset_type: Schema.String,
  decimal_places: Schema.Number,
  /** Declared supply cap; 0 means uncapped. Mints and lifts never take the circulating supply past it. */
  total_supply: Schema.BigInt,
  /** Minted plus lifted minus landed: exactly what all users' balances sum to. */
  circulating_supply: Schema.BigInt,
  is_active: Schema.Boolean,
  created_at: Schema.Number
})
export type Asset = typeof Asset.Type

/** The asset every transfer through the ark ceremony and every lift or land is counted in unless told otherwise. */
export const BTC: Omit<Asset, "created_at"> = {
  asset_id: "BTC",
  name: "Bitcoin",
  ticker: "BTC",
  asset_type: "native",
  decimal_places: 8,
  total_supply: 0n,
  circulating_supply: 0n,
  is_active: true
}

/**
 * Ledger accounts. A user holds two per asset: `available` (spendable) and
 * `reserved` (held for a ceremony or a Lightning payment); their balance is
 * the sum. System accounts are where supply comes from and goes to, so every
 * entry's postings sum to zero and the users' total is minus the system total.
 */
export type AccountKey = string

export const availableOf = (owner: string): AccountKey => `user:${owner}:available`
export const reservedOf = (owner: string): AccountKey => `user:${owner}:reserved`
/** Counterpart of mints. */
export const ISSUANCE: AccountKey = "system:issuance"
/** Counterpart of lifts (sats received over Lightning) and lands (sats paid out over Lightning). */
export const LIGHTNING: AccountKey = "system:lightning"

export type ParsedAccount =
  | { readonly kind: "user"; readonly owner: string; readonly bucket: "available" | "reserved" }
  | { readonly kind: "system"; readonly name: string }

export const parseAccount = (key: AccountKey): ParsedAccount => {
  const m = /^user:(.+):(available|reserved)$/.exec(key)
  return m === null
    ? { kind: "system", name: key.replace(/^system:/, "") }
    : { kind: "user", owner: m[1]!, bucket: m[2] as "available" | "reserved" }
}

export const isUserAccount = (key: AccountKey): boolean => key.startsWith("user:")

export const Posting = Schema.Struct({ account: Schema.String, amount: Schema.BigInt })
export type Posting = typeof Posting.Type

export const EntryKind = Schema.Literal("mint", "transfer", "lift", "reserve", "settle", "release")
export type EntryKind = typeof EntryKind.Type

/**
 * One journal row. `entry_id` is also the idempotency key: the store applies
 * an entry id at most once, so a retried or replayed command moves nothing.
 */
export const JournalEntry = Schema.Struct({
  entry_id: Schema.String,
  kind: EntryKind,
  asset_id: Schema.String,
  /** Signed amounts; they always sum to zero. */
  postings: Schema.Array(Posting),
  /** What caused it: a session id, a payment hash, a hold id. */
  reference: Schema.NullOr(Schema.String),
  created_at: Schema.Number
})
export type JournalEntry = typeof JournalEntry.Type

export const HoldStatus = Schema.Literal("held", "settled", "released")
export type HoldStatus = typeof HoldStatus.Type

/**
 * Money set aside for one purpose (a ceremony, a Lightning payment). It ends
 * exactly once: settled (paid out) or released (back to available), never both.
 */
export const Hold = Schema.Struct({
  hold_id: Schema.String,
  owner: Schema.String,
  asset_id: Schema.String,
  amount: Schema.BigInt,
  status: HoldStatus,
  /** `ceremony`, `land`, ... for whoever reconciles holds left open by a crash. */
  purpose: Schema.String,
  reference: Schema.NullOr(Schema.String),
  created_at: Schema.Number,
  closed_at: Schema.NullOr(Schema.Number),
  /** Where a settled hold went. */
  destination: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String)
})
export type Hold = typeof Hold.Type

/** A user's position in one asset. */
export interface Balance {
  readonly user_pubkey: string
  readonly asset_id: string
  readonly available: bigint
  readonly reserved: bigint
}

export const totalOf = (b: Balance): bigint => b.available + b.reserved

export const holdEntryId = (holdId: string, step: "reserve" | "settle" | "release") => `hold:${holdId}:${step}`
