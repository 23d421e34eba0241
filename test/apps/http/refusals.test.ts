import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { layer as clientLayer, RelaygateClient, RequestRefused } from "../../../client/index.js"
import { clearingErrorBodies } from "../../../apps/http/clearing/errors.js"
import { arkErrorBodies, type Refusal } from "../../../apps/http/error-bodies.js"
import { epochsErrorBodies } from "../../../apps/http/epochs/errors.js"
import { refusals } from "../../../apps/http/limits.js"
import { Overloaded, PayloadTooLarge, RequestTimeout, TooManyConnections, UriTooLong } from "../../../apps/http/refusals.js"
import { startApp } from "../../support/http-app.js"

/** Every refusal a client can read (431 and a malformed request line are written to a socket that is then closed). */
const READABLE: ReadonlyArray<readonly [Refusal, Schema.Schema<RequestRefused, any>]> = [
  [refusals.overloaded(), Overloaded],
  [refusals.shuttingDown(), Overloaded],
  [refusals.tooManyConnections(64), TooManyConnections],
  [refusals.bodyTooLarge(1024), PayloadTooLarge],
  [refusals.urlTooLong(8192), UriTooLong],
  [refusals.timeout(30), RequestTimeout]
]

describe("request-limit refusals in the API contract", () => {
  it.effect("each module's refusal body decodes as RequestRefused with its status, code and message", () =>
    Effect.gen(function*() {
      for (const bodies of [arkErrorBodies, epochsErrorBodies, clearingErrorBodies]) {
        for (const [refusal, schema] of READABLE) {
          const response = bodies.refused(refusal)
          expect(response.status).toBe(refusal.status)
          const body = response.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(response.body.body)) : undefined
          const decoded = Schema.decodeUnknownSync(schema)(body)
          expect(decoded).toBeInstanceOf(RequestRefused)
          expect(decoded).toMatchObject({ status: refusal.status, code: refusal.code, message: refusal.message })
        }
      }
    }))

  it.effect("a route's own error with the same status is not taken for a refusal", () =>
    Effect.gen(function*() {
      const storeDown = { error: "The session store is unavailable", code: "STORE_UNAVAILABLE", dependency: "mariadb" }
      expect(Schema.decodeUnknownEither(Overloaded)(storeDown)._tag).toBe("Left")
      const rateLimited = { statusCode: 429, message: ["Rate limit exceeded"], error: "Too Many Requests" }
      expect(Schema.decodeUnknownEither(TooManyConnections)(rateLimited)._tag).toBe("Left")
    }))

  it.scopedLive("the typed client gets a refusal as RequestRefused, not a ParseError", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MAX_URL_LENGTH: "64" })
      const refused = yield* Effect.flip(
        Effect.flatMap(RelaygateClient, (client) => client.sessions.get({ path: { session_id: "s".repeat(100) } })).pipe(
          Effect.provide(clientLayer({ baseUrl: app.baseUrl }))
        )
      )
      expect(refused).toBeInstanceOf(RequestRefused)
      expect(refused).toMatchObject({ status: 414, code: "URI_TOO_LONG" })
    }))
})
