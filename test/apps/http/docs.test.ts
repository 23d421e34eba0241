import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { request, startApp } from "../../support/http-app.js"

/** Every route of the ark signing slice, as the spec names it; /docs-json must list each one. */
const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ["get", "/"],
  ["get", "/health"],
  ["get", "/ready"],
  ["post", "/sessions/create"],
  ["get", "/sessions/{session_id}"],
  ["post", "/sessions/{session_id}/challenge"],
  ["post", "/sessions/{session_id}/respond"],
  ["post", "/sessions/{session_id}/complete"],
  ["post", "/sessions/{session_id}/fail"],
  ["get", "/sessions"],
  ["post", "/sessions/cleanup"],
  ["get", "/sessions/stats"],
  ["post", "/signing/ceremony/start"],
  ["get", "/signing/ceremony/{session_id}/status"],
  ["post", "/signing/ceremony/{session_id}/step/{step}"],
  ["post", "/signing/ceremony/{session_id}/cancel"]
]

describe("API documentation", () => {
  it.scoped("/docs-json is an OpenAPI 3 document with every route, its error bodies and schemas", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const doc = (yield* request(app.baseUrl, "GET", "/docs-json")).body
      expect(doc.openapi).toMatch(/^3\./)
      expect(doc.info.title).toBe("relaygate")
      for (const [method, path] of ROUTES) {
        expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined()
      }
      const respond = doc.paths["/sessions/{session_id}/respond"].post
      expect(Object.keys(respond.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "404", "409", "410"]))
      expect(respond.requestBody.content["application/json"]).toBeDefined()
    }))

  it.scoped("/docs serves the Swagger UI page", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const page = yield* request(app.baseUrl, "GET", "/docs")
      expect(page.status).toBe(200)
      expect(page.headers.get("content-type")).toContain("text/html")
      expect(String(page.body)).toContain("swagger")
    }))
})
