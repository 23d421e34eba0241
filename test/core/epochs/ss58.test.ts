import { describe, expect, it } from "@effect/vitest"
import { decodeAddress, encodeAddress } from "@polkadot/util-crypto"
import { Either } from "effect"
import fc from "fast-check"
import { decodeSs58, encodeSs58 } from "../../../core/epochs/ss58.js"

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe("SS58 (prefix 42)", () => {
  it("agrees with @polkadot/util-crypto on every 32-byte key", () => {
    fc.assert(fc.property(key, (pk) => {
      const address = encodeAddress(pk, 42)
      expect(encodeSs58(pk)).toBe(address)
      expect(decodeSs58(address)).toEqual(Either.right(decodeAddress(address, false, 42)))
    }))
  })

  it("decodes Alice's well-known address", () => {
    const alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    expect(Either.map(decodeSs58(alice), (pk) => Buffer.from(pk).toString("hex"))).toEqual(
      Either.right("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    )
  })

  it("hands every caller its own copy of the key, however often an address is decoded", () => {
    const alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    for (let i = 0; i < 3; i++) {
      const key = Either.getOrThrow(decodeSs58(alice))
      expect(Buffer.from(key).toString("hex")).toBe("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
      key.fill(0)
    }
  })

  it("returns a typed problem where decodeAddress would throw", () => {
    const alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    const polkadotAlice = encodeAddress(decodeAddress(alice), 0)
    const tampered = alice.slice(0, -1) + (alice.endsWith("Y") ? "Z" : "Y")
    expect(decodeSs58(polkadotAlice)).toEqual(Either.left("wrong network prefix"))
    expect(() => decodeAddress(polkadotAlice, false, 42)).toThrow()
    expect(decodeSs58(tampered)).toEqual(Either.left("bad checksum"))
    expect(decodeSs58("not-base58-0OIl")).toEqual(Either.left("not base58"))
    expect(decodeSs58("")).toEqual(Either.left("wrong length"))
    expect(decodeSs58("0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")).toEqual(Either.left("not base58"))
    fc.assert(fc.property(fc.string(), (s) => {
      // Never throws; anything accepted round-trips.
      Either.map(decodeSs58(s), (pk) => expect(encodeSs58(pk)).toBe(s))
    }))
  })
})
