import { describe, expect, it } from "@effect/vitest"
import { hexToBytes } from "@noble/hashes/utils.js"
import { Effect, Layer } from "effect"
import * as SchnorrLibsecp from "../../adapters/crypto/schnorr-libsecp.js"
import { VerifyPoolFailed } from "../../adapters/crypto/verify-pool.js"
import { orInProcess } from "../../apps/verifiers.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import { BIP340_VECTORS } from "../contracts/schnorr-verifier.js"

describe("the app's verifiers", () => {
  it.effect("verify on the event loop when the threads cannot start, rather than not serving", () =>
    Effect.gen(function*() {
      const [pub, msg, sig] = BIP340_VECTORS[1]!
      const valid = yield* Effect.flatMap(SchnorrVerifier, (v) => v.verify(hexToBytes(sig), hexToBytes(msg), hexToBytes(pub))).pipe(
        Effect.provide(orInProcess(Layer.fail(new VerifyPoolFailed({ cause: "no threads here" })), SchnorrLibsecp.layer))
      )
      expect(valid).toBe(true)
    }))
})
