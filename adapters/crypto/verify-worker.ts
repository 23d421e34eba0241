import { parentPort } from "node:worker_threads"
import { waitReady } from "@polkadot/wasm-crypto"
import { verifySchnorr } from "./schnorr-libsecp.js"
import { verifySr25519 } from "./sr25519-wasm.js"
import { unpack } from "./verify-batch.js"

/*
 * One verifier thread of verify-pool.ts: for a batch (an id and the packed
 * verifications, verify-batch.ts) it answers each verification as soon as it
 * is checked, with the batch id, its index and the result, using the same
 * functions the in-process adapters call.
 */

export type VerifyRequest = readonly [batch: number, packed: Uint8Array]
export type VerifyReply = readonly [batch: number, index: number, valid: boolean]

const port = parentPort
if (port !== null) {
  await waitReady()
  port.on("message", ([batch, packed]: VerifyRequest) => {
    unpack(packed).forEach((v, i) => {
      const valid = v.scheme === 0 ? verifySchnorr(v.signature, v.message, v.key) : verifySr25519(v.signature, v.message, v.key)
      port.postMessage([batch, i, valid] satisfies VerifyReply)
    })
  })
  port.postMessage("ready")
}
