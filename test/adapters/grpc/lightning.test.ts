import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Option, Ref, Schedule, Stream } from "effect"
import * as GrpcLnd from "../../../adapters/grpc/lightning.js"
import * as MemoryInvoices from "../../../adapters/memory/invoice-store.js"
import * as MemoryLedger from "../../../adapters/memory/ledger-store.js"
import * as SimulatedLnd from "../../../adapters/memory/lightning.js"
import { BTC } from "../../../core/ledger/model.js"
import * as LedgerService from "../../../core/ledger/service.js"
import * as LightningService from "../../../core/lightning/service.js"
import { Lightning, type LnInvoice } from "../../../ports/lightning.js"
import { LndConnection } from "../../../ports/daemon-connection.js"
import { lightningContract } from "../../contracts/lightning.js"
import { type FakeLnd, fakeLnd } from "../../support/fake-lnd.js"
import { walletInvoice } from "../../support/lightning.js"
import { canMakeCertificates, credentialsNaming, type DaemonCredentials, throwawayCredentials } from "../../support/tls.js"

/** A simulated lnd served by a fake lnd over TLS with a macaroon, and the gRPC adapter's services dialled to it. */
const started = (client: (fake: FakeLnd, creds: DaemonCredentials) => GrpcLnd.LndSettings = (fake, creds) => ({
  host: "127.0.0.1",
  port: fake.port,
  tlsCertPath: creds.certPath,
  macaroonPath: creds.macaroonPath
})) =>
  Effect.gen(function*() {
    const sim = yield* SimulatedLnd.make()
    const creds = yield* throwawayCredentials
    const fake = yield* fakeLnd({ tls: creds, macaroonHex: creds.macaroonHex }).pipe(
      Effect.provide(Context.make(Lightning, sim.lightning))
    )
    const adapter = yield* Layer.build(GrpcLnd.layer(client(fake, creds)))
    return { sim: sim.simulator, fake, creds, ln: Context.get(adapter, Lightning), connection: Context.get(adapter, LndConnection) }
  })

describe.runIf(canMakeCertificates)("gRPC lnd adapter", () => {
  lightningContract(
    "gRPC lnd, TLS + macaroon",
    Layer.unwrapScoped(Effect.map(Effect.orDie(started()), ({ ln, sim }) =>
      Layer.succeedContext(Context.make(Lightning, ln).pipe(Context.add(SimulatedLnd.LightningSimulator, sim)))))
  )

  it.live("a subscription that drops mid-way resumes after its settle index: no settlement lost, none repeated", () =>
    Effect.gen(function*() {
      const { ln, sim, fake } = yield* started()
      const seen = yield* Ref.make<ReadonlyArray<LnInvoice>>([])
      // What a consumer does (core/lightning resubscribes the same way): resume after the last index it processed.
      const consume = Effect.suspend(() =>
        Effect.flatMap(Ref.get(seen), (s) =>
          ln.subscribeSettledInvoices(s.at(-1)?.settleIndex ?? 0n).pipe(
            Stream.runForEach((i) => Ref.update(seen, (xs) => [...xs, i]))
          ))
      ).pipe(Effect.retry(Schedule.spaced("50 millis")), Effect.forever)
      const waitFor = (n: number) =>
        Effect.retry(
          Effect.flatMap(Ref.get(seen), (s) => (s.length >= n ? Effect.void : Effect.fail("waiting"))),
          Schedule.spaced("20 millis").pipe(Schedule.compose(Schedule.recurs(250)))
        )

      const [a, b, c] = yield* Effect.forEach(["a", "b", "c"], (memo) => ln.addInvoice({ valueSats: 1_000n, memo, expirySeconds: 3600 }))
      yield* Effect.forkScoped(consume)
      yield* Effect.retry(Effect.flatMap(fake.subscriptions, (s) => (s.length > 0 ? Effect.void : Effect.fail("no subscriber yet"))), Schedule.spaced("20 millis"))
      yield* sim.payInvoice(a!.paymentRequest)
      yield* waitFor(1)

      yield* fake.stop
      // Settled while the gateway cannot hear about it.
      yield* sim.payInvoice(b!.paymentHash)
      yield* Effect.sleep("200 millis")
      yield* fake.start
      yield* waitFor(2)
      yield* sim.payInvoice(c!.paymentHash)
      // lnd may deliver a settlement again; the adapter passes on only what is past its resume point.
      yield* sim.replaySettlement(a!.paymentHash)
      yield* waitFor(3)
      yield* Effect.sleep("100 millis")

      const got = yield* Ref.get(seen)
      expect(got.map((i) => i.memo)).toEqual(["a", "b", "c"])
      expect(got.map((i) => i.settleIndex)).toEqual([1n, 2n, 3n])
      // The first subscription asked for live updates only; the one after the restart resumed after index 1.
      expect((yield* fake.subscriptions).slice(-1)).toEqual([1n])
    }).pipe(Effect.scoped), 20_000)

  it.live("a lift settled through the lnd adapter is credited once across a subscription reconnect", () =>
    Effect.gen(function*() {
      const { ln, sim, fake } = yield* started()
      const services = yield* Layer.build(
        LightningService.layer({ network: "regtest", invoiceExpirySeconds: 3600, paymentTimeoutSeconds: 30 }).pipe(
          Layer.provideMerge(Layer.mergeAll(LedgerService.layer, MemoryInvoices.layer)),
          Layer.provide(MemoryLedger.layer),
          Layer.provide(Layer.succeed(Lightning, ln))
        )
      )
      const ledger = Context.get(services, LedgerService.LedgerService)
      const lightning = Context.get(services, LightningService.LightningService)
      const user = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
      yield* ledger.ensureAsset(BTC)
      const balance = Effect.map(ledger.balance(user, "BTC"), (b) => b.available)
      const balanceReaches = (sats: bigint) =>
        Effect.retry(
          Effect.flatMap(balance, (b) => (b === sats ? Effect.void : Effect.fail(`balance ${b}`))),
          Schedule.spaced("25 millis").pipe(Schedule.compose(Schedule.recurs(400)))
        )

      const first = yield* lightning.lift({ user_pubkey: user, asset_id: "BTC", amount_sats: 5_000n })
      const second = yield* lightning.lift({ user_pubkey: user, asset_id: "BTC", amount_sats: 7_000n })
      yield* Effect.retry(Effect.flatMap(fake.subscriptions, (s) => (s.length > 0 ? Effect.void : Effect.fail("no subscriber yet"))), Schedule.spaced("20 millis"))
      yield* sim.payInvoice(first.payment_hash)
      yield* balanceReaches(5_000n)

      yield* fake.stop
      // Paid while the gateway's subscription is down.
      yield* sim.payInvoice(second.payment_hash)
      yield* Effect.sleep("300 millis")
      yield* fake.start
      yield* balanceReaches(12_000n)
      // lnd sending both settlements again changes nothing.
      yield* sim.replaySettlement(first.payment_hash)
      yield* sim.replaySettlement(second.payment_hash)
      yield* Effect.sleep("300 millis")
      expect(yield* balance).toBe(12_000n)
      const health = yield* lightning.health()
      expect(health).toMatchObject({ credited: 2, settle_index: 2n, subscription: "connected" })
      expect(health.reconnects).toBeGreaterThanOrEqual(1)
      expect((yield* lightning.get(second.payment_hash)).status).toBe("paid")
      // The service resubscribed after the settlement it had credited, so lnd replayed only the second one.
      expect((yield* fake.subscriptions).at(-1)).toBe(1n)
    }).pipe(Effect.scoped), 30_000)

  it.live("a payment whose stream breaks while in flight is followed through TrackPaymentV2 to its end", () =>
    Effect.gen(function*() {
      const { ln, sim, fake } = yield* started()
      yield* sim.setPaymentBehaviour("in_flight")
      const invoice = walletInvoice({ sats: 2_000 })
      const paying = yield* ln.sendPayment({ paymentRequest: invoice.paymentRequest, feeLimitSats: 100n, timeoutSeconds: 10 }).pipe(Effect.fork)
      yield* Effect.retry(
        Effect.flatMap(sim.payments(), (ps) => (ps.length > 0 ? Effect.void : Effect.fail("not yet"))),
        Schedule.spaced("20 millis").pipe(Schedule.compose(Schedule.recurs(250)))
      )
      yield* Effect.sleep("100 millis")
      yield* fake.stop
      yield* Effect.sleep("300 millis")
      yield* fake.start
      yield* sim.resolvePayment(invoice.paymentHash, "succeed")
      const paid = yield* Fiber.join(paying)
      expect(paid).toMatchObject({ paymentHash: invoice.paymentHash, status: "SUCCEEDED" })
      expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/)
    }).pipe(Effect.scoped), 20_000)

  it.scoped("a certificate that does not name the host is refused, unless the client is told the name it carries", () =>
    Effect.gen(function*() {
      const sim = yield* SimulatedLnd.make()
      const creds = yield* credentialsNaming("DNS:lnd.internal")
      const fake = yield* fakeLnd({ tls: creds, macaroonHex: creds.macaroonHex }).pipe(Effect.provide(Context.make(Lightning, sim.lightning)))
      const dial = (tlsServerName: string | undefined) =>
        Effect.map(
          Layer.build(GrpcLnd.layer({ host: "127.0.0.1", port: fake.port, tlsCertPath: creds.certPath, macaroonPath: creds.macaroonPath, tlsServerName })),
          (ctx) => Context.get(ctx, Lightning)
        )
      const unchecked = yield* (yield* dial(undefined)).getInfo().pipe(Effect.flip)
      expect(unchecked).toMatchObject({ _tag: "LightningUnavailable", reason: expect.stringMatching(/UNAVAILABLE/) })
      expect((yield* (yield* dial("lnd.internal")).getInfo()).identityPubkey).toBe((yield* sim.lightning.getInfo()).identityPubkey)
      expect((yield* (yield* dial("other.internal")).getInfo().pipe(Effect.flip))._tag).toBe("LightningUnavailable")
    }))

  it.scoped("a wrong macaroon makes lnd unavailable, not a refusal, though lnd reports it as UNKNOWN", () =>
    Effect.gen(function*() {
      const other = yield* throwawayCredentials
      const { ln } = yield* started((fake, creds) => ({ host: "127.0.0.1", port: fake.port, tlsCertPath: creds.certPath, macaroonPath: other.macaroonPath }))
      const e = yield* ln.addInvoice({ valueSats: 1_000n, memo: "", expirySeconds: 60 }).pipe(Effect.flip)
      expect(e).toMatchObject({ _tag: "LightningUnavailable", reason: expect.stringMatching(/verification failed/) })
    }))

  it.live("reconnect re-reads the credentials and checks lnd answers", () =>
    Effect.gen(function*() {
      const { connection, fake } = yield* started()
      expect(connection).toMatchObject({ daemon: "lnd", adapter: "grpc", target: `127.0.0.1:${fake.port}` })
      yield* connection.reconnect()
      yield* fake.stop
      expect(yield* connection.reconnect().pipe(Effect.flip)).toMatchObject({ _tag: "DaemonUnreachable", daemon: "lnd" })
    }).pipe(Effect.scoped))

  it.scoped("lookupInvoice of a hash that is not 32 bytes is refused before lnd is asked", () =>
    Effect.gen(function*() {
      const { ln } = yield* started()
      expect(yield* ln.lookupInvoice("ab".repeat(32))).toEqual(Option.none())
      expect((yield* ln.lookupInvoice("abc").pipe(Effect.flip))._tag).toBe("LightningRejected")
    }))
})
