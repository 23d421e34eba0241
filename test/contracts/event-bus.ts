import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, type Layer, Schema, Stream } from "effect"
import { EventBus, type EventBusUnavailable, topic } from "../../ports/event-bus.js"

const Ping = topic("test.ping", Schema.Struct({ n: Schema.Number, note: Schema.String }))
const Pong = topic("test.pong", Schema.Struct({ n: Schema.Number }))

/** The behaviour every EventBus adapter must have; each adapter's test calls this. */
export const eventBusContract = (name: string, layer: Layer.Layer<EventBus, EventBusUnavailable>) =>
  describe(`EventBus contract: ${name}`, () => {
    const run = <A, E, R>(effect: Effect.Effect<A, E, EventBus | R>) => Effect.provide(effect, layer)

    it.scoped("delivers what is published after subscribing, in order, to every subscriber of the topic only", () =>
      run(Effect.gen(function*() {
        const bus = yield* EventBus
        yield* bus.publish(Ping, { n: 0, note: "before anyone listens" })
        const a = yield* bus.subscribe(Ping)
        const b = yield* bus.subscribe(Ping)
        const other = yield* bus.subscribe(Pong)
        const fa = yield* Effect.fork(Stream.runCollect(Stream.take(a, 3)))
        const fb = yield* Effect.fork(Stream.runCollect(Stream.take(b, 3)))
        const fo = yield* Effect.fork(Stream.runCollect(Stream.take(other, 1)))
        for (const n of [1, 2, 3]) yield* bus.publish(Ping, { n, note: n === 2 ? "🧊 | memo" : "" })
        yield* bus.publish(Pong, { n: 9 })
        const expected = [{ n: 1, note: "" }, { n: 2, note: "🧊 | memo" }, { n: 3, note: "" }]
        expect(Chunk.toReadonlyArray(yield* Fiber.join(fa))).toEqual(expected)
        expect(Chunk.toReadonlyArray(yield* Fiber.join(fb))).toEqual(expected)
        expect(Chunk.toReadonlyArray(yield* Fiber.join(fo))).toEqual([{ n: 9 }])
      })))

    it.scoped("a subscriber that never reads does not block publishers", () =>
      run(Effect.gen(function*() {
        const bus = yield* EventBus
        yield* bus.subscribe(Ping)
        for (let n = 0; n < 2_000; n++) yield* bus.publish(Ping, { n, note: "" })
        const live = yield* bus.subscribe(Ping)
        const f = yield* Effect.fork(Stream.runCollect(Stream.take(live, 1)))
        yield* bus.publish(Ping, { n: -1, note: "still flowing" })
        expect(Chunk.toReadonlyArray(yield* Fiber.join(f))).toEqual([{ n: -1, note: "still flowing" }])
      })))
  })
