import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import {
  classify,
  type ClassifyContext,
  findDuplicates,
  isExpiringWithin,
  isStuck,
  metricsCongestion,
  relayerStats,
  revisionNumber
} from "../../../core/clearing/classification.machine.js"
import { emptySnapshot, type Packet, type Sighting } from "../../../core/clearing/model.js"
import { samplePacket, T0 } from "../../support/clearing.js"

const CHAINS = ["osmosis-1", "cosmoshub-4", "noble-1", "localnet"] as const

const sighting = (chain: fc.Arbitrary<string>): fc.Arbitrary<Sighting> =>
  fc.record({
    chain_id: chain,
    height: fc.integer({ min: 1, max: 10_000 }),
    time: fc.integer({ min: T0, max: T0 + 86_400_000 }),
    tx_hash: fc.stringMatching(/^[0-9A-F]{4,8}$/)
  })

const packet: fc.Arbitrary<Packet> = fc.record({
  chain: fc.constantFrom(...CHAINS),
  dst: fc.option(fc.constantFrom(...CHAINS), { nil: null }),
  hash: fc.constantFrom("h1", "h2", "h3", "h4", "h5"),
  timeoutHeight: fc.option(
    fc.record({ revision_number: fc.integer({ min: 0, max: 5 }), revision_height: fc.integer({ min: 1, max: 10_000 }) }),
    { nil: null }
  ),
  timeoutTs: fc.option(fc.bigInt({ min: BigInt(T0) * 1_000_000n, max: BigInt(T0 + 2 * 86_400_000) * 1_000_000n }), { nil: null }),
  sent: sighting(fc.constantFrom(...CHAINS)),
  received: fc.option(sighting(fc.constantFrom(...CHAINS)), { nil: null }),
  acknowledged: fc.option(sighting(fc.constantFrom(...CHAINS)), { nil: null }),
  timedOut: fc.option(sighting(fc.constantFrom(...CHAINS)), { nil: null }),
  sequence: fc.integer({ min: 1, max: 1_000_000 })
}).map((r) =>
  samplePacket({
    chain_id: r.chain,
    dst_chain_id: r.dst,
    data_hash: r.hash,
    timeout_height: r.timeoutHeight,
    timeout_timestamp: r.timeoutTs,
    sent: r.sent,
    received: r.received,
    acknowledged: r.acknowledged,
    timed_out: r.timedOut,
    sequence: r.sequence
  })
)

const context: fc.Arbitrary<ClassifyContext> = fc.record({
  now: fc.integer({ min: T0, max: T0 + 3 * 86_400_000 }),
  heights: fc.dictionary(fc.constantFrom(...CHAINS), fc.integer({ min: 1, max: 12_000 })).map((d) => new Map(Object.entries(d))),
  links: fc.constant(new Map<string, string>())
})

/** The spec's rules written out independently of the implementation. */
const oracle = (p: Packet, ctx: ClassifyContext) => {
  const delivered = p.received !== null || p.acknowledged !== null
  const tsPassed = p.timeout_timestamp !== null && BigInt(ctx.now) * 1_000_000n >= p.timeout_timestamp
  const dstHeight = p.dst_chain_id === null ? undefined : ctx.heights.get(p.dst_chain_id)
  const heightPassed = p.timeout_height !== null && p.dst_chain_id !== null && dstHeight !== undefined && (
    revisionNumber(p.dst_chain_id) > p.timeout_height.revision_number ||
    (revisionNumber(p.dst_chain_id) === p.timeout_height.revision_number && dstHeight >= p.timeout_height.revision_height)
  )
  const expired = !delivered && (p.timed_out !== null || tsPassed || heightPassed)
  return { delivered, expired, pending: !delivered && !expired, tsPassed }
}

describe("packet classification", () => {
  it("puts every packet in exactly one of pending, delivered, expired, as the rules say", () => {
    fc.assert(fc.property(packet, context, (p, ctx) => {
      const o = oracle(p, ctx)
      expect([o.pending, o.delivered, o.expired].filter(Boolean)).toHaveLength(1)
      const v = classify(p, ctx)
      expect(v.status).toBe(o.delivered ? "delivered" : o.expired ? "expired" : "pending")
    }), { numRuns: 2000 })
  })

  it("never un-expires or un-delivers as time and heights move forward", () => {
    fc.assert(fc.property(packet, context, fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: 0, max: 5_000 }), (p, ctx, dt, dh) => {
      const later: ClassifyContext = {
        ...ctx,
        now: ctx.now + dt,
        heights: new Map(Array.from(ctx.heights, ([c, h]) => [c, h + dh]))
      }
      const before = classify(p, ctx).status
      const after = classify(p, later).status
      if (before !== "pending") expect(after).toBe(before)
    }), { numRuns: 1000 })
  })

  it("stuck and expiring packets are always pending", () => {
    fc.assert(fc.property(packet, context, fc.integer({ min: 0, max: 7200 }), fc.integer({ min: 0, max: 600 }), (p, ctx, age, minutes) => {
      const v = classify(p, ctx)
      if (isStuck(v, age)) expect(v.status).toBe("pending")
      if (isExpiringWithin(v, minutes)) {
        expect(v.status).toBe("pending")
        expect(v.expires_in_seconds).toBeLessThanOrEqual(minutes * 60)
      }
    }), { numRuns: 1000 })
  })

  it("reports seconds_since_timeout only for timestamp timeouts", () => {
    const p = samplePacket({ timeout_timestamp: BigInt(T0 + 60_000) * 1_000_000n })
    const v = classify(p, { now: T0 + 60_000 + 1_800_000, heights: new Map(), links: new Map() })
    expect(v).toMatchObject({ status: "expired", timeout_type: "timestamp", seconds_since_timeout: 1800 })

    const h = samplePacket({ dst_chain_id: "cosmoshub-4", timeout_height: { revision_number: 4, revision_height: 500 } })
    const hv = classify(h, { now: T0, heights: new Map([["cosmoshub-4", 500]]), links: new Map() })
    expect(hv).toMatchObject({ status: "expired", timeout_type: "height", seconds_since_timeout: null })
    expect(classify(h, { now: T0, heights: new Map([["cosmoshub-4", 499]]), links: new Map() }).status).toBe("pending")
  })

  it("uses a learned channel link when the packet itself does not name its destination", () => {
    const h = samplePacket({ timeout_height: { revision_number: 1, revision_height: 10 } })
    const links = new Map([[`osmosis-1/transfer/${h.src_channel}`, "noble-1"]])
    expect(classify(h, { now: T0, heights: new Map([["noble-1", 11]]), links })).toMatchObject({
      status: "expired",
      dst_chain_id: "noble-1"
    })
  })

  it("reads revision numbers from chain ids", () => {
    expect(revisionNumber("osmosis-1")).toBe(1)
    expect(revisionNumber("cosmoshub-4")).toBe(4)
    expect(revisionNumber("evmos_9001-2")).toBe(2)
    expect(revisionNumber("localnet")).toBe(0)
    expect(revisionNumber("chain-0")).toBe(0)
  })
})

describe("duplicates", () => {
  it("groups two packets together iff their data hashes match", () => {
    fc.assert(fc.property(fc.array(packet, { maxLength: 30 }), (raw) => {
      const packets = raw.map((p, i) => ({ ...p, sequence: i + 1 }))
      const groups = findDuplicates(packets)
      const groupOf = new Map<Packet, number>()
      groups.forEach((g, i) => g.packets.forEach((p) => groupOf.set(p, i)))
      for (const a of packets) {
        for (const b of packets) {
          if (a === b) continue
          const together = groupOf.has(a) && groupOf.get(a) === groupOf.get(b)
          expect(together).toBe(a.data_hash === b.data_hash)
        }
      }
      for (const g of groups) expect(g.count).toBe(g.packets.length)
    }), { numRuns: 500 })
  })
})

describe("metrics views", () => {
  it("joins packet ages exactly when possible and reversed otherwise", () => {
    const s = {
      ...emptySnapshot(T0),
      stuck: [
        { src_chain: "osmosis-1", src_channel: "channel-141", dst_label: "channel-0", dst_chain_id: null, dst_channel: "channel-0", has_user_data: null, count: 109 },
        { src_chain: "osmosis-1", src_channel: "channel-7", dst_label: "channel-9", dst_chain_id: null, dst_channel: "channel-9", has_user_data: null, count: 3 },
        { src_chain: "osmosis-1", src_channel: "channel-5", dst_label: "channel-6", dst_chain_id: null, dst_channel: "channel-6", has_user_data: null, count: 1 }
      ],
      packet_ages: [
        { src_chain: "osmosis-1", channel: "channel-141", dst_label: "channel-0", age_seconds: 1213 },
        { src_chain: "osmosis-1", channel: "channel-0", dst_label: "channel-141", age_seconds: 999 },
        { src_chain: "osmosis-1", channel: "channel-9", dst_label: "channel-7", age_seconds: 42 }
      ]
    }
    const byChannel = new Map(metricsCongestion(s).map((c) => [c.src_channel, c.oldest_age_seconds]))
    expect(byChannel.get("channel-141")).toBe(1213)
    expect(byChannel.get("channel-7")).toBe(42)
    expect(byChannel.get("channel-5")).toBeNull()
  })

  it("counts frontruns against the signer that lost and for the one that won", () => {
    const base = { chain_id: "osmosis-1", src_port: "transfer", src_channel: "channel-0", dst_port: "transfer", dst_channel: "channel-1" }
    const s = {
      ...emptySnapshot(T0),
      effected: [{ ...base, signer: "osmo1a", memo: "A 🧊", count: 9 }],
      uneffected: [{ ...base, signer: "osmo1a", memo: "A 🧊", count: 1 }, { ...base, signer: "osmo1b", memo: "B", count: 4 }],
      frontruns: [{ ...base, signer: "osmo1b", memo: "B", frontrunned_by: "osmo1a", effected_memo: "A 🧊", count: 4 }]
    }
    const stats = new Map(relayerStats(s).map((r) => [r.signer, r]))
    expect(stats.get("osmo1a")).toMatchObject({ effected: 9, uneffected: 1, frontrun: 0, frontran_others: 4, success_rate: 90, memo: "A 🧊" })
    expect(stats.get("osmo1b")).toMatchObject({ effected: 0, uneffected: 4, frontrun: 4, success_rate: 0 })
  })
})
