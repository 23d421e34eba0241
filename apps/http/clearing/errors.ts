import { HttpApiSchema, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, ParseResult, Schema } from "effect"
import * as E from "../../../core/clearing/errors.js"
import { type ModuleErrorBodies, respondWith } from "../error-bodies.js"

/**
 * The clearing module's error body is Relayooor's:
 * `{ "error": { code, title, message, details, suggestion }, "request_id", "timestamp" }`.
 * `details` carries the domain error's own fields (packet_id, token, …).
 */
const ErrorObject = Schema.Struct({
  code: Schema.String,
  title: Schema.String,
  message: Schema.String,
  details: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  suggestion: Schema.String
})

const tagOf = (schema: Schema.Schema.Any): string => {
  const ast = Schema.encodedSchema(schema).ast
  const ps = ast._tag === "TypeLiteral" ? ast.propertySignatures.find((p) => p.name === "_tag") : undefined
  return ps !== undefined && ps.type._tag === "Literal" ? String(ps.type.literal) : ""
}

const clearingBody = <Self extends { readonly message: string }, I extends { readonly _tag: string }>(
  error: Schema.Schema<Self, I>,
  spec: { readonly code: string; readonly title: string; readonly status: number; readonly suggestion: string }
) => {
  const wire = Schema.Struct({
    error: Schema.extend(ErrorObject, Schema.Struct({ code: Schema.Literal(spec.code) })),
    request_id: Schema.String,
    timestamp: Schema.String
  })
  const decodeError = Schema.decodeUnknownSync(error)
  const tag = tagOf(error)
  return Schema.transformOrFail(wire, Schema.encodedSchema(error), {
    strict: false,
    decode: ({ error: e }, _, ast) =>
      "_tag" in e.details ? ParseResult.fail(new ParseResult.Type(ast, e.details)) : ParseResult.succeed({ ...e.details, _tag: tag }),
    encode: (encoded) =>
      Effect.gen(function*() {
        const { _tag, ...details } = encoded as I & Record<string, unknown>
        const now = yield* Clock.currentTimeMillis
        return {
          error: { code: spec.code, title: spec.title, message: decodeError(encoded).message, details, suggestion: spec.suggestion },
          request_id: `req_${globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`,
          timestamp: new Date(now).toISOString()
        }
      })
  }).pipe(Schema.compose(error), (s) => s.annotations(HttpApiSchema.annotations({ status: spec.status })))
}

/** Input that does not match the route's schema, or is not JSON at all. */
export class ClearingValidationError extends Schema.TaggedError<ClearingValidationError>()("ClearingValidationError", {
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return this.problems.join("; ")
  }
}

export class ClearingRouteNotFound extends Schema.TaggedError<ClearingRouteNotFound>()("ClearingRouteNotFound", {
  method: Schema.String,
  path: Schema.String
}) {
  override get message() {
    return `No route for ${this.method} ${this.path}`
  }
}

/** Missing, malformed, forged, expired or alg-none bearer token. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  reason: Schema.String
}) {
  override get message() {
    return `Authentication required: ${this.reason}`
  }
}

/** Too many requests from one client address. */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", {
  limit: Schema.Number,
  retry_after_seconds: Schema.Number
}) {
  override get message() {
    return `More than ${this.limit} requests per minute; retry in ${this.retry_after_seconds} s`
  }
}

/** A dependency (store, JWT secret, Chainpulse, Hermes) is missing or down; nothing was changed. */
export class ClearingServiceUnavailable extends Schema.TaggedError<ClearingServiceUnavailable>()("ClearingServiceUnavailable", {
  dependency: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.dependency} unavailable: ${this.reason}`
  }
}

export const ValidationBody = clearingBody(ClearingValidationError, {
  code: "INVALID_REQUEST", title: "Invalid Request", status: 400, suggestion: "Check the request parameters against the API documentation at /docs"
})
export const RouteNotFoundBody = clearingBody(ClearingRouteNotFound, {
  code: "NOT_FOUND", title: "Not Found", status: 404, suggestion: "Check the path against the API documentation at /docs"
})
export const UnauthorizedBody = clearingBody(Unauthorized, {
  code: "UNAUTHORIZED", title: "Unauthorized", status: 401, suggestion: "Send a valid HS256 JWT as 'Authorization: Bearer <token>'"
})
export const TooManyRequestsBody = clearingBody(TooManyRequests, {
  code: "RATE_LIMITED", title: "Rate Limited", status: 429, suggestion: "Wait for the time in Retry-After before retrying"
})
export const ServiceUnavailableBody = clearingBody(ClearingServiceUnavailable, {
  code: "SERVICE_UNAVAILABLE", title: "Service Unavailable", status: 503, suggestion: "Retry later; if it persists, contact the operator"
})

export const PacketNotFoundBody = clearingBody(E.PacketNotFound, {
  code: "PACKET_NOT_FOUND", title: "Packet Not Found", status: 404, suggestion: "Verify the packet ID and try again"
})
export const PacketNotStuckBody = clearingBody(E.PacketNotStuck, {
  code: "PACKET_NOT_STUCK", title: "Packet Not Stuck", status: 409, suggestion: "Only pending packets older than the stuck threshold can be cleared"
})
export const InvalidClearingRequestBody = clearingBody(E.InvalidClearingRequest, {
  code: "INVALID_REQUEST", title: "Invalid Request", status: 400, suggestion: "Check the request parameters against the API documentation at /docs"
})
export const ClearingNotFoundBody = clearingBody(E.ClearingNotFound, {
  code: "CLEARING_NOT_FOUND", title: "Clearing Not Found", status: 404, suggestion: "Check the token returned by /api/v1/clearing/request-token"
})
export const InvalidClearingStateBody = clearingBody(E.InvalidClearingState, {
  code: "INVALID_STATE", title: "Invalid Clearing State", status: 409, suggestion: "Fetch the clearing's status before retrying"
})
export const ClearingRateLimitedBody = clearingBody(E.ClearingRateLimited, {
  code: "RATE_LIMITED", title: "Rate Limited", status: 429, suggestion: "At most 10 clearings per hour; wait for the time in Retry-After"
})
export const QuoteExpiredBody = clearingBody(E.QuoteExpired, {
  code: "QUOTE_EXPIRED", title: "Quote Expired", status: 410, suggestion: "Request a new clearing token"
})
export const PaymentTxNotFoundBody = clearingBody(E.PaymentTxNotFound, {
  code: "PAYMENT_NOT_FOUND", title: "Payment Not Found", status: 404, suggestion: "Wait until the transaction is committed, then retry"
})
export const PaymentRejectedBody = clearingBody(E.PaymentRejected, {
  code: "PAYMENT_REJECTED", title: "Payment Rejected", status: 402, suggestion: "Pay at least the quoted fee to the payment address with the token in the memo"
})
export const PaymentAlreadyUsedBody = clearingBody(E.PaymentAlreadyUsed, {
  code: "PAYMENT_ALREADY_USED", title: "Payment Already Used", status: 409, suggestion: "Each payment transaction pays for one clearing; send a new payment"
})
export const ClearingUnavailableBody = clearingBody(E.ClearingUnavailable, {
  code: "CLEARING_UNAVAILABLE", title: "Clearing Unavailable", status: 503, suggestion: "Clearing is not configured on this server; contact the operator"
})
export const ChainUnavailableBody = clearingBody(E.ChainUnavailable, {
  code: "CHAIN_UNAVAILABLE", title: "Chain Unavailable", status: 503, suggestion: "The chain's endpoint is not responding; retry later"
})

type Outage =
  | { readonly _tag: "StoreUnavailable"; readonly store: string; readonly message: string }
  | { readonly _tag: "ChainpulseUnavailable" | "RateLimiterUnavailable"; readonly reason: string }

const OUTAGES: Readonly<Record<Outage["_tag"], string>> = {
  StoreUnavailable: "store",
  ChainpulseUnavailable: "Chainpulse",
  RateLimiterUnavailable: "rate limiter"
}

const isOutage = (e: unknown): e is Outage =>
  typeof e === "object" && e !== null && "_tag" in e && typeof e._tag === "string" && e._tag in OUTAGES

/** Infrastructure failures become the module's 503 naming the dependency. */
export const outage = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, Outage> | ClearingServiceUnavailable, R> =>
  Effect.catchIf(effect, isOutage, (e) =>
    Effect.fail(
      e._tag === "StoreUnavailable"
        ? new ClearingServiceUnavailable({ dependency: e.store, reason: e.message })
        : new ClearingServiceUnavailable({ dependency: OUTAGES[e._tag], reason: e.reason })
    )) as Effect.Effect<A, Exclude<E, Outage> | ClearingServiceUnavailable, R>

export const clearingInvalid = (problems: ReadonlyArray<string>) => new ClearingValidationError({ problems })

/** Route prefixes of the clearing module: failures before a handler runs get its body there. */
export const clearingErrorBodies: ModuleErrorBodies = {
  prefixes: [
    "/api/v1/packets",
    "/api/v1/channels",
    "/api/v1/users",
    "/api/v1/chainpulse",
    "/api/v1/clearing",
    "/api/v1/ws",
    "/api/monitoring",
    "/api/packets"
  ],
  validation: (problems) => respondWith(ValidationBody, clearingInvalid(problems)),
  notFound: (method, path) => respondWith(RouteNotFoundBody, new ClearingRouteNotFound({ method, path })),
  internal: () =>
    HttpServerResponse.unsafeJson({
      error: { code: "INTERNAL_ERROR", title: "Internal Error", message: "Internal server error", details: {}, suggestion: "Retry later" },
      request_id: `req_${globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`,
      timestamp: new Date().toISOString()
    }, { status: 500 }),
  refused: ({ code, details, message, status }) =>
    HttpServerResponse.unsafeJson({
      error: { code, title: REFUSAL_TITLES[status], message, details, suggestion: REFUSAL_SUGGESTIONS[status] },
      request_id: `req_${globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`,
      timestamp: new Date().toISOString()
    }, { status })
}

const REFUSAL_TITLES = {
  400: "Invalid Request",
  408: "Request Timeout",
  413: "Payload Too Large",
  414: "URI Too Long",
  429: "Rate Limited",
  431: "Headers Too Large",
  503: "Service Unavailable"
} as const

const REFUSAL_SUGGESTIONS = {
  400: "Check the request parameters against the API documentation at /docs",
  408: "Send the whole request promptly",
  413: "Send a smaller body",
  414: "Move the data from the URL into the body",
  429: "Wait for the time in Retry-After before retrying",
  431: "Send fewer or smaller headers",
  503: "The server is busy; retry after the time in Retry-After"
} as const
