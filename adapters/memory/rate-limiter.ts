import { Clock, Effect, Layer } from "effect"
import { RateLimiter } from "../../ports/rate-limiter.js"
import { hotFn } from "../../core/shared/hot-fn.js"

interface Window {
  readonly start: number
  readonly windowMs: number
  count: number
}

// Expired windows are dropped on a sweep at most this often, so memory tracks
// the keys active in the last window rather than every key ever seen.
const SWEEP_EVERY_MS = 60_000

/**
 * Fixed windows per key, each starting at the key's first request: exact
 * counts, so X-RateLimit-Remaining and -Reset are what the next request sees.
 */
export const make = Effect.sync(() => {
  const windows = new Map<string, Window>()
  let nextSweep = 0

  return RateLimiter.of({
    // Every signed epochs request counts here (bench row 4): a span only when tracing is on (hotFn).
    consume: hotFn("RateLimiter.consume")(function*(key: string, limit: number, windowMs: number) {
      const now = yield* Clock.currentTimeMillis
      // Nothing below yields, so no other fiber runs before the return: count and decision are
      // atomic without a Ref.
      if (now >= nextSweep) {
        for (const [k, w] of windows) if (now >= w.start + w.windowMs) windows.delete(k)
        nextSweep = now + SWEEP_EVERY_MS
      }
      let w = windows.get(key)
      if (w === undefined || now >= w.start + w.windowMs || w.windowMs !== windowMs) {
        w = { start: now, windowMs, count: 0 }
        windows.set(key, w)
      }
      const allowed = w.count < limit
      if (allowed) w.count++
      return { allowed, limit, remaining: Math.max(0, limit - w.count), resetAt: w.start + windowMs }
    })
  })
})

export const layer = Layer.effect(RateLimiter, make)
