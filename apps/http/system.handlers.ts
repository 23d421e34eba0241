import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Clock, Context, Effect } from "effect"
import { toIso } from "../../core/shared/time.js"
import { RelaygateApi } from "./api.js"
import { ReadinessChecks, runChecks } from "./readiness.js"

/** Facts about this process that GET / reports. */
export class GatewayIdentity extends Context.Tag("relaygate/GatewayIdentity")<GatewayIdentity, {
  readonly version: string
  readonly modules: ReadonlyArray<string>
  readonly gatewayPubkey: string
  readonly network: string
  readonly startedAt: number
}>() {}

export const SystemLive = HttpApiBuilder.group(RelaygateApi, "system", (handlers) =>
  Effect.gen(function*() {
    const id = yield* GatewayIdentity
    const checks = yield* ReadinessChecks
    return handlers
      .handle("info", () =>
        Effect.succeed({
          name: "relaygate" as const,
          version: id.version,
          modules: id.modules,
          gateway_pubkey: id.gatewayPubkey,
          network: id.network,
          docs: "/docs",
          openapi: "/docs-json"
        }))
      .handle("health", () =>
        Clock.currentTimeMillis.pipe(Effect.map((now) => ({
          status: "healthy" as const,
          timestamp: toIso(now),
          uptime_seconds: Math.floor((now - id.startedAt) / 1000)
        }))))
      .handle("ready", () =>
        runChecks(checks).pipe(Effect.map((results) => {
          const ready = Object.values(results).every((c) => c.status === "ok")
          return HttpServerResponse.unsafeJson({ ready, checks: results }, { status: ready ? 200 : 503 })
        })))
  }))
