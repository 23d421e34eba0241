import { Effect, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { describe } from "vitest"
import { layer, RedisClient } from "../../adapters/redis/client.js"

/**
 * Redis for adapter tests: TEST_REDIS_URL (default redis://127.0.0.1:6379/0).
 * Every layer build gets a key prefix of its own, `relaygate_test_<random>:`,
 * and deletes every key under it when released, so tests never share state
 * and leave nothing behind.
 */
export const REDIS_URL = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0"

export const randomPrefix = () => `relaygate_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}:`

/** Removes every key under `prefix` (SCAN, never KEYS: other tests share the server). */
export const deleteUnder = (client: Redis, prefix: string) =>
  Effect.promise(async () => {
    let cursor = "0"
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500)
      cursor = next
      if (keys.length > 0) await client.del(...keys)
    } while (cursor !== "0")
  })

/** A connection under `prefix` that removes the prefix's keys when released. */
export const redisLayerWith = (prefix: string): Layer.Layer<RedisClient> =>
  Layer.scopedDiscard(
    Effect.flatMap(RedisClient, ({ client }) => Effect.addFinalizer(() => deleteUnder(client, prefix).pipe(Effect.ignore)))
  ).pipe(Layer.provideMerge(layer({ url: Redacted.make(REDIS_URL), prefix })), Layer.orDie)

/** A connection under a fresh prefix for each build. */
export const testRedisLayer: Layer.Layer<RedisClient> = Layer.unwrapEffect(Effect.sync(() => redisLayerWith(randomPrefix())))

export const redisReachable: Promise<boolean> = (async () => {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on("error", () => {})
  try {
    await client.connect()
    return (await client.ping()) === "PONG"
  } catch {
    return false
  } finally {
    client.disconnect()
  }
})()

/** Registers `suite` when Redis answers; otherwise skipped, except in CI (CI=true), where a missing service fails. */
export const withRedis = async (name: string, suite: () => void) => {
  if (await redisReachable) return suite()
  if (process.env["CI"] === "true") throw new Error(`Redis is not reachable at ${REDIS_URL} (needed by ${name})`)
  describe.skip(`${name} (Redis not reachable at ${REDIS_URL})`, () => {})
}
