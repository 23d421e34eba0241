import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import type { PaymentTx } from "../../core/clearing/model.js"
import { PaymentVerifier } from "../../ports/payment-verifier.js"

/** Paying chain "osmosis-1"; the backend behind the layer knows `paid` and nothing else. */
export const paidTx: PaymentTx = {
  chain_id: "osmosis-1",
  tx_hash: "C0FFEE".padEnd(64, "0"),
  code: 0,
  height: 19_800_123,
  time: Date.UTC(2025, 6, 13, 0, 5),
  memo: "clearing clr_00112233445566778899aabbccddeeff 🧊",
  transfers: [
    { from: "osmo1payer", to: "osmo1service", amount: 1_000_000n, denom: "uosmo" },
    { from: "osmo1payer", to: "osmo1service", amount: 5n, denom: "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2" }
  ]
}

/** The behaviour every PaymentVerifier adapter must have; each adapter's test calls this. */
export const paymentVerifierContract = <E>(name: string, layer: Layer.Layer<PaymentVerifier, E>) =>
  describe(`PaymentVerifier contract: ${name}`, () => {
    const run = <A, E2>(effect: Effect.Effect<A, E2, PaymentVerifier>) => Effect.provide(effect, layer)

    it.effect("reports a committed tx with its result code, memo and transfers", () =>
      run(Effect.gen(function*() {
        const tx = yield* (yield* PaymentVerifier).fetchTx("osmosis-1", paidTx.tx_hash)
        expect(tx).toEqual(Option.some(paidTx))
      })))

    it.effect("answers none for a hash the chain does not know", () =>
      run(Effect.gen(function*() {
        expect(yield* (yield* PaymentVerifier).fetchTx("osmosis-1", "AB".repeat(32))).toEqual(Option.none())
      })))

    it.effect("is unavailable for a chain it cannot look up", () =>
      run(Effect.gen(function*() {
        const error = yield* Effect.flip((yield* PaymentVerifier).fetchTx("nowhere-7", paidTx.tx_hash))
        expect(error).toMatchObject({ _tag: "PaymentVerifierUnavailable", chain_id: "nowhere-7" })
      })))
  })
