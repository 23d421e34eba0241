import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Clock, Effect } from "effect"
import { toIso } from "../../../core/shared/time.js"
import { EpochStore } from "../../../ports/epoch-store.js"
import { RelaygateApi } from "../api.js"
import { GatewayIdentity } from "../system.handlers.js"

export const EpochsHealthLive = HttpApiBuilder.group(RelaygateApi, "epochs-health", (handlers) =>
  Effect.gen(function*() {
    const id = yield* GatewayIdentity
    const store = yield* EpochStore
    return handlers.handle("healthcheck", () =>
      Effect.gen(function*() {
        const connected = yield* store.get("healthcheck").pipe(Effect.as(true), Effect.orElseSucceed(() => false))
        const now = yield* Clock.currentTimeMillis
        const body = {
          status: connected ? "ok" : "error",
          timestamp: toIso(now),
          uptime: (now - id.startedAt) / 1000,
          database: connected ? "connected" : "disconnected",
          version: id.version,
          service: "resi-labs-api"
        }
        return HttpServerResponse.unsafeJson(body, { status: connected ? 200 : 503 })
      }))
  }))
