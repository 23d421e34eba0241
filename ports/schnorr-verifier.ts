import { Context, type Effect } from "effect"

/**
 * BIP-340 Schnorr verification. Malformed input (wrong lengths, a key not on
 * the curve, r ≥ p, s ≥ n) is `false`, never an error: callers treat every
 * non-verifying signature alike.
 */
export class SchnorrVerifier extends Context.Tag("relaygate/SchnorrVerifier")<
  SchnorrVerifier,
  {
    readonly verify: (signature: Uint8Array, message32: Uint8Array, xOnlyPubkey: Uint8Array) => Effect.Effect<boolean>
  }
>() {}
