import { HttpApiSchema } from "@effect/platform"
import { ParseResult, Schema } from "effect"
import * as LedgerE from "../../../core/ledger/errors.js"
import * as LnE from "../../../core/lightning/errors.js"
import * as E from "../../../core/signing/errors.js"
import * as TxE from "../../../core/transactions/errors.js"
import * as VtxoE from "../../../core/vtxo/errors.js"

/**
 * The ark module's error body is the seed's `{ "error": "<message>", "code": "<CODE>" }`.
 * The domain error's own fields (session_id, step, …) ride along beside them,
 * so existing clients read what they always read and new ones get detail.
 */
export const arkBody = <Self extends { readonly message: string }, I extends { readonly _tag: string }>(
  error: Schema.Schema<Self, I>,
  code: string,
  status: number
) => {
  const wire = Schema.Struct({ error: Schema.String, code: Schema.Literal(code) }, { key: Schema.String, value: Schema.Unknown })
  const decodeError = Schema.decodeUnknownSync(error)
  return Schema.transformOrFail(wire, Schema.encodedSchema(error), {
    strict: false,
    decode: ({ code: _code, error: _message, ...fields }, _, ast) =>
      "_tag" in fields ? ParseResult.fail(new ParseResult.Type(ast, fields)) : ParseResult.succeed({ ...fields, _tag: tagOf(error) }),
    encode: (encoded) => {
      const { _tag, ...fields } = encoded as I
      return ParseResult.succeed({ error: decodeError(encoded).message, code, ...fields })
    }
  }).pipe(Schema.compose(error), (s) => s.annotations(HttpApiSchema.annotations({ status })))
}

const tagOf = (schema: Schema.Schema.Any): string => {
  const tag = Schema.encodedSchema(schema).ast
  const ps = tag._tag === "TypeLiteral" ? tag.propertySignatures.find((p) => p.name === "_tag") : undefined
  return ps !== undefined && ps.type._tag === "Literal" ? String(ps.type.literal) : ""
}

/** Input that does not match the route's schema, or is not JSON at all. */
export class ArkValidationError extends Schema.TaggedError<ArkValidationError>()("ArkValidationError", {
  detail: Schema.String
}) {
  override get message() {
    return this.detail
  }
}

/** A dependency (store, daemon) is down; nothing was changed. */
export class ArkServiceUnavailable extends Schema.TaggedError<ArkServiceUnavailable>()("ArkServiceUnavailable", {
  dependency: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.dependency} unavailable: ${this.reason}`
  }
}

export class ArkRouteNotFound extends Schema.TaggedError<ArkRouteNotFound>()("ArkRouteNotFound", {
  method: Schema.String,
  path: Schema.String
}) {
  override get message() {
    return `No route for ${this.method} ${this.path}`
  }
}

export const ValidationErrorBody = arkBody(ArkValidationError, "VALIDATION_ERROR", 400)
export const ServiceUnavailableBody = arkBody(ArkServiceUnavailable, "SERVICE_UNAVAILABLE", 503)
export const RouteNotFoundBody = arkBody(ArkRouteNotFound, "NOT_FOUND", 404)

export const SessionNotFoundBody = arkBody(E.SessionNotFound, "SESSION_NOT_FOUND", 404)
export const InvalidStateBody = arkBody(E.InvalidSessionState, "INVALID_STATE", 409)
export const SessionExpiredBody = arkBody(E.SessionExpired, "SESSION_EXPIRED", 410)
export const ChallengeExpiredBody = arkBody(E.ChallengeExpired, "CHALLENGE_EXPIRED", 410)
export const ChallengeUsedBody = arkBody(E.ChallengeAlreadyUsed, "CHALLENGE_ALREADY_USED", 409)
export const InvalidSignatureBody = arkBody(E.InvalidSignature, "INVALID_SIGNATURE", 401)
export const PubkeyMismatchBody = arkBody(E.PubkeyMismatch, "PUBKEY_MISMATCH", 403)
export const InvalidIntentBody = arkBody(E.InvalidIntent, "INVALID_INTENT", 400)
export const StepOutOfOrderBody = arkBody(E.StepOutOfOrder, "STEP_OUT_OF_ORDER", 409)
export const CeremonyNotFoundBody = arkBody(E.CeremonyNotFound, "CEREMONY_NOT_FOUND", 404)
export const StepFailedBody = arkBody(E.CeremonyStepFailed, "STEP_FAILED", 422)

// The money routes (ledger, VTXOs, transactions, Lightning).
export const AssetNotFoundBody = arkBody(LedgerE.AssetNotFound, "ASSET_NOT_FOUND", 404)
export const AssetExistsBody = arkBody(LedgerE.AssetAlreadyExists, "ASSET_EXISTS", 409)
export const AssetInactiveBody = arkBody(LedgerE.AssetInactive, "ASSET_INACTIVE", 409)
export const InvalidRequestBody = arkBody(LedgerE.InvalidLedgerInput, "INVALID_REQUEST", 400)
export const AmountOverflowBody = arkBody(LedgerE.AmountOverflow, "AMOUNT_OVERFLOW", 400)
export const SupplyCapBody = arkBody(LedgerE.SupplyCapExceeded, "SUPPLY_CAP_EXCEEDED", 422)
export const InsufficientFundsBody = arkBody(LedgerE.InsufficientFunds, "INSUFFICIENT_FUNDS", 422)
export const ReservationConflictBody = arkBody(LedgerE.HoldConflict, "RESERVATION_CONFLICT", 409)

export const VtxoNotFoundBody = arkBody(VtxoE.VtxoNotFound, "VTXO_NOT_FOUND", 404)
export const NoVtxoAvailableBody = arkBody(VtxoE.NoVtxoAvailable, "NO_VTXO_AVAILABLE", 409)
export const VtxoSpentBody = arkBody(VtxoE.VtxoAlreadySpent, "VTXO_ALREADY_SPENT", 409)
export const VtxoStateBody = arkBody(VtxoE.InvalidVtxoState, "INVALID_VTXO_STATE", 409)
export const InvalidBatchBody = arkBody(VtxoE.InvalidBatch, "INVALID_BATCH", 400)

export const TransactionNotFoundBody = arkBody(TxE.TransactionNotFound, "TRANSACTION_NOT_FOUND", 404)
export const TransactionStateBody = arkBody(TxE.InvalidTransactionState, "INVALID_TRANSACTION_STATE", 409)

export const InvalidInvoiceBody = arkBody(LnE.InvalidInvoice, "INVALID_INVOICE", 400)
export const NetworkMismatchBody = arkBody(LnE.InvoiceNetworkMismatch, "NETWORK_MISMATCH", 400)
export const AmountMismatchBody = arkBody(LnE.InvoiceAmountMismatch, "AMOUNT_MISMATCH", 400)
export const InvoiceExpiredBody = arkBody(LnE.InvoiceExpired, "INVOICE_EXPIRED", 400)
export const InvoiceNotFoundBody = arkBody(LnE.InvoiceNotFound, "INVOICE_NOT_FOUND", 404)
export const InvoiceExistsBody = arkBody(LnE.InvoiceAlreadyRegistered, "INVOICE_EXISTS", 409)
export const InvoiceNotPayableBody = arkBody(LnE.InvoiceNotPayable, "INVOICE_NOT_PAYABLE", 409)
export const PaymentFailedBody = arkBody(LnE.PaymentFailed, "PAYMENT_FAILED", 422)
