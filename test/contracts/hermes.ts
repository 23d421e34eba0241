import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { type ClearPacketsRequest, Hermes } from "../../ports/hermes.js"

export interface HermesContractCases {
  /** A request the relayer behind the layer clears. */
  readonly accepted: ClearPacketsRequest
  /** A request the relayer behind the layer refuses. */
  readonly refused: ClearPacketsRequest
  readonly scope: "chain" | "sequences"
}

/** The behaviour every Hermes adapter must have; each adapter's test calls this. */
export const hermesContract = <E>(name: string, layer: Layer.Layer<Hermes, E>, cases: HermesContractCases) =>
  describe(`Hermes contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, Hermes>) => Effect.provide(effect, layer)

    it.effect("reports its version", () =>
      run(Effect.gen(function*() {
        const versions = yield* (yield* Hermes).version()
        expect(versions.length).toBeGreaterThan(0)
        for (const v of versions) expect(v.version).not.toBe("")
      })))

    it.effect("clears packets and says how much it cleared, with well-formed tx hashes", () =>
      run(Effect.gen(function*() {
        const hermes = yield* Hermes
        expect(hermes.executor).not.toBeNull()
        const report = yield* hermes.clearPackets(cases.accepted)
        expect(report.scope).toBe(cases.scope)
        for (const h of report.tx_hashes) expect(h).toMatch(/^[0-9A-F]{64}$/)
      })))

    it.effect("surfaces a refusal as HermesRejected", () =>
      run(Effect.gen(function*() {
        const error = yield* Effect.flip((yield* Hermes).clearPackets(cases.refused))
        expect(error._tag).toBe("HermesRejected")
      })))
  })
