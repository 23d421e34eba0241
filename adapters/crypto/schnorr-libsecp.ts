import * as ecc from "tiny-secp256k1"
import { Effect, Layer } from "effect"
import { leafSpan } from "../../core/shared/leaf-span.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"

/**
 * libsecp256k1 (WASM), about 6× faster than noble. It throws on a key off the
 * curve, r ≥ p, s ≥ n or a message that is not 32 bytes, where the port
 * promises false; the length checks keep the common malformed cases off the
 * exception path.
 */
export const verifySchnorr = (signature: Uint8Array, message32: Uint8Array, xOnlyPubkey: Uint8Array): boolean => {
  if (signature.length !== 64 || message32.length !== 32 || xOnlyPubkey.length !== 32) return false
  try {
    return ecc.verifySchnorr(message32, xOnlyPubkey, signature)
  } catch {
    return false
  }
}

export const make = Effect.succeed(
  SchnorrVerifier.of({
    verify: (signature, message, key) => leafSpan("SchnorrVerifier.verify", () => verifySchnorr(signature, message, key))
  })
)

export const layer = Layer.effect(SchnorrVerifier, make)
