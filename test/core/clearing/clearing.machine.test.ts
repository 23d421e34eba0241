import { describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import fc from "fast-check"
import * as Machine from "../../../core/clearing/clearing.machine.js"
import {
  type ClearingEvent,
  type ClearingRequest,
  packetId,
  type PaymentTx
} from "../../../core/clearing/model.js"
import { sampleRequest, T0 } from "../../support/clearing.js"

const PAY_TO = "osmo1service"
const FEE = { amount: 500_000n, denom: "uosmo" }
const TTL = 30 * 60_000
const DEADLINE = 30 * 60_000

const fresh = (): ClearingRequest =>
  Machine.newRequest({
    token: "clr_00112233445566778899aabbccddeeff",
    user_id: "usr_1",
    wallet_address: null,
    chain_id: "osmosis-1",
    packets: [
      { chain_id: "osmosis-1", src_channel: "channel-750", sequence: 1 },
      { chain_id: "osmosis-1", src_channel: "channel-750", sequence: 2 }
    ],
    now: T0
  })

const TOKEN = fresh().token
const payment = (hash: string, o: Partial<PaymentTx> = {}): PaymentTx => ({
  chain_id: "osmosis-1",
  tx_hash: hash,
  code: 0,
  height: 100,
  time: null,
  memo: `clearing ${TOKEN}`,
  transfers: [{ from: "osmo1user", to: PAY_TO, amount: 1_000_000n, denom: "uosmo" }],
  ...o
})

/** Two valid payments and one of each way to be wrong. */
const PAYMENTS: ReadonlyArray<{ readonly tx: PaymentTx; readonly valid: boolean }> = [
  { tx: payment("GOOD1"), valid: true },
  { tx: payment("GOOD2", { transfers: [{ from: "a", to: PAY_TO, amount: 600_000n, denom: "uosmo" }, { from: "b", to: PAY_TO, amount: 400_000n, denom: "uosmo" }] }), valid: true },
  { tx: payment("FAILED", { code: 11 }), valid: false },
  { tx: payment("NOMEMO", { memo: "thanks" }), valid: false },
  { tx: payment("SHORT", { transfers: [{ from: "a", to: PAY_TO, amount: 999_999n, denom: "uosmo" }] }), valid: false },
  { tx: payment("ELSEWHERE", { transfers: [{ from: "a", to: "osmo1other", amount: 5_000_000n, denom: "uosmo" }] }), valid: false },
  { tx: payment("WRONGDENOM", { transfers: [{ from: "a", to: PAY_TO, amount: 5_000_000n, denom: "uatom" }] }), valid: false },
  { tx: payment("WRONGCHAIN", { chain_id: "cosmoshub-4" }), valid: false },
  { tx: payment("LATE", { time: T0 + 365 * 86_400_000 }), valid: false }
]

type Cmd =
  | { readonly t: "quote" }
  | { readonly t: "pay"; readonly i: number }
  | { readonly t: "start" }
  | { readonly t: "report" }
  | { readonly t: "deliver"; readonly i: number }
  | { readonly t: "fail" }
  | { readonly t: "advance"; readonly ms: number }
  | { readonly t: "expire" }
  | { readonly t: "refund"; readonly h: number }

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.constant({ t: "quote" as const }), weight: 2 },
  { arbitrary: fc.nat(PAYMENTS.length - 1).map((i) => ({ t: "pay" as const, i })), weight: 4 },
  { arbitrary: fc.constant({ t: "start" as const }), weight: 2 },
  fc.constant({ t: "report" as const }),
  { arbitrary: fc.nat(2).map((i) => ({ t: "deliver" as const, i })), weight: 3 },
  fc.constant({ t: "fail" as const }),
  fc.integer({ min: 0, max: 20 * 60_000 }).map((ms) => ({ t: "advance" as const, ms })),
  fc.constant({ t: "expire" as const }),
  fc.nat(1).map((h) => ({ t: "refund" as const, h }))
)

const run = (r: ClearingRequest, c: Cmd, now: number): Either.Either<Machine.Decision, unknown> | undefined => {
  switch (c.t) {
    case "quote":
      return Machine.issueQuote(r, Machine.quoteFor(r, { perPacket: FEE, payTo: PAY_TO, now, ttlMs: TTL }), now)
    case "pay":
      return Machine.acceptPayment(r, PAYMENTS[c.i]!.tx, now)
    case "start":
      return Machine.startClearing(r, { executor: "cli", now, deadlineMs: DEADLINE })
    case "report":
      return Machine.recordRelayerReport(r, { scope: "sequences", tx_hashes: ["RELAY"] }, now)
    case "deliver":
      // Index 2 is a packet that is not part of the request.
      return Either.right(Machine.observeDelivery(r, packetId({ chain_id: "osmosis-1", src_channel: "channel-750", sequence: c.i + 1 }), `DELIVER${c.i}`, now))
    case "fail":
      return Machine.failClearing(r, "relayer failed", now)
    case "expire":
      return Either.right(Option.getOrElse(Machine.expireIfDue(r, now), () => ({ request: r, events: [] })))
    case "refund":
      return Machine.markRefunded(r, `REFUND${c.h}`, now)
    case "advance":
      return undefined
  }
}

describe("clearing machine", () => {
  it("only makes allowed transitions, accepts one valid payment once, and clears only on observed delivery", () => {
    fc.assert(fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
      let r = fresh()
      let now = T0
      let paidWith: string | null = null
      let accepted = 0
      for (const c of cmds) {
        if (c.t === "advance") {
          now += c.ms
          continue
        }
        const before = r
        const out = run(r, c, now)!
        if (c.t === "pay") {
          const p = PAYMENTS[c.i]!
          const mayPay = paidWith === null && before.status === "awaiting_payment" && p.valid &&
            (p.tx.time ?? now) <= before.quote!.expires_at
          const repeat = paidWith === p.tx.tx_hash
          expect(Either.isRight(out)).toBe(mayPay || repeat)
        }
        if (Either.isLeft(out)) continue
        const d = out.right
        r = d.request
        const events: ReadonlyArray<ClearingEvent> = d.events
        let status = before.status
        for (const e of events) {
          if (e._tag === "ClearingStatusChanged") {
            expect(e.from).toBe(status)
            expect(Machine.ALLOWED_TRANSITIONS.get(e.from)!.has(e.to)).toBe(true)
            status = e.to
          }
          if (e._tag === "PaymentAccepted") accepted++
        }
        expect(status).toBe(r.status)
        if (before.payment !== null) expect(r.payment).toEqual(before.payment)
        if (r.payment !== null && paidWith === null) paidWith = r.payment.tx_hash
        if (r.status === "cleared") {
          expect(r.packets.every((p) => r.delivered.includes(packetId(p)))).toBe(true)
        }
        if (["paid", "clearing", "cleared", "refunded"].includes(r.status)) expect(r.payment).not.toBeNull()
        if (r.payment !== null) expect(r.payment.amount).toBeGreaterThanOrEqual(r.quote!.amount)
        expect(r.delivered.every((id) => r.packets.some((p) => packetId(p) === id))).toBe(true)
      }
      expect(accepted).toBeLessThanOrEqual(1)
    }), { numRuns: 3000 })
  })

  it("walks the happy path to cleared only after the last packet's delivery", () => {
    let r = fresh()
    const step = (e: Either.Either<Machine.Decision, unknown>) => {
      r = Either.getOrThrow(e).request
      return r.status
    }
    expect(step(Machine.issueQuote(r, Machine.quoteFor(r, { perPacket: FEE, payTo: PAY_TO, now: T0, ttlMs: TTL }), T0))).toBe("awaiting_payment")
    expect(r.quote).toMatchObject({ amount: 1_000_000n, memo: TOKEN, pay_to: PAY_TO })
    expect(step(Machine.acceptPayment(r, PAYMENTS[0]!.tx, T0 + 1))).toBe("paid")
    expect(step(Machine.startClearing(r, { executor: "rest", now: T0 + 2, deadlineMs: DEADLINE }))).toBe("clearing")
    expect(step(Machine.recordRelayerReport(r, { scope: "chain", tx_hashes: ["X"] }, T0 + 3))).toBe("clearing")
    expect(step(Either.right(Machine.observeDelivery(r, "osmosis-1-channel-750-1", "D1", T0 + 4)))).toBe("clearing")
    expect(step(Either.right(Machine.observeDelivery(r, "osmosis-1-channel-750-2", "D2", T0 + 5)))).toBe("cleared")
  })

  it("expires unpaid quotes and clearings without delivery", () => {
    const r = sampleRequest({ status: "awaiting_payment", quote: { chain_id: "osmosis-1", amount: 1n, denom: "uosmo", per_packet: 1n, pay_to: PAY_TO, memo: "t", expires_at: T0 } })
    expect(Option.map(Machine.expireIfDue(r, T0), (d) => d.request.status)).toEqual(Option.none())
    expect(Option.map(Machine.expireIfDue(r, T0 + 1), (d) => d.request.status)).toEqual(Option.some("failed"))
  })

  it("admits 10 requests per rolling hour per user", () => {
    const mine = Array.from({ length: 10 }, (_, i) => sampleRequest({ user_id: "u", created_at: T0 + i * 60_000 }))
    expect(Either.isRight(Machine.admit(mine.slice(0, 9), "u", T0 + 3_000_000, 10, 3_600_000))).toBe(true)
    const refused = Machine.admit(mine, "u", T0 + 3_000_000, 10, 3_600_000)
    expect(refused).toEqual(Either.left(expect.objectContaining({ _tag: "ClearingRateLimited", retry_after_seconds: 600 })))
    expect(Either.isRight(Machine.admit(mine, "u", T0 + 3_600_001, 10, 3_600_000))).toBe(true)
    expect(Either.isRight(Machine.admit(mine, "someone-else", T0 + 3_000_000, 10, 3_600_000))).toBe(true)
  })

  it("rejects empty, oversized and multi-chain packet lists", () => {
    const k = (chain: string, sequence: number) => ({ chain_id: chain, src_channel: "channel-0", sequence })
    expect(Either.isLeft(Machine.validatePackets([]))).toBe(true)
    expect(Either.isLeft(Machine.validatePackets([k("a-1", 1), k("b-1", 1)]))).toBe(true)
    expect(Either.isLeft(Machine.validatePackets(Array.from({ length: 101 }, (_, i) => k("a-1", i + 1))))).toBe(true)
    expect(Either.getOrThrow(Machine.validatePackets([k("a-1", 1), k("a-1", 1)])).packets).toHaveLength(1)
  })
})
