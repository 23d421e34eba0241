import { parentPort } from "node:worker_threads"
import { waitReady } from "@polkadot/wasm-crypto"
import { verifySchnorr } from "./schnorr-libsecp.js"
import { verifySr25519 } from "./sr25519-wasm.js"

/*
 * One verifier thread of verify-pool.ts: it answers [id, scheme, signature,
 * message, key] with [id, valid], using the same functions the in-process
 * adapters call.
 */

export type VerifyRequest = readonly [id: number, scheme: 0 | 1, signature: Uint8Array, message: Uint8Array, key: Uint8Array]
export type VerifyReply = readonly [id: number, valid: boolean]

const port = parentPort
if (port !== null) {
  await waitReady()
  port.on("message", ([id, scheme, signature, message, key]: VerifyRequest) => {
    const valid = scheme === 0 ? verifySchnorr(signature, message, key) : verifySr25519(signature, message, key)
    port.postMessage([id, valid] satisfies VerifyReply)
  })
  port.postMessage("ready")
}
