import { HttpApp, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, FiberRef, Option, Ref } from "effect"
import type { SignedRequest } from "../../../core/epochs/auth.js"
import type { FolderAccessRequest, StatusRequest, ValidatorUploadRequest } from "../../../core/epochs/service.js"
import { CurrentRateLimit, type RateLimitDecision } from "../../../ports/rate-limiter.js"

/*
 * From wire JSON to the core's request types. The core checks every field's
 * runtime type and answers class-validator-style messages, so values pass
 * through as they came; only wire spellings are converted (query strings to
 * numbers, ISO-8601 to epoch ms, null to absent).
 */

// A value the core will reject with the right message if it is not really a T.
const as = <T>(value: unknown): T => value as T

const absentIfNull = (v: unknown): unknown => (v === null ? undefined : v)

/** Digits become a number; anything else goes through for the core to name. */
const numeric = (v: unknown): unknown => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : absentIfNull(v))

/** ISO-8601 strings become epoch ms; anything else NaN, which the core rejects by name. */
const isoMillis = (v: unknown): number | undefined => {
  if (v === undefined || v === null) return undefined
  return typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : Number.NaN
}

export const signedRequest = (raw: { readonly hotkey?: unknown; readonly signature?: unknown; readonly timestamp?: unknown }): SignedRequest => ({
  hotkey: as<string>(raw.hotkey),
  signature: as<string>(raw.signature),
  timestamp: as<number>(numeric(raw.timestamp))
})

export const statusRequest = (raw: Readonly<Record<string, unknown>>): StatusRequest => {
  const completed = absentIfNull(raw["zipcodesCompleted"])
  return {
    ...signedRequest(raw),
    epochId: as<string>(raw["epochId"]),
    nonce: as<string>(raw["nonce"]),
    status: as<string>(raw["status"]),
    listingsScraped: as<number | undefined>(absentIfNull(raw["listingsScraped"])),
    zipcodesCompleted: as<StatusRequest["zipcodesCompleted"]>(
      Array.isArray(completed)
        ? completed.map((z: unknown) =>
          typeof z === "object" && z !== null
            ? { ...z, completedAt: isoMillis((z as Record<string, unknown>)["completedAt"]) }
            : z
        )
        : completed
    ),
    s3UploadComplete: as<boolean | undefined>(absentIfNull(raw["s3UploadComplete"])),
    s3UploadTimestamp: isoMillis(raw["s3UploadTimestamp"])
  }
}

export const folderAccessRequest = (raw: Readonly<Record<string, unknown>>): FolderAccessRequest => ({
  ...signedRequest(raw),
  coldkey: as<string>(raw["coldkey"]),
  expiry: as<number | undefined>(numeric(raw["expiry"]))
})

export const validatorUploadRequest = (raw: Readonly<Record<string, unknown>>): ValidatorUploadRequest => ({
  ...signedRequest(raw),
  epochId: as<string>(raw["epochId"]),
  purpose: as<string | undefined>(absentIfNull(raw["purpose"])),
  estimatedDataSizeMb: as<number | undefined>(numeric(raw["estimatedDataSizeMb"])),
  retentionDays: as<number | undefined>(numeric(raw["retentionDays"]))
})

/** X-RateLimit-* (and Retry-After on a refusal) for one limiter decision. */
export const rateLimitHeadersFor = (d: RateLimitDecision, now: number): Record<string, string> => ({
  "x-ratelimit-limit": String(d.limit),
  "x-ratelimit-remaining": String(d.remaining),
  "x-ratelimit-reset": String(Math.ceil(d.resetAt / 1000)),
  ...(d.allowed ? {} : { "retry-after": String(Math.max(1, Math.ceil((d.resetAt - now) / 1000))) })
})

/**
 * X-RateLimit-* on the response (success or error) once the use case consulted
 * the limiter, plus Retry-After on a 429. Requests refused before the limiter
 * (malformed, stale) carry no headers: nothing was counted.
 */
export const withRateLimitHeaders = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const decision = yield* Ref.make(Option.none<RateLimitDecision>())
    yield* HttpApp.appendPreResponseHandler((_request, response) =>
      Effect.gen(function*() {
        const d = yield* Ref.get(decision)
        if (Option.isNone(d)) return response
        return HttpServerResponse.setHeaders(response, rateLimitHeadersFor(d.value, yield* Clock.currentTimeMillis))
      })
    )
    yield* FiberRef.set(CurrentRateLimit, Option.none())
    return yield* effect.pipe(Effect.ensuring(Effect.flatMap(FiberRef.get(CurrentRateLimit), (d) => Ref.set(decision, d))))
  })
