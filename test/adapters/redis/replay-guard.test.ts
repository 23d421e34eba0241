import { Layer } from "effect"
import { layer } from "../../../adapters/redis/replay-guard.js"
import { replayGuardContract } from "../../contracts/replay-guard.js"
import { testRedisLayer, withRedis } from "../../support/redis.js"

await withRedis("ReplayGuard on Redis", () => replayGuardContract("redis", layer.pipe(Layer.provide(testRedisLayer))))
