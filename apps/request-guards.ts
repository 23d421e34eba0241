import { Layer } from "effect"
import { RateLimiterLive, ReplayGuardLive } from "./persistence.js"

/** RateLimiter and ReplayGuard shared by every module (Redis when REDIS_URL is set, so limits hold across replicas). */
export const RequestGuardsLive = Layer.mergeAll(RateLimiterLive, ReplayGuardLive)
