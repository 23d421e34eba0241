import { Effect, Layer, Logger, RuntimeFlags } from "effect"
import * as Breakers from "../adapters/resilience/breaker.js"
import { ArkMoneyJobsLive, ArkMoneyLive } from "./ark-money.js"
import { ArkSigningLive } from "./ark-signing.js"
import { ClearingJobsLive, ClearingLive } from "./clearing.js"
import { ServerConfig } from "./config.js"
import { DaemonsLive } from "./daemons.js"
import { EpochsLive } from "./epochs.js"
import { whenMounted } from "./http/modules.js"
import { ServeLive } from "./http/server.js"
import { EpochsJobsLive, SigningJobsLive } from "./jobs.js"
import { LeaderLockLive, PersistenceLive } from "./persistence.js"
import { ObservabilityLive, OpsLive } from "./ops/live.js"
import { JsonLoggingLive } from "./ops/logging.js"
import { MetricsListenerLive } from "./ops/metrics.js"
import { RequestGuardsLive } from "./request-guards.js"
import { IdentityLive, ReadinessLive } from "./system.js"
import { NostrWorkerLive } from "./worker/live.js"

/**
 * Module services and what the system routes report about them (the Nostr worker runs in-process when configured),
 * with the operator's view on top and metrics, job records and the log buffer beneath.
 */
export const ServicesLive = OpsLive.pipe(
  Layer.provideMerge(Layer.mergeAll(ReadinessLive, IdentityLive, NostrWorkerLive, ArkMoneyLive)),
  Layer.provideMerge(Layer.mergeAll(ArkSigningLive, EpochsLive, ClearingLive)),
  Layer.provideMerge(DaemonsLive),
  Layer.provideMerge(PersistenceLive),
  Layer.provideMerge(ObservabilityLive),
  // Every adapter built above lists its circuit breaker here, for /ready.
  Layer.provideMerge(Breakers.layer)
)

/** Scrubbed JSON log lines at LOG_LEVEL and above. */
export const LoggingLive = Layer.merge(
  Layer.unwrapEffect(Effect.map(ServerConfig, ({ logLevel }) => Logger.minimumLogLevel(logLevel))),
  JsonLoggingLive
)

/**
 * No span exporter is configured, so the spans every port and service method
 * opens (Effect.fn) would be built and dropped, at a cost per span comparable
 * to a whole request's parsing (bench/README.md): tracing is off. An embedder
 * who provides a Tracer turns it back on with `Layer.setTracerEnabled(true)`.
 */
export const TracingLive = Layer.setTracerEnabled(false)

/**
 * Effect counts every fiber's start, end and lifetime (a histogram) by
 * default. Nothing reads those counts (the app's metrics are Prometheus's,
 * apps/ops/metrics.ts), and every request runs at least one fiber.
 */
export const FiberMetricsOff = RuntimeFlags.disableRuntimeMetrics

/** The bundled HTTP app with its background jobs. */
export const AppLive = Layer.mergeAll(
  ServeLive,
  MetricsListenerLive,
  whenMounted("ark", SigningJobsLive),
  whenMounted("epochs", EpochsJobsLive),
  whenMounted("clearing", ClearingJobsLive),
  whenMounted("ark", ArkMoneyJobsLive)
).pipe(
  Layer.provide(LeaderLockLive),
  Layer.provide(ServicesLive),
  Layer.provide(Layer.mergeAll(LoggingLive, TracingLive, FiberMetricsOff))
)

/** `relaygate worker`: the Nostr worker alone, with the signing module's background jobs, on its own stores (metrics on METRICS_PORT when set). */
export const WorkerLive = Layer.mergeAll(NostrWorkerLive, SigningJobsLive, MetricsListenerLive).pipe(
  Layer.provide(LeaderLockLive),
  Layer.provide(Layer.mergeAll(ArkSigningLive, RequestGuardsLive)),
  Layer.provide(PersistenceLive),
  Layer.provide(ObservabilityLive),
  Layer.provide(Layer.mergeAll(LoggingLive, TracingLive, FiberMetricsOff))
)
