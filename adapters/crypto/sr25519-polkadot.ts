import { sr25519Verify } from "@polkadot/util-crypto"
import { Effect, Layer } from "effect"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { acceptingWrapped } from "./sr25519-wrap.js"

// util-crypto's argument order is (message, signature, publicKey); it verifies in pure JS (@scure/sr25519).
const verify = acceptingWrapped((signature, message, publicKey) => sr25519Verify(message, signature, publicKey))

/** The reference sr25519 verifier (@polkadot/util-crypto): slower, no WASM to load. */
export const make = Effect.succeed(
  Sr25519Verifier.of({
    verify: Effect.fn("Sr25519Verifier.verify")(function*(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
      return verify(signature, message, publicKey)
    })
  })
)

export const layer = Layer.effect(Sr25519Verifier, make)
