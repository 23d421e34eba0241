import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { applyEvent, parseTx, routeOf } from "../../core/clearing/events.js"
import { packetId, type PacketRoute } from "../../core/clearing/model.js"
import type { StoreUnavailable } from "../../core/shared/errors.js"
import { PacketStore } from "../../ports/packet-store.js"
import { recvEvent, route, sendEvent, transferData, tx } from "../support/clearing.js"

/** The behaviour every PacketStore adapter must have; each adapter's test calls this. */
export const packetStoreContract = (name: string, layer: Layer.Layer<PacketStore, StoreUnavailable>) =>
  describe(`PacketStore contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, PacketStore>) => Effect.provide(effect, layer)

    const observeTx = (t: ReturnType<typeof tx>) =>
      Effect.gen(function*() {
        const store = yield* PacketStore
        for (const ev of parseTx(t).events) {
          yield* store.observe(routeOf(ev), (slice) => {
            const out = applyEvent(slice, ev)
            return [out.write, out.changes] as const
          })
        }
      })

    it.effect("stores what a decision puts and finds it by key, route and address", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const r = route()
        yield* observeTx(tx("osmosis-1", 10, [sendEvent(r, { data: transferData({ sender: "osmo1alice", receiver: "noble1bob" }) })]))
        const got = yield* store.get({ chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence })
        expect(Option.getOrThrow(got)).toMatchObject({ sequence: r.sequence, data: { sender: "osmo1alice", amount: 10832264n } })
        expect(Option.isNone(yield* store.get({ chain_id: "cosmoshub-4", src_channel: r.src_channel, sequence: r.sequence }))).toBe(true)
        expect((yield* store.list({ address: "osmo1alice", role: "sender" })).map(packetId)).toEqual([packetId({ chain_id: "osmosis-1", ...r })])
        expect(yield* store.list({ address: "osmo1alice", role: "receiver" })).toEqual([])
        expect(yield* store.list({ address: "noble1bob" })).toHaveLength(1)
      })))

    it.effect("hands a decision the whole route: packets, parked events and links", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const r: PacketRoute = route()
        yield* observeTx(tx("noble-1", 5, [recvEvent(r)]))
        const slice = yield* store.observe(r, (s) => [{ put: [], parked: s.parked, links: [] }, s] as const)
        expect(slice.packets).toEqual([])
        expect(slice.parked).toHaveLength(1)
        yield* observeTx(tx("osmosis-1", 4, [sendEvent(r)]))
        const after = yield* store.observe(r, (s) => [{ put: [], parked: s.parked, links: [] }, s] as const)
        expect(after.parked).toEqual([])
        expect(after.packets[0]).toMatchObject({ dst_chain_id: "noble-1", relay_attempts: 1 })
        expect(after.links).toEqual([{ chain_id: "osmosis-1", port_id: r.src_port, channel_id: r.src_channel, counterparty_chain_id: "noble-1" }])
        expect(yield* store.links()).toContainEqual(after.links[0])
      })))

    it.effect("keeps packets sent over the same route by different chains apart", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const r = route()
        yield* observeTx(tx("osmosis-1", 7, [sendEvent(r, { data: transferData({ sender: "osmo1carol" }) })]))
        yield* observeTx(tx("cosmoshub-4", 8, [sendEvent(r, { data: transferData({ sender: "cosmos1dave" }) })]))
        const slice = yield* store.observe(r, (s) => [{ put: [], parked: s.parked, links: [] }, s] as const)
        expect(slice.packets.map((p) => p.chain_id).sort()).toEqual(["cosmoshub-4", "osmosis-1"])
        const key = { src_channel: r.src_channel, sequence: r.sequence }
        expect(Option.getOrThrow(yield* store.get({ chain_id: "osmosis-1", ...key })).data?.sender).toBe("osmo1carol")
        expect(Option.getOrThrow(yield* store.get({ chain_id: "cosmoshub-4", ...key })).data?.sender).toBe("cosmos1dave")
        const other = yield* store.observe({ ...r, dst_channel: "channel-999999" }, (s) => [{ put: [], parked: s.parked, links: [] }, s] as const)
        expect(other.packets).toEqual([])
      })))

    it.effect("observeEach decides its items in order, each on what the ones before it wrote", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const r = route()
        const other = route()
        const events = [
          ...parseTx(tx("osmosis-1", 20, [sendEvent(r)])).events,
          ...parseTx(tx("noble-1", 21, [recvEvent(r)])).events,
          ...parseTx(tx("noble-1", 21, [recvEvent(other)])).events
        ]
        const kinds = yield* store.observeEach(events, routeOf, (slice, ev) => {
          const out = applyEvent(slice, ev)
          return [out.write, out.changes.map((c) => c.kind)] as const
        })
        // The recv found the packet its send wrote one item before; the other route's recv has no packet yet.
        expect(kinds).toEqual([["sent"], ["received"], []])
        const got = Option.getOrThrow(yield* store.get({ chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence }))
        expect(got).toMatchObject({ dst_chain_id: "noble-1", relay_attempts: 1 })
        const parked = yield* store.observe(other, (s) => [{ put: [], parked: s.parked, links: [] }, s.parked] as const)
        expect(parked).toHaveLength(1)
        expect(yield* store.observeEach([], routeOf, () => { throw new Error("no item, no decision") })).toEqual([])
      })))

    it.effect("concurrent observations of one route are serialized", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const r = route()
        yield* observeTx(tx("osmosis-1", 1, [sendEvent(r)]))
        const key = { chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence }
        const bump = store.observe(r, (s) => [{ put: s.packets.map((p) => ({ ...p, relay_attempts: p.relay_attempts + 1 })), parked: s.parked, links: [] }, null] as const)
        yield* Effect.all(Array.from({ length: 50 }, () => bump), { concurrency: "unbounded" })
        expect(Option.getOrThrow(yield* store.get(key)).relay_attempts).toBe(50)
      })))

    it.effect("filters undelivered packets and send-time ranges, newest first, with paging", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const a = route({ src_channel: "channel-9001" })
        const b = route({ src_channel: "channel-9001" })
        yield* observeTx(tx("osmosis-1", 100, [sendEvent(a)]))
        yield* observeTx(tx("osmosis-1", 200, [sendEvent(b)]))
        yield* observeTx(tx("noble-1", 300, [recvEvent(a)]))
        const mine = { chain_id: "osmosis-1", src_channel: "channel-9001" }
        expect((yield* store.list(mine)).map((p) => p.sequence)).toEqual([b.sequence, a.sequence])
        expect((yield* store.list({ ...mine, undelivered: true })).map((p) => p.sequence)).toEqual([b.sequence])
        expect((yield* store.list({ ...mine, undelivered: false })).map((p) => p.sequence)).toEqual([a.sequence])
        const sentB = Option.getOrThrow(yield* store.get({ ...mine, sequence: b.sequence })).sent.time
        expect((yield* store.list({ ...mine, sent_after: sentB })).map((p) => p.sequence)).toEqual([b.sequence])
        expect((yield* store.list({ ...mine, sent_before: sentB - 1 })).map((p) => p.sequence)).toEqual([a.sequence])
        expect((yield* store.list({ ...mine, limit: 1, offset: 1 })).map((p) => p.sequence)).toEqual([a.sequence])
      })))

    it.effect("reports data hashes shared by several packets", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const data = transferData({ memo: `dup-${Math.random()}` })
        yield* observeTx(tx("osmosis-1", 1, [sendEvent(route(), { data }), sendEvent(route(), { data })]))
        const [first] = parseTx(tx("x-1", 1, [sendEvent(route(), { data })])).events
        const dup = (yield* store.duplicateHashes()).find((d) => d.data_hash === (first as { data_hash: string }).data_hash)
        expect(dup?.count).toBe(2)
        expect(yield* store.list({ data_hash: dup!.data_hash })).toHaveLength(2)
      })))

    it.effect("moves cursors and heads forward only", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const chain = `cursor-${Math.random()}`
        expect(Option.isNone(yield* store.cursor(chain))).toBe(true)
        yield* store.advance(chain, { cursor: 10, head: { chain_id: chain, height: 12, time: 1 } })
        yield* store.advance(chain, { cursor: 7, head: { chain_id: chain, height: 11, time: 2 } })
        expect(yield* store.cursor(chain)).toEqual(Option.some(10))
        expect((yield* store.heads()).find((h) => h.chain_id === chain)).toEqual({ chain_id: chain, height: 12, time: 1 })
      })))

    it.effect("prunes parked events older than a cutoff", () =>
      run(Effect.gen(function*() {
        const store = yield* PacketStore
        const r = route()
        const t = tx("noble-1", 1, [recvEvent(r)])
        yield* observeTx(t)
        expect(yield* store.pruneParked(t.time)).toBe(0)
        expect(yield* store.pruneParked(t.time + 1)).toBeGreaterThanOrEqual(1)
        const slice = yield* store.observe(r, (s) => [{ put: [], parked: s.parked, links: [] }, s] as const)
        expect(slice.parked).toEqual([])
      })))
  })
