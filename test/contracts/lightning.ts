import { describe, expect, it } from "@effect/vitest"
import bolt11 from "bolt11"
import { Chunk, Effect, Either, Fiber, type Layer, Option, Stream, TestClock } from "effect"
import { LightningSimulator } from "../../adapters/memory/lightning.js"
import { decodeInvoice } from "../../core/lightning/invoice.js"
import { Lightning } from "../../ports/lightning.js"
import { walletInvoice } from "../support/lightning.js"

/** The behaviour every Lightning adapter must have, driven through a simulator's controls. */
export const lightningContract = (name: string, layer: Layer.Layer<Lightning | LightningSimulator>) =>
  describe(`Lightning contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, Lightning | LightningSimulator>) => Effect.provide(effect, layer)

    it.effect("addInvoice returns a BOLT11 invoice any wallet decodes, signed by the node, for the amount and expiry", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const info = yield* ln.getInfo()
        yield* TestClock.setTime(1_700_000_000_000)
        const inv = yield* ln.addInvoice({ valueSats: 21_000n, memo: "lift", expirySeconds: 600 })
        const decoded = Either.getOrThrow(decodeInvoice(inv.paymentRequest))
        expect(decoded).toMatchObject({
          network: info.network,
          payment_hash: inv.paymentHash,
          amount_msat: 21_000_000n,
          payee_pubkey: info.identityPubkey,
          description: "lift",
          expires_at: 1_700_000_600_000
        })
        // The reference library verifies the signature on its own, too.
        expect(() => bolt11.decode(inv.paymentRequest, { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] }))
          .not.toThrow()
        expect(inv).toMatchObject({ state: "OPEN", valueSats: 21_000n, settleIndex: 0n, expiresAt: 1_700_000_600_000 })
        expect(yield* ln.lookupInvoice(inv.paymentHash)).toEqual(Option.some(inv))
        expect(Option.isNone(yield* ln.lookupInvoice("00".repeat(32)))).toBe(true)
        expect((yield* ln.addInvoice({ valueSats: 0n, memo: "", expirySeconds: 60 }).pipe(Effect.flip))._tag).toBe("LightningRejected")
      })))

    it.effect("an open invoice past its expiry is reported canceled and cannot be paid", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const inv = yield* ln.addInvoice({ valueSats: 1_000n, memo: "", expirySeconds: 60 })
        yield* TestClock.adjust("61 seconds")
        expect(Option.getOrThrow(yield* ln.lookupInvoice(inv.paymentHash)).state).toBe("CANCELED")
        expect((yield* (yield* LightningSimulator).payInvoice(inv.paymentHash).pipe(Effect.flip))._tag).toBe("LightningRejected")
      })))

    it.scoped("settled invoices reach subscribers in settle-index order, and a resumed subscription starts after its index", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const sim = yield* LightningSimulator
        const a = yield* ln.addInvoice({ valueSats: 1_000n, memo: "a", expirySeconds: 3600 })
        const b = yield* ln.addInvoice({ valueSats: 2_000n, memo: "b", expirySeconds: 3600 })
        const c = yield* ln.addInvoice({ valueSats: 3_000n, memo: "c", expirySeconds: 3600 })
        const settledA = yield* sim.payInvoice(a.paymentRequest)
        expect(settledA).toMatchObject({ state: "SETTLED", amountPaidSats: 1_000n })
        const live = yield* ln.subscribeSettledInvoices(0n).pipe(Stream.take(3), Stream.runCollect, Effect.fork)
        yield* Effect.yieldNow()
        yield* sim.payInvoice(b.paymentHash)
        yield* sim.payInvoice(c.paymentHash)
        const got = Chunk.toArray(yield* Fiber.join(live))
        expect(got.map((i) => i.paymentHash)).toEqual([a.paymentHash, b.paymentHash, c.paymentHash])
        expect(got.map((i) => i.settleIndex)).toEqual([1n, 2n, 3n])
        const resumed = yield* ln.subscribeSettledInvoices(2n).pipe(Stream.take(1), Stream.runCollect)
        expect(Chunk.toArray(resumed).map((i) => i.paymentHash)).toEqual([c.paymentHash])
        // Paying a settled invoice again settles nothing new.
        expect((yield* sim.payInvoice(a.paymentHash)).settleIndex).toBe(1n)
      })))

    it.effect("payments succeed, fail, or stay in flight until resolved; a paid invoice cannot be paid twice", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const sim = yield* LightningSimulator
        const before = yield* ln.channelBalance()
        const ok = walletInvoice({ sats: 5_000, timestamp: 0 })
        const paid = yield* ln.sendPayment({ paymentRequest: ok.paymentRequest, feeLimitSats: 100n, timeoutSeconds: 30 })
        expect(paid).toMatchObject({ paymentHash: ok.paymentHash, status: "SUCCEEDED", valueSats: 5_000n })
        expect(paid.preimage).toMatch(/^[0-9a-f]{64}$/)
        expect((yield* ln.channelBalance()).localSats).toBe(before.localSats - 5_000n - paid.feeSats)
        const twice = yield* ln.sendPayment({ paymentRequest: ok.paymentRequest, feeLimitSats: 100n, timeoutSeconds: 30 }).pipe(Effect.flip)
        expect(twice).toMatchObject({ _tag: "LightningRejected", reason: expect.stringMatching(/already paid/) })

        yield* sim.setPaymentBehaviour("fail")
        const bad = walletInvoice({ sats: 1_000, timestamp: 0 })
        const failed = yield* ln.sendPayment({ paymentRequest: bad.paymentRequest, feeLimitSats: 100n, timeoutSeconds: 30 })
        expect(failed).toMatchObject({ status: "FAILED", failureReason: expect.any(String) })

        yield* sim.setPaymentBehaviour("in_flight")
        const slow = walletInvoice({ sats: 2_000, timestamp: 0 })
        expect((yield* ln.sendPayment({ paymentRequest: slow.paymentRequest, feeLimitSats: 100n, timeoutSeconds: 1 })).status).toBe("IN_FLIGHT")
        expect(Option.getOrThrow(yield* ln.trackPayment(slow.paymentHash)).status).toBe("IN_FLIGHT")
        yield* sim.resolvePayment(slow.paymentHash, "succeed")
        expect(Option.getOrThrow(yield* ln.trackPayment(slow.paymentHash)).status).toBe("SUCCEEDED")
        expect(Option.isNone(yield* ln.trackPayment("11".repeat(32)))).toBe(true)

        yield* sim.setPaymentBehaviour("succeed")
        const pricey = walletInvoice({ sats: 100_000, timestamp: 0 })
        expect((yield* ln.sendPayment({ paymentRequest: pricey.paymentRequest, feeLimitSats: 0n, timeoutSeconds: 30 })).status).toBe("FAILED")
      })))

    it.effect("sendPayment refuses what it must not pay: other networks, no amount, expired, garbage", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const pay = (paymentRequest: string) => ln.sendPayment({ paymentRequest, feeLimitSats: 100n, timeoutSeconds: 30 }).pipe(Effect.flip)
        expect((yield* pay(walletInvoice({ sats: 1_000, network: "mainnet", timestamp: 0 }).paymentRequest))._tag).toBe("LightningRejected")
        expect((yield* pay(walletInvoice({ timestamp: 0 }).paymentRequest))._tag).toBe("LightningRejected")
        yield* TestClock.setTime(10_000_000)
        expect((yield* pay(walletInvoice({ sats: 1_000, timestamp: 0, expirySeconds: 60 }).paymentRequest))._tag).toBe("LightningRejected")
        expect((yield* pay("lnbcrt1garbage"))._tag).toBe("LightningRejected")
      })))

    it.effect("balances, channels and fee estimates describe the node", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const channels = yield* ln.listChannels()
        const balance = yield* ln.channelBalance()
        expect(channels.length).toBeGreaterThan(0)
        expect(channels.reduce((n, c) => n + c.localBalanceSats, 0n)).toBe(balance.localSats)
        expect((yield* ln.walletBalance()).confirmedSats).toBeGreaterThanOrEqual(0n)
        const fee = yield* ln.estimateFee(50_000n)
        expect(fee.routingFeeSats).toBeGreaterThan(0n)
      })))

    it.scoped("down: calls fail with LightningUnavailable and an open subscription drops", () =>
      run(Effect.gen(function*() {
        const ln = yield* Lightning
        const sim = yield* LightningSimulator
        const sub = yield* ln.subscribeSettledInvoices(0n).pipe(Stream.runDrain, Effect.flip, Effect.fork)
        yield* Effect.yieldNow()
        yield* sim.setAvailable(false)
        expect((yield* Fiber.join(sub))._tag).toBe("LightningUnavailable")
        expect((yield* ln.getInfo().pipe(Effect.flip))._tag).toBe("LightningUnavailable")
        expect((yield* ln.addInvoice({ valueSats: 1n, memo: "", expirySeconds: 60 }).pipe(Effect.flip))._tag).toBe("LightningUnavailable")
        expect((yield* ln.subscribeSettledInvoices(0n).pipe(Stream.runDrain, Effect.flip))._tag).toBe("LightningUnavailable")
        yield* sim.setAvailable(true)
        expect((yield* ln.getInfo()).network).toBeTruthy()
      })))
  })
