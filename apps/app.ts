import { Effect, Layer, Logger } from "effect"
import { ArkMoneyJobsLive, ArkMoneyLive } from "./ark-money.js"
import { ClearingJobsLive, ClearingLive } from "./clearing.js"
import { ServerConfig } from "./config.js"
import { DaemonsLive } from "./daemons.js"
import { ServeLive } from "./http/server.js"
import { EpochsJobsLive, SigningJobsLive } from "./jobs.js"
import { LeaderLockLive, PersistenceLive } from "./persistence.js"
import { ArkSigningLive, EpochsLive, IdentityLive, NostrWorkerLive, ReadinessLive, RequestGuardsLive } from "./layers.js"

/** Module services and what the system routes report about them (the Nostr worker runs in-process when configured). */
export const ServicesLive = Layer.mergeAll(ReadinessLive, IdentityLive, NostrWorkerLive, ArkMoneyLive).pipe(
  Layer.provideMerge(Layer.mergeAll(ArkSigningLive, EpochsLive, ClearingLive)),
  Layer.provideMerge(DaemonsLive),
  Layer.provideMerge(PersistenceLive)
)

/** Log lines at LOG_LEVEL and above. */
export const LoggingLive = Layer.unwrapEffect(Effect.map(ServerConfig, ({ logLevel }) => Logger.minimumLogLevel(logLevel)))

/** The bundled HTTP app with its background jobs. */
export const AppLive = Layer.mergeAll(ServeLive, SigningJobsLive, EpochsJobsLive, ClearingJobsLive, ArkMoneyJobsLive).pipe(
  Layer.provide(LeaderLockLive),
  Layer.provide(ServicesLive),
  Layer.provide(LoggingLive)
)

/** `relaygate worker`: the Nostr worker alone, with the signing module's background jobs, on its own stores. */
export const WorkerLive = Layer.mergeAll(NostrWorkerLive, SigningJobsLive).pipe(
  Layer.provide(LeaderLockLive),
  Layer.provide(Layer.mergeAll(ArkSigningLive, RequestGuardsLive)),
  Layer.provide(PersistenceLive),
  Layer.provide(LoggingLive)
)
