import { sr25519Verify } from "@polkadot/util-crypto"
import { Effect, Layer } from "effect"
import { leafSpan } from "../../core/shared/leaf-span.js"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { acceptingWrapped } from "./sr25519-wrap.js"

// util-crypto's argument order is (message, signature, publicKey); it verifies in pure JS (@scure/sr25519).
const verify = acceptingWrapped((signature, message, publicKey) => sr25519Verify(message, signature, publicKey))

/** The reference sr25519 verifier (@polkadot/util-crypto): slower, no WASM to load. */
export const make = Effect.succeed(
  Sr25519Verifier.of({
    verify: (signature, message, key) => leafSpan("Sr25519Verifier.verify", () => verify(signature, message, key))
  })
)

export const layer = Layer.effect(Sr25519Verifier, make)
