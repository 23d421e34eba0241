import { HttpApiBuilder, HttpApiSwagger, HttpApp } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { ServicesLive } from "../../apps/app.js"
import { ApiLive } from "../../apps/http/server.js"
import { IN_PROCESS_DEFAULTS } from "./http-app.js"

export interface InProcessApp {
  /** One request through the whole app (routing, middleware, error bodies), no socket. */
  readonly handle: (request: Request) => Promise<Response>
  readonly context: Context.Context<Layer.Layer.Success<typeof ServicesLive>>
}

/**
 * The real HTTP app as a web handler, for tests that send many thousands of
 * requests: no TCP, and it runs on the test's clock like `startApp`. It has
 * the Node server's platform services (file system for multipart bodies), but
 * not the connection-level guard (limits.ts), which needs a socket: body size
 * and JSON depth limits are tested over TCP.
 */
export const inProcessApp = (env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const services = yield* Layer.build(ServicesLive)
    const routes = Layer.mergeAll(
      HttpApiSwagger.layer({ path: "/docs" }),
      HttpApiBuilder.middlewareOpenApi({ path: "/docs-json" })
    ).pipe(
      Layer.provideMerge(ApiLive),
      Layer.provideMerge(Layer.mergeAll(HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer, NodeHttpServer.layerContext)),
      Layer.provide(Layer.succeedContext(services))
    )
    const runtime = yield* Layer.toRuntime(routes)
    const app = yield* HttpApiBuilder.httpApp.pipe(Effect.provide(runtime))
    const handle = HttpApp.toWebHandlerRuntime(runtime)(app)
    return { handle: (r: Request) => handle(r), context: services } satisfies InProcessApp
  }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ VERIFY_THREADS: IN_PROCESS_DEFAULTS.VERIFY_THREADS, ...env })))))
