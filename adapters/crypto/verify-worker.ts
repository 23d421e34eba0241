import { parentPort } from "node:worker_threads"
import { waitReady } from "@polkadot/wasm-crypto"
import { check, unpack } from "./verify-batch.js"

/*
 * One verifier thread of verify-pool.ts: for a batch (an id and the packed
 * verifications, verify-batch.ts) it answers each verification as soon as it
 * is checked, with the batch id, its index and the result (`check`, the
 * functions the in-process adapters call).
 */

export type VerifyRequest = readonly [batch: number, packed: Uint8Array]
export type VerifyReply = readonly [batch: number, index: number, valid: boolean]

const port = parentPort
if (port !== null) {
  await waitReady()
  port.on("message", ([batch, packed]: VerifyRequest) => {
    unpack(packed).forEach((v, i) => port.postMessage([batch, i, check(v)] satisfies VerifyReply))
  })
  port.postMessage("ready")
}
