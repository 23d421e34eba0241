import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { TaprootAssetsSimulator } from "../../adapters/memory/taproot-assets.js"
import { TaprootAssets } from "../../ports/taproot-assets.js"

/** The behaviour every TaprootAssets adapter must have, driven through a simulator's controls. */
export const taprootAssetsContract = (name: string, layer: Layer.Layer<TaprootAssets | TaprootAssetsSimulator>) =>
  describe(`TaprootAssets contract: ${name}`, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, TaprootAssets | TaprootAssetsSimulator>) => Effect.provide(effect, layer)

    it.effect("lists one balance per asset with a 32-byte asset id", () =>
      run(Effect.gen(function*() {
        const tapd = yield* TaprootAssets
        const sim = yield* TaprootAssetsSimulator
        expect(yield* tapd.listBalances()).toEqual([])
        yield* sim.mint("gBTC", 1_000n)
        yield* sim.mint("gBTC", 500n)
        yield* sim.mint("USDX", 7n)
        const balances = yield* tapd.listBalances()
        expect(balances.map((b) => [b.name, b.balance])).toEqual([["gBTC", 1_500n], ["USDX", 7n]])
        for (const b of balances) {
          expect(b.assetId).toMatch(/^[0-9a-f]{64}$/)
          expect(b.genesisPoint).toMatch(/^[0-9a-f]{64}:\d+$/)
        }
        expect(new Set(balances.map((b) => b.assetId)).size).toBe(2)
        expect((yield* tapd.getInfo()).network).toBeTruthy()
      })))

    it.effect("down: calls fail with TaprootAssetsUnavailable until it is back", () =>
      run(Effect.gen(function*() {
        const tapd = yield* TaprootAssets
        const sim = yield* TaprootAssetsSimulator
        yield* sim.setAvailable(false)
        expect((yield* tapd.listBalances().pipe(Effect.flip))._tag).toBe("TaprootAssetsUnavailable")
        expect((yield* tapd.getInfo().pipe(Effect.flip))._tag).toBe("TaprootAssetsUnavailable")
        yield* sim.setAvailable(true)
        expect(yield* tapd.listBalances()).toEqual([])
      })))
  })
