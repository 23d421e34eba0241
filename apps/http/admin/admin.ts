import { HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { RouteNotFoundBody, ServiceUnavailableBody, ValidationErrorBody } from "../ark/errors.js"
import { BackupUnavailableBody, ProfileRunningBody, UnauthorizedBody, UnknownRuleBody } from "./errors.js"

/**
 * X-Admin-Key header or ?admin_key= (spec/ark-gateway.md), compared with
 * ADMIN_API_KEY in constant time. Without ADMIN_API_KEY every /admin route
 * answers 404, as if it did not exist: the admin API is never open.
 */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("relaygate/admin/Auth", {
  failure: Schema.Union(UnauthorizedBody, RouteNotFoundBody)
}) {}

/** Admin answers are JSON documents whose shape each route's description gives. */
export const JsonDocument = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const Hours = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 168))

export const LOG_LEVELS = ["trace", "debug", "info", "warning", "warn", "error", "fatal"] as const

export const ToggleBody = Schema.Struct({ enabled: Schema.Boolean })
export const CleanupBody = Schema.Struct({
  days: Schema.optional(Schema.Int.pipe(Schema.between(1, 3650))),
  dry_run: Schema.optional(Schema.Boolean)
})
export const ProfileBody = Schema.Struct({ duration: Schema.optional(Schema.Int.pipe(Schema.between(1, 60))) })
export const RestartBody = Schema.Struct({ service: Schema.optional(Schema.String) })

const get = <const Name extends string>(name: Name, path: `/${string}`, description: string) =>
  HttpApiEndpoint.get(name, path).addSuccess(JsonDocument).annotate(OpenApi.Description, description)

export class AdminApi extends HttpApiGroup.make("admin")
  .add(get("healthComprehensive", "/health/comprehensive", "Every dependency's probe, firing alerts, jobs and process figures; status healthy | degraded | unhealthy"))
  .add(
    get("systemMetrics", "/metrics/system", "Minute samples of this process (CPU, memory, load, HTTP requests) over the last `hours` (default 24)")
      .setUrlParams(Schema.Struct({ hours: Schema.optional(Hours) }))
  )
  .add(get("alerts", "/alerts", "Alerts firing now"))
  .add(get("alertRules", "/alerts/rules", "Alert rules and whether each is enabled"))
  .add(
    HttpApiEndpoint.post("toggleRule", "/alerts/rules/:rule_name/toggle")
      .setPath(Schema.Struct({ rule_name: Schema.String }))
      .setPayload(ToggleBody)
      .addSuccess(JsonDocument)
      .addError(UnknownRuleBody)
      .annotate(OpenApi.Description, "Turns a rule on or off on this replica")
  )
  .add(
    get("jobStatistics", "/jobs/statistics", "Runs of the scheduled jobs on this replica over the last `hours` (default 24): count, failures, durations")
      .setUrlParams(Schema.Struct({ hours: Schema.optional(Hours) }))
  )
  .add(get("servicesStatus", "/services/status", "Daemons (simulated or gRPC), the Nostr worker, stores, Redis and jobs"))
  .add(get("databaseStats", "/database/stats", "MariaDB tables (rows, bytes) or in-memory record counts").addError(ServiceUnavailableBody))
  .add(get("systemInfo", "/system/info", "Version, Node, host and process facts"))
  .add(get("configuration", "/configuration", "Every configuration variable; secrets show as <redacted>, URLs without their password"))
  .add(
    get("recentLogs", "/logs/recent", "The last log lines of this process (at most 1000 kept), oldest first; `level` is the lowest level shown")
      .setUrlParams(Schema.Struct({
        limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 1000))),
        level: Schema.optional(Schema.Literal(...LOG_LEVELS))
      }))
  )
  .add(
    HttpApiEndpoint.post("cleanup", "/maintenance/cleanup")
      .addSuccess(JsonDocument)
      .addError(ValidationErrorBody)
      .addError(ServiceUnavailableBody)
      .annotate(OpenApi.Description, "Body `{ days: 30, dry_run: true }` (both optional, dry run by default): forgets in-process history older than `days`")
  )
  .add(
    HttpApiEndpoint.post("backup", "/backup/create")
      .addSuccess(JsonDocument)
      .addError(BackupUnavailableBody)
      .addError(ServiceUnavailableBody)
      .annotate(OpenApi.Description, "mariadb-dump of DATABASE_URL's database into a file on this host; 409 on in-memory stores")
  )
  .add(
    HttpApiEndpoint.post("profile", "/performance/profile")
      .addSuccess(JsonDocument)
      .addError(ValidationErrorBody)
      .addError(ProfileRunningBody)
      .addError(ServiceUnavailableBody)
      .annotate(OpenApi.Description, "Body `{ duration: 1-60 }` (default 10): a V8 CPU profile over that many seconds, saved as .cpuprofile")
  )
  .add(
    HttpApiEndpoint.post("restartService", "/restart/service")
      .addSuccess(JsonDocument)
      .addError(ValidationErrorBody)
      .addError(ServiceUnavailableBody)
      .annotate(OpenApi.Description, "Body `{ service: arkd | lnd | tapd }`: re-dials that daemon's connection; processes are not restarted")
  )
  .add(get("dashboard", "/dashboard/summary", "Live figures from every module, alerts, jobs and HTTP traffic"))
  .add(
    get("epochsCurrent", "/epochs/current", "The current epoch (assigned on first use): its window, zipcodes and each miner's reported status; never its nonce")
      .addError(ServiceUnavailableBody)
  )
  .middleware(AdminAuth)
  .prefix("/admin")
  .annotate(OpenApi.Title, "Admin")
{}
