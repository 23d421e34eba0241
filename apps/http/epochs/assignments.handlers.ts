import { HttpApiBuilder } from "@effect/platform"
import { type Context, Effect, Option } from "effect"
import { EPOCH_HOURS } from "../../../core/epochs/clock.js"
import { type Epoch, epochStatus } from "../../../core/epochs/model.js"
import { EpochService, type EpochStats } from "../../../core/epochs/service.js"
import { EpochsSettings, type EpochsSettingsShape } from "../../../core/epochs/settings.js"
import { toIso } from "../../../core/shared/time.js"
import { RelaygateApi } from "../api.js"
import { outage } from "./errors.js"
import { signedRequest, statusRequest, withRateLimitHeaders } from "./requests.js"
import { epochHistoryView, type EpochView, epochView, type StatsView } from "./views.js"

const statsView = (s: EpochStats, settings: EpochsSettingsShape): typeof StatsView.Type => {
  const untilEnd = Math.max(0, Math.floor((s.window.end - s.now) / 1000))
  return {
    success: true,
    currentTime: Math.floor(s.now / 1000),
    systemStatus: Option.isSome(s.current) ? "operational" : "degraded",
    epochStatus: {
      currentEpoch: Option.match(s.current, {
        onNone: () => null,
        onSome: (e) => ({
          id: e.id,
          status: epochStatus(e, s.now),
          startTime: toIso(e.start),
          endTime: toIso(e.end),
          nonce: e.nonce,
          zipcodeCount: e.zipcodes.length,
          targetListings: e.targetListings,
          actualExpected: e.totalExpectedListings
        })
      }),
      timing: { timeUntilEpochEnd: untilEnd, timeUntilNextEpoch: untilEnd, epochDurationHours: EPOCH_HOURS },
      nextEpoch: { startTime: toIso(s.next.start) }
    },
    zipcodeStatistics: {
      totalZipcodes: s.catalogue.total,
      activeZipcodes: s.catalogue.active,
      inactiveZipcodes: s.catalogue.total - s.catalogue.active,
      stateDistribution: s.catalogue.byState.map((d) => ({ state: d.key, count: d.count, avgListings: d.avgListings })),
      tierDistribution: s.catalogue.byTier.map((d) => ({ tier: d.key, count: d.count, avgListings: d.avgListings })),
      configuration: {
        targetListings: settings.targetListings,
        tolerancePercent: settings.tolerancePercent,
        cooldownHours: settings.cooldownMs / 3_600_000,
        minListings: settings.minListings,
        maxListings: settings.maxListings
      }
    },
    recentPerformance: s.recent.map(({ epoch, status }) => ({
      epochId: epoch.id,
      status,
      zipcodesAssigned: epoch.zipcodes.length,
      targetListings: epoch.targetListings,
      actualExpected: epoch.totalExpectedListings
    }))
  }
}

/**
 * GET /api/v1/zipcode-assignments/current; the fast path serves the same handler (apps/http/fast-routes.ts).
 * Every miner asks for the same epoch all epoch long: its view is built once per stored epoch (epochs are
 * never changed once assigned), which also lets the fast path reuse the encoded answer.
 */
export const currentHandler = (epochs: Context.Tag.Service<EpochService>) => {
  const views = new WeakMap<Epoch, typeof EpochView.Type>()
  const viewOf = (e: Epoch) => {
    const known = views.get(e)
    if (known !== undefined) return known
    const view = epochView(e)
    views.set(e, view)
    return view
  }
  return ({ urlParams }: { readonly urlParams: Parameters<typeof signedRequest>[0] }) =>
    epochs.current(signedRequest(urlParams)).pipe(Effect.map(viewOf), outage)
}

export const AssignmentsLive = HttpApiBuilder.group(RelaygateApi, "epochs-assignments", (handlers) =>
  Effect.gen(function*() {
    const epochs = yield* EpochService
    const settings = yield* EpochsSettings
    return handlers
      .handle("current", (request) => currentHandler(epochs)(request).pipe(withRateLimitHeaders))
      .handle("epoch", ({ path, urlParams }) =>
        epochs.epoch({ ...signedRequest(urlParams), epochId: path.epochId }).pipe(
          Effect.map(({ epoch, status }) => epochHistoryView(epoch, status)),
          outage,
          withRateLimitHeaders
        ))
      .handle("status", ({ payload }) =>
        epochs.postStatus(statusRequest(payload)).pipe(
          Effect.map((r) => ({
            success: true as const,
            message: "Miner status updated successfully",
            epochId: r.epochId,
            status: r.status,
            timestamp: toIso(r.updatedAt)
          })),
          outage,
          withRateLimitHeaders
        ))
      .handle("stats", ({ request }) =>
        epochs.stats(Option.getOrElse(request.remoteAddress, () => "unknown")).pipe(
          Effect.map((s) => statsView(s, settings)),
          outage,
          withRateLimitHeaders
        ))
  }))
