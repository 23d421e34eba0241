import { parentPort } from "node:worker_threads"
import { waitReady } from "@polkadot/wasm-crypto"
import { verifySchnorr } from "./schnorr-libsecp.js"
import { verifySr25519 } from "./sr25519-wasm.js"
import { unpack } from "./verify-batch.js"

/*
 * One verifier thread of verify-pool.ts: it answers a batch (an id and the
 * packed verifications, verify-batch.ts) with the id and one byte per
 * verification, 1 when valid, using the same functions the in-process
 * adapters call.
 */

export type VerifyRequest = readonly [batch: number, packed: Uint8Array]
export type VerifyReply = readonly [batch: number, valid: Uint8Array]

const port = parentPort
if (port !== null) {
  await waitReady()
  port.on("message", ([batch, packed]: VerifyRequest) => {
    const entries = unpack(packed)
    const valid = new Uint8Array(entries.length)
    entries.forEach((v, i) => {
      valid[i] = (v.scheme === 0 ? verifySchnorr(v.signature, v.message, v.key) : verifySr25519(v.signature, v.message, v.key)) ? 1 : 0
    })
    port.postMessage([batch, valid] satisfies VerifyReply, [valid.buffer])
  })
  port.postMessage("ready")
}
