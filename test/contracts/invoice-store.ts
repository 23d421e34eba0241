import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import type { LightningInvoice } from "../../core/lightning/model.js"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { InvoiceStore } from "../../ports/invoice-store.js"

let seq = 0
const invoice = (overrides: Partial<LightningInvoice> = {}): LightningInvoice => {
  seq++
  return {
    payment_hash: seq.toString(16).padStart(64, "0"),
    bolt11_invoice: `lnbcrt${seq}`,
    invoice_type: "lift",
    user_pubkey: "aa".repeat(32),
    asset_id: "BTC",
    amount_sats: 1_000n,
    status: "pending",
    session_id: null,
    hold_id: null,
    created_at: seq,
    updated_at: seq,
    expires_at: seq + 3_600_000,
    settled_at: null,
    fee_sats: null,
    preimage: null,
    failure_reason: null,
    payment_attempts: 0,
    ...overrides
  }
}

/** The behaviour every InvoiceStore adapter must have; each adapter's test calls this. */
export const invoiceStoreContract = (name: string, layer: Layer.Layer<InvoiceStore, StoreUnavailable>) =>
  describe(`InvoiceStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, InvoiceStore>) => Effect.provide(effect, layer)

    it.effect("a payment hash is one record, ever", () =>
      run(Effect.gen(function*() {
        const store = yield* InvoiceStore
        const i = invoice({ amount_sats: 9007199254740991n })
        yield* store.insert(i)
        expect(yield* store.get(i.payment_hash)).toEqual(Option.some(i))
        const dup = yield* store.insert({ ...i, invoice_type: "land" }).pipe(Effect.flip)
        expect(dup).toMatchObject({ _tag: "InvoiceAlreadyRegistered", payment_hash: i.payment_hash })
        expect(Option.getOrThrow(yield* store.get(i.payment_hash)).invoice_type).toBe("lift")
      })))

    it.effect("modify writes the decision; a rejected one writes nothing; an unknown hash is InvoiceNotFound", () =>
      run(Effect.gen(function*() {
        const store = yield* InvoiceStore
        const i = invoice()
        yield* store.insert(i)
        expect(yield* store.modify(i.payment_hash, (c) => Either.right([{ ...c, status: "paid" as const }, 1] as const))).toBe(1)
        expect(yield* store.modify(i.payment_hash, () => Either.left("no")).pipe(Effect.flip)).toBe("no")
        expect(Option.getOrThrow(yield* store.get(i.payment_hash)).status).toBe("paid")
        expect((yield* store.modify("ff".repeat(32), (c) => Either.right([c, 1] as const)).pipe(Effect.flip))._tag).toBe("InvoiceNotFound")
      })))

    it.effect("concurrent one-shot decisions: exactly one caller starts the payment", () =>
      run(Effect.gen(function*() {
        const store = yield* InvoiceStore
        const i = invoice({ invoice_type: "land" })
        yield* store.insert(i)
        const begin = store.modify(i.payment_hash, (c) =>
          c.status === "pending" ? Either.right([{ ...c, status: "in_flight" as const }, true] as const) : Either.left("busy" as const))
        const results = yield* Effect.all(Array.from({ length: 30 }, () => Effect.either(begin)), { concurrency: "unbounded" })
        expect(results.filter(Either.isRight)).toHaveLength(1)
      })))

    it.effect("lists by user, type, status and expiry, newest first, and counts by type and status", () =>
      run(Effect.gen(function*() {
        const store = yield* InvoiceStore
        const user = "cc".repeat(32)
        const a = invoice({ user_pubkey: user, expires_at: 10 })
        const b = invoice({ user_pubkey: user, invoice_type: "land", status: "failed", amount_sats: 7n })
        const c = invoice({ user_pubkey: user, invoice_type: "land", amount_sats: 5n })
        for (const x of [a, b, c]) yield* store.insert(x)
        expect((yield* store.list({ user_pubkey: user })).map((x) => x.payment_hash)).toEqual([c, b, a].map((x) => x.payment_hash))
        expect((yield* store.list({ user_pubkey: user, invoice_type: "land", status: "failed" })).map((x) => x.payment_hash)).toEqual([b.payment_hash])
        expect((yield* store.list({ user_pubkey: user, expired_by: 10 })).map((x) => x.payment_hash)).toEqual([a.payment_hash])
        expect(yield* store.list({ user_pubkey: user, limit: 1 })).toHaveLength(1)
        const counts = yield* store.countByTypeAndStatus()
        expect(counts.find((r) => r.invoice_type === "land" && r.status === "failed")).toMatchObject({ count: 1, amount_sats: 7n })
      })))
  })
