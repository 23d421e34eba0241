import { Clock, Effect, Layer } from "effect"
import { type ChainpulseSnapshot, emptySnapshot } from "../../core/clearing/model.js"
import { ChainpulseMetrics } from "../../ports/chainpulse-metrics.js"

/**
 * Fixed metrics: empty when CHAINPULSE_URL is unset (the metrics-based views
 * then show nothing rather than invented numbers), or a given snapshot in tests.
 */
export const make = (snapshot?: Omit<ChainpulseSnapshot, "scraped_at">) =>
  Effect.succeed(
    ChainpulseMetrics.of({
      scrape: Effect.fn("ChainpulseMetrics.scrape")(function*() {
        const now = yield* Clock.currentTimeMillis
        return snapshot === undefined ? emptySnapshot(now) : { ...snapshot, scraped_at: now }
      })
    })
  )

export const layer = (snapshot?: Omit<ChainpulseSnapshot, "scraped_at">) => Layer.effect(ChainpulseMetrics, make(snapshot))
