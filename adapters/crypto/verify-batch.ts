/*
 * The wire format between verify-pool.ts and its threads: the verifications
 * queued in one turn of the event loop packed into one buffer and moved (not
 * copied) to the thread in one message; a message per verification, each
 * cloning three typed arrays, cost the event loop more than the rest of the
 * pool. The thread answers each one as soon as it is checked (verify-worker.ts):
 * one answer for the whole batch kept the event loop idle while the thread
 * worked through it, then the thread idle while the loop answered (row 3 fell
 * from 0.46 to 0.42 of the verifier).
 *
 * Each entry: scheme (1 byte: 0 BIP-340, 1 sr25519), message length (2 bytes,
 * little-endian), signature (64), key (32), message.
 */

import { verifySchnorr } from "./schnorr-libsecp.js"
import { verifySr25519 } from "./sr25519-wasm.js"

export type Scheme = 0 | 1

export interface Verification {
  readonly scheme: Scheme
  readonly signature: Uint8Array
  readonly message: Uint8Array
  readonly key: Uint8Array
}

/** One verification, with the functions the in-process adapters call: what a thread does with each entry, and the pool without one. */
export const check = ({ key, message, scheme, signature }: Verification): boolean =>
  scheme === 0 ? verifySchnorr(signature, message, key) : verifySr25519(signature, message, key)

const HEADER = 3
const SIGNATURE = 64
const KEY = 32

/** The longest message an entry carries; the pool verifies longer ones in-process. */
export const MAX_MESSAGE = 0xffff

/** Whether the entry format can carry it (the verifiers answer false for other lengths anyway). */
export const packable = (v: Verification) => v.signature.length === SIGNATURE && v.key.length === KEY && v.message.length <= MAX_MESSAGE

export const pack = (batch: ReadonlyArray<Verification>): Uint8Array<ArrayBuffer> => {
  let size = 0
  for (const v of batch) size += HEADER + SIGNATURE + KEY + v.message.length
  const out = new Uint8Array(size)
  let at = 0
  for (const v of batch) {
    out[at] = v.scheme
    out[at + 1] = v.message.length & 0xff
    out[at + 2] = v.message.length >>> 8
    out.set(v.signature, at + HEADER)
    out.set(v.key, at + HEADER + SIGNATURE)
    out.set(v.message, at + HEADER + SIGNATURE + KEY)
    at += HEADER + SIGNATURE + KEY + v.message.length
  }
  return out
}

/** The entries of a packed batch, as views into it (no copies). */
export const unpack = (packed: Uint8Array): Array<Verification> => {
  const out: Array<Verification> = []
  let at = 0
  while (at < packed.length) {
    const length = packed[at + 1]! | (packed[at + 2]! << 8)
    const start = at + HEADER
    out.push({
      scheme: packed[at] as Scheme,
      signature: packed.subarray(start, start + SIGNATURE),
      key: packed.subarray(start + SIGNATURE, start + SIGNATURE + KEY),
      message: packed.subarray(start + SIGNATURE + KEY, start + SIGNATURE + KEY + length)
    })
    at = start + SIGNATURE + KEY + length
  }
  return out
}
