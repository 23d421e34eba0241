import { HttpApiSchema, HttpServerResponse } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"
import * as E from "../../../core/epochs/errors.js"
import { type ModuleErrorBodies, respondWith } from "../error-bodies.js"

const STATUS_TEXT = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  414: "URI Too Long",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable"
} as const
type Status = keyof typeof STATUS_TEXT

const tagOf = (schema: Schema.Schema.Any): string => {
  const ast = Schema.encodedSchema(schema).ast
  const ps = ast._tag === "TypeLiteral" ? ast.propertySignatures.find((p) => p.name === "_tag") : undefined
  return ps !== undefined && ps.type._tag === "Literal" ? String(ps.type.literal) : ""
}

/**
 * The epochs module's error body is NestJS's: `{ statusCode, message: [..], error }`,
 * `message` always an array (one entry per failed field for validation errors).
 * The domain error's own fields ride along beside them, so clients that only know
 * the NestJS shape read what they always read and new ones get detail.
 */
const nestBody = <Self extends { readonly message: string }, I extends { readonly _tag: string }>(
  error: Schema.Schema<Self, I>,
  status: Status,
  /** For errors that carry their messages as a field (validation): how to render and restore them. */
  messages?: { readonly field: string; readonly of: (e: Self) => ReadonlyArray<string> }
) => {
  const wire = Schema.Struct(
    { statusCode: Schema.Literal(status), message: Schema.Array(Schema.String), error: Schema.Literal(STATUS_TEXT[status]) },
    { key: Schema.String, value: Schema.Unknown }
  )
  const decodeError = Schema.decodeUnknownSync(error)
  const tag = tagOf(error)
  return Schema.transformOrFail(wire, Schema.encodedSchema(error), {
    strict: false,
    decode: ({ error: _error, message, statusCode: _status, ...fields }, _, ast) =>
      "_tag" in fields
        ? ParseResult.fail(new ParseResult.Type(ast, fields))
        : ParseResult.succeed({ ...fields, ...(messages === undefined ? {} : { [messages.field]: message }), _tag: tag }),
    encode: (encoded) => {
      const { _tag, ...fields } = encoded as I & Record<string, unknown>
      const e = decodeError(encoded)
      if (messages !== undefined) delete fields[messages.field]
      return ParseResult.succeed({
        statusCode: status,
        message: messages === undefined ? [e.message] : [...messages.of(e)],
        error: STATUS_TEXT[status],
        ...fields
      })
    }
  }).pipe(Schema.compose(error), (s) => s.annotations(HttpApiSchema.annotations({ status })))
}

/** Input the route's schema or JSON parser refused before any handler ran. */
export class EpochsValidationError extends Schema.TaggedError<EpochsValidationError>()("EpochsValidationError", {
  messages: Schema.Array(Schema.String)
}) {
  override get message() {
    return this.messages.join("; ")
  }
}

export class EpochsRouteNotFound extends Schema.TaggedError<EpochsRouteNotFound>()("EpochsRouteNotFound", {
  method: Schema.String,
  path: Schema.String
}) {
  override get message() {
    return `Cannot ${this.method} ${this.path}`
  }
}

/** A dependency (store, metagraph, S3 signer, rate limiter) failed; nothing was changed. */
export class EpochsServiceUnavailable extends Schema.TaggedError<EpochsServiceUnavailable>()("EpochsServiceUnavailable", {
  dependency: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.dependency} unavailable: ${this.reason}`
  }
}

const fieldMessages = { field: "messages", of: (e: { readonly messages: ReadonlyArray<string> }) => e.messages }

export const ValidationBody = nestBody(EpochsValidationError, 400, fieldMessages)
export const RouteNotFoundBody = nestBody(EpochsRouteNotFound, 404)
export const ServiceUnavailableBody = nestBody(EpochsServiceUnavailable, 503)

export const InvalidRequestBody = nestBody(E.InvalidRequest, 400, fieldMessages)
export const StaleTimestampBody = nestBody(E.StaleTimestamp, 400)
export const NonceMismatchBody = nestBody(E.NonceMismatch, 400)
export const SubmissionClosedBody = nestBody(E.SubmissionClosed, 400)
export const InvalidSignatureBody = nestBody(E.InvalidSignature, 401)
export const SignatureReusedBody = nestBody(E.SignatureReused, 401)
export const HotkeyNotRegisteredBody = nestBody(E.HotkeyNotRegistered, 401)
export const ValidatorPermitRequiredBody = nestBody(E.ValidatorPermitRequired, 403)
export const ColdkeyMismatchBody = nestBody(E.ColdkeyMismatch, 403)
export const EpochNotFoundBody = nestBody(E.EpochNotFound, 404)
export const NoCurrentEpochBody = nestBody(E.NoCurrentEpoch, 404)
export const InvalidStatusTransitionBody = nestBody(E.InvalidStatusTransition, 409)
export const RateLimitedBody = nestBody(E.RateLimited, 429)

/** Infrastructure failures of the epochs ports become the module's 503 naming the dependency. */
const DEPENDENCIES: Readonly<Record<string, string>> = {
  MetagraphUnavailable: "metagraph",
  RateLimiterUnavailable: "rate limiter",
  ReplayGuardUnavailable: "replay guard",
  UploadGrantFailed: "S3 upload signer"
}

type Outage = { readonly _tag: "StoreUnavailable"; readonly store: string; readonly message: string } | {
  readonly _tag: "MetagraphUnavailable" | "RateLimiterUnavailable" | "ReplayGuardUnavailable" | "UploadGrantFailed"
  readonly reason: string
}

const isOutage = (e: unknown): e is Outage =>
  typeof e === "object" && e !== null && "_tag" in e &&
  (e._tag === "StoreUnavailable" || (typeof e._tag === "string" && e._tag in DEPENDENCIES))

export const outage = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, Exclude<E, Outage> | EpochsServiceUnavailable, R> =>
  Effect.catchIf(effect, isOutage, (e) =>
    Effect.fail(
      e._tag === "StoreUnavailable"
        ? new EpochsServiceUnavailable({ dependency: e.store, reason: e.message })
        : new EpochsServiceUnavailable({ dependency: DEPENDENCIES[e._tag]!, reason: e.reason })
    )) as Effect.Effect<A, Exclude<E, Outage> | EpochsServiceUnavailable, R>

/** Route prefixes of the Resi Labs API: failures before a handler runs get the NestJS body there. */
export const epochsErrorBodies: ModuleErrorBodies = {
  prefixes: ["/api/v1/zipcode-assignments", "/api/v1/s3-access", "/get-folder-access", "/healthcheck"],
  validation: (problems) => respondWith(ValidationBody, new EpochsValidationError({ messages: problems })),
  notFound: (method, path) => respondWith(RouteNotFoundBody, new EpochsRouteNotFound({ method, path })),
  internal: () =>
    HttpServerResponse.unsafeJson({ statusCode: 500, message: ["Internal server error"], error: STATUS_TEXT[500] }, { status: 500 }),
  refused: ({ code, details, message, status }) =>
    HttpServerResponse.unsafeJson({ statusCode: status, message: [message], error: STATUS_TEXT[status], code, ...details }, { status })
}
