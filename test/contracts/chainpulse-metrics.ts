import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Schema } from "effect"
import { ChainpulseSnapshot } from "../../core/clearing/model.js"
import { ChainpulseMetrics } from "../../ports/chainpulse-metrics.js"

/** The behaviour every ChainpulseMetrics adapter must have; each adapter's test calls this. */
export const chainpulseMetricsContract = <E>(name: string, layer: Layer.Layer<ChainpulseMetrics, E>) =>
  describe(`ChainpulseMetrics contract: ${name}`, () => {
    it.effect("returns a well-formed snapshot with no invented values", () =>
      Effect.provide(
        Effect.gen(function*() {
          const snapshot = yield* (yield* ChainpulseMetrics).scrape()
          // Round-trips through the schema: every field has the documented type.
          const encoded = yield* Schema.encode(ChainpulseSnapshot)(snapshot)
          expect(yield* Schema.decodeUnknown(ChainpulseSnapshot)(encoded)).toEqual(snapshot)
          for (const s of [...snapshot.stuck, ...snapshot.stuck_detailed]) {
            expect(Number.isFinite(s.count)).toBe(true)
            // A label value is either a chain or a channel, never both.
            expect(s.dst_chain_id === null || s.dst_chain_id !== s.dst_channel).toBe(true)
          }
          for (const c of snapshot.chains) expect(c.chain_id).not.toBe("")
        }),
        layer
      ))
  })
