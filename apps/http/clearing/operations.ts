import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ClearingAuth } from "./auth.js"
import * as Err from "./errors.js"
import { ClearingJson } from "./views.js"

const PacketRef = Schema.Struct({
  chain_id: Schema.optional(Schema.String),
  chain: Schema.optional(Schema.String).annotations({ description: "alias of chain_id" }),
  channel: Schema.String,
  sequence: Schema.Int.pipe(Schema.positive())
})

export const RequestTokenBody = Schema.Struct({
  packets: Schema.optional(Schema.Array(PacketRef)),
  packet_ids: Schema.optional(Schema.Array(Schema.String).annotations({ description: "e.g. cosmoshub-4-channel-141-123" })),
  targets: Schema.optional(Schema.Struct({ packets: Schema.optional(Schema.Array(PacketRef)) })),
  wallet_address: Schema.optional(Schema.String),
  walletAddress: Schema.optional(Schema.String)
})

export const VerifyPaymentBody = Schema.Struct({
  token: Schema.String,
  tx_hash: Schema.optional(Schema.String),
  txHash: Schema.optional(Schema.String)
})

const TokenParam = HttpApiSchema.param("token", Schema.String)

/** Paid clearing: quote, payment, relaying, delivery seen on chain. Bearer JWT. */
export class ClearingOperationsApi extends HttpApiGroup.make("clearing-operations")
  .add(
    HttpApiEndpoint.post("requestToken", "/api/v1/clearing/request-token")
      .setPayload(RequestTokenBody)
      .addSuccess(ClearingJson)
      .addError(Err.PacketNotFoundBody)
      .addError(Err.PacketNotStuckBody)
      .addError(Err.InvalidClearingRequestBody)
      .addError(Err.ClearingRateLimitedBody)
      .addError(Err.ClearingUnavailableBody)
      .annotate(OpenApi.Description, "Quotes a fee for clearing stuck packets (all from one chain). Pay `fees.total` `fees.denom` to `payment_address` with `memo` in the memo. 10 per hour per user.")
  )
  .add(
    HttpApiEndpoint.post("verifyPayment", "/api/v1/clearing/verify-payment")
      .setPayload(VerifyPaymentBody)
      .addSuccess(ClearingJson)
      .addError(Err.ClearingNotFoundBody)
      .addError(Err.InvalidClearingRequestBody)
      .addError(Err.InvalidClearingStateBody)
      .addError(Err.PaymentTxNotFoundBody)
      .addError(Err.PaymentRejectedBody)
      .addError(Err.PaymentAlreadyUsedBody)
      .addError(Err.QuoteExpiredBody)
      .addError(Err.ChainUnavailableBody)
      .annotate(OpenApi.Description, "Checks the payment on chain (succeeded, paid the quote to the address, token in the memo, not used before); then the packets are relayed.")
  )
  .add(
    HttpApiEndpoint.get("status")`/api/v1/clearing/status/${TokenParam}`
      .addSuccess(ClearingJson)
      .addError(Err.ClearingNotFoundBody)
      .annotate(OpenApi.Description, "`cleared` only once the packets' recv or ack events are seen on chain.")
  )
  .add(
    HttpApiEndpoint.get("operations", "/api/v1/clearing/operations")
      .addSuccess(Schema.Struct({ operations: Schema.Array(ClearingJson) }))
  )
  .middleware(ClearingAuth)
  .addError(Err.TooManyRequestsBody)
  .addError(Err.ServiceUnavailableBody)
  .addError(Err.ValidationBody)
  .annotate(OpenApi.Title, "Packet clearing")
{}
