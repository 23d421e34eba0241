import { Context, Data, type Effect, FiberRef, Option } from "effect"

export interface RateLimitDecision {
  readonly allowed: boolean
  readonly limit: number
  /** Requests left in the current window after this one. */
  readonly remaining: number
  /** When the current window ends, epoch milliseconds. */
  readonly resetAt: number
}

export class RateLimiterUnavailable extends Data.TaggedError("RateLimiterUnavailable")<{
  readonly reason: string
  readonly cause?: unknown
}> {}

/**
 * Request counting per key, shared by every module. Callers namespace keys
 * (`epochs:current:<hotkey>`). A refused request does not count.
 */
export class RateLimiter extends Context.Tag("relaygate/RateLimiter")<
  RateLimiter,
  {
    readonly consume: (key: string, limit: number, windowMs: number) => Effect.Effect<RateLimitDecision, RateLimiterUnavailable>
  }
>() {}

/**
 * The last decision taken while serving the current request, set by the use
 * case that consulted the limiter. HTTP edges read it after the handler, on
 * success and failure alike, to send X-RateLimit-* headers on every response.
 */
export const CurrentRateLimit: FiberRef.FiberRef<Option.Option<RateLimitDecision>> = FiberRef.unsafeMake(Option.none())
