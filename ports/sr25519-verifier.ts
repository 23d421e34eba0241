import { Context, type Effect } from "effect"

/**
 * sr25519 (schnorrkel, Substrate "substrate" context) verification. A signature
 * over `message` or over `<Bytes>message</Bytes>` (what polkadot extensions sign)
 * is valid. Malformed input (wrong lengths, a key that is not a point) is
 * `false`, never an error.
 */
export class Sr25519Verifier extends Context.Tag("relaygate/Sr25519Verifier")<
  Sr25519Verifier,
  {
    readonly verify: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => Effect.Effect<boolean>
  }
>() {}
