import { HttpServerRequest } from "@effect/platform"
import { Clock, Context, Effect, FiberRef, Option } from "effect"
import { CurrentRateLimit, RateLimiter } from "../../../ports/rate-limiter.js"
import { withRateLimitHeaders } from "../epochs/requests.js"
import { TooManyRequests } from "./errors.js"

/** The spec's API limit: 100 requests per minute per client address. */
export const REQUESTS_PER_MINUTE = 100

/** RATE_LIMIT_ENABLED for the clearing routes. */
export class ClearingRateLimits extends Context.Tag("relaygate/clearing/RateLimits")<ClearingRateLimits, { readonly enabled: boolean }>() {}

/**
 * Wraps handlers so each request counts against its client address; every
 * response, errors included, carries X-RateLimit-* (and Retry-After on a 429).
 * A use case that consults its own quota (clearings per hour) overrides the
 * headers with that quota's numbers.
 */
export const makeLimited = Effect.gen(function*() {
  const limiter = yield* RateLimiter
  const { enabled } = yield* ClearingRateLimits
  return <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    withRateLimitHeaders(
      Effect.gen(function*() {
        if (enabled) {
          const request = yield* HttpServerRequest.HttpServerRequest
          const ip = Option.getOrElse(request.remoteAddress, () => "unknown")
          const decision = yield* limiter.consume(`clearing:ip:${ip}`, REQUESTS_PER_MINUTE, 60_000)
          yield* FiberRef.set(CurrentRateLimit, Option.some(decision))
          if (!decision.allowed) {
            const now = yield* Clock.currentTimeMillis
            return yield* Effect.fail(new TooManyRequests({
              limit: decision.limit,
              retry_after_seconds: Math.max(1, Math.ceil((decision.resetAt - now) / 1000))
            }))
          }
        }
        return yield* effect
      })
    )
})
