import { Schema } from "effect"

export class InvalidInvoice extends Schema.TaggedError<InvalidInvoice>()("InvalidInvoice", {
  reason: Schema.String
}) {
  override get message() {
    return `Invalid lightning_invoice: ${this.reason}`
  }
}

export class InvoiceNetworkMismatch extends Schema.TaggedError<InvoiceNetworkMismatch>()("InvoiceNetworkMismatch", {
  expected: Schema.String,
  actual: Schema.String
}) {
  override get message() {
    return `The invoice is for ${this.actual}; this gateway runs on ${this.expected}`
  }
}

export class InvoiceAmountMismatch extends Schema.TaggedError<InvoiceAmountMismatch>()("InvoiceAmountMismatch", {
  amount_sats: Schema.Number,
  /** Null for an invoice without an amount. */
  invoice_amount_msat: Schema.NullOr(Schema.Number)
}) {
  override get message() {
    return this.invoice_amount_msat === null
      ? `The invoice has no amount; it must ask for exactly ${this.amount_sats} sats`
      : `The invoice asks for ${this.invoice_amount_msat} msat, not ${this.amount_sats} sats`
  }
}

export class InvoiceExpired extends Schema.TaggedError<InvoiceExpired>()("InvoiceExpired", {
  payment_hash: Schema.String,
  expired_at: Schema.Number
}) {
  override get message() {
    return `Invoice ${this.payment_hash} expired at ${new Date(this.expired_at).toISOString()}`
  }
}

export class InvoiceNotFound extends Schema.TaggedError<InvoiceNotFound>()("InvoiceNotFound", {
  payment_hash: Schema.String
}) {
  override get message() {
    return `No invoice with payment hash ${this.payment_hash}`
  }
}

/** The invoice was already registered for a land; one invoice moves money at most once. */
export class InvoiceAlreadyRegistered extends Schema.TaggedError<InvoiceAlreadyRegistered>()("InvoiceAlreadyRegistered", {
  payment_hash: Schema.String
}) {
  override get message() {
    return `Invoice ${this.payment_hash} is already registered`
  }
}

export class InvoiceNotPayable extends Schema.TaggedError<InvoiceNotPayable>()("InvoiceNotPayable", {
  payment_hash: Schema.String,
  status: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Invoice ${this.payment_hash} cannot be paid: ${this.reason}`
  }
}

/** lnd reported the payment failed; the reservation was released and the balance is as before. */
export class PaymentFailed extends Schema.TaggedError<PaymentFailed>()("PaymentFailed", {
  payment_hash: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Payment ${this.payment_hash} failed: ${this.reason}; the reserved balance was released`
  }
}

/** lnd is down or refused a request the gateway could not foresee. */
export class LightningNodeUnavailable extends Schema.TaggedError<LightningNodeUnavailable>()("LightningNodeUnavailable", {
  reason: Schema.String
}) {
  override get message() {
    return `lnd unavailable: ${this.reason}`
  }
}
