import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer } from "effect"
import { InvoiceAlreadyRegistered, InvoiceNotFound } from "../../core/lightning/errors.js"
import { type InvoiceStatus, type InvoiceType, LightningInvoice } from "../../core/lightning/model.js"
import { type InvoiceCount, type InvoiceFilter, InvoiceStore } from "../../ports/invoice-store.js"
import { isDuplicateKey, jsonColumn, storeOps, toBigInt, toNumber } from "./sql.js"

const body = jsonColumn(LightningInvoice)

const columns = (i: LightningInvoice) => ({
  invoice_type: i.invoice_type,
  user_pubkey: i.user_pubkey,
  status: i.status,
  amount_sats: i.amount_sats,
  created_at: i.created_at,
  expires_at: i.expires_at,
  body: body.encode(i)
})

/**
 * Lift and land invoices keyed by payment hash (the primary key: a hash is
 * registered once, by whichever replica gets there first). `modify` holds the
 * row lock across read, decision and write, so a settlement delivered to two
 * replicas moves the invoice to paid once and only that caller credits.
 */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const ops = storeOps(sql, "InvoiceStore")

  return InvoiceStore.of({
    insert: (invoice) =>
      sql`INSERT INTO lightning_invoices ${sql.insert({ payment_hash: invoice.payment_hash, ...columns(invoice) })}`.pipe(
        Effect.asVoid,
        Effect.catchIf(isDuplicateKey, () => Effect.fail(new InvoiceAlreadyRegistered({ payment_hash: invoice.payment_hash }))),
        Effect.catchTag("SqlError", (e) => Effect.fail(ops.fail("insert")(e))),
        Effect.withSpan("InvoiceStore.insert")
      ),

    get: (paymentHash) =>
      sql<{ body: unknown }>`SELECT body FROM lightning_invoices WHERE payment_hash = ${paymentHash}`.pipe(
        Effect.flatMap((rows) => rows.length === 0 ? Effect.succeedNone : Effect.asSome(body.decode(rows[0]!.body))),
        ops.run("get")
      ),

    modify: <A, E>(paymentHash: string, decide: (current: LightningInvoice) => Either.Either<readonly [LightningInvoice, A], E>) =>
      ops.transaction(
        "modify",
        Effect.gen(function*() {
          const rows = yield* sql<{ body: unknown }>`SELECT body FROM lightning_invoices WHERE payment_hash = ${paymentHash} FOR UPDATE`
            .pipe(ops.run("modify"))
          if (rows.length === 0) return yield* new InvoiceNotFound({ payment_hash: paymentHash })
          const current = yield* body.decode(rows[0]!.body).pipe(ops.run("modify"))
          const [next, a] = yield* Either.match(decide(current), { onLeft: Effect.fail, onRight: Effect.succeed })
          yield* sql`UPDATE lightning_invoices SET ${sql.update(columns(next))} WHERE payment_hash = ${paymentHash}`.pipe(ops.run("modify"))
          return a
        })
      ),

    list: (filter: InvoiceFilter) =>
      sql<{ body: unknown }>`SELECT body FROM lightning_invoices WHERE ${
        sql.and([
          ...(filter.user_pubkey === undefined ? [] : [sql`user_pubkey = ${filter.user_pubkey}`]),
          ...(filter.invoice_type === undefined ? [] : [sql`invoice_type = ${filter.invoice_type}`]),
          ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`]),
          ...(filter.expired_by === undefined ? [] : [sql`expires_at <= ${filter.expired_by}`])
        ])
      } ORDER BY created_at DESC, seq DESC ${filter.limit === undefined ? sql`` : sql`LIMIT ${filter.limit}`}`.pipe(
        Effect.flatMap((rows) => Effect.forEach(rows, (r) => body.decode(r.body))),
        ops.run("list")
      ),

    countByTypeAndStatus: () =>
      sql<{ invoice_type: InvoiceType; status: InvoiceStatus; n: unknown; sats: unknown }>`
        SELECT invoice_type, status, COUNT(*) AS n, SUM(amount_sats) AS sats FROM lightning_invoices GROUP BY invoice_type, status`.pipe(
        Effect.map((rows) =>
          rows.map((r): InvoiceCount => ({
            invoice_type: r.invoice_type,
            status: r.status,
            count: toNumber(r.n),
            amount_sats: toBigInt(r.sats)
          }))
        ),
        ops.run("countByTypeAndStatus")
      )
  })
})

export const layer = Layer.effect(InvoiceStore, make)
