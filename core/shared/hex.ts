import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js"

export { bytesToHex, hexToBytes }

const HEX = /^[0-9a-f]*$/i

/** True when `s` is hex of exactly `bytes` bytes (either case). */
export const isHexOfLength = (s: string, bytes: number): boolean => s.length === bytes * 2 && HEX.test(s)

export const isHex = (s: string): boolean => s.length % 2 === 0 && HEX.test(s)
