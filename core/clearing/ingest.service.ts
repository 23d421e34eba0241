import { Chunk, Clock, Context, type Duration, Effect, Layer, Option, Schedule, Stream } from "effect"
import type { StoreUnavailable } from "../shared/errors.js"
import { type ChainEvent, ChainEvents, ChainEventsUnavailable } from "../../ports/chain-events.js"
import { EventBus } from "../../ports/event-bus.js"
import { PacketStore } from "../../ports/packet-store.js"
import { classify, destinationOf, linkKey } from "./classification.machine.js"
import { applyEvent, type PacketChange, parseTx, routeOf } from "./events.js"
import { type ChainHead, type ChainTx, type ChannelLink, type PacketEvent, packetId, type PacketUpdate, PacketUpdateTopic } from "./model.js"

export interface IngestSettings {
  /** Blocks to backfill the first time a chain is followed (no cursor stored yet). */
  readonly initialLookbackBlocks: number
  /** Reconnect delays grow from `reconnectBase` by doubling, up to `reconnectMax`. */
  readonly reconnectBase: Duration.DurationInput
  readonly reconnectMax: Duration.DurationInput
}

export const defaultIngestSettings: IngestSettings = {
  initialLookbackBlocks: 0,
  reconnectBase: "500 millis",
  reconnectMax: "30 seconds"
}

export class IngestConfig extends Context.Tag("relaygate/clearing/IngestConfig")<IngestConfig, IngestSettings>() {}

/**
 * Turns the watched chains' packet events into PacketStore state. Each
 * connection's life is: subscribe, backfill from the stored cursor to the
 * subscription's head, then follow live txs. Events are idempotent by id, so
 * the overlap between backfill and live stream is harmless, and the cursor
 * only moves past heights whose txs are all applied: a lost connection never
 * loses a packet and never counts one twice.
 */
export class PacketIngest extends Context.Tag("relaygate/clearing/PacketIngest")<
  PacketIngest,
  {
    /** Applies one committed tx; applying it again changes nothing. */
    readonly applyTx: (tx: ChainTx) => Effect.Effect<ReadonlyArray<PacketChange>, StoreUnavailable>
    /** Applies committed txs in their order, as `applyTx` one after the other would. */
    readonly applyTxs: (txs: ReadonlyArray<ChainTx>) => Effect.Effect<ReadonlyArray<PacketChange>, StoreUnavailable>
    /** One connection: returns when the live stream ends, fails when it breaks. */
    readonly followOnce: (chainId: string) => Effect.Effect<void, ChainEventsUnavailable | StoreUnavailable>
    /** Follows a chain for ever, reconnecting with backoff. */
    readonly follow: (chainId: string) => Effect.Effect<never>
    /** Follows every chain ChainEvents serves, concurrently. */
    readonly followAll: () => Effect.Effect<never>
  }
>() {}

const updateOf = (c: PacketChange, status: PacketUpdate["status"]): PacketUpdate => ({
  packet_id: packetId(c.packet),
  chain_id: c.packet.chain_id,
  src_channel: c.packet.src_channel,
  sequence: c.packet.sequence,
  dst_chain_id: c.packet.dst_chain_id,
  status,
  event: c.kind,
  sender: c.packet.data?.sender ?? null,
  receiver: c.packet.data?.receiver ?? null,
  tx_hash: c.at.tx_hash,
  height: c.at.height,
  timestamp: c.at.time
})

const noHeights: ReadonlyMap<string, number> = new Map()

/**
 * Most txs applied in one step. The memory store decides a whole step without
 * yielding, and the event loop it runs on serves HTTP too: 256 txs are a few
 * milliseconds. A backfill window can hold thousands.
 */
const MAX_STEP = 256

const steps = <A>(as: ReadonlyArray<A>): ReadonlyArray<ReadonlyArray<A>> => {
  if (as.length <= MAX_STEP) return [as]
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < as.length; i += MAX_STEP) out.push(as.slice(i, i + MAX_STEP))
  return out
}

const publishFailed = (e: { readonly message: string }) => Effect.logWarning("packet_update not published", e.message)

export const make = Effect.gen(function*() {
  const store = yield* PacketStore
  const chainEvents = yield* ChainEvents
  const bus = yield* EventBus
  const settings = yield* Effect.serviceOption(IngestConfig).pipe(Effect.map(Option.getOrElse(() => defaultIngestSettings)))

  // The head each chain's txs last moved the store to.
  const advanced = new Map<string, ChainHead>()

  const linkOf = (links: Map<string, string>, l: ChannelLink) =>
    links.set(linkKey(l.chain_id, l.port_id, l.channel_id), l.counterparty_chain_id)

  // Runs per chunk of committed txs, a block's worth or more when ingestion
  // lags: parsing and deciding are plain code, and the store, the head and the
  // clock are visited once per chunk rather than once per event (row 7 of
  // bench/). A plain span without a call-site stack trace, as `Effect.fn`'s
  // costs a `new Error()` per call.
  const applyTxs = (txs: ReadonlyArray<ChainTx>) =>
    Effect.gen(function*() {
      const events: Array<PacketEvent> = []
      for (const tx of txs) {
        const parsed = parseTx(tx)
        for (const p of parsed.problems) yield* Effect.logWarning("unreadable packet event", p)
        for (const ev of parsed.events) events.push(ev)
      }
      const changes: Array<PacketChange> = []
      // The links classification needs are those of the changed packets' source
      // ends: each route's slice holds them and the writes add to them, so there
      // is no need to read every link the store knows.
      const links = new Map<string, string>()
      if (events.length > 0) {
        const changed = yield* store.observeEach(events, routeOf, (slice, ev) => {
          const outcome = applyEvent(slice, ev)
          for (const l of slice.links) linkOf(links, l)
          for (const l of outcome.write.links) linkOf(links, l)
          return [outcome.write, outcome.changes] as const
        })
        for (const c of changed) for (const change of c) changes.push(change)
      }
      yield* advanceHeads(txs)
      if (changes.length === 0) return changes
      const now = yield* Clock.currentTimeMillis
      // Heights matter only to a packet with a timeout height and a known
      // destination; most transfers time out by timestamp alone.
      const heights = changes.some((c) => c.packet.timeout_height !== null && destinationOf(c.packet, links) !== null)
        ? new Map((yield* store.heads()).map((h) => [h.chain_id, h.height]))
        : noHeights
      for (const c of changes) {
        const status = classify(c.packet, { now, heights, links }).status
        // The bus is a fast path; a failed publish must not stop ingestion.
        yield* bus.publish(PacketUpdateTopic, updateOf(c, status)).pipe(Effect.catchAll(publishFailed))
      }
      return changes as ReadonlyArray<PacketChange>
    }).pipe(Effect.withSpan("PacketIngest.applyTxs", { captureStackTrace: false }))

  // Heads only move forward, so a block this service has already moved the
  // head to (or past) needs no second write; a block holds many txs.
  const advanceHeads = (txs: ReadonlyArray<ChainTx>) => {
    const moved = new Map<string, ChainHead>()
    for (const tx of txs) {
      const last = moved.get(tx.chain_id) ?? advanced.get(tx.chain_id)
      if (last === undefined || tx.height > last.height || (tx.height === last.height && tx.time !== last.time)) {
        moved.set(tx.chain_id, { chain_id: tx.chain_id, height: tx.height, time: tx.time })
      }
    }
    return Effect.forEach(moved.values(), (head) =>
      Effect.map(store.advance(head.chain_id, { head }), () => {
        advanced.set(head.chain_id, head)
      }), { discard: true })
  }

  /**
   * A chunk of the live stream: its txs in runs between heartbeats. Live txs
   * arrive in commit order, so once a run ending at height h is applied every
   * tx below h has been, but h itself may still have more.
   */
  const applyLive = (chainId: string, chunk: Chunk.Chunk<ChainEvent>) =>
    Effect.gen(function*() {
      let run: Array<ChainTx> = []
      for (const ev of chunk) {
        if (ev._tag === "Tx") {
          run.push(ev.tx)
          continue
        }
        yield* applyRun(chainId, run)
        run = []
        yield* store.advance(chainId, { head: ev.head })
      }
      yield* applyRun(chainId, run)
    })

  const applyRun = (chainId: string, run: ReadonlyArray<ChainTx>) =>
    Effect.forEach(
      run.length === 0 ? [] : steps(run),
      (step) => Effect.zipRight(applyTxs(step), store.advance(chainId, { cursor: step[step.length - 1]!.height - 1 })),
      { discard: true }
    )

  const followOnce = Effect.fn("PacketIngest.followOnce")(function*(chainId: string) {
    yield* Effect.scoped(Effect.gen(function*() {
      const sub = yield* chainEvents.subscribe(chainId)
      yield* store.advance(chainId, { head: sub.head })
      const cursor = yield* store.cursor(chainId)
      const from = Option.match(cursor, {
        onNone: () => sub.head.height - settings.initialLookbackBlocks + 1,
        onSome: (c) => c + 1
      })
      if (from <= sub.head.height) {
        yield* Effect.logInfo("backfilling", { chainId, from: Math.max(1, from), to: sub.head.height })
        yield* chainEvents.backfill(chainId, Math.max(1, from), sub.head.height).pipe(
          Stream.runForEachChunk((chunk) => Effect.forEach(steps(Chunk.toReadonlyArray(chunk)), applyTxs, { discard: true }))
        )
      }
      yield* store.advance(chainId, { cursor: sub.head.height })
      yield* sub.events.pipe(Stream.runForEachChunk((chunk) => applyLive(chainId, chunk)))
    }))
  })

  const follow = (chainId: string): Effect.Effect<never> =>
    followOnce(chainId).pipe(
      // A bug in a decoder must not end ingestion for good: treat it like a lost connection.
      Effect.catchAllDefect((defect) =>
        Effect.fail(new ChainEventsUnavailable({ chain_id: chainId, reason: "unexpected failure", cause: defect }))
      ),
      Effect.tapError((e) => Effect.logWarning("chain connection lost; reconnecting", { chainId, reason: e.message })),
      Effect.retry(
        Schedule.exponential(settings.reconnectBase).pipe(Schedule.union(Schedule.spaced(settings.reconnectMax)))
      ),
      Effect.zipRight(Effect.sleep(settings.reconnectBase)),
      Effect.forever,
      // The retry schedule never gives up, so no error can come out.
      Effect.orDie
    )

  return PacketIngest.of({
    applyTx: (tx) => applyTxs([tx]),
    applyTxs,
    followOnce,
    follow,
    followAll: () =>
      Effect.forEach(chainEvents.chains, follow, { concurrency: "unbounded", discard: true }).pipe(
        Effect.zipRight(Effect.never)
      )
  })
})

export const layer = Layer.effect(PacketIngest, make)
