import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"

const encoder = new TextEncoder()

export const utf8 = (s: string): Uint8Array => encoder.encode(s)

export const sha256Bytes = (data: Uint8Array | string): Uint8Array =>
  sha256(typeof data === "string" ? utf8(data) : data)

export const sha256Hex = (data: Uint8Array | string): string => bytesToHex(sha256Bytes(data))
