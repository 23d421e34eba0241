import { existsSync, readFileSync, statSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect } from "effect"
import { ArkServerSimulator } from "../../../../adapters/memory/ark-server.js"
import { request, startApp } from "../../../support/http-app.js"
import { createEmptyDatabase, dropDatabase, mariadbReachable, randomDatabaseName, urlOf } from "../../../support/mariadb.js"
import { completeCeremony } from "../../../support/wallet.js"

const KEY = "admin-key-for-tests-0123456789"

const GETS = [
  "/admin/health/comprehensive",
  "/admin/metrics/system?hours=24",
  "/admin/alerts",
  "/admin/alerts/rules",
  "/admin/jobs/statistics?hours=24",
  "/admin/services/status",
  "/admin/database/stats",
  "/admin/system/info",
  "/admin/configuration",
  "/admin/logs/recent?limit=100&level=info",
  "/admin/dashboard/summary"
]
const POSTS = [
  "/admin/alerts/rules/inventory_low/toggle",
  "/admin/maintenance/cleanup",
  "/admin/backup/create",
  "/admin/performance/profile",
  "/admin/restart/service"
]

const admin = (baseUrl: string, method: string, path: string, body?: unknown, key = KEY) =>
  request(baseUrl, method, path, undefined, {
    headers: { "x-admin-key": key, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
  })

describe("admin API", () => {
  it.scoped("without ADMIN_API_KEY every /admin route answers 404, whatever key is sent", () =>
    Effect.gen(function*() {
      const app = yield* startApp()
      for (const path of GETS) {
        const r = yield* admin(app.baseUrl, "GET", path)
        expect(r.status, path).toBe(404)
        expect(r.body).toMatchObject({ code: "NOT_FOUND" })
      }
      for (const path of POSTS) expect((yield* admin(app.baseUrl, "POST", path, {})).status, path).toBe(404)
    }))

  it.scoped("a missing or wrong key is 401 and counted; the right one in the header or ?admin_key= opens every route", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      const missing = yield* request(app.baseUrl, "GET", "/admin/dashboard/summary")
      expect(missing.status).toBe(401)
      expect(missing.body).toMatchObject({ code: "UNAUTHORIZED" })
      const wrong = yield* admin(app.baseUrl, "GET", "/admin/dashboard/summary", undefined, `${KEY}x`)
      expect(wrong.status).toBe(401)
      expect((yield* admin(app.baseUrl, "GET", "/admin/alerts", undefined, "short")).status).toBe(401)
      expect((yield* request(app.baseUrl, "GET", `/admin/alerts?admin_key=nope`)).status).toBe(401)
      const metrics = (yield* request(app.baseUrl, "GET", "/metrics")).body as string
      expect(metrics).toContain(`relaygate_admin_auth_failures_total{reason="missing"} 1`)
      expect(metrics).toContain(`relaygate_admin_auth_failures_total{reason="invalid"} 3`)

      for (const path of GETS) expect((yield* admin(app.baseUrl, "GET", path)).status, path).toBe(200)
      expect((yield* request(app.baseUrl, "GET", `/admin/alerts?admin_key=${KEY}`)).status).toBe(200)
    }), { timeout: 60_000 })

  it.scoped("dashboard/summary reports live figures that move with the API", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      const before = (yield* admin(app.baseUrl, "GET", "/admin/dashboard/summary")).body
      expect(before.sessions.total).toBe(0)
      expect(before.gateway.modules).toEqual(["ark", "epochs", "clearing"])
      expect(before.dependencies.arkd).toMatchObject({ status: "ok", adapter: "simulated" })

      expect((yield* completeCeremony(app.baseUrl)).status).toBe("completed")
      const after = (yield* admin(app.baseUrl, "GET", "/admin/dashboard/summary")).body
      expect(after.sessions).toMatchObject({ total: 1, by_status: { completed: 1 } })
      expect(after.ceremonies.by_outcome).toEqual({ completed: 1 })
      expect(after.ceremonies.steps.finalization).toEqual({ completed: 1 })
      expect(after.ledger.find((a: { asset_id: string }) => a.asset_id === "BTC")).toMatchObject({ circulating_supply: 1_000_000 })
      expect(after.http.requests_total).toBeGreaterThan(before.http.requests_total + 4)
      expect(after.alerts).toMatchObject({ firing: 0 })
    }), { timeout: 60_000 })

  it.scoped("alerts: arkd down fires daemon_down (also on /monitoring/alerts and /metrics); a rule switched off stops firing", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      expect((yield* admin(app.baseUrl, "GET", "/admin/alerts")).body).toEqual({ count: 0, alerts: [] })
      yield* Context.get(app.context, ArkServerSimulator).setBehaviour("fail")

      const firing = (yield* admin(app.baseUrl, "GET", "/admin/alerts")).body
      expect(firing.alerts).toEqual([expect.objectContaining({ rule: "daemon_down", subject: "arkd", severity: "critical" })])
      expect((yield* request(app.baseUrl, "GET", "/monitoring/alerts")).body.count).toBe(1)
      const metrics = (yield* request(app.baseUrl, "GET", "/metrics")).body as string
      expect(metrics).toContain(`relaygate_alerts_firing{rule="daemon_down",severity="critical"} 1`)
      // The probes' failed GetInfo calls are counted and timed as daemon errors.
      expect(metrics).toMatch(/relaygate_daemon_errors_total\{daemon="arkd",method="getInfo"\} [1-9]/)
      expect(metrics).toMatch(/relaygate_daemon_call_duration_seconds_count\{daemon="arkd",method="getInfo",outcome="error"\} [1-9]/)
      const health = yield* request(app.baseUrl, "GET", "/health/comprehensive")
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({ status: "degraded", checks: { arkd: { status: "down" } } })

      const rules = (yield* admin(app.baseUrl, "GET", "/admin/alerts/rules")).body.rules
      expect(rules.map((r: { name: string }) => r.name)).toEqual(["inventory_low", "daemon_down", "stuck_ceremonies", "clearing_failures"])
      const off = yield* admin(app.baseUrl, "POST", "/admin/alerts/rules/daemon_down/toggle", { enabled: false })
      expect(off.status).toBe(200)
      expect(off.body.rule).toMatchObject({ name: "daemon_down", enabled: false })
      expect((yield* admin(app.baseUrl, "GET", "/admin/alerts")).body.count).toBe(0)
      yield* admin(app.baseUrl, "POST", "/admin/alerts/rules/daemon_down/toggle", { enabled: true })
      expect((yield* admin(app.baseUrl, "GET", "/admin/alerts")).body.count).toBe(1)

      const unknown = yield* admin(app.baseUrl, "POST", "/admin/alerts/rules/no_such_rule/toggle", { enabled: false })
      expect(unknown.status).toBe(404)
      expect(unknown.body).toMatchObject({ code: "ALERT_RULE_NOT_FOUND", rule_name: "no_such_rule" })
      const bad = yield* admin(app.baseUrl, "POST", "/admin/alerts/rules/daemon_down/toggle", { enabled: "yes" })
      expect(bad.status).toBe(400)
      expect(bad.body).toMatchObject({ code: "VALIDATION_ERROR" })
    }), { timeout: 60_000 })

  it.scoped("alerts: assigning the inventory below its minimum fires inventory_low for that asset", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      const user = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
      const available = () =>
        admin(app.baseUrl, "GET", "/admin/dashboard/summary").pipe(
          Effect.map((r) => r.body.vtxos.find((v: { asset_id: string }) => v.asset_id === "BTC").by_status.available as number)
        )
      // Assign until one fewer than the minimum of 10 is left (no inventory job runs in this app to refill it).
      while ((yield* available()) >= 10) {
        const assigned = yield* request(app.baseUrl, "POST", "/vtxos/assign", { user_pubkey: user, asset_id: "BTC", amount_needed: 1000 })
        expect(assigned.status).toBe(200)
      }
      const alerts = (yield* admin(app.baseUrl, "GET", "/admin/alerts")).body.alerts
      expect(alerts).toEqual([expect.objectContaining({ rule: "inventory_low", subject: "BTC", severity: "warning" })])
      expect(alerts[0].message).toContain("9 VTXOs available for BTC, minimum 10")
    }), { timeout: 60_000 })

  it.scoped("configuration, logs, cleanup, restart and database stats answer what they do", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY, SESSION_TIMEOUT_MINUTES: "45" })
      const config = (yield* admin(app.baseUrl, "GET", "/admin/configuration")).body.variables
      expect(config.ADMIN_API_KEY).toBe("<redacted>")
      expect(config.SESSION_TIMEOUT_MINUTES).toBe("45")
      expect(config.DATABASE_URL).toBeNull()

      yield* request(app.baseUrl, "GET", "/health", undefined, { headers: { "x-request-id": "trace-me-1" } })
      const logs = (yield* admin(app.baseUrl, "GET", "/admin/logs/recent?limit=500")).body
      expect(logs.logs.some((l: any) => l.annotations.request_id === "trace-me-1" && l.annotations.path === "/health")).toBe(true)
      const errorsOnly = (yield* admin(app.baseUrl, "GET", "/admin/logs/recent?level=error")).body
      expect(errorsOnly.logs.every((l: any) => l.level === "ERROR" || l.level === "FATAL")).toBe(true)
      expect((yield* admin(app.baseUrl, "GET", "/admin/logs/recent?limit=0")).status).toBe(400)
      expect((yield* admin(app.baseUrl, "GET", "/admin/logs/recent?level=loud")).status).toBe(400)

      const dry = yield* admin(app.baseUrl, "POST", "/admin/maintenance/cleanup")
      expect(dry.status).toBe(200)
      expect(dry.body).toMatchObject({ dry_run: true, days: 30, would_remove: { parked_relay_events: null } })
      const real = yield* admin(app.baseUrl, "POST", "/admin/maintenance/cleanup", { days: 1, dry_run: false })
      expect(real.body).toMatchObject({ dry_run: false, days: 1, removed: { parked_relay_events: 0 } })
      expect((yield* admin(app.baseUrl, "POST", "/admin/maintenance/cleanup", { days: 0 })).status).toBe(400)
      expect((yield* admin(app.baseUrl, "POST", "/admin/maintenance/cleanup", "{not json")).status).toBe(400)

      const restart = yield* admin(app.baseUrl, "POST", "/admin/restart/service", { service: "lnd" })
      expect(restart.body).toMatchObject({ service: "lnd", adapter: "simulated" })
      expect(restart.body.action).toContain("simulated")
      const unknownService = yield* admin(app.baseUrl, "POST", "/admin/restart/service", { service: "postgres" })
      expect(unknownService.status).toBe(400)
      expect(unknownService.body.error).toContain("arkd, lnd, tapd")

      const db = (yield* admin(app.baseUrl, "GET", "/admin/database/stats")).body
      expect(db).toMatchObject({ adapter: "memory", records: { sessions: 0 } })
      const backup = yield* admin(app.baseUrl, "POST", "/admin/backup/create")
      expect(backup.status).toBe(409)
      expect(backup.body).toMatchObject({ code: "BACKUP_UNAVAILABLE" })
      expect(backup.body.error).toContain("DATABASE_URL")

      const services = (yield* admin(app.baseUrl, "GET", "/admin/services/status")).body
      expect(services.daemons.map((d: any) => [d.name, d.adapter])).toEqual([["arkd", "simulated"], ["lnd", "simulated"], ["tapd", "simulated"]])
      expect(services.nostr_worker).toMatchObject({ configured: false, running: false })
      const info = (yield* admin(app.baseUrl, "GET", "/admin/system/info")).body
      expect(info).toMatchObject({ pid: process.pid, node_version: process.version, modules: ["ark", "epochs", "clearing"] })
      const system = (yield* admin(app.baseUrl, "GET", "/admin/metrics/system?hours=1")).body
      expect(system.samples.length).toBeGreaterThanOrEqual(1)
      expect(system.samples[0].rss_bytes).toBeGreaterThan(0)
      expect((yield* admin(app.baseUrl, "GET", "/admin/metrics/system?hours=0")).status).toBe(400)
    }), { timeout: 60_000 })

  it.scoped("performance/profile takes a real CPU profile, one at a time, within 1-60 s", () =>
    Effect.gen(function*() {
      const app = yield* startApp({ ADMIN_API_KEY: KEY })
      expect((yield* admin(app.baseUrl, "POST", "/admin/performance/profile", { duration: 61 })).status).toBe(400)
      const [first, second] = yield* Effect.all([
        admin(app.baseUrl, "POST", "/admin/performance/profile", { duration: 1 }),
        Effect.promise(() => new Promise((r) => setTimeout(r, 200))).pipe(
          Effect.zipRight(admin(app.baseUrl, "POST", "/admin/performance/profile", { duration: 1 }))
        )
      ], { concurrency: 2 })
      expect(first.status).toBe(200)
      expect(first.body.path).toMatch(/\.cpuprofile$/)
      expect(existsSync(first.body.path)).toBe(true)
      expect(statSync(first.body.path).size).toBe(first.body.size_bytes)
      expect(first.body.samples).toBeGreaterThan(0)
      expect(second.status).toBe(409)
      expect(second.body).toMatchObject({ code: "PROFILE_RUNNING" })
    }), { timeout: 60_000 })
})

describe("admin backup on MariaDB", async () => {
  const reachable = await mariadbReachable
  it.scoped.skipIf(!reachable && process.env["CI"] !== "true")("backup/create runs mariadb-dump into a file and reports it", () =>
    Effect.gen(function*() {
      const name = randomDatabaseName()
      yield* createEmptyDatabase(name)
      yield* Effect.addFinalizer(() => dropDatabase(name))
      const app = yield* startApp({ ADMIN_API_KEY: KEY, DATABASE_URL: urlOf(name) })
      expect((yield* completeCeremony(app.baseUrl)).status).toBe("completed")
      const backup = yield* admin(app.baseUrl, "POST", "/admin/backup/create")
      expect(backup.status).toBe(200)
      expect(backup.body).toMatchObject({ database: name })
      expect(statSync(backup.body.path).size).toBe(backup.body.size_bytes)
      const dump = readFileSync(backup.body.path, "utf8")
      expect(dump).toContain("CREATE TABLE")
      expect(dump).toContain("INSERT INTO")
      const db = (yield* admin(app.baseUrl, "GET", "/admin/database/stats")).body
      expect(db.adapter).toBe("mariadb")
      expect(db.tables.length).toBeGreaterThan(3)
    }), { timeout: 120_000 })
})
