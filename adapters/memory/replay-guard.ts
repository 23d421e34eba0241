import { Clock, Effect, Layer, Ref } from "effect"
import { ReplayGuard } from "../../ports/replay-guard.js"

/**
 * Expiring claims in a Map. Expired keys are purged whenever the map has
 * doubled since the last purge (amortized O(1) per claim), so memory stays
 * proportional to the keys still live.
 */
export const makeInspectable = Effect.gen(function*() {
  const ref = yield* Ref.make({ expiries: new Map<string, number>(), purgeAt: 1024 })

  const purge = (state: { expiries: Map<string, number>; purgeAt: number }, now: number) => {
    for (const [k, expiresAt] of state.expiries) if (expiresAt <= now) state.expiries.delete(k)
    state.purgeAt = Math.max(1024, state.expiries.size * 2)
  }

  const guard = ReplayGuard.of({
    claim: Effect.fn("ReplayGuard.claim")(function*(key: string, ttlMs: number) {
      const now = yield* Clock.currentTimeMillis
      return yield* Ref.modify(ref, (state) => {
        if (state.expiries.size >= state.purgeAt) purge(state, now)
        const expiresAt = state.expiries.get(key)
        if (expiresAt !== undefined && expiresAt > now) return [false, state] as const
        state.expiries.set(key, now + ttlMs)
        return [true, state] as const
      })
    })
  })
  /** Entries held right now, expired or not: what the memory bound is about. */
  const size = Ref.get(ref).pipe(Effect.map((s) => s.expiries.size))
  return { guard, size }
})

export const make = Effect.map(makeInspectable, (m) => m.guard)

export const layer = Layer.effect(ReplayGuard, make)
