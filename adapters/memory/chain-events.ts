import { Clock, Context, Effect, Either, Exit, Layer, Option, Queue, Stream } from "effect"
import { PACKET_EVENT_TYPES } from "../../core/clearing/events.js"
import type { ChainHead, ChainTx, TxEvent } from "../../core/clearing/model.js"
import { sha256Hex } from "../../core/shared/hash.js"
import { type ChainEvent, ChainEvents, ChainEventsUnavailable } from "../../ports/chain-events.js"

/** Test and demo control of the simulated chains. */
export class SimulatedChains extends Context.Tag("relaygate/memory/SimulatedChains")<
  SimulatedChains,
  {
    /** Commits one block holding one tx per entry (each a list of ABCI events); returns the txs. */
    readonly commit: (chainId: string, txs: ReadonlyArray<ReadonlyArray<TxEvent>>) => Effect.Effect<ReadonlyArray<ChainTx>>
    /** Drops every live subscription of the chain, as a lost websocket would. */
    readonly disconnect: (chainId: string) => Effect.Effect<void>
    readonly head: (chainId: string) => Effect.Effect<ChainHead>
  }
>() {}

interface Chain {
  height: number
  time: number
  readonly txs: Array<ChainTx>
  readonly subscribers: Set<Queue.Queue<Either.Either<ChainEvent, ChainEventsUnavailable>>>
}

const hasPacketEvent = (tx: ChainTx) => tx.events.some((e) => (PACKET_EVENT_TYPES as ReadonlyArray<string>).includes(e.type))

/**
 * Simulated CometBFT chains: blocks are committed on demand, subscribers get
 * each tx as it is committed, and the whole history stays searchable. A
 * subscription and a commit never interleave, so `head` is exact.
 */
export const make = (chainIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const chains = new Map<string, Chain>(
      chainIds.map((id) => [id, { height: 1, time: start, txs: [], subscribers: new Set() }])
    )
    const chainOf = (chainId: string) =>
      Effect.suspend(() => {
        const c = chains.get(chainId)
        return c === undefined
          ? Effect.fail(new ChainEventsUnavailable({ chain_id: chainId, reason: "not a simulated chain" }))
          : Effect.succeed(c)
      })
    const headOf = (chainId: string, c: Chain): ChainHead => ({ chain_id: chainId, height: c.height, time: c.time })

    const events = ChainEvents.of({
      chains: chainIds,
      subscribe: (chainId) =>
        Effect.gen(function*() {
          const c = yield* chainOf(chainId)
          // Only what a test commits is published (without COMETBFT_RPC_<CHAIN> there are no chains to
          // subscribe to); more than this left unread is a stuck consumer, and the newest are dropped.
          const queue = yield* Queue.dropping<Either.Either<ChainEvent, ChainEventsUnavailable>>(10_000)
          const head = yield* Effect.acquireRelease(
            Effect.sync(() => {
              c.subscribers.add(queue)
              return headOf(chainId, c)
            }),
            () => Effect.sync(() => c.subscribers.delete(queue)).pipe(Effect.zipRight(Queue.shutdown(queue)))
          )
          // Chunks kept as the queue hands them over (a block's txs together, as CometBFT sends them).
          const events = Stream.fromQueue(queue).pipe(
            Stream.map(Either.match({ onLeft: (e) => Exit.fail(Option.some(e)), onRight: Exit.succeed })),
            Stream.flattenExitOption
          )
          return { head, events }
        }).pipe(Effect.withSpan("ChainEvents.subscribe", { attributes: { chainId } })),
      backfill: (chainId, from, to) =>
        Stream.unwrap(
          Effect.map(chainOf(chainId), (c) =>
            Stream.fromIterable(c.txs.filter((tx) => tx.height >= from && tx.height <= to && hasPacketEvent(tx))))
        )
    })

    const control = SimulatedChains.of({
      commit: (chainId, txEvents) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          return yield* Effect.sync(() => {
            const c = chains.get(chainId)
            if (c === undefined) throw new Error(`not a simulated chain: ${chainId}`)
            c.height += 1
            c.time = Math.max(now, c.time)
            const committed = txEvents.map((evs, index): ChainTx => ({
              chain_id: chainId,
              height: c.height,
              time: c.time,
              hash: sha256Hex(`${chainId}/${c.height}/${index}`).toUpperCase(),
              code: 0,
              events: evs
            }))
            c.txs.push(...committed)
            for (const q of c.subscribers) {
              for (const tx of committed) Queue.unsafeOffer(q, Either.right({ _tag: "Tx", tx }))
            }
            return committed
          })
        }),
      disconnect: (chainId) =>
        Effect.sync(() => {
          const c = chains.get(chainId)
          if (c === undefined) return
          for (const q of c.subscribers) {
            Queue.unsafeOffer(q, Either.left(new ChainEventsUnavailable({ chain_id: chainId, reason: "connection lost" })))
          }
          c.subscribers.clear()
        }),
      head: (chainId) => Effect.orDie(Effect.map(chainOf(chainId), (c) => headOf(chainId, c)))
    })
    return { events, control }
  })

export const layer = (chainIds: ReadonlyArray<string>): Layer.Layer<ChainEvents | SimulatedChains> =>
  Layer.effectContext(
    Effect.map(make(chainIds), ({ control, events }) => Context.make(ChainEvents, events).pipe(Context.add(SimulatedChains, control)))
  )
