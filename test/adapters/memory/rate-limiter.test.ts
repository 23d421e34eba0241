import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { layer, layerUnlimited } from "../../../adapters/memory/rate-limiter.js"
import { RateLimiter } from "../../../ports/rate-limiter.js"
import { rateLimiterContract } from "../../contracts/rate-limiter.js"

rateLimiterContract("memory", layer)

describe("unlimited rate limiter (RATE_LIMIT_ENABLED=false)", () => {
  it.effect("allows everything", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimiter
      for (let i = 0; i < 100; i++) expect((yield* limiter.consume("k", 1, 60_000)).allowed).toBe(true)
    }).pipe(Effect.provide(layerUnlimited)))
})
