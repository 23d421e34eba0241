import { describe, expect, it } from "@effect/vitest"
import { createHash, createHmac } from "node:crypto"
import { Either, Option } from "effect"
import fc from "fast-check"
import { epochNonce, selectionSeed, zipcodesHash } from "../../../core/epochs/assignment.js"
import {
  checkFreshness,
  MAX_SKEW_MS,
  parseSignature,
  parseSignedRequest,
  replayTtl,
  TIMESTAMP_MAX,
  TIMESTAMP_MIN
} from "../../../core/epochs/auth.js"
import { Commitments, statusCommitments } from "../../../core/epochs/commitments.js"

describe("epoch nonce", () => {
  it("is the first 16 hex of HMAC-SHA256(secret, epochId:ISO start:sha256(sorted zipcodes JSON))", () => {
    const start = Date.parse("2025-10-01T16:00:00.000Z")
    const zips = ["19104", "19103", "08540"]
    const hash = createHash("sha256").update(JSON.stringify([...zips].sort())).digest("hex")
    const expected = createHmac("sha256", "s3cret").update(`2025-10-01T16-00-00:2025-10-01T16:00:00.000Z:${hash}`).digest("hex").slice(0, 16)
    expect(zipcodesHash(zips)).toBe(hash)
    expect(epochNonce("s3cret", "2025-10-01T16-00-00", start, zips)).toBe(expected)
    expect(epochNonce("s3cret", "2025-10-01T16-00-00", start, [...zips].reverse())).toBe(expected)
    expect(epochNonce("other", "2025-10-01T16-00-00", start, zips)).not.toBe(expected)
  })

  it("selection seeds are 31-bit, keyed by the secret, stable per epoch", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (secret, id) => {
      const s = selectionSeed(secret, id)
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true)
      expect(selectionSeed(secret, id)).toBe(s)
    }))
    expect(selectionSeed("a", "2025-10-01T16-00-00")).not.toBe(selectionSeed("b", "2025-10-01T16-00-00"))
  })
})

describe("signed request rules", () => {
  const alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
  const sig = "ab".repeat(64)

  it("accepts signature hex with or without 0x, in either case", () => {
    expect(Option.isSome(parseSignature(sig))).toBe(true)
    expect(parseSignature(`0x${sig}`)).toEqual(parseSignature(sig))
    expect(parseSignature(sig.toUpperCase())).toEqual(parseSignature(sig))
    for (const bad of ["", "0x", sig.slice(2), `${sig}00`, `0x${sig.slice(1)}g`, `0X${sig}`]) {
      expect(Option.isNone(parseSignature(bad)), bad).toBe(true)
    }
  })

  it("reports one message per bad field, in class-validator wording", () => {
    expect(parseSignedRequest({ hotkey: "nope", signature: "xyz", timestamp: 2_147_483_648 })).toEqual(Either.left([
      "hotkey must be a valid SS58 address (network prefix 42)",
      "signature must be a hex-encoded 64-byte sr25519 signature",
      "timestamp must not be greater than 2147483647"
    ]))
    expect(parseSignedRequest({ hotkey: alice, signature: sig, timestamp: 1_599_999_999 })).toEqual(
      Either.left(["timestamp must not be less than 1600000000"])
    )
    expect(parseSignedRequest({ hotkey: alice, signature: sig, timestamp: 1_700_000_000.5 })).toEqual(
      Either.left(["timestamp must be an integer number"])
    )
    const ok = parseSignedRequest({ hotkey: alice, signature: `0x${sig.toUpperCase()}`, timestamp: TIMESTAMP_MIN })
    expect(Either.map(ok, (p) => p.signatureHex)).toEqual(Either.right(sig))
  })

  it("allows ±5 minutes of skew and keeps replay entries exactly while a timestamp can be fresh", () => {
    fc.assert(fc.property(fc.integer({ min: TIMESTAMP_MIN, max: TIMESTAMP_MAX }), fc.integer({ min: -600_000, max: 600_000 }), (ts, offset) => {
      const now = ts * 1000 + offset
      expect(Either.isRight(checkFreshness(ts, now))).toBe(Math.abs(offset) <= MAX_SKEW_MS)
      if (Either.isRight(checkFreshness(ts, now))) {
        // Still guarded at the last fresh instant.
        expect(now + replayTtl(ts, now)).toBeGreaterThan(ts * 1000 + MAX_SKEW_MS)
      }
    }))
  })

  it("builds the spec's commitment strings", () => {
    expect(Commitments.currentAssignment(1696089600)).toBe("zipcode:assignment:current:1696089600")
    expect(statusCommitments(alice, "2025-10-01T16-00-00", 1696089600)).toEqual([
      `miner:status:${alice}:2025-10-01T16-00-00:1696089600`,
      "zipcode:status:2025-10-01T16-00-00:1696089600"
    ])
    expect(Commitments.folderAccess("cold", "hot", 1)).toBe("s3:data:access:cold:hot:1")
    expect(Commitments.validatorUpload(1)).toBe("s3:validator:upload:1")
    expect(Commitments.epochValidation("2025-10-01T16-00-00", 1)).toBe("zipcode:validation:2025-10-01T16-00-00:1")
  })
})
