import { Schema } from "effect"

export class AssetNotFound extends Schema.TaggedError<AssetNotFound>()("AssetNotFound", {
  asset_id: Schema.String
}) {
  override get message() {
    return `Asset ${this.asset_id} not found`
  }
}

export class AssetAlreadyExists extends Schema.TaggedError<AssetAlreadyExists>()("AssetAlreadyExists", {
  asset_id: Schema.String
}) {
  override get message() {
    return `Asset ${this.asset_id} already exists`
  }
}

export class AssetInactive extends Schema.TaggedError<AssetInactive>()("AssetInactive", {
  asset_id: Schema.String
}) {
  override get message() {
    return `Asset ${this.asset_id} is not active`
  }
}

/** An amount that is not a positive safe integer, a malformed key or asset, a transfer to oneself. Nothing was changed. */
export class InvalidLedgerInput extends Schema.TaggedError<InvalidLedgerInput>()("InvalidLedgerInput", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** The movement would take a balance or the supply past 2^53 − 1, which JSON clients cannot read exactly. */
export class AmountOverflow extends Schema.TaggedError<AmountOverflow>()("AmountOverflow", {
  asset_id: Schema.String,
  account: Schema.String
}) {
  override get message() {
    return `The amount would take ${this.account} in ${this.asset_id} past 9007199254740991`
  }
}

export class SupplyCapExceeded extends Schema.TaggedError<SupplyCapExceeded>()("SupplyCapExceeded", {
  asset_id: Schema.String,
  total_supply: Schema.Number,
  circulating_supply: Schema.Number,
  requested: Schema.Number
}) {
  override get message() {
    return `Minting ${this.requested} would exceed the total supply of ${this.asset_id} (${this.circulating_supply} of ${this.total_supply} issued)`
  }
}

export class InsufficientFunds extends Schema.TaggedError<InsufficientFunds>()("InsufficientFunds", {
  user_pubkey: Schema.String,
  asset_id: Schema.String,
  available: Schema.Number,
  requested: Schema.Number
}) {
  override get message() {
    return `Insufficient ${this.asset_id} balance: ${this.available} available, ${this.requested} requested`
  }
}

export class HoldNotFound extends Schema.TaggedError<HoldNotFound>()("HoldNotFound", {
  hold_id: Schema.String
}) {
  override get message() {
    return `Reservation ${this.hold_id} not found`
  }
}

/** The hold already ended the other way (settle after release, release after settle). */
export class HoldConflict extends Schema.TaggedError<HoldConflict>()("HoldConflict", {
  hold_id: Schema.String,
  status: Schema.String,
  action: Schema.String
}) {
  override get message() {
    return `Cannot ${this.action} reservation ${this.hold_id}: it is already ${this.status}`
  }
}

export type LedgerError =
  | AssetNotFound
  | AssetInactive
  | InvalidLedgerInput
  | AmountOverflow
  | SupplyCapExceeded
  | InsufficientFunds
  | HoldNotFound
  | HoldConflict
