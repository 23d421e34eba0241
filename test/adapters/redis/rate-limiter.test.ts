import { Layer } from "effect"
import { layer } from "../../../adapters/redis/rate-limiter.js"
import { rateLimiterContract } from "../../contracts/rate-limiter.js"
import { testRedisLayer, withRedis } from "../../support/redis.js"

await withRedis("RateLimiter on Redis", () => rateLimiterContract("redis", layer.pipe(Layer.provide(testRedisLayer))))
