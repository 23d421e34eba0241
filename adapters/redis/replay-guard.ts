import { Clock, Effect, Layer } from "effect"
import { ReplayGuard, ReplayGuardUnavailable } from "../../ports/replay-guard.js"
import { RedisClient } from "./client.js"

/*
 * A claim is `SET key <expires-at> NX PX ttl`: the first caller on any
 * replica sets it, Redis drops it when the ttl ends. The value is the expiry
 * by the caller's Clock; when SET NX finds a key whose expiry has passed by
 * that clock (Redis has not evicted it yet), the script below re-claims it
 * atomically, so the guard follows the same clock as the rest of the app.
 *
 * KEYS[1] the claim; ARGV now, expires-at, ttl. Returns 1 when claimed.
 */
const RECLAIM = `
local held = tonumber(redis.call('GET', KEYS[1]))
if held ~= nil and held > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`

export const make = Effect.gen(function*() {
  const { breaker, client, prefix } = yield* RedisClient
  client.defineCommand("relaygateReclaim", { numberOfKeys: 1, lua: RECLAIM })
  const reclaim = (client as unknown as {
    relaygateReclaim: (k: string, now: string, expiresAt: string, ttl: string) => Promise<number>
  }).relaygateReclaim.bind(client)

  const call = <A>(f: () => Promise<A>) =>
    breaker.guard(
      Effect.tryPromise({
        try: f,
        catch: (cause) => new ReplayGuardUnavailable({ reason: `redis: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
      }),
      { isOutage: () => true, onOpen: (open) => new ReplayGuardUnavailable({ reason: `redis: ${open.message}`, cause: open }) }
    )

  return ReplayGuard.of({
    claim: Effect.fn("ReplayGuard.claim")(function*(key: string, ttlMs: number) {
      const now = yield* Clock.currentTimeMillis
      const k = `${prefix}replay:${key}`
      const ttl = Math.max(1, Math.ceil(ttlMs))
      const set = yield* call(() => client.set(k, String(now + ttl), "PX", ttl, "NX"))
      if (set === "OK") return true
      return (yield* call(() => reclaim(k, String(now), String(now + ttl), String(ttl)))) === 1
    })
  })
})

export const layer = Layer.effect(ReplayGuard, make)
