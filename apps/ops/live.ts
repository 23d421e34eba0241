import { Layer } from "effect"
import * as Jobs from "./jobs.js"
import { LogBufferLive } from "./logging.js"
import { MetricSourcesLive, MetricsLive } from "./metrics.js"
import { ModuleReadinessLive } from "./readiness.js"
import * as OpsService from "./service.js"

/** Metrics registry, job registry and log buffer: beneath everything, since stores, daemons and jobs report to them. */
export const ObservabilityLive = Layer.mergeAll(Jobs.layer, LogBufferLive).pipe(Layer.provideMerge(MetricsLive))

/**
 * The operator's services on top of the modules: alert rules and reports, gauges read from the stores,
 * and /ready's checks extended with the relays, Chainpulse, Hermes and CometBFT.
 */
export const OpsLive = Layer.mergeAll(OpsService.layer, MetricSourcesLive).pipe(Layer.provideMerge(ModuleReadinessLive))
