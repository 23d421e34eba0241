import { Context, type Effect, type Either, type Option } from "effect"
import type { InvoiceAlreadyRegistered, InvoiceNotFound } from "../core/lightning/errors.js"
import type { InvoiceStatus, InvoiceType, LightningInvoice } from "../core/lightning/model.js"
import type { StoreUnavailable } from "../core/shared/errors.js"

export interface InvoiceFilter {
  readonly user_pubkey?: string | undefined
  readonly invoice_type?: InvoiceType | undefined
  readonly status?: InvoiceStatus | undefined
  /** Only those whose expires_at <= this instant. */
  readonly expired_by?: number | undefined
  readonly limit?: number | undefined
}

export interface InvoiceCount {
  readonly invoice_type: InvoiceType
  readonly status: InvoiceStatus
  readonly count: number
  readonly amount_sats: bigint
}

/**
 * Lift and land invoices, keyed by payment hash: one payment hash is one
 * record, ever (insert of a known hash fails), and `modify` is an atomic
 * read-decide-write so two callers cannot both start paying one invoice.
 */
export class InvoiceStore extends Context.Tag("relaygate/InvoiceStore")<
  InvoiceStore,
  {
    readonly insert: (invoice: LightningInvoice) => Effect.Effect<void, InvoiceAlreadyRegistered | StoreUnavailable>
    readonly get: (paymentHash: string) => Effect.Effect<Option.Option<LightningInvoice>, StoreUnavailable>
    readonly modify: <A, E>(
      paymentHash: string,
      decide: (current: LightningInvoice) => Either.Either<readonly [LightningInvoice, A], E>
    ) => Effect.Effect<A, E | InvoiceNotFound | StoreUnavailable>
    /** Newest first. */
    readonly list: (filter: InvoiceFilter) => Effect.Effect<ReadonlyArray<LightningInvoice>, StoreUnavailable>
    readonly countByTypeAndStatus: () => Effect.Effect<ReadonlyArray<InvoiceCount>, StoreUnavailable>
  }
>() {}
