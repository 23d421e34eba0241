import { Clock, Effect, Layer } from "effect"
import { ReplayGuard } from "../../ports/replay-guard.js"
import { hotFn } from "../../core/shared/hot-fn.js"

/**
 * Expiring claims in a Map. Expired keys are purged whenever the map has
 * doubled since the last purge (amortized O(1) per claim), so memory stays
 * proportional to the keys still live.
 */
export const makeInspectable = Effect.sync(() => {
  const expiries = new Map<string, number>()
  let purgeAt = 1024

  const guard = ReplayGuard.of({
    // Every signed request claims its signature here (bench row 4): a span only when tracing is on (hotFn).
    claim: hotFn("ReplayGuard.claim")(function*(key: string, ttlMs: number) {
      const now = yield* Clock.currentTimeMillis
      // Nothing below yields, so no other fiber runs before the return: the claim is atomic
      // without a Ref.
      if (expiries.size >= purgeAt) {
        for (const [k, expiresAt] of expiries) if (expiresAt <= now) expiries.delete(k)
        purgeAt = Math.max(1024, expiries.size * 2)
      }
      const expiresAt = expiries.get(key)
      if (expiresAt !== undefined && expiresAt > now) return false
      expiries.set(key, now + ttlMs)
      return true
    })
  })
  /** Entries held right now, expired or not: what the memory bound is about. */
  const size = Effect.sync(() => expiries.size)
  return { guard, size }
})

export const make = Effect.map(makeInspectable, (m) => m.guard)

export const layer = Layer.effect(ReplayGuard, make)
