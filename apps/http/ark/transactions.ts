import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { TransactionStatus } from "../../../core/transactions/model.js"
import * as Err from "./errors.js"
import { Limit, TransactionView, UserKeyParam } from "./money-views.js"

const TxidParam = HttpApiSchema.param(
  "txid",
  Schema.String.pipe(Schema.pattern(/^[0-9a-fA-F]{64}$/, { message: () => "must be a 32-byte txid in hex" }))
)

export const PrepareBody = Schema.Struct({ session_id: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)) })
/** Optional body of the confirm route; an empty body confirms once. */
export const ConfirmBody = Schema.Struct({
  confirmations: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.between(1, 1_000_000)))
})

export const TransactionList = Schema.Struct({ user_pubkey: Schema.String, transactions: Schema.Array(TransactionView), count: Schema.Number })

/** Ark transactions of p2p transfers: prepare from a verified session, status, broadcast, confirm, per-user history. */
export class TransactionsApi extends HttpApiGroup.make("transactions")
  .add(
    HttpApiEndpoint.post("prepare", "/transactions/p2p-transfer")
      .setPayload(PrepareBody)
      .addSuccess(TransactionView)
      .addError(Err.SessionNotFoundBody)
      .addError(Err.SessionExpiredBody)
      .addError(Err.InvalidStateBody)
      .addError(Err.StepOutOfOrderBody)
      .addError(Err.StepFailedBody)
      .addError(Err.CeremonyNotFoundBody)
      .annotate(
        OpenApi.Description,
        "Runs the session's ceremony (step by step) through signature collection: the sender's amount is reserved and the ark tx is signed, not yet sent to arkd"
      )
  )
  .add(HttpApiEndpoint.get("status")`/transactions/${TxidParam}/status`.addSuccess(TransactionView))
  .add(
    HttpApiEndpoint.post("broadcast")`/transactions/${TxidParam}/broadcast`
      .addSuccess(TransactionView)
      .addError(Err.TransactionStateBody)
      .addError(Err.SessionNotFoundBody)
      .addError(Err.SessionExpiredBody)
      .addError(Err.InvalidStateBody)
      .addError(Err.StepOutOfOrderBody)
      .addError(Err.StepFailedBody)
      .addError(Err.CeremonyNotFoundBody)
      .annotate(OpenApi.Description, "Submits and finalizes the ark tx with arkd; the balance moves to the recipient exactly once")
  )
  .add(
    HttpApiEndpoint.get("user")`/transactions/user/${UserKeyParam}`
      .setUrlParams(Schema.Struct({ status: Schema.optional(TransactionStatus), limit: Schema.optional(Limit) }))
      .addSuccess(TransactionList)
  )
  .add(
    HttpApiEndpoint.post("confirm")`/transactions/user/confirm/${TxidParam}`
      .addSuccess(TransactionView)
      .addError(Err.TransactionStateBody)
      .annotate(OpenApi.Description, "Optional JSON body: { \"confirmations\": number }")
  )
  .addError(Err.ValidationErrorBody)
  .addError(Err.TransactionNotFoundBody)
  .addError(Err.ServiceUnavailableBody)
  .annotate(OpenApi.Title, "Ark transactions")
{}
