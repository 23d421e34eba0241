import { schnorr } from "@noble/curves/secp256k1.js"
import { Effect, Layer } from "effect"
import { leafSpan } from "../../core/shared/leaf-span.js"
import { SchnorrVerifier } from "../../ports/schnorr-verifier.js"

/**
 * The reference implementation. noble verifies messages of any length (BIP-340
 * allows that) and throws on wrong signature or key lengths; the port wants
 * 32-byte messages only and false for everything malformed.
 */
const verifySchnorr = (signature: Uint8Array, message32: Uint8Array, xOnlyPubkey: Uint8Array): boolean => {
  if (message32.length !== 32) return false
  try {
    return schnorr.verify(signature, message32, xOnlyPubkey)
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
