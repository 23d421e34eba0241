import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex } from "@noble/hashes/utils.js"
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { challengeMessage, challengeMessageHex } from "../../../core/signing/challenge.js"
import { utf8 } from "../../../core/shared/hash.js"

describe("a challenge's message", () => {
  it("is sha256 of its data as UTF-8, as bytes and as hex, asked for in any order and again", () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 120 }), { maxLength: 30 }), fc.boolean(), (data, hexFirst) => {
      for (const d of [...data, ...data]) {
        const expected = bytesToHex(sha256(utf8(d)))
        if (hexFirst) expect(challengeMessageHex(d)).toBe(expected)
        expect(bytesToHex(challengeMessage(d))).toBe(expected)
        expect(challengeMessageHex(d)).toBe(expected)
      }
    }))
  })

  it("stays right for early challenges after many more have been hashed since", () => {
    const early = Array.from({ length: 20 }, (_, i) => `early challenge ${i}`)
    const before = early.map(challengeMessageHex)
    for (let i = 0; i < 10_000; i++) challengeMessage(`later challenge ${i}`)
    expect(early.map(challengeMessageHex)).toEqual(before)
    expect(early.map((d) => bytesToHex(challengeMessage(d)))).toEqual(early.map((d) => bytesToHex(sha256(utf8(d)))))
  })
})
