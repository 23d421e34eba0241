import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect } from "effect"
import { SignJWT } from "jose"
import { request, startApp } from "../../support/http-app.js"
import { inProcessApp } from "../../support/in-process-app.js"

/**
 * Cases the route fuzzer (fuzz.test.ts) found, kept as plain regression
 * tests: each was a 500 before its fix.
 */

const SECRET = "hostile-input-jwt-secret-0123456789abcdef"
const ENV = { JWT_SECRET: SECRET, RATE_LIMIT_ENABLED: "false" }

/** The clearing routes that take a body sit behind a bearer token, valid for an hour on the app's clock. */
const token = () =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.promise(() =>
      new SignJWT({ user_id: "usr_hostile" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(now / 1000) + 3_600)
        .sign(new TextEncoder().encode(SECRET))
    ))

/** One body-taking route per module, with a check of that module's error body. */
const ROUTES = [
  { path: "/sessions/create", body: (b: any) => typeof b.error === "string" && b.code === "VALIDATION_ERROR" },
  { path: "/api/v1/zipcode-assignments/status", body: (b: any) => b.statusCode === 400 && Array.isArray(b.message) && b.error === "Bad Request" },
  { path: "/api/v1/clearing/verify-payment", body: (b: any) => b.error?.code === "INVALID_REQUEST" && typeof b.request_id === "string" }
] as const

const JSON_BODY = JSON.stringify({ user_pubkey: "a", session_type: "p2p_transfer" })

describe("hostile input found by the route fuzzer", () => {
  it.scoped("a JSON body sent as multipart/form-data (any boundary) is a 400 with the module's body, not a 500", () =>
    Effect.gen(function*() {
      const app = yield* inProcessApp(ENV)
      const authorization = `Bearer ${yield* token()}`
      for (const route of ROUTES) {
        for (const contentType of ["multipart/form-data; boundary=x", "multipart/form-data"]) {
          const res = yield* Effect.promise(() =>
            app.handle(new Request(`http://relaygate.test${route.path}`, { method: "POST", body: JSON_BODY, headers: { "content-type": contentType, authorization } }))
          )
          const body = yield* Effect.promise(() => res.json())
          expect(res.status, `${route.path} ${contentType}`).toBe(400)
          expect(route.body(body), JSON.stringify(body)).toBe(true)
          expect(JSON.stringify(body)).toContain("multipart/form-data")
        }
      }
    }))

  it.scopedLive("over TCP, a body sent as multipart/form-data or application/octet-stream is answered (a 400), not left hanging", () =>
    Effect.gen(function*() {
      const app = yield* startApp(ENV)
      const authorization = `Bearer ${yield* token()}`
      for (const route of ROUTES) {
        for (const contentType of ["multipart/form-data; boundary=x", "application/octet-stream"]) {
          const res = yield* Effect.promise(() =>
            fetch(`${app.baseUrl}${route.path}`, {
              method: "POST",
              body: JSON_BODY,
              headers: { "content-type": contentType, authorization },
              // Well inside REQUEST_TIMEOUT_SECONDS: a hang shows as an abort, not as the server's 408.
              signal: AbortSignal.timeout(10_000)
            }).then(async (r) => ({ status: r.status, body: await r.json() as unknown }), (e: unknown) => ({ status: 0, body: String(e) }))
          )
          expect(res.status, `${route.path} ${contentType}: ${JSON.stringify(res.body)}`).toBe(400)
          expect(route.body(res.body), JSON.stringify(res.body)).toBe(true)
        }
      }
    }), 60_000)

  it.scoped("JSON nested thousands of levels deep is a 400 with the module's body (Effect's error formatting would overflow the stack)", () =>
    Effect.gen(function*() {
      const app = yield* startApp(ENV)
      const authorization = `Bearer ${yield* token()}`
      for (const route of ROUTES) {
        for (const deep of ["[".repeat(3_000) + "]".repeat(3_000), "{\"a\":".repeat(3_000) + "1" + "}".repeat(3_000)]) {
          const res = yield* request(app.baseUrl, "POST", route.path, deep, { headers: { "content-type": "application/json", authorization } })
          expect(res.status, route.path).toBe(400)
          expect(route.body(res.body), JSON.stringify(res.body)).toBe(true)
        }
      }
    }))
})
