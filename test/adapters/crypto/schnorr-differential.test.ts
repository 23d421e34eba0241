import { describe, expect, it } from "@effect/vitest"
import { schnorr, secp256k1 } from "@noble/curves/secp256k1.js"
import { Effect } from "effect"
import fc from "fast-check"
import * as libsecp from "../../../adapters/crypto/schnorr-libsecp.js"
import * as noble from "../../../adapters/crypto/schnorr-noble.js"
import { BIP340_VECTORS } from "../../contracts/schnorr-verifier.js"

const reference = Effect.runSync(noble.make)
const fast = Effect.runSync(libsecp.make)

const agree = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean => {
  const a = Effect.runSync(reference.verify(sig, msg, pub))
  const b = Effect.runSync(fast.verify(sig, msg, pub))
  expect(b).toBe(a)
  return a
}

const secretKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k))
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const signed = fc.record({ sk: secretKey, msg: bytes32, aux: bytes32 }).map(({ aux, msg, sk }) => ({
  sig: schnorr.sign(msg, sk, aux),
  msg,
  pub: schnorr.getPublicKey(sk)
}))

const hex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16))

describe("SchnorrVerifier adapters agree", () => {
  it("on every BIP-340 test vector, with the vector's answer", () => {
    for (const [pub, msg, sig, expected, comment] of BIP340_VECTORS) {
      expect(agree(hex(sig), hex(msg), hex(pub)), comment).toBe(expected)
    }
  })

  it("on the BIP-340 vectors cut short or run long (both false)", () => {
    fc.assert(fc.property(fc.constantFrom(...BIP340_VECTORS), fc.constantFrom(0, 1, 2), fc.integer({ min: -3, max: 3 }).filter((d) => d !== 0), ([pub, msg, sig], which, delta) => {
      const parts = [hex(sig), hex(msg), hex(pub)]
      const p = parts[which]!
      parts[which] = delta < 0 ? p.subarray(0, p.length + delta) : Uint8Array.from([...p, ...new Uint8Array(delta)])
      expect(agree(parts[0]!, parts[1]!, parts[2]!)).toBe(false)
    }), { numRuns: 300 })
  })

  it("on valid signatures (both true)", () => {
    fc.assert(fc.property(signed, ({ msg, pub, sig }) => {
      expect(agree(sig, msg, pub)).toBe(true)
    }), { numRuns: 500 })
  })

  it("on signatures with one byte of signature, message or key changed (both false)", () => {
    const part = fc.constantFrom("sig" as const, "msg" as const, "pub" as const)
    fc.assert(fc.property(signed, part, fc.nat(63), fc.integer({ min: 1, max: 255 }), (s, which, at, xor) => {
      const tampered = { ...s }
      const target = tampered[which]
      tampered[which] = target.map((b, i) => (i === at % target.length ? b ^ xor : b))
      expect(agree(tampered.sig, tampered.msg, tampered.pub)).toBe(false)
    }), { numRuns: 500 })
  })

  it("on random bytes of any length", () => {
    const blob = (usual: number) =>
      fc.oneof(fc.uint8Array({ minLength: usual, maxLength: usual }), fc.uint8Array({ minLength: 0, maxLength: usual + 8 }))
    fc.assert(fc.property(blob(64), blob(32), blob(32), (sig, msg, pub) => {
      agree(sig, msg, pub)
    }), { numRuns: 1000 })
  })
})
