import { Effect, Either, Layer, Option } from "effect"
import { InvoiceAlreadyRegistered, InvoiceNotFound } from "../../core/lightning/errors.js"
import type { LightningInvoice } from "../../core/lightning/model.js"
import { type InvoiceCount, type InvoiceFilter, InvoiceStore } from "../../ports/invoice-store.js"

const matches = (f: InvoiceFilter) => (i: LightningInvoice) =>
  (f.user_pubkey === undefined || i.user_pubkey === f.user_pubkey) &&
  (f.invoice_type === undefined || i.invoice_type === f.invoice_type) &&
  (f.status === undefined || i.status === f.status) &&
  (f.expired_by === undefined || i.expires_at <= f.expired_by)

/** Invoices in process memory; each operation is one synchronous block, hence atomic. */
export const make = Effect.sync(() => {
  const invoices = new Map<string, LightningInvoice>()
  let seq = 0
  const order = new Map<string, number>()

  return InvoiceStore.of({
    insert: (invoice) =>
      Effect.suspend(() => {
        if (invoices.has(invoice.payment_hash)) return Effect.fail(new InvoiceAlreadyRegistered({ payment_hash: invoice.payment_hash }))
        invoices.set(invoice.payment_hash, invoice)
        order.set(invoice.payment_hash, ++seq)
        return Effect.void
      }).pipe(Effect.withSpan("InvoiceStore.insert")),

    get: (paymentHash) => Effect.sync(() => Option.fromNullable(invoices.get(paymentHash))).pipe(Effect.withSpan("InvoiceStore.get")),

    modify: <A, E>(paymentHash: string, decide: (current: LightningInvoice) => Either.Either<readonly [LightningInvoice, A], E>) =>
      Effect.suspend((): Effect.Effect<A, E | InvoiceNotFound> => {
        const current = invoices.get(paymentHash)
        if (current === undefined) return Effect.fail(new InvoiceNotFound({ payment_hash: paymentHash }))
        return Either.match(decide(current), {
          onLeft: Effect.fail,
          onRight: ([next, a]) => {
            invoices.set(paymentHash, next)
            return Effect.succeed(a)
          }
        })
      }).pipe(Effect.withSpan("InvoiceStore.modify")),

    list: (filter) =>
      Effect.sync(() => {
        const all = Array.from(invoices.values())
          .filter(matches(filter))
          .sort((a, b) => b.created_at - a.created_at || order.get(b.payment_hash)! - order.get(a.payment_hash)!)
        return filter.limit === undefined ? all : all.slice(0, filter.limit)
      }).pipe(Effect.withSpan("InvoiceStore.list")),

    countByTypeAndStatus: () =>
      Effect.sync(() => {
        const rows = new Map<string, { -readonly [K in keyof InvoiceCount]: InvoiceCount[K] }>()
        for (const i of invoices.values()) {
          const key = `${i.invoice_type}:${i.status}`
          const row = rows.get(key) ?? { invoice_type: i.invoice_type, status: i.status, count: 0, amount_sats: 0n }
          row.count++
          row.amount_sats += i.amount_sats
          rows.set(key, row)
        }
        return Array.from(rows.values())
      }).pipe(Effect.withSpan("InvoiceStore.countByTypeAndStatus"))
  })
})

export const layer = Layer.effect(InvoiceStore, make)
