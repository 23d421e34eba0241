import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { layer } from "../../../adapters/memory/chainpulse-metrics.js"
import { ChainpulseMetrics } from "../../../ports/chainpulse-metrics.js"
import { chainpulseMetricsContract } from "../../contracts/chainpulse-metrics.js"

chainpulseMetricsContract("memory (unconfigured)", layer())

describe("unconfigured Chainpulse", () => {
  it.effect("yields empty views rather than made-up numbers", () =>
    Effect.provide(
      Effect.gen(function*() {
        const s = yield* (yield* ChainpulseMetrics).scrape()
        expect(s).toMatchObject({ chains_monitored: null, chains: [], stuck: [], effected: [] })
      }),
      layer()
    ))
})
