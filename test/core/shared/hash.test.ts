import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { sha256Bytes, sha256Hex, utf8 } from "../../../core/shared/hash.js"

describe("sha256", () => {
  it("matches the published test vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  })

  it("agrees with @noble/hashes on any bytes and any string, as bytes or as UTF-8 text", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      expect(bytesToHex(sha256Bytes(bytes))).toBe(bytesToHex(sha256(bytes)))
      expect(sha256Hex(bytes)).toBe(bytesToHex(sha256(bytes)))
    }))
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => {
      expect(sha256Hex(text)).toBe(bytesToHex(sha256(utf8(text))))
    }))
  })

  it("gives a digest of its own each call, not a view a later call overwrites", () => {
    const a = sha256Bytes("a")
    const hex = bytesToHex(a)
    sha256Bytes("b")
    expect(bytesToHex(a)).toBe(hex)
    expect(a.length).toBe(32)
  })
})
