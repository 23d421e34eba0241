import { Effect, Layer, Logger } from "effect"
import { ClearingJobsLive, ClearingLive } from "./clearing.js"
import { ServerConfig } from "./config.js"
import { ServeLive } from "./http/server.js"
import { EpochsJobsLive, SigningJobsLive } from "./jobs.js"
import { ArkSigningLive, EpochsLive, IdentityLive, ReadinessLive } from "./layers.js"

/** Module services and what the system routes report about them. */
export const ServicesLive = Layer.mergeAll(ReadinessLive, IdentityLive).pipe(
  Layer.provideMerge(Layer.mergeAll(ArkSigningLive, EpochsLive, ClearingLive))
)

/** Log lines at LOG_LEVEL and above. */
export const LoggingLive = Layer.unwrapEffect(Effect.map(ServerConfig, ({ logLevel }) => Logger.minimumLogLevel(logLevel)))

/** The bundled HTTP app with its background jobs. */
export const AppLive = Layer.mergeAll(ServeLive, SigningJobsLive, EpochsJobsLive, ClearingJobsLive).pipe(
  Layer.provide(ServicesLive),
  Layer.provide(LoggingLive)
)
