import { Clock, Effect, Layer } from "effect"
import { RateLimiter, RateLimiterUnavailable } from "../../ports/rate-limiter.js"
import { RedisClient } from "./client.js"

/*
 * The memory limiter's fixed window, kept in one Redis hash per key and
 * decided by one Lua script, so counting and deciding are atomic across every
 * replica. `now` is the caller's Clock (the same instant the memory limiter
 * would use); the key expires with its window.
 *
 * KEYS[1] the counter; ARGV now, limit, windowMs. Returns {allowed, count, start}.
 */
const CONSUME = `
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local win = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 's', 'w', 'c')
local start = state[1]
local count = tonumber(state[3])
if not start or tonumber(state[2]) ~= win or now >= tonumber(start) + win then
  start = ARGV[1]
  count = 0
  redis.call('HSET', KEYS[1], 's', start, 'w', ARGV[3], 'c', 0)
  redis.call('PEXPIRE', KEYS[1], win)
end
local allowed = 0
if count < limit then
  count = count + 1
  allowed = 1
  redis.call('HSET', KEYS[1], 'c', count)
end
return {allowed, count, start}
`

export const make = Effect.gen(function*() {
  const { breaker, client, prefix } = yield* RedisClient
  client.defineCommand("relaygateRateLimit", { numberOfKeys: 1, lua: CONSUME })
  const consume = (key: string, now: number, limit: number, windowMs: number) =>
    (client as unknown as {
      relaygateRateLimit: (k: string, now: string, limit: string, win: string) => Promise<[number, number, string]>
    }).relaygateRateLimit(`${prefix}ratelimit:${key}`, String(now), String(limit), String(windowMs))

  return RateLimiter.of({
    consume: Effect.fn("RateLimiter.consume")(function*(key: string, limit: number, windowMs: number) {
      const now = yield* Clock.currentTimeMillis
      const [allowed, count, start] = yield* breaker.guard(
        Effect.tryPromise({
          try: () => consume(key, now, limit, windowMs),
          catch: (cause) => new RateLimiterUnavailable({ reason: `redis: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
        }),
        { isOutage: () => true, onOpen: (open) => new RateLimiterUnavailable({ reason: `redis: ${open.message}`, cause: open }) }
      )
      return { allowed: allowed === 1, limit, remaining: Math.max(0, limit - count), resetAt: Number(start) + windowMs }
    })
  })
})

export const layer = Layer.effect(RateLimiter, make)
