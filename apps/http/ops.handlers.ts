import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Context, Effect } from "effect"
import { Metrics } from "../../ports/metrics.js"
import { JobRegistry } from "../ops/jobs.js"
import { LogBuffer } from "../ops/logging.js"
import * as Reports from "../ops/reports.js"
import { Ops } from "../ops/service.js"
import { Persistence } from "../persistence.js"
import { NostrWorker } from "../worker/controller.js"
import { RelaygateApi } from "./api.js"
import { GatewayIdentity } from "./system.handlers.js"

export const OpsLive = HttpApiBuilder.group(RelaygateApi, "ops", (handlers) =>
  Effect.gen(function*() {
    const metrics = yield* Metrics
    // The reports read these services; captured once so the handlers need nothing per request.
    const context = Context.empty().pipe(
      Context.add(Metrics, metrics),
      Context.add(Ops, yield* Ops),
      Context.add(JobRegistry, yield* JobRegistry),
      Context.add(LogBuffer, yield* LogBuffer),
      Context.add(GatewayIdentity, yield* GatewayIdentity),
      Context.add(NostrWorker, yield* NostrWorker),
      Context.add(Persistence, yield* Persistence)
    )
    const run = <A>(report: Effect.Effect<A, never, Metrics | Ops | JobRegistry | LogBuffer | GatewayIdentity | NostrWorker | Persistence>) =>
      Effect.provide(report, context)
    return handlers
      .handle("metrics", () =>
        Effect.map(metrics.exposition, ({ contentType, text }) => HttpServerResponse.text(text, { contentType })))
      .handle("heartbeats", () => run(Reports.heartbeats))
      .handle("queueStatus", () => run(Reports.queueStatus))
      .handle("stats", () => run(Reports.stats))
      .handle("monitoringStats", () => run(Reports.monitoringStats))
      .handle("monitoringAlerts", () =>
        run(Effect.flatMap(Ops, (ops) => ops.alerts)).pipe(Effect.map((alerts) => ({
          count: alerts.length,
          alerts: alerts.map((a) => ({ ...a, since: new Date(a.since).toISOString() }))
        }))))
      .handle("cacheStats", () => Reports.cacheStats)
      .handle("healthComprehensive", () =>
        run(Reports.comprehensiveHealth).pipe(
          Effect.map((h) => HttpServerResponse.unsafeJson(h, { status: h.status === "unhealthy" ? 503 : 200 }))
        ))
  }))
