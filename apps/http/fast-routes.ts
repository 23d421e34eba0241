import { Effect, Layer } from "effect"
import { EpochService } from "../../core/epochs/service.js"
import { SessionService } from "../../core/signing/service.js"
import { respondHandler } from "./ark/sessions.handlers.js"
import { currentHandler } from "./epochs/assignments.handlers.js"
import { type FastRoute, FastRoutes } from "./fast-path.js"

/**
 * The routes every request of which is a signature check (bench rows 3–4):
 * the ark respond step and the epochs current assignment, with the same
 * handlers their groups run.
 */
export const FastRoutesLive = Layer.effect(
  FastRoutes,
  Effect.gen(function*() {
    const sessions = yield* SessionService
    const epochs = yield* EpochService
    const routes: ReadonlyArray<FastRoute> = [
      { group: "sessions", endpoint: "respond", handle: respondHandler(sessions) as FastRoute["handle"], rateLimitHeaders: false },
      { group: "epochs-assignments", endpoint: "current", handle: currentHandler(epochs) as FastRoute["handle"], rateLimitHeaders: true }
    ]
    return routes
  })
)
