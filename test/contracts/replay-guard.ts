import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, TestClock } from "effect"
import { ReplayGuard } from "../../ports/replay-guard.js"

/** The behaviour every ReplayGuard adapter must have (time from Effect's Clock); each adapter's test calls this. */
export const replayGuardContract = <E>(name: string, layer: Layer.Layer<ReplayGuard, E>) =>
  describe(`ReplayGuard contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, ReplayGuard>) =>
      Effect.provide(Effect.zipRight(TestClock.setTime(Date.parse("2025-10-01T16:00:00.000Z")), effect), layer)

    it.effect("a key is claimed once until its ttl ends", () =>
      run(Effect.gen(function*() {
        const guard = yield* ReplayGuard
        expect(yield* guard.claim("sig-1", 10_000)).toBe(true)
        expect(yield* guard.claim("sig-1", 10_000)).toBe(false)
        expect(yield* guard.claim("sig-2", 10_000)).toBe(true)
        yield* TestClock.adjust(9_999)
        expect(yield* guard.claim("sig-1", 10_000)).toBe(false)
        yield* TestClock.adjust(1)
        expect(yield* guard.claim("sig-1", 10_000)).toBe(true)
      })))

    it.effect("a refused claim does not extend the original ttl", () =>
      run(Effect.gen(function*() {
        const guard = yield* ReplayGuard
        yield* guard.claim("k", 1000)
        yield* TestClock.adjust(900)
        expect(yield* guard.claim("k", 1000)).toBe(false)
        yield* TestClock.adjust(100)
        expect(yield* guard.claim("k", 1000)).toBe(true)
      })))

    it.effect("concurrent claims of one key: exactly one wins", () =>
      run(Effect.gen(function*() {
        const guard = yield* ReplayGuard
        const results = yield* Effect.all(Array.from({ length: 50 }, () => guard.claim("race", 60_000)), { concurrency: "unbounded" })
        expect(results.filter(Boolean)).toHaveLength(1)
      })))
  })
