import { HttpApiBuilder, HttpApiSwagger, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { ServerConfig } from "../config.js"
import { RelaygateApi } from "./api.js"
import { AssetsLive } from "./ark/assets.handlers.js"
import { CeremonyLive } from "./ark/ceremony.handlers.js"
import { LightningLive } from "./ark/lightning.handlers.js"
import { TransactionsLive } from "./ark/transactions.handlers.js"
import { VtxosLive } from "./ark/vtxos.handlers.js"
import { GrpcLive } from "./ark/grpc.handlers.js"
import { NostrLive } from "./ark/nostr.handlers.js"
import { SessionsLive } from "./ark/sessions.handlers.js"
import { arkErrorBodies, errorBodiesLayer } from "./error-bodies.js"
import { AssignmentsLive } from "./epochs/assignments.handlers.js"
import { epochsErrorBodies } from "./epochs/errors.js"
import { EpochsHealthLive } from "./epochs/health.handlers.js"
import { UploadsLive } from "./epochs/uploads.handlers.js"
import { ClearingAuthLive } from "./clearing/auth.js"
import { clearingErrorBodies } from "./clearing/errors.js"
import { ClearingFacadeLive } from "./clearing/monitoring.handlers.js"
import { ClearingOperationsLive } from "./clearing/operations.handlers.js"
import { ClearingPacketsLive, ClearingUserPacketsLive } from "./clearing/packets.handlers.js"
import * as FastPath from "./fast-path.js"
import { FastRoutesLive } from "./fast-routes.js"
import * as Limits from "./limits.js"
import { mountedModulesLayer } from "./modules.js"
import { securityHeaders, SecurityLive } from "./security.js"
import { SystemLive } from "./system.handlers.js"
import { AdminAuthLive, AdminLive } from "./admin/admin.handlers.js"
import { observeRequests } from "./observe.js"
import { OpsLive } from "./ops.handlers.js"
import { ClearingWsLive } from "./ws.js"
import { ConsoleLive } from "./console.js"

/** Every route group with its handlers; needs the module services (apps/app.ts ServicesLive). */
export const ApiLive = HttpApiBuilder.api(RelaygateApi).pipe(
  Layer.provide([SystemLive, SessionsLive, CeremonyLive, NostrLive, GrpcLive, AssignmentsLive, UploadsLive, EpochsHealthLive]),
  Layer.provide([AssetsLive, VtxosLive, TransactionsLive, LightningLive]),
  Layer.provide([ClearingPacketsLive, ClearingUserPacketsLive, ClearingFacadeLive, ClearingOperationsLive, ClearingWsLive, ConsoleLive]),
  Layer.provide([OpsLive, AdminLive]),
  Layer.provide([ClearingAuthLive, AdminAuthLive]),
  // Built after the error bodies, so CORS wraps them and error answers carry its headers too.
  Layer.provide(SecurityLive),
  Layer.provide(errorBodiesLayer([arkErrorBodies, epochsErrorBodies, clearingErrorBodies])),
  Layer.provide(mountedModulesLayer)
)

/** The HTTP app: the API, Swagger UI at /docs, OpenAPI JSON at /docs-json; request limits and admission outermost (limits.ts), security headers on every answer including their refusals. */
export const HttpAppLive = HttpApiBuilder.serve((app) => securityHeaders(observeRequests(Limits.guardRequests(app)))).pipe(
  Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/docs-json" })),
  Layer.provide(ApiLive)
)

/** Node's HTTP server with the connection-level limits (limits.ts) on `host` and `port` (0 picks a free port). */
export const guardedServer = (options: { readonly port: number; readonly host?: string }) =>
  Layer.unwrapEffect(Effect.map(Limits.ServerGuard, (guard) => NodeHttpServer.layer(() => guard.server, options))).pipe(
    Layer.provideMerge(Limits.layer([arkErrorBodies, epochsErrorBodies, clearingErrorBodies]))
  )

/** The server on PORT (the address is logged). */
export const NodeServerLive = Layer.unwrapEffect(Effect.map(ServerConfig, ({ port }) => guardedServer({ port })))

/** On the way down (SIGTERM), before the routes go: stop accepting and let in-flight requests finish within the bound. */
const DrainLive = Layer.scopedDiscard(Effect.flatMap(Limits.ServerGuard, (guard) => Effect.addFinalizer(() => guard.drain)))

/** The fast path for the hot signed routes (fast-path.ts), unless HTTP_FAST_PATH=false. */
export const FastPathLive = Layer.unwrapEffect(
  Effect.map(ServerConfig, ({ fastPath }) => (fastPath ? FastPath.layer.pipe(Layer.provide(FastRoutesLive)) : Layer.empty))
)

export const ServeLive = Layer.mergeAll(DrainLive, FastPathLive).pipe(
  Layer.provide(HttpAppLive.pipe(HttpServer.withLogAddress, Layer.provideMerge(NodeServerLive)))
)
