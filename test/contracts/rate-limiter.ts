import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, TestClock } from "effect"
import { RateLimiter } from "../../ports/rate-limiter.js"

const T0 = Date.parse("2025-10-01T16:00:00.000Z")

/**
 * The behaviour every RateLimiter adapter must have; each adapter's test calls
 * this. Time is Effect's Clock (TestClock here), so adapters read it from there.
 */
export const rateLimiterContract = <E>(name: string, layer: Layer.Layer<RateLimiter, E>) =>
  describe(`RateLimiter contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, RateLimiter>) =>
      Effect.provide(Effect.zipRight(TestClock.setTime(T0), effect), layer)

    it.effect("allows `limit` requests per window with exact remaining counts, then refuses", () =>
      run(Effect.gen(function*() {
        const limiter = yield* RateLimiter
        for (let i = 1; i <= 3; i++) {
          expect(yield* limiter.consume("k", 3, 60_000)).toEqual({ allowed: true, limit: 3, remaining: 3 - i, resetAt: T0 + 60_000 })
          yield* TestClock.adjust(1000)
        }
        const refused = yield* limiter.consume("k", 3, 60_000)
        expect(refused).toEqual({ allowed: false, limit: 3, remaining: 0, resetAt: T0 + 60_000 })
      })))

    it.effect("refused requests do not count, and a new window starts once the old one ends", () =>
      run(Effect.gen(function*() {
        const limiter = yield* RateLimiter
        yield* limiter.consume("k", 1, 60_000)
        for (let i = 0; i < 5; i++) expect((yield* limiter.consume("k", 1, 60_000)).allowed).toBe(false)
        yield* TestClock.adjust(59_999)
        expect((yield* limiter.consume("k", 1, 60_000)).allowed).toBe(false)
        yield* TestClock.adjust(1)
        expect(yield* limiter.consume("k", 1, 60_000)).toEqual({ allowed: true, limit: 1, remaining: 0, resetAt: T0 + 120_000 })
      })))

    it.effect("keys are independent", () =>
      run(Effect.gen(function*() {
        const limiter = yield* RateLimiter
        expect((yield* limiter.consume("a", 1, 60_000)).allowed).toBe(true)
        expect((yield* limiter.consume("a", 1, 60_000)).allowed).toBe(false)
        expect((yield* limiter.consume("b", 1, 60_000)).allowed).toBe(true)
      })))

    it.effect("concurrent requests: exactly `limit` are allowed", () =>
      run(Effect.gen(function*() {
        const limiter = yield* RateLimiter
        const results = yield* Effect.all(Array.from({ length: 40 }, () => limiter.consume("burst", 10, 60_000)), {
          concurrency: "unbounded"
        })
        expect(results.filter((r) => r.allowed)).toHaveLength(10)
        expect(results.filter((r) => r.allowed).map((r) => r.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      })))
  })
