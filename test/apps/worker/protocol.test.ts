import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import fc from "fast-check"
import { decodeIntent, decodeResponse, expirationOf, failureRumor, isFarFuture, isNewerVersion } from "../../../apps/worker/protocol.js"

const version = fc.record({ created_at: fc.integer({ min: 0, max: 2_000_000_000 }), id: fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 4, maxLength: 4 }) })

describe("31510 intent content", () => {
  it("reads { action_id, type?, intent, expires_at } with type defaulting to p2p_transfer", () => {
    const decoded = decodeIntent(JSON.stringify({ action_id: "a", intent: { amount: 5 }, expires_at: 1_900_000_000 }))
    expect(decoded).toEqual(Either.right({ action_id: "a", type: "p2p_transfer", intent: { amount: 5 }, expires_at: 1_900_000_000 }))
  })

  it("also reads the seed guide's flat form, its fields taken as the intent", () => {
    const decoded = decodeIntent(JSON.stringify({
      action_id: "a",
      type: "p2p_transfer",
      recipient_pubkey: "npub1x",
      asset_id: "BTC",
      amount: 10_000,
      expires_at: 1_900_000_000
    }))
    expect(Either.getOrThrow(decoded).intent).toEqual({ recipient_pubkey: "npub1x", asset_id: "BTC", amount: 10_000 })
  })

  it.each([
    ["not json", /not JSON/],
    [JSON.stringify({ intent: {}, expires_at: 1 }), /action_id/],
    [JSON.stringify({ action_id: "a", intent: {}, expires_at: "soon" }), /expires_at/],
    [JSON.stringify({ action_id: "a", type: "swap", intent: {}, expires_at: 1 }), /type/],
    [JSON.stringify({ action_id: "", intent: {}, expires_at: 1 }), /action_id/]
  ])("refuses %s with a reason", (content, reason) => {
    expect(Either.getLeft(decodeIntent(content))).toEqual(expect.objectContaining({ _tag: "Some", value: expect.stringMatching(reason) }))
  })
})

describe("31512 response content", () => {
  it("needs session_id, type sign_challenge, a 64-byte hex signature and payload_ref", () => {
    const ok = { session_id: "s", type: "sign_challenge", signature: `0x${"ab".repeat(64)}`, payload_ref: "c" }
    expect(Either.isRight(decodeResponse(JSON.stringify(ok)))).toBe(true)
    for (const bad of [{ ...ok, type: "other" }, { ...ok, signature: "ab" }, { ...ok, payload_ref: undefined }]) {
      expect(Either.isLeft(decodeResponse(JSON.stringify(bad)))).toBe(true)
    }
  })
})

describe("event time and versions", () => {
  it("NIP-40 expiration is read only when it is a number", () => {
    const at = (tags: Array<Array<string>>) => expirationOf({ id: "", pubkey: "", created_at: 0, kind: 1, tags, content: "" })
    expect(at([["expiration", "1700000000"]])).toBe(1_700_000_000)
    expect(at([["expiration", "soon"]])).toBeUndefined()
    expect(at([])).toBeUndefined()
  })

  it("allows ten minutes of clock skew into the future", () => {
    expect(isFarFuture(1_000 + 600, 1_000)).toBe(false)
    expect(isFarFuture(1_000 + 601, 1_000)).toBe(true)
  })

  it("orders versions of an addressable event as NIP-01 does: later created_at, then lower id, wins; a strict total order", () => {
    fc.assert(fc.property(version, version, version, (a, b, c) => {
      expect(isNewerVersion(a, a)).toBe(false)
      if (a.created_at !== b.created_at || a.id !== b.id) expect(isNewerVersion(a, b)).toBe(!isNewerVersion(b, a))
      if (isNewerVersion(a, b) && isNewerVersion(b, c)) expect(isNewerVersion(a, c)).toBe(true)
      if (a.created_at > b.created_at) expect(isNewerVersion(a, b)).toBe(true)
    }))
  })
})

describe("31341 failure notices", () => {
  it("carry the numeric code, the name, the ids and a d unique to the answered event", () => {
    const a = failureRumor({ error: "INVALID_SIGNATURE", message: "m", session_id: "s", action_id: "x", attempts_left: 2, intent_id: "i", answers: "r1" })
    const b = failureRumor({ error: "INVALID_SIGNATURE", message: "m", session_id: "s", action_id: "x", attempts_left: 1, intent_id: "i", answers: "r2" })
    expect(JSON.parse(a.content)).toEqual({ status: "failure", code: 1001, error: "INVALID_SIGNATURE", message: "m", action_id: "x", session_id: "s", attempts_left: 2 })
    expect(a.tags).toEqual([["d", "s:r1"], ["e", "i"], ["e", "r1"]])
    expect(a.tags[0]).not.toEqual(b.tags[0])
  })
})
