import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { MAX_MESSAGE, pack, packable, unpack, type Verification } from "../../../adapters/crypto/verify-batch.js"

const verification = fc.record({
  scheme: fc.constantFrom(0 as const, 1 as const),
  signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  message: fc.uint8Array({ maxLength: 300 })
})

const plain = (v: Verification) => ({ scheme: v.scheme, signature: [...v.signature], key: [...v.key], message: [...v.message] })

describe("a packed batch of verifications", () => {
  it("unpacks to the same verifications in the same order, whatever their schemes and message lengths", () => {
    fc.assert(fc.property(fc.array(verification, { maxLength: 40 }), (batch) => {
      expect(unpack(pack(batch)).map(plain)).toEqual(batch.map(plain))
    }))
  })

  it("carries a message of the longest length it declares, and says which inputs it cannot carry", () => {
    const long = { scheme: 1 as const, signature: new Uint8Array(64).fill(1), key: new Uint8Array(32).fill(2), message: new Uint8Array(MAX_MESSAGE).fill(3) }
    expect(unpack(pack([long, long])).map(plain)).toEqual([plain(long), plain(long)])
    expect(packable(long)).toBe(true)
    expect(packable({ ...long, message: new Uint8Array(MAX_MESSAGE + 1) })).toBe(false)
    expect(packable({ ...long, signature: new Uint8Array(63) })).toBe(false)
    expect(packable({ ...long, key: new Uint8Array(33) })).toBe(false)
  })
})
