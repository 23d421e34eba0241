import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Stream, TestClock } from "effect"
import fc from "fast-check"
import { SimulatedChains } from "../../../adapters/memory/chain-events.js"
import { PacketIngest } from "../../../core/clearing/ingest.service.js"
import { PacketUpdateTopic } from "../../../core/clearing/model.js"
import { EventBus } from "../../../ports/event-bus.js"
import { PacketStore } from "../../../ports/packet-store.js"
import { ackEvent, recvEvent, route, sendEvent, T0, timeoutEvent, transferData, tx } from "../../support/clearing.js"
import { clearingWorld, settle } from "../../support/clearing-world.js"

/** Ingestion following every simulated chain, from T0 on the test clock. */
const following = Effect.gen(function*() {
  yield* TestClock.setTime(T0)
  yield* Effect.forkScoped((yield* PacketIngest).followAll())
  yield* Effect.repeatN(Effect.yieldNow(), 20)
  return { chains: yield* SimulatedChains, store: yield* PacketStore }
})

describe("packet ingestion", () => {
  it.scoped("turns chain events into packets and publishes each change", () =>
    Effect.provide(
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const chains = yield* SimulatedChains
        const store = yield* PacketStore
        const updates = yield* (yield* EventBus).subscribe(PacketUpdateTopic)
        const collected = yield* Effect.fork(Stream.runCollect(Stream.take(updates, 3)))
        yield* Effect.forkScoped((yield* PacketIngest).followAll())
        yield* Effect.repeatN(Effect.yieldNow(), 20)

        const r = route()
        yield* chains.commit("osmosis-1", [[sendEvent(r, { data: transferData({ sender: "osmo1alice", amount: "77", denom: "uosmo" }) })]])
        yield* chains.commit("noble-1", [[recvEvent(r)]])
        yield* chains.commit("osmosis-1", [[ackEvent(r)]])
        const key = { chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence }
        const p = yield* settle(store.get(key), (p) => Option.isSome(p) && p.value.acknowledged !== null)
        expect(Option.getOrThrow(p)).toMatchObject({ dst_chain_id: "noble-1", relay_attempts: 2, data: { sender: "osmo1alice", amount: 77n } })

        const events = Chunk.toReadonlyArray(yield* Fiber.join(collected))
        // Chains are followed concurrently: the ack may be applied before the recv.
        expect(events.map((u) => `${u.event}:${u.status}`).sort()).toEqual(["acknowledged:delivered", "received:delivered", "sent:pending"])
        expect(events[0]!.event).toBe("sent")
        expect(events[0]).toMatchObject({ packet_id: `osmosis-1-${r.src_channel}-${r.sequence}`, sender: "osmo1alice" })
      }),
      clearingWorld()
    ))

  it.scoped("recovers what was committed while the connection was down", () =>
    Effect.provide(
      Effect.gen(function*() {
        const { chains, store } = yield* following

        const a = route()
        const b = route()
        yield* chains.commit("osmosis-1", [[sendEvent(a)]])
        yield* settle(store.get({ chain_id: "osmosis-1", src_channel: a.src_channel, sequence: a.sequence }), Option.isSome)
        yield* chains.disconnect("osmosis-1")
        yield* chains.commit("osmosis-1", [[sendEvent(b)], [ackEvent(a)]])
        // The reconnect waits out its backoff on the (test) clock.
        yield* Effect.repeatN(Effect.zipRight(TestClock.adjust("20 millis"), Effect.yieldNow()), 10)
        const pb = yield* settle(store.get({ chain_id: "osmosis-1", src_channel: b.src_channel, sequence: b.sequence }), Option.isSome)
        expect(Option.isSome(pb)).toBe(true)
        const pa = Option.getOrThrow(yield* store.get({ chain_id: "osmosis-1", src_channel: a.src_channel, sequence: a.sequence }))
        expect(pa).toMatchObject({ relay_attempts: 1 })
        expect(pa.acknowledged).not.toBeNull()
      }),
      clearingWorld()
    ))

  it.scoped("applies a block's txs, which arrive together, and moves the cursor below the newest block only", () =>
    Effect.provide(
      Effect.gen(function*() {
        const { chains, store } = yield* following

        const rs = [route(), route(), route()]
        const block = yield* chains.commit("osmosis-1", rs.map((r) => [sendEvent(r)]))
        const keyOf = (r: (typeof rs)[number]) => ({ chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence })
        yield* settle(store.get(keyOf(rs[2]!)), Option.isSome)
        for (const r of rs) expect(Option.isSome(yield* store.get(keyOf(r)))).toBe(true)
        // More txs of the newest block may still come: the cursor stays below it.
        expect(yield* settle(store.cursor("osmosis-1"), (c) => Option.getOrElse(c, () => 0) === block[0]!.height - 1)).toEqual(Option.some(block[0]!.height - 1))
        expect((yield* store.heads()).find((h) => h.chain_id === "osmosis-1")?.height).toBe(block[0]!.height)
      }),
      clearingWorld()
    ))

  it.effect("applying the same tx twice changes nothing the second time", () =>
    Effect.provide(
      Effect.gen(function*() {
        const chains = yield* SimulatedChains
        const ingest = yield* PacketIngest
        const r = route()
        const [sent] = yield* chains.commit("osmosis-1", [[sendEvent(r)]])
        const [recv] = yield* chains.commit("noble-1", [[recvEvent(r)]])
        expect(yield* ingest.applyTx(sent!)).toHaveLength(1)
        expect(yield* ingest.applyTx(recv!)).toHaveLength(1)
        expect(yield* ingest.applyTx(recv!)).toEqual([])
        expect(yield* ingest.applyTx(sent!)).toEqual([])
      }),
      clearingWorld()
    ))

  it.scoped("publishes a packet as expired once its destination, learned on the channel, reaches the timeout height", () =>
    Effect.provide(
      Effect.gen(function*() {
        const chains = yield* SimulatedChains
        const ingest = yield* PacketIngest
        const updates = yield* (yield* EventBus).subscribe(PacketUpdateTopic)
        const a = route()
        const [sentA] = yield* chains.commit("osmosis-1", [[sendEvent(a)]])
        const [recvA] = yield* chains.commit("noble-1", [[recvEvent(a)]])
        const noble = (yield* chains.head("noble-1")).height
        // Same channel as `a`: the recv above tells where they go.
        const passed = route()
        const ahead = route()
        const later = yield* chains.commit("osmosis-1", [
          [sendEvent(passed, { timeout_height: `1-${noble}` })],
          [sendEvent(ahead, { timeout_height: `1-${noble + 1}` })]
        ])
        for (const t of [sentA!, recvA!, ...later]) yield* ingest.applyTx(t)

        const got = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(updates, 4)))
        expect(got.map((u) => [u.sequence, u.event, u.status, u.dst_chain_id])).toEqual([
          [a.sequence, "sent", "pending", null],
          [a.sequence, "received", "delivered", "noble-1"],
          [passed.sequence, "sent", "expired", "noble-1"],
          [ahead.sequence, "sent", "pending", "noble-1"]
        ])
      }),
      clearingWorld()
    ))
})

describe("packet ingestion in chunks", () => {
  // A few routes and chains, so events of one packet meet in any order and chunk.
  const CHAINS = ["osmosis-1", "noble-1", "cosmoshub-4"] as const
  const ROUTES = Array.from({ length: 3 }, () => route())
  const KINDS = [sendEvent, recvEvent, ackEvent, timeoutEvent] as const
  const history = fc.array(
    fc.record({ chain: fc.constantFrom(...CHAINS), route: fc.constantFrom(...ROUTES), kind: fc.constantFrom(...KINDS), newBlock: fc.boolean() }),
    { minLength: 1, maxLength: 30 }
  ).map((steps) => {
    let height = 10
    return steps.map((s, i) => {
      if (s.newBlock) height++
      return tx(s.chain, height, [s.kind(s.route)], { hash: `H${i}` })
    })
  })
  const cuts = (n: number) => fc.array(fc.integer({ min: 1, max: n }), { maxLength: n }).map((xs) => [...new Set(xs)].sort((a, b) => a - b))

  const ingestWith = (apply: (ingest: PacketIngest["Type"]) => Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, unknown>) =>
    Effect.gen(function*() {
      const changes = yield* apply(yield* PacketIngest)
      const store = yield* PacketStore
      return { changes: changes.flat(), packets: yield* store.list({}), links: yield* store.links(), heads: yield* store.heads() }
    }).pipe(Effect.provide(clearingWorld()))

  it.effect("applies any chunking of a history as one tx at a time would: same changes, packets, links and heads", () =>
    Effect.promise(() =>
      fc.assert(fc.asyncProperty(history.chain((txs) => fc.tuple(fc.constant(txs), cuts(txs.length))), ([txs, at]) =>
        Effect.runPromise(Effect.gen(function*() {
          const one = yield* ingestWith((ingest) => Effect.forEach(txs, (t) => ingest.applyTx(t)))
          const chunked = yield* ingestWith((ingest) =>
            Effect.forEach([0, ...at].map((from, i) => txs.slice(from, [...at, txs.length][i])), (chunk) => ingest.applyTxs(chunk))
          )
          expect(chunked).toEqual(one)
        }))
      ), { numRuns: 60 })
    ))
})
