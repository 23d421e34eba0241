import { describe, expect, it } from "@effect/vitest"
import { Effect, HashMap, Layer, Logger, Option, Ref, TestClock } from "effect"
import * as MemoryInvoices from "../../../adapters/memory/invoice-store.js"
import * as MemoryLedger from "../../../adapters/memory/ledger-store.js"
import * as SimulatedLnd from "../../../adapters/memory/lightning.js"
import { BTC } from "../../../core/ledger/model.js"
import * as LedgerService from "../../../core/ledger/service.js"
import * as LightningService from "../../../core/lightning/service.js"
import { eventually } from "../../support/eventually.js"
import { walletInvoice } from "../../support/lightning.js"

const user = "aa".repeat(32)

const Env = LightningService.layer({ network: "regtest", invoiceExpirySeconds: 600, paymentTimeoutSeconds: 30 }).pipe(
  Layer.provideMerge(LedgerService.layer),
  Layer.provideMerge(Layer.mergeAll(MemoryLedger.layer, MemoryInvoices.layer, SimulatedLnd.layer()))
)

const setup = Effect.gen(function*() {
  const ledger = yield* LedgerService.LedgerService
  yield* ledger.ensureAsset(BTC)
  return {
    ledger,
    lightning: yield* LightningService.LightningService,
    lnd: yield* SimulatedLnd.LightningSimulator,
    available: Effect.map(ledger.balance(user, "BTC"), (b) => b.available)
  }
})

describe("LightningService", () => {
  it.scoped("a dropped settlement subscription reconnects, resumes after its settle index, and credits what settled meanwhile once", () =>
    Effect.gen(function*() {
      const { available, lightning, lnd } = yield* setup
      const first = yield* lightning.lift({ user_pubkey: user, asset_id: "BTC", amount_sats: 1_000n })
      yield* lnd.payInvoice(first.bolt11_invoice)
      yield* eventually(available, (a) => a === 1_000n, "first lift credited")

      const second = yield* lightning.lift({ user_pubkey: user, asset_id: "BTC", amount_sats: 2_000n })
      yield* lnd.setAvailable(false)
      yield* eventually(lightning.health(), (h) => h.subscription === "reconnecting", "subscription dropped")
      yield* lnd.setAvailable(true)
      yield* lnd.payInvoice(second.payment_hash)
      // The reconnect waits out its backoff on the clock.
      const health = yield* eventually(
        Effect.zipRight(TestClock.adjust("1 second"), lightning.health()),
        (h) => h.subscription === "connected" && h.credited === 2,
        "reconnected and second lift credited"
      )
      expect(health).toMatchObject({ reconnects: 1, settle_index: 2n, duplicates_ignored: 0 })
      expect(yield* available).toBe(3_000n)
    }).pipe(Effect.provide(Env)))

  it.scoped("a dropped subscription reports lnd's reason in the health view and the warning it logs", () =>
    Effect.gen(function*() {
      const warnings = yield* Ref.make<ReadonlyArray<unknown>>([])
      const capture = Logger.make(({ annotations, message }) => {
        if (String(message).includes("subscription dropped")) Effect.runSync(Ref.update(warnings, (w) => [...w, Option.getOrUndefined(HashMap.get(annotations, "reason"))]))
      })
      yield* Effect.gen(function*() {
        const { lightning, lnd } = yield* setup
        yield* eventually(lightning.health(), (h) => h.subscription === "connected", "subscribed")
        yield* lnd.setAvailable(false)
        const health = yield* eventually(lightning.health(), (h) => h.subscription === "reconnecting", "subscription dropped")
        expect(health.last_error).toBe("simulated lnd closed the stream")
      }).pipe(Effect.provide(Env), Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      expect(yield* Ref.get(warnings)).toContain("simulated lnd closed the stream")
    }))

  it.scoped("settlements of invoices that are not lifts credit nothing", () =>
    Effect.gen(function*() {
      const { lightning } = yield* setup
      const foreign = { paymentHash: "11".repeat(32), paymentRequest: "", valueSats: 5n, amountPaidSats: 5n, memo: "", state: "SETTLED" as const, addIndex: 1n, settleIndex: 9n, createdAt: 0, expiresAt: 1, settledAt: 0 }
      expect(yield* lightning.onSettled(foreign)).toBe("foreign")
      const underpaid = yield* lightning.lift({ user_pubkey: user, asset_id: "BTC", amount_sats: 500n })
      expect(yield* lightning.onSettled({ ...foreign, paymentHash: underpaid.payment_hash, amountPaidSats: 499n })).toBe("foreign")
      expect((yield* lightning.get(underpaid.payment_hash)).status).toBe("pending")
    }).pipe(Effect.provide(Env)))

  it.scoped("the sweep expires unpaid invoices and gives an expired land's reservation back", () =>
    Effect.gen(function*() {
      const { available, ledger, lightning } = yield* setup
      yield* ledger.mint({ asset_id: "BTC", user_pubkey: user, amount: 10_000n })
      yield* lightning.lift({ user_pubkey: user, asset_id: "BTC", amount_sats: 100n })
      const land = yield* lightning.land({
        user_pubkey: user,
        asset_id: "BTC",
        amount_sats: 4_000n,
        lightning_invoice: walletInvoice({ sats: 4_000, timestamp: 0, expirySeconds: 300 }).paymentRequest
      })
      expect(yield* available).toBe(6_000n)
      yield* TestClock.adjust("301 seconds")
      expect(yield* lightning.sweep()).toMatchObject({ expired: 1, resolved: 0 })
      expect((yield* lightning.get(land.payment_hash)).status).toBe("expired")
      expect(yield* available).toBe(10_000n)
      yield* TestClock.adjust("300 seconds")
      expect((yield* lightning.sweep()).expired).toBe(1)
      expect(yield* lightning.sweep()).toEqual({ expired: 0, resolved: 0, orphans_released: 0 })
    }).pipe(Effect.provide(Env)))

  it.scoped("a payment lnd never saw (it went down mid-request) is failed and released once the request must be over", () =>
    Effect.gen(function*() {
      const { available, ledger, lightning, lnd } = yield* setup
      yield* ledger.mint({ asset_id: "BTC", user_pubkey: user, amount: 10_000n })
      const inv = walletInvoice({ sats: 3_000 })
      yield* lightning.land({ user_pubkey: user, asset_id: "BTC", amount_sats: 3_000n, lightning_invoice: inv.paymentRequest })
      // Down after the land was registered: the pay request cannot tell whether lnd started the payment.
      yield* lnd.setAvailable(false)
      expect((yield* lightning.pay(inv.paymentHash).pipe(Effect.flip))._tag).toBe("LightningNodeUnavailable")
      yield* lnd.setAvailable(true)
      expect((yield* lightning.get(inv.paymentHash)).status).toBe("in_flight")
      expect(yield* available).toBe(7_000n)
      yield* TestClock.adjust("61 seconds")
      expect((yield* lightning.sweep()).resolved).toBe(1)
      expect((yield* lightning.get(inv.paymentHash)).status).toBe("failed")
      expect(yield* available).toBe(10_000n)
      expect(Option.getOrThrow(yield* ledger.getHold(`land:${inv.paymentHash}`)).status).toBe("released")
    }).pipe(Effect.provide(Env)))

  it.scoped("a land reservation a crash left without its invoice record is released after a minute", () =>
    Effect.gen(function*() {
      const { available, ledger, lightning } = yield* setup
      yield* ledger.mint({ asset_id: "BTC", user_pubkey: user, amount: 1_000n })
      yield* ledger.reserve({ hold_id: "land:orphan", owner: user, asset_id: "BTC", amount: 400n, purpose: "land", reference: "22".repeat(32) })
      expect((yield* lightning.sweep()).orphans_released).toBe(0)
      yield* TestClock.adjust("61 seconds")
      expect((yield* lightning.sweep()).orphans_released).toBe(1)
      expect(yield* available).toBe(1_000n)
    }).pipe(Effect.provide(Env)))
})
