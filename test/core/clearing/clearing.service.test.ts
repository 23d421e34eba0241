import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, FiberRef, Option, Stream, TestClock } from "effect"
import { SimulatedChains } from "../../../adapters/memory/chain-events.js"
import { SimulatedRelayer } from "../../../adapters/memory/hermes.js"
import { PaymentLedger } from "../../../adapters/memory/payment-verifier.js"
import { ClearingService } from "../../../core/clearing/clearing.service.js"
import { PacketIngest } from "../../../core/clearing/ingest.service.js"
import { ClearingStatusTopic, type PacketKey, type PaymentTx } from "../../../core/clearing/model.js"
import { PacketQueries } from "../../../core/clearing/packets.service.js"
import { EventBus } from "../../../ports/event-bus.js"
import { HermesRejected } from "../../../ports/hermes.js"
import { CurrentRateLimit } from "../../../ports/rate-limiter.js"
import { recvEvent, route, sendEvent, T0, transferData } from "../../support/clearing.js"
import { clearingWorld, SERVICE_ADDRESS, settle } from "../../support/clearing-world.js"

const CHANNEL = { src_port: "transfer", src_channel: "channel-750", dst_port: "transfer", dst_channel: "channel-1" }

/**
 * Starts ingestion and the clearing watcher, teaches the world that
 * osmosis-1/channel-750 leads to noble-1 (one delivered packet), then sends
 * `count` packets that nobody relays and lets 20 minutes pass.
 */
const stuckPackets = (count: number, extra: { readonly timeoutAt?: number } = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    const chains = yield* SimulatedChains
    yield* Effect.forkScoped((yield* PacketIngest).followAll())
    yield* Effect.forkScoped((yield* ClearingService).watch())
    yield* Effect.repeatN(Effect.yieldNow(), 20)
    const earlier = route(CHANNEL)
    yield* chains.commit("osmosis-1", [[sendEvent(earlier)]])
    yield* chains.commit("noble-1", [[recvEvent(earlier)]])
    const routes = Array.from({ length: count }, () => route(CHANNEL))
    yield* chains.commit("osmosis-1", routes.map((r, i) => [
      sendEvent(r, {
        data: transferData({ sender: "osmo1alice", amount: String(1_000 + i), denom: "uosmo" }),
        ...(extra.timeoutAt === undefined ? {} : { timeout_timestamp: String(BigInt(extra.timeoutAt) * 1_000_000n) })
      })
    ]))
    const queries = yield* PacketQueries
    yield* settle(queries.stuck({ min_age_seconds: 0 }), (s) => s.total === count)
    yield* TestClock.adjust("20 minutes")
    return routes.map((r): PacketKey => ({ chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence }))
  })

const payment = (hash: string, token: string, o: Partial<PaymentTx> = {}): PaymentTx => ({
  chain_id: "osmosis-1",
  tx_hash: hash,
  code: 0,
  height: 500,
  time: null,
  memo: `relaygate clearing ${token}`,
  transfers: [{ from: "osmo1alice", to: SERVICE_ADDRESS, amount: 500_000n, denom: "uosmo" }],
  ...o
})

const H1 = "1A".repeat(32)
const H2 = "2B".repeat(32)

describe("paid clearing", () => {
  it.scoped("runs request → payment → relayer → cleared, and clears only once the chain shows the delivery", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1)
        const clearing = yield* ClearingService
        const statuses = yield* (yield* EventBus).subscribe(ClearingStatusTopic)
        const seen = yield* Effect.fork(Stream.runCollect(Stream.take(statuses, 4)))

        const stuck = yield* (yield* PacketQueries).stuck({})
        expect(stuck.packets[0]!.packet.data).toMatchObject({ sender: "osmo1alice", amount: 1000n, denom: "uosmo" })

        const created = yield* clearing.request({ user_id: "usr_1", wallet_address: "osmo1alice", packets: [key!] })
        expect(created.request.status).toBe("awaiting_payment")
        expect(created.instructions).toMatchObject({ chain_id: "osmosis-1", pay_to: SERVICE_ADDRESS, amount: "500000", denom: "uosmo", memo: created.request.token })
        const rate = yield* FiberRef.get(CurrentRateLimit)
        expect(Option.getOrThrow(rate)).toMatchObject({ allowed: true, limit: 10, remaining: 9 })

        yield* (yield* PaymentLedger).record(payment(H1, created.request.token))
        const paid = yield* clearing.submitPayment(created.request.token, H1.toLowerCase(), "usr_1")
        expect(paid.status).toBe("paid")
        const done = yield* settle(clearing.get(created.request.token), (r) => r.status === "cleared")
        expect(done.delivered).toEqual([`osmosis-1-channel-750-${key!.sequence}`])
        expect(done.attempt?.relayer_tx_hashes.length).toBeGreaterThan(0)

        const calls = yield* (yield* SimulatedRelayer).calls()
        expect(calls).toEqual([{ chain_id: "osmosis-1", port_id: "transfer", channel_id: "channel-750", sequences: [key!.sequence] }])
        const updates = Chunk.toReadonlyArray(yield* Fiber.join(seen))
        expect(updates.map((u) => u.status)).toEqual(["awaiting_payment", "paid", "clearing", "cleared"])
        expect(updates[1]).toMatchObject({ status: "paid", tx_hash: H1, token: created.request.token, user_id: "usr_1" })
        expect(updates[3]!.tx_hash).toMatch(/^[0-9A-F]{64}$/)
        const view = yield* (yield* PacketQueries).get(key!)
        expect(view.status).toBe("delivered")
      }),
      clearingWorld()
    ))

  it.scoped("stays clearing on the relayer's word alone and fails at the deadline without a delivery", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1)
        const clearing = yield* ClearingService
        const created = yield* clearing.request({ user_id: "usr_1", wallet_address: null, packets: [key!] })
        yield* (yield* PaymentLedger).record(payment(H1, created.request.token))
        yield* clearing.submitPayment(created.request.token, H1)
        const reported = yield* settle(clearing.get(created.request.token), (r) => r.attempt?.reported_at != null)
        expect(reported.status).toBe("clearing")
        yield* TestClock.adjust("31 minutes")
        const report = yield* clearing.reconcile()
        expect(report.expired).toBe(1)
        const failed = yield* clearing.get(created.request.token)
        expect(failed).toMatchObject({ status: "failed", failure_reason: "no delivery was seen on chain before the deadline" })
        const refunded = yield* clearing.refund(created.request.token, "RF".padEnd(64, "0"))
        expect(refunded.status).toBe("refunded")
      }),
      clearingWorld({ relay: false })
    ))

  it.scoped("counts a payment once: same tx again is a no-op, for another token it is refused", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [a, b] = yield* stuckPackets(2)
        const clearing = yield* ClearingService
        const ledger = yield* PaymentLedger
        const first = yield* clearing.request({ user_id: "usr_1", wallet_address: null, packets: [a!] })
        const second = yield* clearing.request({ user_id: "usr_1", wallet_address: null, packets: [b!] })
        // One tx whose memo names both tokens: still only one of them may use it.
        yield* ledger.record(payment(H1, `${first.request.token} ${second.request.token}`))
        const paid = yield* clearing.submitPayment(first.request.token, H1)
        expect(paid.payment?.tx_hash).toBe(H1)
        const again = yield* clearing.submitPayment(first.request.token, H1)
        expect(again.payment).toEqual(paid.payment)
        const stolen = yield* Effect.flip(clearing.submitPayment(second.request.token, H1))
        expect(stolen._tag).toBe("PaymentAlreadyUsed")
        expect((yield* clearing.get(second.request.token)).status).toBe("awaiting_payment")
      }),
      clearingWorld({ relay: false })
    ))

  it.scoped("refuses payments that failed, underpay, lack the token or do not exist", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1)
        const clearing = yield* ClearingService
        const ledger = yield* PaymentLedger
        const { request } = yield* clearing.request({ user_id: "usr_1", wallet_address: null, packets: [key!] })
        yield* ledger.record(payment(H1, request.token, { code: 13 }))
        yield* ledger.record(payment(H2, request.token, { transfers: [{ from: "x", to: SERVICE_ADDRESS, amount: 499_999n, denom: "uosmo" }] }))
        const noMemo = "3C".repeat(32)
        yield* ledger.record(payment(noMemo, "someone else"))
        expect(yield* Effect.flip(clearing.submitPayment(request.token, H1))).toMatchObject({ _tag: "PaymentRejected", reason: "transaction failed on chain (code 13)" })
        expect((yield* Effect.flip(clearing.submitPayment(request.token, H2)))._tag).toBe("PaymentRejected")
        expect((yield* Effect.flip(clearing.submitPayment(request.token, noMemo)))._tag).toBe("PaymentRejected")
        expect((yield* Effect.flip(clearing.submitPayment(request.token, "4D".repeat(32))))._tag).toBe("PaymentTxNotFound")
        expect((yield* Effect.flip(clearing.submitPayment(request.token, "xyz")))._tag).toBe("InvalidClearingRequest")
        expect((yield* Effect.flip(clearing.submitPayment(request.token, H1, "usr_2")))._tag).toBe("ClearingNotFound")
        expect((yield* clearing.get(request.token)).status).toBe("awaiting_payment")
      }),
      clearingWorld({ relay: false })
    ))

  it.scoped("fails a paid clearing the relayer refuses, leaving it refundable", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1)
        const clearing = yield* ClearingService
        yield* (yield* SimulatedRelayer).failNext(new HermesRejected({ reason: "insufficient gas" }))
        const { request } = yield* clearing.request({ user_id: "usr_1", wallet_address: null, packets: [key!] })
        yield* (yield* PaymentLedger).record(payment(H1, request.token))
        yield* clearing.submitPayment(request.token, H1)
        const failed = yield* settle(clearing.get(request.token), (r) => r.status === "failed")
        expect(failed.failure_reason).toContain("insufficient gas")
      }),
      clearingWorld()
    ))

  it.scoped("only stuck packets can be cleared", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1, { timeoutAt: T0 + 5 * 60_000 })
        const clearing = yield* ClearingService
        const expired = yield* Effect.flip(clearing.request({ user_id: "u", wallet_address: null, packets: [key!] }))
        expect(expired).toMatchObject({ _tag: "PacketNotStuck", status: "expired" })
        const missing = yield* Effect.flip(clearing.request({ user_id: "u", wallet_address: null, packets: [{ ...key!, sequence: 999_999 }] }))
        expect(missing._tag).toBe("PacketNotFound")
        const fresh = route(CHANNEL)
        yield* (yield* SimulatedChains).commit("osmosis-1", [[sendEvent(fresh)]])
        const freshKey = { chain_id: "osmosis-1", src_channel: fresh.src_channel, sequence: fresh.sequence }
        yield* settle(Effect.either((yield* PacketQueries).get(freshKey)), (e) => e._tag === "Right")
        const young = yield* Effect.flip(clearing.request({ user_id: "u", wallet_address: null, packets: [freshKey] }))
        expect(young).toMatchObject({ _tag: "PacketNotStuck", status: "pending" })
        const expiredView = yield* (yield* PacketQueries).expired({})
        expect(expiredView[0]).toMatchObject({ timeout_type: "timestamp", seconds_since_timeout: 15 * 60 })
      }),
      clearingWorld()
    ))

  it.scoped("allows 10 clearing requests per hour per user", () =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1)
        const clearing = yield* ClearingService
        for (let i = 0; i < 10; i++) yield* clearing.request({ user_id: "usr_busy", wallet_address: null, packets: [key!] })
        const limited = yield* Effect.flip(clearing.request({ user_id: "usr_busy", wallet_address: null, packets: [key!] }))
        expect(limited).toMatchObject({ _tag: "ClearingRateLimited", limit: 10 })
        expect(Option.getOrThrow(yield* FiberRef.get(CurrentRateLimit))).toMatchObject({ allowed: false, remaining: 0 })
        yield* clearing.request({ user_id: "usr_other", wallet_address: null, packets: [key!] })
        yield* TestClock.adjust("61 minutes")
        yield* clearing.request({ user_id: "usr_busy", wallet_address: null, packets: [key!] })
      }),
      clearingWorld({ relay: false, settings: { quoteTtlMs: 24 * 3_600_000 } })
    ))

  const refusedWith = (world: ReturnType<typeof clearingWorld>) =>
    Effect.provide(
      Effect.gen(function*() {
        const [key] = yield* stuckPackets(1)
        return yield* Effect.flip((yield* ClearingService).request({ user_id: "u", wallet_address: null, packets: [key!] }))
      }),
      world
    )

  it.scoped("is unavailable without a clearing fee", () =>
    Effect.map(refusedWith(clearingWorld({ settings: { feePerPacket: null } })), (e) => expect(e._tag).toBe("ClearingUnavailable")))

  it.scoped("is unavailable without a payment address for the packets' chain", () =>
    Effect.map(refusedWith(clearingWorld({ settings: { payTo: new Map([["noble-1", "noble1x"]]) } })), (e) =>
      expect(e).toMatchObject({ _tag: "ClearingUnavailable", reason: "no payment address is configured for osmosis-1" })))

  it.scoped("is unavailable without a relayer", () =>
    Effect.map(refusedWith(clearingWorld({ relay: "none" })), (e) =>
      expect(e).toMatchObject({ _tag: "ClearingUnavailable", reason: "no relayer is configured" })))
})
