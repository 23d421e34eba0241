import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/*
 * The answers of the request limits (limits.ts) are declared on the whole API,
 * so a typed client decodes them as `RequestRefused` rather than failing with a
 * ParseError, and /docs-json lists them on every route. limits.ts renders them
 * in the owning module's body (error-bodies.ts); each wire schema here accepts
 * the three modules' shapes, told apart by the refusal codes only limits.ts uses.
 */

/** A request refused by a limit before any route ran: over capacity, shutting down, too big, too slow, too many sockets. */
export class RequestRefused extends Schema.TaggedError<RequestRefused>()("RequestRefused", {
  status: Schema.Number,
  code: Schema.String,
  message: Schema.String
}) {}

const refusal = <const Codes extends ReadonlyArray<string>>(status: number, ...codes: Codes) => {
  const Code = Schema.Literal(...codes)
  // Field order matters for the union: an epochs body also has a string `error`, so its own shape is tried first.
  const Epochs = Schema.Struct({ statusCode: Schema.Number, message: Schema.Array(Schema.String), code: Code })
  const Clearing = Schema.Struct({ error: Schema.Struct({ code: Code, message: Schema.String }) })
  const Ark = Schema.Struct({ error: Schema.String, code: Code })
  return Schema.transform(Schema.Union(Epochs, Clearing, Ark), Schema.typeSchema(RequestRefused), {
    strict: false,
    decode: (w) =>
      new RequestRefused(
        "statusCode" in w
          ? { status, code: w.code, message: w.message.join("; ") }
          : typeof w.error === "object"
          ? { status, code: w.error.code, message: w.error.message }
          : { status, code: (w as typeof Ark.Type).code, message: w.error }
      ),
    encode: (r) => ({ error: r.message, code: r.code })
  }).annotations(HttpApiSchema.annotations({ status }))
}

export const Overloaded = refusal(503, "OVERLOADED", "SHUTTING_DOWN")
export const TooManyConnections = refusal(429, "TOO_MANY_CONNECTIONS")
export const PayloadTooLarge = refusal(413, "PAYLOAD_TOO_LARGE")
export const UriTooLong = refusal(414, "URI_TOO_LONG")
export const RequestTimeout = refusal(408, "REQUEST_TIMEOUT")
