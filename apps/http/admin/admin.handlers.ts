import { createHash, timingSafeEqual } from "node:crypto"
import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { Clock, Context, Effect, Layer, LogLevel, Option, Redacted } from "effect"
import { EpochService } from "../../../core/epochs/service.js"
import type { StoreUnavailable } from "../../../core/shared/errors.js"
import { toIso } from "../../../core/shared/time.js"
import { Metrics } from "../../../ports/metrics.js"
import { ServerConfig } from "../../config.js"
import { JobRegistry } from "../../ops/jobs.js"
import { LogBuffer } from "../../ops/logging.js"
import { MetricsListener } from "../../ops/metrics.js"
import * as Reports from "../../ops/reports.js"
import { Ops, type OpsRefused, type OpsUnavailable } from "../../ops/service.js"
import { Persistence } from "../../persistence.js"
import { NostrWorker } from "../../worker/controller.js"
import { RelaygateApi } from "../api.js"
import { ArkRouteNotFound, ArkServiceUnavailable, ArkValidationError } from "../ark/errors.js"
import { optionalJsonBody } from "../body.js"
import { GatewayIdentity } from "../system.handlers.js"
import { AdminAuth, CleanupBody, ProfileBody, RestartBody } from "./admin.js"
import { AdminUnauthorized, BackupUnavailable, ProfileRunning } from "./errors.js"

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

/**
 * Digests make both sides the same length, so timingSafeEqual compares in
 * time independent of where (or whether) the keys differ, and of their lengths.
 */
export const AdminAuthLive = Layer.effect(
  AdminAuth,
  Effect.gen(function*() {
    const { adminApiKey } = yield* ServerConfig
    const metrics = yield* Metrics
    const expected = Option.map(adminApiKey, (k) => digest(Redacted.value(k)))
    return AdminAuth.of(
      Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (Option.isNone(expected)) {
          return yield* Effect.fail(new ArkRouteNotFound({ method: request.method, path: request.url.split("?")[0] ?? "/" }))
        }
        const header = request.headers["x-admin-key"]
        const given = header !== undefined && header !== "" ? header : new URL(request.url, "http://relaygate").searchParams.get("admin_key") ?? ""
        if (given === "") {
          yield* metrics.increment("relaygate_admin_auth_failures_total", { reason: "missing" })
          return yield* Effect.fail(new AdminUnauthorized({ reason: "X-Admin-Key header (or admin_key query parameter) is required" }))
        }
        if (!timingSafeEqual(digest(given), expected.value)) {
          yield* metrics.increment("relaygate_admin_auth_failures_total", { reason: "invalid" })
          return yield* Effect.fail(new AdminUnauthorized({ reason: "invalid admin key" }))
        }
      })
    )
  })
)

const unavailable = (e: OpsUnavailable) => new ArkServiceUnavailable({ dependency: e.dependency, reason: e.reason })
const backupRefused = (e: OpsRefused | OpsUnavailable) =>
  e._tag === "OpsUnavailable" ? unavailable(e) : new BackupUnavailable({ reason: e.reason })
const profileRefused = (e: OpsRefused | OpsUnavailable) =>
  e._tag === "OpsUnavailable" ? unavailable(e) : new ProfileRunning({ reason: e.reason })

const storeDown = (e: StoreUnavailable) => new ArkServiceUnavailable({ dependency: e.store, reason: e.message })

const invalid = (problems: ReadonlyArray<string>) => new ArkValidationError({ detail: problems.join("; ") })

const LEVELS: Record<string, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  warn: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal
}

export const AdminLive = HttpApiBuilder.group(RelaygateApi, "admin", (handlers) =>
  Effect.gen(function*() {
    const ops = yield* Ops
    const jobs = yield* JobRegistry
    const logs = yield* LogBuffer
    const worker = yield* NostrWorker
    const epochs = yield* EpochService
    // Only the bundled app opens the METRICS_PORT listener; embedded and test apps have none.
    const listener = yield* Effect.serviceOption(MetricsListener)
    const context = Context.empty().pipe(
      Context.add(Metrics, yield* Metrics),
      Context.add(Ops, ops),
      Context.add(JobRegistry, jobs),
      Context.add(LogBuffer, logs),
      Context.add(GatewayIdentity, yield* GatewayIdentity),
      Context.add(NostrWorker, worker),
      Context.add(Persistence, yield* Persistence)
    )
    const run = <A, E>(report: Effect.Effect<A, E, Metrics | Ops | JobRegistry | LogBuffer | GatewayIdentity | NostrWorker | Persistence>) =>
      Effect.provide(report, context)
    const since = (hours: number | undefined) => Effect.map(Clock.currentTimeMillis, (now) => now - (hours ?? 24) * 3_600_000)

    return handlers
      .handle("healthComprehensive", () => run(Reports.comprehensiveHealth))
      .handle("systemMetrics", ({ urlParams }) =>
        Effect.gen(function*() {
          const samples = yield* ops.samples(yield* since(urlParams.hours))
          return {
            hours: urlParams.hours ?? 24,
            interval_seconds: 60,
            samples: samples.map((s) => ({ ...s, timestamp: toIso(s.timestamp) })),
            current: yield* ops.systemInfo
          }
        }))
      .handle("alerts", () =>
        Effect.map(ops.alerts, (alerts) => ({ count: alerts.length, alerts: alerts.map((a) => ({ ...a, since: toIso(a.since) })) })))
      .handle("alertRules", () => Effect.map(ops.rules, (rules) => ({ rules })))
      .handle("toggleRule", ({ path, payload }) => Effect.map(ops.toggleRule(path.rule_name, payload.enabled), (rule) => ({ rule })))
      .handle("jobStatistics", ({ urlParams }) =>
        Effect.gen(function*() {
          const runs = jobs.history(yield* since(urlParams.hours))
          const names = Array.from(new Set(runs.map((r) => r.job))).sort()
          return {
            hours: urlParams.hours ?? 24,
            replica: jobs.replica,
            total_runs: runs.length,
            failed_runs: runs.filter((r) => r.outcome === "failed").length,
            jobs: names.map((job) => {
              const mine = runs.filter((r) => r.job === job)
              const durations = mine.map((r) => r.duration_ms).sort((a, b) => a - b)
              return {
                job,
                runs: mine.length,
                failures: mine.filter((r) => r.outcome === "failed").length,
                avg_duration_ms: Math.round((durations.reduce((a, d) => a + d, 0) / durations.length) * 1000) / 1000,
                max_duration_ms: durations[durations.length - 1] ?? 0,
                last_error: mine.filter((r) => r.error !== null).at(-1)?.error ?? null
              }
            })
          }
        }))
      .handle("servicesStatus", () =>
        Effect.gen(function*() {
          const checks = yield* ops.checks
          const nostr = yield* worker.status()
          return {
            daemons: ops.daemons.map((d) => ({
              name: d.daemon,
              adapter: d.adapter,
              target: d.target ?? null,
              status: checks[d.daemon]?.status ?? "unknown",
              detail: checks[d.daemon]?.detail ?? null
            })),
            dependencies: checks,
            nostr_worker: { configured: nostr.configured, running: nostr.running, pubkey: nostr.pubkey, relays: nostr.relays },
            jobs: (yield* run(Reports.queueStatus)).jobs,
            metrics_listener: Option.match(Option.flatMap(listener, (l) => l.port), { onNone: () => null, onSome: (port) => ({ port }) })
          }
        }))
      .handle("databaseStats", () => ops.databaseStats.pipe(Effect.map((s) => s as Record<string, unknown>), Effect.mapError(unavailable)))
      .handle("systemInfo", () =>
        Effect.gen(function*() {
          const id = yield* GatewayIdentity.pipe(Effect.provide(context))
          return { version: id.version, modules: id.modules, network: id.network, gateway_pubkey: id.gatewayPubkey, ...(yield* ops.systemInfo) }
        }))
      .handle("configuration", () => Effect.map(ops.configuration, (variables) => ({ variables })))
      .handle("recentLogs", ({ urlParams }) =>
        Effect.sync(() => {
          const entries = logs.recent({ limit: urlParams.limit ?? 100, minimumLevel: LEVELS[urlParams.level ?? "trace"] ?? LogLevel.Trace })
          return { count: entries.length, logs: entries }
        }))
      .handle("cleanup", () =>
        Effect.gen(function*() {
          const body = yield* optionalJsonBody(yield* HttpServerRequest.HttpServerRequest, CleanupBody, invalid)
          return (yield* ops.cleanup(body.days ?? 30, body.dry_run ?? true).pipe(Effect.mapError(unavailable))) as Record<string, unknown>
        }))
      .handle("backup", () => ops.backup.pipe(Effect.mapError(backupRefused)))
      .handle("profile", () =>
        Effect.gen(function*() {
          const body = yield* optionalJsonBody(yield* HttpServerRequest.HttpServerRequest, ProfileBody, invalid)
          return (yield* ops.profile(body.duration ?? 10).pipe(Effect.mapError(profileRefused))) as Record<string, unknown>
        }))
      .handle("restartService", () =>
        Effect.gen(function*() {
          const body = yield* optionalJsonBody(yield* HttpServerRequest.HttpServerRequest, RestartBody, invalid)
          const daemon = ops.daemons.find((d) => d.daemon === body.service)
          if (daemon === undefined) {
            return yield* Effect.fail(invalid([`service: expected one of ${ops.daemons.map((d) => d.daemon).join(", ")}`]))
          }
          yield* daemon.reconnect().pipe(Effect.mapError((e) => new ArkServiceUnavailable({ dependency: e.daemon, reason: e.reason })))
          return {
            service: daemon.daemon,
            adapter: daemon.adapter,
            action: daemon.adapter === "grpc" ? "reconnected: the gRPC channel was closed, credentials re-read and the daemon answered GetInfo" : "nothing to restart: the daemon is simulated in this process",
            note: "relaygate never restarts processes; restart the gateway or the daemon with your process manager"
          }
        }))
      .handle("dashboard", () => run(Reports.dashboard))
      .handle("epochsCurrent", () =>
        epochs.overview().pipe(
          Effect.map(({ window, epoch, miners }) => ({
            epoch_id: window.id,
            starts_at: toIso(window.start),
            ends_at: toIso(window.end),
            // The nonce stays with the miners it was issued to: operators see the assignment only.
            assigned: Option.isSome(epoch),
            zipcodes: Option.match(epoch, { onNone: () => [], onSome: (e) => e.zipcodes }).map((z) => ({
              zipcode: z.zipcode,
              state: z.state,
              city: z.city,
              expectedListings: z.expectedListings,
              marketTier: z.marketTier
            })),
            miners: miners.map((m) => ({
              hotkey: m.hotkey,
              status: m.status,
              listingsScraped: m.listingsScraped,
              zipcodesCompleted: m.zipcodesCompleted.length,
              updated_at: toIso(m.updatedAt)
            }))
          })),
          Effect.mapError(storeDown)
        ))
  }))
