// Worker thread of the bare reference server: verifies batches of [id, scheme, signature, message, key].
import { parentPort } from "node:worker_threads"
import { sr25519Verify, waitReady } from "@polkadot/wasm-crypto"
import * as ecc from "tiny-secp256k1"

await waitReady()
parentPort.on("message", (batch) => {
  parentPort.postMessage(batch.map(([id, scheme, signature, message, key]) => {
    try {
      return [id, scheme === 0 ? ecc.verifySchnorr(message, key, signature) : sr25519Verify(signature, message, key)]
    } catch {
      return [id, false]
    }
  }))
})
parentPort.postMessage("ready")
