import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Stream } from "effect"
import { layer, websocketUrl } from "../../../adapters/cosmos/chain-events.js"
import { layer as eventBus } from "../../../adapters/memory/event-bus.js"
import { layer as packetStore } from "../../../adapters/memory/packet-store.js"
import { IngestConfig, layer as ingest, PacketIngest } from "../../../core/clearing/ingest.service.js"
import { type Packet, packetId } from "../../../core/clearing/model.js"
import { ChainEvents } from "../../../ports/chain-events.js"
import { PacketStore } from "../../../ports/packet-store.js"
import { ackEvent, recvEvent, route, sendEvent, transferData } from "../../support/clearing.js"
import { eventually } from "../../support/eventually.js"
import { type FakeCometBft, startFakeCometBft } from "../../support/fake-cometbft.js"
import { ChainDriver, chainEventsContract } from "../../contracts/chain-events.js"

const fakeChain = (chainId: string) =>
  Effect.acquireRelease(Effect.promise(() => startFakeCometBft(chainId, { startHeight: 41 })), (f) => Effect.promise(() => f.close()))

const contractLayer = Layer.unwrapScoped(
  Effect.map(fakeChain("osmosis-1"), (fake) =>
    Layer.merge(
      layer({ chains: [{ chain_id: "osmosis-1", url: fake.url }], heartbeat: "1 hour", backfillWindow: 2 }),
      Layer.succeed(ChainDriver, ChainDriver.of({
        chainId: "osmosis-1",
        commit: (txs) => Effect.sync(() => fake.commit(txs)),
        dropConnections: () => Effect.sync(() => fake.dropConnections())
      }))
    ))
)

chainEventsContract("CometBFT RPC", contractLayer)

describe("CometBFT adapter", () => {
  it("builds the websocket URL from the configured RPC address", () => {
    expect(websocketUrl("http://127.0.0.1:26657")).toBe("ws://127.0.0.1:26657/websocket")
    expect(websocketUrl("https://rpc.example.com/")).toBe("wss://rpc.example.com/websocket")
    expect(websocketUrl("ws://h:1/websocket")).toBe("ws://h:1/websocket")
  })

  it.scopedLive("refuses an RPC endpoint that serves another network", () =>
    Effect.gen(function*() {
      const fake = yield* fakeChain("cosmoshub-4")
      const error = yield* Effect.flip(
        Effect.provide(
          Effect.flatMap(PacketIngest, (i) => i.followOnce("osmosis-1")),
          ingestLayer([{ chain_id: "osmosis-1", url: fake.url }])
        )
      )
      expect(error.message).toContain("serves cosmoshub-4")
    }))

  it.scopedLive("sends the chain head while the chain is quiet", () =>
    Effect.gen(function*() {
      const fake = yield* fakeChain("osmosis-1")
      const chains = yield* Effect.provide(ChainEvents, layer({ chains: [{ chain_id: "osmosis-1", url: fake.url }], heartbeat: "50 millis" }))
      const sub = yield* chains.subscribe("osmosis-1")
      fake.commit([])
      const head = yield* sub.events.pipe(
        Stream.filter((e) => e._tag === "Head" && e.head.height === fake.height()),
        Stream.runHead
      )
      expect(Option.getOrThrow(head)).toMatchObject({ _tag: "Head", head: { chain_id: "osmosis-1", height: fake.height() } })
    }))
})

const ingestLayer = (chains: ReadonlyArray<{ chain_id: string; url: string }>) =>
  ingest.pipe(
    Layer.provideMerge(Layer.mergeAll(
      layer({ chains, heartbeat: "1 hour" }),
      packetStore,
      eventBus,
      Layer.succeed(IngestConfig, { initialLookbackBlocks: 0, reconnectBase: "20 millis", reconnectMax: "200 millis" })
    ))
  )

describe("CometBFT ingestion across disconnects", () => {
  it.scopedLive("loses no packet and counts none twice when the socket drops and events were missed", () =>
    Effect.gen(function*() {
      const osmosis: FakeCometBft = yield* fakeChain("osmosis-1")
      const noble: FakeCometBft = yield* fakeChain("noble-1")
      const run = <A, E, R>(e: Effect.Effect<A, E, PacketStore | PacketIngest | R>) =>
        Effect.provide(e, ingestLayer([{ chain_id: "osmosis-1", url: osmosis.url }, { chain_id: "noble-1", url: noble.url }]))

      yield* run(Effect.gen(function*() {
        const ingestion = yield* PacketIngest
        const store = yield* PacketStore
        yield* Effect.forkScoped(ingestion.followAll())
        yield* eventually(Effect.sync(() => osmosis.subscriptions() + noble.subscriptions()), (n) => n === 2, "both chains followed")

        const a = route({ src_channel: "channel-750", dst_channel: "channel-1" })
        const b = route({ src_channel: "channel-750", dst_channel: "channel-1" })
        const c = route({ src_channel: "channel-750", dst_channel: "channel-1" })
        const keyOf = (r: typeof a) => ({ chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence })
        const get = (r: typeof a) => Effect.map(store.get(keyOf(r)), Option.getOrUndefined)

        // Live: a is sent.
        osmosis.commit([[sendEvent(a, { data: transferData({ sender: "osmo1alice", amount: "42" }) })]])
        yield* eventually(get(a), (p) => p !== undefined, "a stored")

        // Frames lost in flight, then the sockets die; more blocks are made while we are away.
        osmosis.holdEvents(true)
        noble.holdEvents(true)
        osmosis.commit([[sendEvent(b)]])
        noble.commit([[recvEvent(a)]])
        osmosis.refuseConnections(true)
        noble.refuseConnections(true)
        osmosis.dropConnections()
        noble.dropConnections()
        osmosis.holdEvents(false)
        noble.holdEvents(false)
        osmosis.commit([[ackEvent(a)], [sendEvent(c)]])
        noble.commit([[recvEvent(b)]])
        yield* Effect.sleep("100 millis")
        osmosis.refuseConnections(false)
        noble.refuseConnections(false)

        const done = (p: Packet | undefined) => p !== undefined
        yield* eventually(get(c), done, "c backfilled")
        const pa = yield* eventually(get(a), (p) => p?.acknowledged != null && p.received != null, "a received and acknowledged")
        const pb = yield* eventually(get(b), (p) => p?.received != null, "b received")
        // Live again after the reconnect: one more ack for b.
        osmosis.commit([[ackEvent(b)]])
        const pb2 = yield* eventually(get(b), (p) => p?.acknowledged != null, "b acknowledged")

        expect(pa).toMatchObject({ relay_attempts: 2, dst_chain_id: "noble-1", data: { sender: "osmo1alice", amount: 42n } })
        expect(pb!.relay_attempts).toBe(1)
        expect(pb2!.relay_attempts).toBe(2)
        const all = yield* store.list({ chain_id: "osmosis-1", src_channel: "channel-750" })
        expect(all.map(packetId).sort()).toEqual([a, b, c].map((r) => packetId(keyOf(r))).sort())
        for (const p of all) expect(new Set(p.seen_events).size).toBe(p.seen_events.length)
        expect(osmosis.requests()).toContain("tx_search")
        expect(yield* store.cursor("osmosis-1")).toEqual(Option.some(osmosis.height() - 1))
      }))
    }))

  it.scopedLive("picks up what was committed while it was stopped, from the stored cursor", () =>
    Effect.gen(function*() {
      const osmosis = yield* fakeChain("osmosis-1")
      const store = yield* Effect.provide(PacketStore, packetStore)
      const processLayer = () =>
        ingest.pipe(Layer.provide(Layer.mergeAll(
          layer({ chains: [{ chain_id: "osmosis-1", url: osmosis.url }], heartbeat: "1 hour" }),
          Layer.succeed(PacketStore, store),
          eventBus,
          Layer.succeed(IngestConfig, { initialLookbackBlocks: 0, reconnectBase: "20 millis", reconnectMax: "200 millis" })
        )))
      const stored = (r: ReturnType<typeof route>) =>
        Effect.map(store.get({ chain_id: "osmosis-1", src_channel: r.src_channel, sequence: r.sequence }), Option.getOrUndefined)

      const first = yield* Effect.provide(PacketIngest, processLayer())
      const running = yield* Effect.fork(first.follow("osmosis-1"))
      yield* eventually(Effect.sync(() => osmosis.subscriptions()), (n) => n === 1, "chain followed")
      const a = route()
      osmosis.commit([[sendEvent(a)]])
      yield* eventually(stored(a), (p) => p !== undefined, "a stored")
      yield* Fiber.interrupt(running)
      yield* eventually(Effect.sync(() => osmosis.openConnections()), (n) => n === 0, "socket closed")

      const b = route()
      osmosis.commit([[sendEvent(b)], [recvEvent(route())]])
      osmosis.commit([[ackEvent(a)]])

      const second = yield* Effect.provide(PacketIngest, processLayer())
      yield* Effect.forkScoped(second.follow("osmosis-1"))
      yield* eventually(stored(b), (p) => p !== undefined, "b caught up")
      const pa = yield* eventually(stored(a), (p) => p?.acknowledged != null, "a acknowledged")
      expect(pa!.relay_attempts).toBe(1)
      expect(yield* store.cursor("osmosis-1")).toEqual(Option.some(osmosis.height()))
    }))
})
