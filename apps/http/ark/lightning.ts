import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { InvoiceStatus, InvoiceType } from "../../../core/lightning/model.js"
import * as Err from "./errors.js"
import { AssetIdInput, InvoiceView, Limit, Sats, UserKey, UserKeyParam } from "./money-views.js"

const PaymentHash = HttpApiSchema.param(
  "payment_hash",
  Schema.String.pipe(Schema.pattern(/^[0-9a-fA-F]{64}$/, { message: () => "must be a 32-byte payment hash in hex" }))
)
const AmountParam = HttpApiSchema.param("amount_sats", Schema.NumberFromString.pipe(Schema.compose(Sats)))
const SessionRef = Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)))

export const LiftBody = Schema.Struct({
  user_pubkey: UserKey,
  asset_id: Schema.optionalWith(AssetIdInput, { default: () => "BTC" }),
  amount_sats: Sats,
  session_id: SessionRef
})

export const LandBody = Schema.Struct({
  user_pubkey: UserKey,
  asset_id: Schema.optionalWith(AssetIdInput, { default: () => "BTC" }),
  amount_sats: Sats,
  lightning_invoice: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(4096)),
  session_id: SessionRef
})

export const InvoiceList = Schema.Struct({ invoices: Schema.Array(InvoiceView), count: Schema.Number })
export const PaymentList = Schema.Struct({ payments: Schema.Array(InvoiceView), count: Schema.Number })

export const ListParams = Schema.Struct({
  user_pubkey: Schema.optional(UserKey),
  status: Schema.optional(InvoiceStatus),
  invoice_type: Schema.optional(InvoiceType),
  limit: Schema.optional(Limit)
})

export const Balances = Schema.Struct({
  lightning: Schema.Struct({ local_balance_sats: Schema.Number, remote_balance_sats: Schema.Number, pending_open_local_sats: Schema.Number }),
  onchain: Schema.Struct({ confirmed_sats: Schema.Number, unconfirmed_sats: Schema.Number, total_sats: Schema.Number }),
  total_sats: Schema.Number
})

export const Channels = Schema.Struct({
  channels: Schema.Array(
    Schema.Struct({
      channel_id: Schema.String,
      remote_pubkey: Schema.String,
      capacity_sats: Schema.Number,
      local_balance_sats: Schema.Number,
      remote_balance_sats: Schema.Number,
      active: Schema.Boolean
    })
  ),
  count: Schema.Number
})

export const FeeEstimateView = Schema.Struct({
  amount_sats: Schema.Number,
  routing_fee_sats: Schema.Number,
  fee_limit_sats: Schema.Number,
  time_lock_delay: Schema.Number
})

export const ActivityView = Schema.Struct({
  user_pubkey: Schema.String,
  invoices: Schema.Array(InvoiceView),
  count: Schema.Number,
  lifted_sats: Schema.Number,
  landed_sats: Schema.Number
})

export const StatisticsView = Schema.Struct({
  total_invoices: Schema.Number,
  lift: Schema.Record({ key: Schema.String, value: Schema.Number }),
  land: Schema.Record({ key: Schema.String, value: Schema.Number }),
  lifted_sats: Schema.Number,
  landed_sats: Schema.Number
})

export const MonitorHealthView = Schema.Struct({
  healthy: Schema.Boolean,
  subscription: Schema.String,
  connected_since: Schema.NullOr(Schema.String),
  last_event_at: Schema.NullOr(Schema.String),
  settle_index: Schema.Number,
  settlements_seen: Schema.Number,
  credited: Schema.Number,
  duplicates_ignored: Schema.Number,
  foreign_ignored: Schema.Number,
  reconnects: Schema.Number,
  last_error: Schema.NullOr(Schema.String)
})

/** Lightning rails: lift (on-ramp), land (off-ramp) and pay, invoices and payments, node balances, channels, fees, activity. */
export class LightningApi extends HttpApiGroup.make("lightning")
  .add(
    HttpApiEndpoint.post("lift", "/lightning/lift")
      .setPayload(LiftBody)
      .addSuccess(InvoiceView, { status: 201 })
      .addError(Err.AssetInactiveBody)
      .addError(Err.SupplyCapBody)
      .addError(Err.InvalidRequestBody)
      .annotate(OpenApi.Description, "An invoice for the user; when it is paid the user's balance is credited exactly once")
  )
  .add(
    HttpApiEndpoint.post("land", "/lightning/land")
      .setPayload(LandBody)
      .addSuccess(InvoiceView, { status: 201 })
      .addError(Err.InvalidInvoiceBody)
      .addError(Err.NetworkMismatchBody)
      .addError(Err.AmountMismatchBody)
      .addError(Err.InvoiceExpiredBody)
      .addError(Err.InvoiceExistsBody)
      .addError(Err.InsufficientFundsBody)
      .addError(Err.AssetInactiveBody)
      .addError(Err.ReservationConflictBody)
      .addError(Err.InvalidRequestBody)
      .annotate(
        OpenApi.Description,
        "Checks the user's invoice (amount, expiry, BITCOIN_NETWORK), then reserves the amount; POST /lightning/pay/{payment_hash} pays it"
      )
  )
  .add(
    HttpApiEndpoint.post("pay")`/lightning/pay/${PaymentHash}`
      .addSuccess(InvoiceView)
      .addError(Err.InvoiceNotPayableBody)
      .addError(Err.PaymentFailedBody)
      .annotate(OpenApi.Description, "Pays a registered land: debited on success, released on failure (422), or still in_flight")
  )
  .add(HttpApiEndpoint.get("invoice")`/lightning/invoices/${PaymentHash}`.addSuccess(InvoiceView))
  .add(HttpApiEndpoint.get("invoices", "/lightning/invoices").setUrlParams(ListParams).addSuccess(InvoiceList))
  .add(HttpApiEndpoint.get("payments", "/lightning/payments").setUrlParams(ListParams).addSuccess(PaymentList))
  .add(HttpApiEndpoint.get("balances", "/lightning/balances").addSuccess(Balances))
  .add(HttpApiEndpoint.get("channels", "/lightning/channels").addSuccess(Channels))
  .add(HttpApiEndpoint.get("fees")`/lightning/fees/estimate/${AmountParam}`.addSuccess(FeeEstimateView))
  .add(HttpApiEndpoint.get("activity")`/lightning/activity/${UserKeyParam}`.addSuccess(ActivityView))
  .add(HttpApiEndpoint.get("statistics", "/lightning/statistics").addSuccess(StatisticsView))
  .add(HttpApiEndpoint.get("health", "/lightning/monitor/health").addSuccess(MonitorHealthView))
  .addError(Err.ValidationErrorBody)
  .addError(Err.AssetNotFoundBody)
  .addError(Err.InvoiceNotFoundBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Ark Lightning")
{}
