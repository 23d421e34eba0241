import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import * as Err from "./errors.js"
import {
  AssetIdInput,
  AssetIdParam,
  AssetView,
  BalanceView,
  BooleanFromQuery,
  NonNegativeSats,
  Sats,
  UserKey,
  UserKeyParam
} from "./money-views.js"

export const CreateAssetBody = Schema.Struct({
  asset_id: AssetIdInput,
  name: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)),
  ticker: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(16)),
  /** The seed's field; `asset_type` is accepted too. */
  type: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(32))),
  asset_type: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(32))),
  decimal_places: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(0, 18))),
  total_supply: Schema.optional(NonNegativeSats),
  is_active: Schema.optional(Schema.Boolean)
})

export const MintBody = Schema.Struct({ user_pubkey: UserKey, amount: Sats })

export const TransferBody = Schema.Struct({
  sender_pubkey: UserKey,
  recipient_pubkey: UserKey,
  asset_id: AssetIdInput,
  amount: Sats
})

export const Movement = Schema.Struct({
  success: Schema.Literal(true),
  entry_id: Schema.String,
  asset_id: Schema.String,
  amount: Schema.Number
})

export const MintResult = Schema.Struct({ ...Movement.fields, user_pubkey: Schema.String, balance: BalanceView, asset: AssetView })

export const TransferResult = Schema.Struct({
  ...Movement.fields,
  sender_pubkey: Schema.String,
  recipient_pubkey: Schema.String,
  sender_balance: BalanceView,
  recipient_balance: BalanceView
})

export const AssetList = Schema.Struct({ assets: Schema.Array(AssetView), count: Schema.Number })

export const AssetStats = Schema.Struct({
  total_assets: Schema.Number,
  active_assets: Schema.Number,
  total_holders: Schema.Number,
  /** True when every asset's journal balances and its users hold exactly its circulating supply. */
  ledger_balanced: Schema.Boolean,
  assets: Schema.Array(
    Schema.Struct({
      asset_id: Schema.String,
      circulating_supply: Schema.Number,
      reserved: Schema.Number,
      holders: Schema.Number,
      balanced: Schema.Boolean,
      vtxos: Schema.Record({ key: Schema.String, value: Schema.Number })
    })
  )
})

export const CleanupResult = Schema.Struct({ expired_count: Schema.Number, vtxo_ids: Schema.Array(Schema.String) })

export const ReserveView = Schema.Struct({
  asset_id: Schema.String,
  liabilities: Schema.Number,
  reserved: Schema.Number,
  required_reserve: Schema.Number,
  reserve_ratio: Schema.NullOr(Schema.Number),
  backing: Schema.Struct({ inventory_sats: Schema.Number, taproot_assets: Schema.Number, lightning_local_sats: Schema.Number }),
  total_backing: Schema.Number,
  shortfall: Schema.Number,
  is_sufficient: Schema.Boolean
})

export const UserBalances = Schema.Struct({ user_pubkey: Schema.String, balances: Schema.Array(BalanceView), count: Schema.Number })

/** Assets and balances: create, list, mint, transfer, balances, stats, VTXO cleanup, reserve requirements. */
export class AssetsApi extends HttpApiGroup.make("assets")
  .add(
    HttpApiEndpoint.post("create", "/assets")
      .setPayload(CreateAssetBody)
      .addSuccess(AssetView, { status: 201 })
      .addError(Err.AssetExistsBody)
      .addError(Err.InvalidRequestBody)
  )
  .add(
    HttpApiEndpoint.get("list", "/assets")
      .setUrlParams(Schema.Struct({ active_only: Schema.optional(BooleanFromQuery) }))
      .addSuccess(AssetList)
  )
  .add(HttpApiEndpoint.get("stats", "/assets/stats").addSuccess(AssetStats))
  .add(HttpApiEndpoint.post("cleanupVtxos", "/assets/cleanup-vtxos").addSuccess(CleanupResult))
  .add(
    HttpApiEndpoint.post("transfer", "/assets/transfer")
      .setPayload(TransferBody)
      .addSuccess(TransferResult)
      .addError(Err.InsufficientFundsBody)
      .addError(Err.AssetInactiveBody)
      .addError(Err.AmountOverflowBody)
      .addError(Err.InvalidRequestBody)
  )
  .add(HttpApiEndpoint.get("get")`/assets/${AssetIdParam}`.addSuccess(AssetView))
  .add(
    HttpApiEndpoint.post("mint")`/assets/${AssetIdParam}/mint`
      .setPayload(MintBody)
      .addSuccess(MintResult)
      .addError(Err.AssetInactiveBody)
      .addError(Err.SupplyCapBody)
      .addError(Err.AmountOverflowBody)
      .addError(Err.InvalidRequestBody)
  )
  .add(HttpApiEndpoint.get("reserve")`/assets/${AssetIdParam}/reserve`.addSuccess(ReserveView))
  .add(HttpApiEndpoint.get("balances")`/balances/${UserKeyParam}`.addSuccess(UserBalances))
  .add(HttpApiEndpoint.get("balance")`/balances/${UserKeyParam}/${AssetIdParam}`.addSuccess(BalanceView))
  .addError(Err.ValidationErrorBody)
  .addError(Err.AssetNotFoundBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Ark assets and balances")
{}
