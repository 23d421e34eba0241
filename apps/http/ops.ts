import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { JsonDocument } from "./admin/admin.js"

const get = <const Name extends string>(name: Name, path: `/${string}`, description: string) =>
  HttpApiEndpoint.get(name, path).addSuccess(JsonDocument).annotate(OpenApi.Description, description)

/** Health, status and metrics of the whole gateway (spec/ark-gateway.md, "Health and Status", "Monitoring and Cache"). */
export class OpsApi extends HttpApiGroup.make("ops")
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .annotate(OpenApi.Description, "Prometheus text exposition (also on METRICS_PORT when set)")
  )
  .add(get("heartbeats", "/heartbeats", "This replica's heartbeat and each scheduled job's last beat (ok, failing or stale)"))
  .add(get("queueStatus", "/queue-status", "The scheduled jobs: last run, next run, duration, failures, and whether this replica holds each job's lock"))
  .add(get("stats", "/stats", "Aggregated figures of every module: sessions, ceremonies, ledger, VTXOs, invoices, epochs, packets, clearings, HTTP"))
  .add(get("monitoringStats", "/monitoring/stats", "Memory, store and log-buffer figures of this process"))
  .add(get("monitoringAlerts", "/monitoring/alerts", "Alerts firing now"))
  .add(get("cacheStats", "/monitoring/cache/stats", "Caches relaygate keeps (none: stores are read directly)"))
  .add(get("healthComprehensive", "/health/comprehensive", "Every dependency's probe, firing alerts and jobs; status healthy | degraded | unhealthy"))
  .annotate(OpenApi.Title, "Operations")
{}
