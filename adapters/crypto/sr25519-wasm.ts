import { sr25519Verify, waitReady } from "@polkadot/wasm-crypto"
import { Data, Effect, Layer } from "effect"
import { leafSpan } from "../../core/shared/leaf-span.js"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { acceptingWrapped } from "./sr25519-wrap.js"

export class WasmCryptoUnavailable extends Data.TaggedError("WasmCryptoUnavailable")<{
  readonly cause?: unknown
}> {
  override get message() {
    return "@polkadot/wasm-crypto failed to initialise"
  }
}

// wasm-crypto's argument order is (signature, message, publicKey). Needs `waitReady()` first.
export const verifySr25519 = acceptingWrapped((signature, message, publicKey) => sr25519Verify(signature, message, publicKey))

/** sr25519 through @polkadot/wasm-crypto (schnorrkel compiled to WASM): the fast path, ~7× util-crypto. */
export const make = Effect.gen(function*() {
  const ready = yield* Effect.tryPromise({ try: () => waitReady(), catch: (cause) => new WasmCryptoUnavailable({ cause }) })
  if (!ready) return yield* new WasmCryptoUnavailable({})
  return Sr25519Verifier.of({
    verify: (signature, message, key) => leafSpan("Sr25519Verifier.verify", () => verifySr25519(signature, message, key))
  })
})

export const layer = Layer.effect(Sr25519Verifier, make)
