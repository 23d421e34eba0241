import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { destinationOf, linksMap } from "../../../core/clearing/classification.machine.js"
import { applyEvent, parseTx, routeOf } from "../../../core/clearing/events.js"
import {
  type ChannelLink,
  type Packet,
  type PacketEvent,
  packetId,
  type PacketSlice,
  routeKey
} from "../../../core/clearing/model.js"
import { sha256Hex } from "../../../core/shared/hash.js"
import { ackEvent, recvEvent, route, sendEvent, T0, timeoutEvent, transferData, tx } from "../../support/clearing.js"

/** A pure stand-in for a PacketStore: slices by route, links shared by all. */
const world = () => {
  const slices = new Map<string, { packets: Map<string, Packet>; parked: ReadonlyArray<PacketEvent> }>()
  const links = new Map<string, ChannelLink>()
  return {
    apply(ev: PacketEvent) {
      const key = routeKey(routeOf(ev))
      const s = slices.get(key) ?? { packets: new Map(), parked: [] }
      const slice: PacketSlice = {
        packets: Array.from(s.packets.values()),
        parked: s.parked,
        links: Array.from(links.values()).filter((l) => l.port_id === ev.src_port && l.channel_id === ev.src_channel)
      }
      const out = applyEvent(slice, ev)
      for (const p of out.write.put) s.packets.set(p.chain_id, p)
      for (const l of out.write.links) links.set(`${l.chain_id}/${l.port_id}/${l.channel_id}`, l)
      slices.set(key, { packets: s.packets, parked: out.write.parked })
      return out
    },
    packets: () => Array.from(slices.values()).flatMap((s) => Array.from(s.packets.values())),
    parked: () => Array.from(slices.values()).flatMap((s) => s.parked),
    links: () => Array.from(links.values())
  }
}

describe("parseTx", () => {
  it("reads an ICS-20 send_packet with its timeouts and hashes the packet data bytes", () => {
    const r = route({ sequence: 895396 })
    const data = transferData({ memo: "🧊 | relayed" })
    const parsed = parseTx(tx("osmosis-1", 42, [sendEvent(r, { data, timeout_height: "1-19800000", timeout_timestamp: "1752364800000000000" })]))
    expect(parsed.problems).toEqual([])
    expect(parsed.events).toHaveLength(1)
    const ev = parsed.events[0]!
    expect(ev).toMatchObject({
      _tag: "PacketSent",
      sequence: 895396,
      src_channel: "channel-750",
      data: { sender: "osmo1m8wg4vxkefhs374qxmmqpyusgz289wmulex5qdwpfx7jnrxzer5s9cv83q", amount: 10832264n, denom: "transfer/channel-750/uusdc", memo: "🧊 | relayed" },
      timeout_height: { revision_number: 1, revision_height: 19800000 },
      timeout_timestamp: 1752364800000000000n,
      data_hash: sha256Hex(data)
    })
  })

  it("prefers packet_data_hex for the hash and treats 0-0 / 0 as no timeout", () => {
    const r = route()
    const data = transferData()
    const hex = Buffer.from(data).toString("hex")
    const ev = sendEvent(r, { data })
    const withHex = { ...ev, attributes: [...ev.attributes, { key: "packet_data_hex", value: hex }] }
    const sent = parseTx(tx("osmosis-1", 1, [withHex])).events[0]!
    expect(sent).toMatchObject({ data_hash: sha256Hex(Buffer.from(hex, "hex")), timeout_height: null, timeout_timestamp: null })
  })

  it("keeps non-transfer packets with null data and reports unreadable events", () => {
    const r = route()
    const parsed = parseTx(tx("osmosis-1", 1, [
      sendEvent(r, { data: "{\"not\":\"ics20\"}" }),
      { type: "send_packet", attributes: [{ key: "packet_sequence", value: "x" }] },
      { type: "message", attributes: [{ key: "sender", value: "osmo1" }] }
    ]))
    expect(parsed.events).toHaveLength(1)
    expect(parsed.events[0]).toMatchObject({ _tag: "PacketSent", data: null })
    expect(parsed.problems).toHaveLength(1)
  })

  it("ignores failed transactions", () => {
    expect(parseTx(tx("osmosis-1", 1, [sendEvent(route())], { code: 5 })).events).toEqual([])
  })

  it("gives a live event and its backfilled copy the same id", () => {
    const r = route()
    const a = parseTx(tx("osmosis-1", 7, [sendEvent(r)], { hash: "ABC" })).events[0]!
    const b = parseTx(tx("osmosis-1", 7, [sendEvent(r)], { hash: "ABC", time: T0 })).events[0]!
    expect(a.event_id).toBe(b.event_id)
  })
})

const CHAINS = ["osmosis-1", "cosmoshub-4", "noble-1"] as const
/** Each (chain, channel) leads to one fixed counterparty chain, as real channels do. */
const counterparty = (chain: number, channel: number) => CHAINS[(chain + 1 + (channel % 2)) % CHAINS.length]!

interface Spec {
  readonly chain: number
  readonly channel: number
  readonly outcome: "none" | "recv" | "recv+ack" | "timeout"
}

const specs = fc.array(
  fc.record({
    chain: fc.integer({ min: 0, max: 2 }),
    channel: fc.integer({ min: 0, max: 3 }),
    outcome: fc.constantFrom("none", "recv", "recv+ack", "timeout")
  }),
  { minLength: 1, maxLength: 12 }
)

const eventsOf = (ss: ReadonlyArray<Spec>): Array<PacketEvent> =>
  ss.flatMap((s, i) => {
    const src = CHAINS[s.chain]!
    const dst = counterparty(s.chain, s.channel)
    const r = route({ src_channel: `channel-${s.channel}`, dst_channel: `channel-${s.channel + 10}`, sequence: i + 1 })
    const txs = [tx(src, 10 + i, [sendEvent(r)])]
    if (s.outcome.startsWith("recv")) txs.push(tx(dst, 20 + i, [recvEvent(r)]))
    if (s.outcome === "recv+ack") txs.push(tx(src, 30 + i, [ackEvent(r)]))
    if (s.outcome === "timeout") txs.push(tx(src, 30 + i, [timeoutEvent(r)]))
    return txs.flatMap((t) => parseTx(t).events)
  })

const normalized = (ps: ReadonlyArray<Packet>, links: ReadonlyArray<ChannelLink>) => {
  const l = linksMap(links)
  return ps
    .map((p) => ({ ...p, dst_chain_id: destinationOf(p, l), seen_events: [...p.seen_events].sort() }))
    .sort((a, b) => (packetId(a) < packetId(b) ? -1 : 1))
}

describe("applyEvent", () => {
  it("ends in the same packets whatever the order, with every event counted once however often it is replayed", () => {
    fc.assert(fc.property(
      specs.chain((ss) => {
        const evs = eventsOf(ss)
        return fc.tuple(
          fc.constant(ss),
          fc.constant(evs),
          fc.shuffledSubarray(evs, { minLength: evs.length, maxLength: evs.length }),
          fc.array(fc.nat(evs.length - 1), { maxLength: 10 })
        )
      }),
      ([ss, evs, shuffled, replays]) => {
        const canonical = world()
        evs.forEach((e) => canonical.apply(e))
        const messy = world()
        const order = [...shuffled]
        for (const i of replays) order.splice(i % (order.length + 1), 0, evs[i]!)
        order.forEach((e) => messy.apply(e))

        expect(messy.parked()).toEqual([])
        expect(normalized(messy.packets(), messy.links())).toEqual(normalized(canonical.packets(), canonical.links()))
        const byId = new Map(messy.packets().map((p) => [p.sequence, p]))
        ss.forEach((s, i) => {
          const p = byId.get(i + 1)!
          expect(p.relay_attempts).toBe({ none: 0, recv: 1, "recv+ack": 2, timeout: 1 }[s.outcome])
          expect(p.received !== null).toBe(s.outcome.startsWith("recv"))
          expect(p.timed_out !== null).toBe(s.outcome === "timeout")
          if (s.outcome.startsWith("recv")) expect(p.dst_chain_id).toBe(counterparty(s.chain, s.channel))
        })
      }
    ), { numRuns: 500 })
  })

  it("parks a recv that two watched source chains could own until it is unambiguous", () => {
    const r = route({ sequence: 5 })
    const w = world()
    w.apply(parseTx(tx("osmosis-1", 1, [sendEvent(r)])).events[0]!)
    w.apply(parseTx(tx("cosmoshub-4", 1, [sendEvent(r)])).events[0]!)
    const out = w.apply(parseTx(tx("noble-1", 2, [recvEvent(r)])).events[0]!)
    expect(out.changes).toEqual([])
    expect(w.parked()).toHaveLength(1)
    expect(w.packets().every((p) => p.received === null)).toBe(true)
  })

  it("learns the destination chain of a channel from a delivered packet", () => {
    const w = world()
    const a = route({ sequence: 1 })
    const b = route({ sequence: 2 })
    w.apply(parseTx(tx("osmosis-1", 1, [sendEvent(a)])).events[0]!)
    w.apply(parseTx(tx("noble-1", 2, [recvEvent(a)])).events[0]!)
    w.apply(parseTx(tx("osmosis-1", 3, [sendEvent(b)])).events[0]!)
    const sentLater = w.packets().find((p) => p.sequence === 2)!
    expect(sentLater.dst_chain_id).toBe("noble-1")
    expect(w.links()).toEqual([{ chain_id: "osmosis-1", port_id: "transfer", channel_id: a.src_channel, counterparty_chain_id: "noble-1" }])
  })
})
