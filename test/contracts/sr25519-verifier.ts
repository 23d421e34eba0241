import { describe, expect, it } from "@effect/vitest"
import { hexToBytes } from "@noble/hashes/utils.js"
import { stringToU8a, u8aWrapBytes } from "@polkadot/util"
import { Effect, type Layer } from "effect"
import { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { devPair } from "../support/epochs.js"

const ALICE_PUB = hexToBytes("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
const MESSAGE = stringToU8a("zipcode:assignment:current:1759336626")
/** Made once with @polkadot/keyring //Alice (sr25519 signatures are randomized, so fixed vectors guard against drift). */
const RAW_SIG = hexToBytes(
  "6af58551a5539e4e5dbe2a67b5a7d6a218efca1618a72d312e959bea8da5c53e80abb0c39cd448484351d24d8884885eb10e77c4f2ba2c505ab154c24d821d89"
)
const WRAPPED_SIG = hexToBytes(
  "941d84e5e9ff4da91058cc7b8ed5d05cd54813b7c4976620c5dd1edf5449ad688b2ecb3b1c57e2c81704bf6908baed21202966caeef7a2e074eaff0e7021828f"
)

const flip = (bytes: Uint8Array, i: number) => {
  const out = bytes.slice()
  out[i] = out[i]! ^ 0x01
  return out
}

/** The behaviour every Sr25519Verifier adapter must have; each adapter's test calls this. */
export const sr25519VerifierContract = <E>(name: string, layer: Layer.Layer<Sr25519Verifier, E>) =>
  describe(`Sr25519Verifier contract: ${name}`, () => {
    const verify = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array) =>
      Effect.flatMap(Sr25519Verifier, (v) => v.verify(sig, msg, pub)).pipe(Effect.provide(layer))

    it.effect("accepts a signature over the raw message and one over <Bytes>message</Bytes>", () =>
      Effect.gen(function*() {
        expect(yield* verify(RAW_SIG, MESSAGE, ALICE_PUB)).toBe(true)
        expect(yield* verify(WRAPPED_SIG, MESSAGE, ALICE_PUB)).toBe(true)
        // A client that sends the wrapped bytes themselves is also fine.
        expect(yield* verify(WRAPPED_SIG, u8aWrapBytes(MESSAGE), ALICE_PUB)).toBe(true)
      }))

    it.effect("accepts fresh keyring signatures of any key", () =>
      Effect.gen(function*() {
        for (const uri of ["//Bob", "//Miner1", "//Validator7"]) {
          const pair = devPair(uri)
          const msg = stringToU8a(`s3:validator:upload:${1_700_000_000 + uri.length}`)
          expect(yield* verify(pair.sign(msg), msg, pair.publicKey)).toBe(true)
        }
      }))

    it.effect("rejects tampered signatures, messages and keys", () =>
      Effect.gen(function*() {
        expect(yield* verify(flip(RAW_SIG, 0), MESSAGE, ALICE_PUB)).toBe(false)
        expect(yield* verify(flip(RAW_SIG, 40), MESSAGE, ALICE_PUB)).toBe(false)
        expect(yield* verify(RAW_SIG, flip(MESSAGE, 3), ALICE_PUB)).toBe(false)
        expect(yield* verify(RAW_SIG, MESSAGE, devPair("//Bob").publicKey)).toBe(false)
        // A raw signature does not verify against the wrapped bytes.
        expect(yield* verify(RAW_SIG, u8aWrapBytes(MESSAGE), ALICE_PUB)).toBe(false)
      }))

    it.effect("answers false, never an error, for malformed input", () =>
      Effect.gen(function*() {
        expect(yield* verify(RAW_SIG.subarray(0, 63), MESSAGE, ALICE_PUB)).toBe(false)
        expect(yield* verify(new Uint8Array(65), MESSAGE, ALICE_PUB)).toBe(false)
        expect(yield* verify(RAW_SIG, MESSAGE, ALICE_PUB.subarray(0, 31))).toBe(false)
        expect(yield* verify(RAW_SIG, MESSAGE, new Uint8Array(33))).toBe(false)
        expect(yield* verify(new Uint8Array(64), MESSAGE, ALICE_PUB)).toBe(false)
        expect(yield* verify(RAW_SIG, MESSAGE, new Uint8Array(32).fill(0xff))).toBe(false)
        expect(yield* verify(new Uint8Array(64).fill(0xff), new Uint8Array(0), new Uint8Array(32))).toBe(false)
      }))
  })
