import { createServer } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Layer, Option } from "effect"
import parse from "parse-prometheus-text-format"
import { MetricsListener, MetricsListenerLive } from "../../../../apps/ops/metrics.js"
import { Metrics } from "../../../../ports/metrics.js"
import { request, startApp } from "../../../support/http-app.js"
import { completeCeremony } from "../../../support/wallet.js"

type Family = ReturnType<typeof parse>[number]

const scrape = (baseUrl: string) =>
  Effect.gen(function*() {
    const res = yield* Effect.promise(() => fetch(`${baseUrl}/metrics`))
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = yield* Effect.promise(() => res.text())
    return { text, families: new Map(parse(`${text}\n`).map((f) => [f.name, f] as const)) }
  })

/** The value of the sample whose labels include `labels` (0 when there is none). */
const value = (families: Map<string, Family>, name: string, labels: Record<string, string>): number => {
  const family = families.get(name)
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return sample !== undefined && "value" in sample ? Number(sample.value) : 0
}

describe("GET /metrics", () => {
  it.scoped("is Prometheus text a parser reads, and its figures move with real API calls", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const before = yield* scrape(app.baseUrl)
      for (const name of ["relaygate_http_requests_total", "relaygate_ceremonies_total", "relaygate_sessions", "relaygate_vtxos", "relaygate_dependency_up"]) {
        expect(before.families.has(name), name).toBe(true)
      }
      expect(value(before.families, "relaygate_ceremonies_total", { outcome: "completed" })).toBe(0)

      const ceremony = yield* completeCeremony(app.baseUrl)
      expect(ceremony.status).toBe("completed")
      yield* request(app.baseUrl, "GET", `/sessions/${ceremony.id}`)
      yield* request(app.baseUrl, "GET", "/sessions/does-not-exist")

      const after = yield* scrape(app.baseUrl)
      // One ceremony, counted once however often its status was polled.
      expect(value(after.families, "relaygate_ceremonies_total", { outcome: "completed" })).toBe(1)
      for (const step of ["intent_verification", "ark_transaction_prep", "checkpoint_transaction_prep", "signature_collection", "ark_protocol_execution", "finalization"]) {
        expect(value(after.families, "relaygate_ceremony_steps_total", { step, outcome: "completed" }), step).toBe(1)
      }
      expect(value(after.families, "relaygate_sessions", { status: "completed" })).toBe(1)
      // Requests are labelled by route template, not by session id.
      expect(value(after.families, "relaygate_http_requests_total", { method: "GET", route: "/sessions/:session_id", status: "200" })).toBe(1)
      expect(value(after.families, "relaygate_http_requests_total", { method: "GET", route: "/sessions/:session_id", status: "404" })).toBe(1)
      expect(value(after.families, "relaygate_http_requests_total", { method: "POST", route: "/sessions/create", status: "201" })).toBe(1)
      expect(after.text).not.toContain(ceremony.id)
      expect(after.text).toMatch(/relaygate_http_request_duration_seconds_count\{method="POST",route="\/sessions\/create",status="201"\} 1/)
      // The ceremony spent a gateway VTXO and asked the simulated arkd: inventory and daemon calls show it.
      expect(value(after.families, "relaygate_ledger_supply", { asset_id: "BTC" })).toBe(1_000_000)
      expect(after.text).toMatch(/relaygate_daemon_call_duration_seconds_count\{daemon="arkd",method="[a-zA-Z]+",outcome="ok"\} [1-9]/)
      expect(value(after.families, "relaygate_dependency_up", { dependency: "arkd", adapter: "simulated" })).toBe(1)
    }), { timeout: 60_000 })

  it.scoped("429s are counted as rate-limit refusals by route", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      // The epochs stats route allows 30 requests a minute per client.
      let refused = 0
      for (let i = 0; i < 32; i++) {
        const r = yield* request(app.baseUrl, "GET", "/api/v1/zipcode-assignments/stats")
        if (r.status === 429) refused++
      }
      expect(refused).toBe(2)
      const { families } = yield* scrape(app.baseUrl)
      expect(value(families, "relaygate_rate_limit_refusals_total", { route: "/api/v1/zipcode-assignments/stats" })).toBe(2)
      expect(value(families, "relaygate_http_requests_total", { route: "/api/v1/zipcode-assignments/stats", status: "429" })).toBe(2)
    }), { timeout: 60_000 })

  it.scoped("echoes X-Request-Id, or gives one", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const given = yield* request(app.baseUrl, "GET", "/health", undefined, { headers: { "x-request-id": "req-123.abc" } })
      expect(given.headers.get("x-request-id")).toBe("req-123.abc")
      const fresh = yield* request(app.baseUrl, "GET", "/health", undefined, { headers: { "x-request-id": "bad id with spaces" } })
      expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
      const missing = yield* request(app.baseUrl, "GET", "/nowhere")
      expect(missing.status).toBe(404)
      expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    }))

  it.scoped("METRICS_PORT opens a second listener serving the same registry", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const listener = yield* Layer.build(MetricsListenerLive).pipe(
        Effect.provide(Layer.succeed(Metrics, Context.get(app.context, Metrics))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["METRICS_PORT", "0"]])))
      )
      const port = Option.getOrThrow(Context.get(listener, MetricsListener).port)
      yield* request(app.baseUrl, "GET", "/health")
      const { families } = yield* scrape(`http://127.0.0.1:${port}`)
      expect(value(families, "relaygate_http_requests_total", { route: "/health", status: "200" })).toBe(1)
      expect((yield* request(`http://127.0.0.1:${port}`, "GET", "/admin/dashboard/summary")).status).toBe(404)
      // Unset: no listener at all.
      const none = yield* Layer.build(MetricsListenerLive).pipe(
        Effect.provide(Layer.succeed(Metrics, Context.get(app.context, Metrics))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
      )
      expect(Option.isNone(Context.get(none, MetricsListener).port)).toBe(true)
    }))

  it.scoped("a METRICS_PORT already in use stops start-up with a line naming it", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      const busy = createServer()
      const port = yield* Effect.promise(() => new Promise<number>((r) => busy.listen(0, "127.0.0.1", () => r((busy.address() as { port: number }).port))))
      yield* Effect.addFinalizer(() => Effect.promise(() => new Promise<void>((r) => busy.close(() => r()))))
      const failed = yield* Layer.build(MetricsListenerLive).pipe(
        Effect.provide(Layer.succeed(Metrics, Context.get(app.context, Metrics))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["METRICS_PORT", String(port)]]))),
        Effect.flip
      )
      expect(String(failed)).toContain(`METRICS_PORT ${port}`)
    }))
})
