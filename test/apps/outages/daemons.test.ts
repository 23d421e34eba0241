import { describe, expect, it } from "@effect/vitest"
import { type Duration, Effect, TestClock } from "effect"
import { generateSecretKey, getPublicKey } from "nostr-tools/pure"
import { simulatedDaemons } from "../../support/daemons.js"
import { request, startApp } from "../../support/http-app.js"
import { walletInvoice } from "../../support/lightning.js"
import { canMakeCertificates } from "../../support/tls.js"

/*
 * arkd, lnd and tapd as separate servers the app reaches over gRPC (simulators
 * behind fake daemons), stopped and started on the same port mid-test. The app
 * runs on the test clock: the breakers' 5 s cool-down passes when the test
 * moves it; sockets and gRPC's reconnects run on real time.
 */

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))
const user = () => getPublicKey(generateSecretKey())

const world = Effect.gen(function*() {
  const { env, fakes, sims } = yield* simulatedDaemons
  const app = yield* startApp(env)
  const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)
  /**
   * Moves the app's clock past a breaker cool-down and retries `read` until
   * `done` holds; how many rounds it took is the recovery a client sees.
   */
  const recovers = <A>(read: Effect.Effect<A>, done: (a: A) => boolean, step: Duration.DurationInput = "5 seconds") =>
    Effect.gen(function*() {
      for (let round = 1; round <= 60; round++) {
        yield* TestClock.adjust(step)
        const a = yield* read
        if (done(a)) return { round, value: a }
        yield* sleep(250)
      }
      return yield* Effect.dieMessage(`the app did not recover within 60 rounds; last: ${JSON.stringify(yield* read)}`)
    })
  return { sims, fakes, app, call, recovers }
})

describe.runIf(canMakeCertificates)("outages of arkd, lnd and tapd", () => {
  it.scoped("arkd away: its routes are a 503 naming arkd (at once, once the breaker is open); epochs, sessions and lnd routes keep working; it is used again once back", () =>
    Effect.gen(function*() {
      const { call, fakes, recovers } = yield* world
      expect((yield* call("GET", "/grpc/arkd/info")).status).toBe(200)

      yield* fakes.arkd.stop
      const answers = []
      for (let i = 0; i < 8; i++) answers.push(yield* call("GET", "/grpc/arkd/info"))
      for (const a of answers) {
        expect(a.status).toBe(503)
        expect(a.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "arkd", error: expect.stringMatching(/^arkd unavailable: /) })
      }
      // After 5 failed calls the breaker refuses without dialling.
      expect(answers.at(-1)!.body.reason).toMatch(/circuit open/)
      const ready = yield* call("GET", "/ready")
      expect(ready.status).toBe(503)
      expect(ready.body.checks.arkd).toMatchObject({ status: "down", adapter: "grpc", breaker: "open" })
      expect(ready.body.checks.lnd).toMatchObject({ status: "ok", breaker: "closed" })

      // What does not need arkd is untouched.
      expect((yield* call("GET", "/healthcheck")).status).toBe(200)
      expect((yield* call("GET", "/grpc/lnd/balances")).status).toBe(200)
      expect((yield* call("GET", "/grpc/tapd/balances")).status).toBe(200)
      const session = yield* call("POST", "/sessions/create", { user_pubkey: user(), session_type: "p2p_transfer", intent_data: { recipient_pubkey: user(), amount: 1000, asset_id: "BTC" } })
      expect([201, 200, 402, 422]).toContain(session.status)

      yield* fakes.arkd.start
      const back = yield* recovers(call("GET", "/grpc/arkd/info"), (r) => r.status === 200)
      expect(back.round).toBeLessThanOrEqual(10)
      const after = yield* call("GET", "/ready")
      expect(after.body.checks.arkd).toMatchObject({ status: "ok", breaker: "closed" })
    }), 120_000)

  it.scoped("lnd away: lift, land and pay are a 503 naming lnd; sessions work; a lift paid meanwhile is credited once, a payment lnd never saw is released, never debited", () =>
    Effect.gen(function*() {
      const { call, fakes, recovers, sims } = yield* world
      const u = user()
      const balance = call("GET", `/balances/${u}/BTC`).pipe(Effect.map((r) => r.body))
      const lift = yield* call("POST", "/lightning/lift", { user_pubkey: u, amount_sats: 40_000 })
      expect(lift.status, JSON.stringify(lift.body)).toBe(201)

      yield* fakes.lnd.stop
      const refusedLift = yield* call("POST", "/lightning/lift", { user_pubkey: u, amount_sats: 1_000 })
      expect(refusedLift.status).toBe(503)
      expect(refusedLift.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "lnd" })
      // The wallet pays the first invoice while the gateway cannot see lnd.
      yield* sims.lnd.simulator.payInvoice(lift.body.bolt11_invoice)
      expect((yield* balance).balance).toBe(0)

      // ark sessions do not need lnd.
      const session = yield* call("POST", "/sessions/create", { user_pubkey: u, session_type: "p2p_transfer", intent_data: { recipient_pubkey: user(), amount: 1000, asset_id: "BTC" } })
      expect(session.status).toBeLessThan(500)

      yield* fakes.lnd.start
      // The settlement subscription comes back on its own (its retries run on the app's clock) and credits the lift once.
      const credited = yield* recovers(balance, (b) => b.balance === 40_000, "2 seconds")
      expect(credited.round).toBeLessThanOrEqual(30)
      for (let i = 0; i < 5; i++) yield* sims.lnd.simulator.replaySettlement(lift.body.payment_hash)
      yield* TestClock.adjust("1 second")
      yield* sleep(200)
      expect(yield* balance).toMatchObject({ balance: 40_000, reserved_balance: 0 })

      // A land while lnd is away: refused before anything is reserved.
      yield* fakes.lnd.stop
      const invoice = walletInvoice({ sats: 10_000 })
      const land = yield* call("POST", "/lightning/land", { user_pubkey: u, amount_sats: 10_000, lightning_invoice: invoice.paymentRequest })
      expect(land.status).toBe(503)
      expect(land.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "lnd" })
      expect(yield* balance).toMatchObject({ balance: 40_000, reserved_balance: 0, available_balance: 40_000 })

      yield* fakes.lnd.start
      const landed = yield* recovers(
        call("POST", "/lightning/land", { user_pubkey: u, amount_sats: 10_000, lightning_invoice: invoice.paymentRequest }),
        (r) => r.status !== 503
      )
      expect(landed.value.status).toBe(201)
      expect(yield* balance).toMatchObject({ balance: 40_000, reserved_balance: 10_000 })

      // The payment itself while lnd is away: the gateway cannot tell whether lnd took it, so it is
      // held in flight (reserved, not debited, not payable again) until lnd can be asked.
      yield* fakes.lnd.stop
      const unpaid = yield* call("POST", `/lightning/pay/${invoice.paymentHash}`)
      expect(unpaid.status).toBe(503)
      expect(unpaid.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "lnd" })
      expect((yield* call("POST", `/lightning/pay/${invoice.paymentHash}`)).body).toMatchObject({ code: "INVOICE_NOT_PAYABLE", status: "in_flight" })
      expect(yield* balance).toMatchObject({ balance: 40_000, reserved_balance: 10_000 })

      // Back: the money sweep asks lnd, which never saw the payment, so the hold is released and nothing debited.
      yield* fakes.lnd.start
      const invoiceView = call("GET", `/lightning/invoices/${invoice.paymentHash}`).pipe(Effect.map((r) => r.body))
      const resolved = yield* recovers(invoiceView, (v) => v.status !== "in_flight", "10 seconds")
      expect(resolved.value).toMatchObject({ status: "failed", failure_reason: "lnd has no record of the payment" })
      expect(yield* balance).toMatchObject({ balance: 40_000, reserved_balance: 0 })
      expect((yield* sims.lnd.simulator.payments()).filter((p) => p.paymentHash === invoice.paymentHash)).toHaveLength(0)

      // A new land, paid with lnd up, is debited exactly once however often payment is asked for.
      const second = walletInvoice({ sats: 10_000 })
      expect((yield* call("POST", "/lightning/land", { user_pubkey: u, amount_sats: 10_000, lightning_invoice: second.paymentRequest })).status).toBe(201)
      expect((yield* call("POST", `/lightning/pay/${second.paymentHash}`)).body).toMatchObject({ status: "paid" })
      expect((yield* call("POST", `/lightning/pay/${second.paymentHash}`)).status).toBe(409)
      expect(yield* balance).toMatchObject({ balance: 30_000, reserved_balance: 0 })
    }), 120_000)
  it.scoped("tapd away: the reserve view and tapd balances are a 503 naming tapd; ledger transfers keep working; both answer again once it is back", () =>
    Effect.gen(function*() {
      const { call, fakes, recovers, sims } = yield* world
      yield* sims.tapd.simulator.mint("gBTC", 2_100n)
      expect((yield* call("POST", "/assets", { asset_id: "gBTC", name: "Gateway BTC", ticker: "gBTC", total_supply: 0 })).status).toBe(201)
      const [a, b] = [user(), user()]
      expect((yield* call("POST", "/assets/gBTC/mint", { user_pubkey: a, amount: 1_000 })).status).toBe(200)
      expect((yield* call("GET", "/assets/gBTC/reserve")).status).toBe(200)

      yield* fakes.tapd.stop
      for (const path of ["/assets/gBTC/reserve", "/grpc/tapd/balances"]) {
        const r = yield* call("GET", path)
        expect(r.status, path).toBe(503)
        expect(r.body).toMatchObject({ code: "SERVICE_UNAVAILABLE", dependency: "tapd" })
      }
      const moved = yield* call("POST", "/assets/transfer", { sender_pubkey: a, recipient_pubkey: b, asset_id: "gBTC", amount: 400 })
      expect(moved.status).toBe(200)
      expect(moved.body).toMatchObject({ sender_balance: { balance: 600 }, recipient_balance: { balance: 400 } })

      yield* fakes.tapd.start
      const back = yield* recovers(call("GET", "/assets/gBTC/reserve"), (r) => r.status === 200)
      expect(back.round).toBeLessThanOrEqual(10)
      expect((yield* call("GET", "/grpc/tapd/balances")).body).toMatchObject({ adapter: "grpc", assets: [{ name: "gBTC", balance: 2_100 }] })
    }), 120_000)
})
