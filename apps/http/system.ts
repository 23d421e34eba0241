import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"

export const GatewayInfo = Schema.Struct({
  name: Schema.Literal("relaygate"),
  version: Schema.String,
  modules: Schema.Array(Schema.String),
  gateway_pubkey: Schema.String,
  network: Schema.String,
  docs: Schema.String,
  openapi: Schema.String
})

export const Health = Schema.Struct({
  status: Schema.Literal("healthy"),
  timestamp: Schema.String,
  uptime_seconds: Schema.Number
})

export const DependencyCheck = Schema.Struct({
  status: Schema.Literal("ok", "down"),
  adapter: Schema.String,
  detail: Schema.optional(Schema.String),
  /** The circuit breaker in front of the dependency: `open` means calls that need it are refused at once (503) until a probe succeeds. */
  breaker: Schema.optional(Schema.Literal("closed", "open", "half_open"))
})

export const Readiness = Schema.Struct({
  ready: Schema.Boolean,
  checks: Schema.Record({ key: Schema.String, value: DependencyCheck })
})

/** Gateway information, liveness and readiness (503 with the same body when a dependency is down). */
export class SystemApi extends HttpApiGroup.make("system")
  .add(HttpApiEndpoint.get("info", "/").addSuccess(GatewayInfo))
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Health))
  .add(
    HttpApiEndpoint.get("ready", "/ready")
      .addSuccess(Readiness)
      .annotate(OpenApi.Description, "200 when every dependency answers, 503 with the same body otherwise")
  )
  .annotate(OpenApi.Title, "System")
{}
