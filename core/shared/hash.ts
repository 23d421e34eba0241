import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"

const encoder = new TextEncoder()

export const utf8 = (s: string): Uint8Array => encoder.encode(s)

/**
 * The runtime's own SHA-256 where it has one synchronously (Node's, through
 * `process.getBuiltinModule`, which needs no import, so core still loads in
 * any JavaScript runtime), else @noble/hashes. Hashing is on every signed
 * route and every ingested packet: Node's native hash is 2–3× noble's on
 * inputs of a few hundred bytes.
 */
const nativeSha256 = ((): ((data: Uint8Array | string) => Uint8Array) | undefined => {
  const proc = (globalThis as { readonly process?: { readonly getBuiltinModule?: (id: string) => unknown } }).process
  const crypto = proc?.getBuiltinModule?.("node:crypto") as typeof import("node:crypto") | undefined
  if (crypto === undefined) return undefined
  return (data) => {
    const digest = crypto.createHash("sha256").update(data).digest()
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.length)
  }
})()

export const sha256Bytes: (data: Uint8Array | string) => Uint8Array = nativeSha256 ??
  ((data) => sha256(typeof data === "string" ? utf8(data) : data))

export const sha256Hex = (data: Uint8Array | string): string => bytesToHex(sha256Bytes(data))
