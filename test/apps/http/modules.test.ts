import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { request, startApp } from "../../support/http-app.js"

/** The 404 an unknown path under the same module gets: an unmounted route must look exactly like it. */
const unknownRouteShape = (baseUrl: string, path: string) =>
  Effect.map(request(baseUrl, "GET", path), (r) => ({ status: r.status, keys: Object.keys(r.body).sort() }))

describe("MODULES", () => {
  it.scoped("mounts only the listed modules: the others' routes are their module's 404 and run nothing", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MODULES: "epochs" })
      const call = (method: string, path: string, body?: unknown) => request(app.baseUrl, method, path, body)

      expect((yield* call("GET", "/")).body.modules).toEqual(["epochs"])
      expect((yield* call("GET", "/api/v1/zipcode-assignments/stats")).status).toBe(200)

      const created = yield* call("POST", "/sessions/create", { user_pubkey: "ab".repeat(32), session_type: "p2p_transfer", intent_data: {} })
      expect(created.status).toBe(404)
      expect(created.body).toMatchObject({ code: "NOT_FOUND" })
      expect({ status: created.status, keys: Object.keys(created.body).sort() }).toEqual(yield* unknownRouteShape(app.baseUrl, "/no-such-ark-route"))

      const stuck = yield* call("GET", "/api/v1/packets/stuck")
      expect(stuck.status).toBe(404)
      expect({ status: stuck.status, keys: Object.keys(stuck.body).sort() }).toEqual(yield* unknownRouteShape(app.baseUrl, "/api/v1/packets/no-such-route"))
      expect(stuck.body).not.toHaveProperty("packets")

      // System routes belong to no module and stay.
      expect((yield* call("GET", "/health")).status).toBe(200)
    }))

  it.scoped("an unmounted epochs module answers in the epochs body; the mounted ones serve", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ MODULES: "ark,clearing" })
      const stats = yield* request(app.baseUrl, "GET", "/api/v1/zipcode-assignments/stats")
      expect(stats.status).toBe(404)
      expect(stats.body).toMatchObject({ statusCode: 404 })
      expect((yield* request(app.baseUrl, "GET", "/sessions/stats")).status).toBe(200)
      expect((yield* request(app.baseUrl, "GET", "/api/v1/channels/congestion")).status).toBe(200)
    }))

  it.scoped("every module is mounted by default", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      for (const path of ["/sessions/stats", "/api/v1/zipcode-assignments/stats", "/api/v1/channels/congestion"]) {
        expect((yield* request(app.baseUrl, "GET", path)).status, path).toBe(200)
      }
    }))
})
