import { describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Effect, Fiber, type Layer, Stream } from "effect"
import type { ChainTx, TxEvent } from "../../core/clearing/model.js"
import { ChainEvents } from "../../ports/chain-events.js"
import { ackEvent, recvEvent, route, sendEvent } from "../support/clearing.js"

/** Drives the chain behind a ChainEvents adapter: commits blocks, cuts connections. */
export class ChainDriver extends Context.Tag("test/ChainDriver")<
  ChainDriver,
  {
    readonly chainId: string
    readonly commit: (txs: ReadonlyArray<ReadonlyArray<TxEvent>>) => Effect.Effect<ReadonlyArray<ChainTx>>
    readonly dropConnections: () => Effect.Effect<void>
  }
>() {}

const transfer: TxEvent = { type: "transfer", attributes: [{ key: "amount", value: "1uosmo" }] }

/** The behaviour every ChainEvents adapter must have; each adapter's test calls this. */
export const chainEventsContract = <E>(name: string, layer: Layer.Layer<ChainEvents | ChainDriver, E>) =>
  describe(`ChainEvents contract: ${name}`, () => {
    const run = <A, E2, R>(effect: Effect.Effect<A, E2, ChainEvents | ChainDriver | R>) => Effect.provide(effect, layer)

    it.scoped("reports the head, then every committed tx in order with its block time and events", () =>
      run(Effect.gen(function*() {
        const chains = yield* ChainEvents
        const driver = yield* ChainDriver
        expect(chains.chains).toContain(driver.chainId)
        const before = yield* driver.commit([[transfer]])
        const sub = yield* chains.subscribe(driver.chainId)
        expect(sub.head.height).toBeGreaterThanOrEqual(before[0]!.height)
        const txs = sub.events.pipe(Stream.filter((e) => e._tag === "Tx"), Stream.take(3), Stream.runCollect)
        const fiber = yield* Effect.fork(txs)
        const r = route()
        const first = yield* driver.commit([[sendEvent(r)], [transfer]])
        const second = yield* driver.commit([[recvEvent(r), ackEvent(r)]])
        const got = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((e) => (e._tag === "Tx" ? e.tx : undefined))
        expect(got).toEqual([...first, ...second])
        expect(got[0]!.height).toBeGreaterThan(sub.head.height)
      })))

    it.scoped("backfills the packet-carrying txs of a height range, ascending", () =>
      run(Effect.gen(function*() {
        const chains = yield* ChainEvents
        const driver = yield* ChainDriver
        const blocks: Array<ReadonlyArray<ChainTx>> = []
        for (let i = 0; i < 5; i++) {
          const r = route()
          blocks.push(yield* driver.commit([[transfer], [sendEvent(r)], [recvEvent(route())]]))
        }
        const from = blocks[1]![0]!.height
        const to = blocks[3]![0]!.height
        const got = Chunk.toReadonlyArray(yield* Stream.runCollect(chains.backfill(driver.chainId, from, to)))
        const expected = blocks.slice(1, 4).flatMap((b) => b.slice(1))
        expect(got).toEqual(expected)
        expect(Chunk.toReadonlyArray(yield* Stream.runCollect(chains.backfill(driver.chainId, to + 1000, to + 2000)))).toEqual([])
      })))

    it.scoped("fails the live stream when the connection is lost", () =>
      run(Effect.gen(function*() {
        const chains = yield* ChainEvents
        const driver = yield* ChainDriver
        const sub = yield* chains.subscribe(driver.chainId)
        const fiber = yield* Effect.fork(Stream.runDrain(sub.events))
        yield* driver.dropConnections()
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error).toMatchObject({ _tag: "ChainEventsUnavailable", chain_id: driver.chainId })
      })))

    it.scoped("refuses chains it does not serve", () =>
      run(Effect.gen(function*() {
        const chains = yield* ChainEvents
        const error = yield* Effect.flip(chains.subscribe("no-such-chain-9"))
        expect(error).toMatchObject({ _tag: "ChainEventsUnavailable", chain_id: "no-such-chain-9" })
      })))
  })
