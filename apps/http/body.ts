import type { HttpServerRequest } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"

/**
 * Reads a body the route allows to be absent (seed clients POST these routes
 * with no body and no content type). Empty → `{}`; otherwise it must be JSON
 * matching `schema`. Failures carry one line per problem.
 */
export const optionalJsonBody = <A, I, E>(
  request: HttpServerRequest.HttpServerRequest,
  schema: Schema.Schema<A, I>,
  invalid: (problems: ReadonlyArray<string>) => E
): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    const text = yield* request.text.pipe(Effect.mapError(() => invalid(["the request body could not be read"])))
    let json: unknown = {}
    if (text.trim() !== "") {
      json = yield* Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => invalid(["the request body is not valid JSON"]) })
    }
    return yield* Schema.decodeUnknown(schema)(json).pipe(
      Effect.mapError((e) => invalid(ParseResult.ArrayFormatter.formatErrorSync(e).map(formatIssue)))
    )
  })

export const formatIssue = (issue: { readonly path: ReadonlyArray<PropertyKey>; readonly message: string }): string =>
  issue.path.length === 0 ? issue.message : `${issue.path.map(String).join(".")}: ${issue.message}`
