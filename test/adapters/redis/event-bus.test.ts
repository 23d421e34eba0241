import { expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Schema, Stream } from "effect"
import { layer } from "../../../adapters/redis/event-bus.js"
import { EventBus, topic } from "../../../ports/event-bus.js"
import { eventBusContract } from "../../contracts/event-bus.js"
import { randomPrefix, redisLayerWith, testRedisLayer, withRedis } from "../../support/redis.js"

const Update = topic("test.update", Schema.Struct({ id: Schema.String, amount: Schema.BigInt }))

await withRedis("EventBus on Redis", () => {
  eventBusContract("redis", layer.pipe(Layer.provide(testRedisLayer), Layer.orDie))

  it.scoped("what one replica publishes, a subscriber on another receives (schema-encoded across the wire)", () =>
    Effect.gen(function*() {
      // Two buses on two connections under one prefix: two replicas sharing a Redis.
      const prefix = randomPrefix()
      const replicaA = yield* Layer.build(layer.pipe(Layer.provide(redisLayerWith(prefix)), Layer.orDie))
      const replicaB = yield* Layer.build(layer.pipe(Layer.provide(redisLayerWith(prefix)), Layer.orDie))
      const onB = yield* Effect.flatMap(EventBus, (bus) => bus.subscribe(Update)).pipe(Effect.provide(replicaB))
      const received = yield* Effect.fork(Stream.runCollect(Stream.take(onB, 2)))
      yield* Effect.flatMap(EventBus, (bus) =>
        Effect.forEach([{ id: "a", amount: 9007199254740993n }, { id: "b", amount: 1n }], (e) => bus.publish(Update, e))).pipe(
          Effect.provide(replicaA)
        )
      expect(Chunk.toReadonlyArray(yield* Fiber.join(received))).toEqual([{ id: "a", amount: 9007199254740993n }, { id: "b", amount: 1n }])
    }))
})
