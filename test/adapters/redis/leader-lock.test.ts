import { expect, it } from "@effect/vitest"
import { Effect, Layer, Ref, type Scope } from "effect"
import { layer } from "../../../adapters/redis/leader-lock.js"
import { RedisClient } from "../../../adapters/redis/client.js"
import { LeaderLock } from "../../../ports/leader-lock.js"
import { eventually, leaderLockContract } from "../../contracts/leader-lock.js"
import { testRedisLayer, withRedis } from "../../support/redis.js"

const TTL = 600

await withRedis("LeaderLock on Redis", () => {
  const lockLayer = layer({ ttl: TTL }).pipe(Layer.provideMerge(testRedisLayer))
  leaderLockContract("redis", lockLayer)

  const run = <A, E>(effect: Effect.Effect<A, E, LeaderLock | RedisClient | Scope.Scope>) => Effect.scoped(Effect.provide(effect, lockLayer))

  it.live("a holder that died without releasing (kill -9) loses the job once its lock expires", () =>
    run(Effect.gen(function*() {
      const { client, prefix } = yield* RedisClient
      yield* Effect.promise(() => client.set(`${prefix}lock:sweep`, "dead-replica", "PX", TTL))
      const started = yield* Ref.make<number | null>(null)
      const t0 = Date.now()
      yield* Effect.forkScoped((yield* LeaderLock).lead("sweep", Effect.zipRight(Effect.suspend(() => Ref.set(started, Date.now())), Effect.never)))
      yield* eventually(Effect.map(Ref.get(started), (t) => t !== null))
      const waited = (yield* Ref.get(started))! - t0
      expect(waited).toBeGreaterThanOrEqual(TTL - 50)
    })))

  it.live("a runner that finds its lock taken stops its job", () =>
    run(Effect.gen(function*() {
      const { client, prefix } = yield* RedisClient
      const state = yield* Ref.make<"idle" | "running" | "stopped">("idle")
      const job = Effect.zipRight(Ref.set(state, "running"), Effect.never).pipe(Effect.onInterrupt(() => Ref.set(state, "stopped")))
      yield* Effect.forkScoped((yield* LeaderLock).lead("settle", job))
      yield* eventually(Effect.map(Ref.get(state), (s) => s === "running"))
      // Another holder's token, as after a network partition outlived the ttl.
      yield* Effect.promise(() => client.set(`${prefix}lock:settle`, "someone-else", "PX", 60_000))
      yield* eventually(Effect.map(Ref.get(state), (s) => s === "stopped"))
    })))
})
