import { HttpApiBuilder, HttpApiError, HttpApiSchema, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Option, Schema } from "effect"
import { ArkRouteNotFound, ArkValidationError, RouteNotFoundBody, ValidationErrorBody } from "./ark/errors.js"
import { formatIssue } from "./body.js"

/**
 * How one module renders failures that happen before its handlers run:
 * a body that does not decode, malformed JSON, an unknown route. Each is the
 * module's own wire schema (see `respondWith`), the same one its routes declare.
 */
export interface ModuleErrorBodies {
  readonly prefixes: ReadonlyArray<string>
  readonly validation: (problems: ReadonlyArray<string>) => HttpServerResponse.HttpServerResponse
  readonly notFound: (method: string, path: string) => HttpServerResponse.HttpServerResponse
  readonly internal: () => HttpServerResponse.HttpServerResponse
  /** A request refused by a limit before any route ran (apps/http/limits.ts); the caller adds Retry-After. */
  readonly refused: (refusal: Refusal) => HttpServerResponse.HttpServerResponse
}

/** Why a request was refused before it reached its route: too big, too slow, too many, or the server is shedding load. */
export interface Refusal {
  readonly status: 400 | 408 | 413 | 414 | 429 | 431 | 503
  /** The machine-readable code, e.g. PAYLOAD_TOO_LARGE. */
  readonly code: string
  readonly message: string
  /** The limit that was hit, e.g. `{ limit_bytes: 1048576 }`. */
  readonly details: Readonly<Record<string, string | number>>
}

/** Renders an error through its wire schema, with the status that schema declares. */
export const respondWith = <A, I>(schema: Schema.Schema<A, I>, error: A): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(Schema.encodeSync(schema)(error), {
    status: HttpApiSchema.getStatusError(schema)
  })

/** The ark module owns the root paths, so it is the fallback for everything else. */
export const arkErrorBodies: ModuleErrorBodies = {
  prefixes: ["/"],
  validation: (problems) => respondWith(ValidationErrorBody, new ArkValidationError({ detail: problems.join("; ") })),
  notFound: (method, path) => respondWith(RouteNotFoundBody, new ArkRouteNotFound({ method, path })),
  internal: () => HttpServerResponse.unsafeJson({ error: "Internal server error", code: "INTERNAL_ERROR" }, { status: 500 }),
  refused: ({ code, details, message, status }) => HttpServerResponse.unsafeJson({ ...details, error: message, code }, { status })
}

/** The module owning `path`: the longest matching prefix, the ark module otherwise. */
export const pick = (modules: ReadonlyArray<ModuleErrorBodies>, path: string): ModuleErrorBodies =>
  modules
    .flatMap((m) => m.prefixes.filter((p) => path === p || path.startsWith(p.endsWith("/") ? p : `${p}/`)).map((p) => [p.length, m] as const))
    .sort((a, b) => b[0] - a[0])[0]?.[1] ?? arkErrorBodies

/** Why a body could not be read, when the defect is an unreadable body rather than a bug. */
const malformedBody = (defect: unknown): string | undefined => {
  const tag = typeof defect === "object" && defect !== null && "_tag" in defect ? defect._tag : undefined
  // The payload decoder dies with these when a body does not parse as its content-type says.
  return tag === "RequestError"
    ? "the request body is not valid JSON"
    : tag === "MultipartError"
    ? "the request body is not valid multipart/form-data"
    : undefined
}

/**
 * Never a stack trace, never a 5xx for bad input: decode failures and
 * unreadable bodies become the module's 400, unknown routes its 404, and any
 * other defect a logged 500 with a fixed body.
 */
export const errorBodiesLayer = (modules: ReadonlyArray<ModuleErrorBodies>) =>
  HttpApiBuilder.middleware((app) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = request.url.split("?")[0] ?? "/"
      const bodies = pick(modules, path)
      return yield* app.pipe(
        Effect.catchAllCause((cause) => {
          const failure: Option.Option<unknown> = Cause.failureOption(cause)
          if (Option.isSome(failure)) {
            const e = failure.value
            if (e instanceof HttpApiError.HttpApiDecodeError) {
              return Effect.succeed(bodies.validation(e.issues.map(formatIssue)))
            }
            if (typeof e === "object" && e !== null && "_tag" in e && e._tag === "RouteNotFound") {
              return Effect.succeed(bodies.notFound(request.method, path))
            }
            return Effect.failCause(cause)
          }
          const defect = Cause.dieOption(cause)
          const unreadable = Option.isSome(defect) ? malformedBody(defect.value) : undefined
          if (unreadable !== undefined) return Effect.succeed(bodies.validation([unreadable]))
          if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
          return Effect.logError("unhandled failure", cause).pipe(Effect.as(bodies.internal()))
        })
      )
    }), { withContext: true })
