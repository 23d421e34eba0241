import { Clock, Effect, Layer, Ref } from "effect"
import { RateLimiter } from "../../ports/rate-limiter.js"

interface Window {
  readonly start: number
  readonly windowMs: number
  readonly count: number
}

// Expired windows are dropped on a sweep at most this often, so memory tracks
// the keys active in the last window rather than every key ever seen.
const SWEEP_EVERY_MS = 60_000

/**
 * Fixed windows per key, each starting at the key's first request: exact
 * counts, so X-RateLimit-Remaining and -Reset are what the next request sees.
 */
export const make = Effect.gen(function*() {
  const ref = yield* Ref.make({ windows: new Map<string, Window>(), nextSweep: 0 })

  return RateLimiter.of({
    consume: Effect.fn("RateLimiter.consume")(function*(key: string, limit: number, windowMs: number) {
      const now = yield* Clock.currentTimeMillis
      // Ref.modify's function runs without interleaving: count and decision are atomic.
      return yield* Ref.modify(ref, (state) => {
        if (now >= state.nextSweep) {
          for (const [k, w] of state.windows) if (now >= w.start + w.windowMs) state.windows.delete(k)
          state.nextSweep = now + SWEEP_EVERY_MS
        }
        const existing = state.windows.get(key)
        const w = existing !== undefined && now < existing.start + existing.windowMs && existing.windowMs === windowMs
          ? existing
          : { start: now, windowMs, count: 0 }
        const allowed = w.count < limit
        const count = allowed ? w.count + 1 : w.count
        state.windows.set(key, { ...w, count })
        return [{ allowed, limit, remaining: Math.max(0, limit - count), resetAt: w.start + windowMs }, state] as const
      })
    })
  })
})

export const layer = Layer.effect(RateLimiter, make)
