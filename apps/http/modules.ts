import { HttpApi, HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { Effect, Layer } from "effect"
import { type ModuleName, ServerConfig } from "../config.js"
import { RelaygateApi } from "./api.js"
import { clearingErrorBodies } from "./clearing/errors.js"
import { arkErrorBodies, type ModuleErrorBodies } from "./error-bodies.js"
import { epochsErrorBodies } from "./epochs/errors.js"
import { routePattern } from "./route-pattern.js"

/** Which module each route group belongs to; groups not listed (system, ops, admin) are always mounted. */
const MODULE_OF_GROUP: Readonly<Record<string, ModuleName>> = {
  sessions: "ark",
  ceremony: "ark",
  assets: "ark",
  vtxos: "ark",
  transactions: "ark",
  lightning: "ark",
  nostr: "ark",
  grpc: "ark",
  "epochs-assignments": "epochs",
  "epochs-health": "epochs",
  "epochs-uploads": "epochs",
  "clearing-packets": "clearing",
  "clearing-user-packets": "clearing",
  "clearing-facade": "clearing",
  "clearing-operations": "clearing"
}

const BODIES: Readonly<Record<ModuleName, ModuleErrorBodies>> = {
  ark: arkErrorBodies,
  epochs: epochsErrorBodies,
  clearing: clearingErrorBodies
}

interface OwnedRoute {
  readonly module: ModuleName
  readonly method: string
  readonly pattern: RegExp
}


const OWNED: ReadonlyArray<OwnedRoute> = (() => {
  const out: Array<OwnedRoute> = [{ module: "clearing", method: "GET", pattern: routePattern("/api/v1/ws") }]
  HttpApi.reflect(RelaygateApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, group }) => {
      const module = MODULE_OF_GROUP[group.identifier]
      if (module !== undefined) out.push({ module, method: endpoint.method, pattern: routePattern(endpoint.path) })
    }
  })
  return out
})()

/** The module that serves `method path`, if a module's route does. */
export const moduleOfRoute = (method: string, path: string): ModuleName | undefined => {
  const m = method === "HEAD" ? "GET" : method
  return OWNED.find((r) => r.method === m && r.pattern.test(path))?.module
}

/**
 * MODULES unmounts the others: their routes answer 404 in their own module's
 * body, as any unknown path would, and run no handler. Their routes stay in
 * /docs-json, which describes the product rather than one deployment.
 */
export const mountedModulesLayer = Layer.unwrapEffect(
  Effect.map(ServerConfig, ({ modules }) =>
    modules.size === Object.keys(BODIES).length
      ? Layer.empty
      : HttpApiBuilder.middleware((app) =>
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          const path = request.url.split("?")[0] ?? "/"
          const owner = moduleOfRoute(request.method, path)
          if (owner !== undefined && !modules.has(owner)) return BODIES[owner].notFound(request.method, path)
          return yield* app
        }), { withContext: true })
  )
)

/** A module's layer (background jobs, say) only when MODULES mounts it. */
export const whenMounted = <E, R>(module: ModuleName, layer: Layer.Layer<never, E, R>) =>
  Layer.unwrapEffect(Effect.map(ServerConfig, ({ modules }) => (modules.has(module) ? layer : Layer.empty)))
