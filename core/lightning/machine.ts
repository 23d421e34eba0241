import { Either, Option } from "effect"
import { InvoiceNotPayable } from "./errors.js"
import type { LightningInvoice } from "./model.js"

const notPayable = (inv: LightningInvoice, reason: string) =>
  new InvoiceNotPayable({ payment_hash: inv.payment_hash, status: inv.status, reason })

/**
 * A lift's invoice was paid. Credited once: a paid invoice stays as it is
 * (`changed` false). An invoice we had already expired is still credited —
 * the sats arrived.
 */
export const liftSettled = (inv: LightningInvoice, now: number): { readonly invoice: LightningInvoice; readonly changed: boolean } =>
  inv.invoice_type === "lift" && (inv.status === "pending" || inv.status === "expired")
    ? { invoice: { ...inv, status: "paid", settled_at: now, updated_at: now }, changed: true }
    : { invoice: inv, changed: false }

/** A pending invoice past its expiry; a land's reservation must then be released. */
export const expireIfDue = (inv: LightningInvoice, now: number): Option.Option<LightningInvoice> =>
  inv.status === "pending" && now >= inv.expires_at
    ? Option.some({ ...inv, status: "expired", updated_at: now, failure_reason: "invoice expired before it was paid" })
    : Option.none()

/** Only a pending, unexpired land is paid, and only by one caller at a time (it moves to in_flight). */
export const beginPayment = (inv: LightningInvoice, now: number): Either.Either<LightningInvoice, InvoiceNotPayable> => {
  if (inv.invoice_type !== "land") return Either.left(notPayable(inv, "a lift invoice is paid by the user, not the gateway"))
  switch (inv.status) {
    case "pending":
      return now >= inv.expires_at
        ? Either.left(notPayable(inv, "the invoice has expired"))
        : Either.right({ ...inv, status: "in_flight", payment_attempts: inv.payment_attempts + 1, updated_at: now })
    case "in_flight":
      return Either.left(notPayable(inv, "a payment is already in flight"))
    case "paid":
      return Either.left(notPayable(inv, "it is already paid"))
    case "failed":
      return Either.left(notPayable(inv, "its payment failed and the reservation was released; land again with a new invoice"))
    case "expired":
      return Either.left(notPayable(inv, "the invoice has expired"))
  }
}

export const paymentSucceeded = (
  inv: LightningInvoice,
  r: { readonly fee_sats: bigint; readonly preimage: string | null },
  now: number
): LightningInvoice =>
  inv.status === "in_flight"
    ? { ...inv, status: "paid", settled_at: now, updated_at: now, fee_sats: r.fee_sats, preimage: r.preimage, failure_reason: null }
    : inv

export const paymentFailed = (inv: LightningInvoice, reason: string, now: number): LightningInvoice =>
  inv.status === "in_flight" ? { ...inv, status: "failed", updated_at: now, failure_reason: reason } : inv
