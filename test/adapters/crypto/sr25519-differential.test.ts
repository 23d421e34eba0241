import { describe, expect, it } from "@effect/vitest"
import { stringToU8a, u8aWrapBytes } from "@polkadot/util"
import { Effect } from "effect"
import fc from "fast-check"
import * as polkadot from "../../../adapters/crypto/sr25519-polkadot.js"
import * as wasm from "../../../adapters/crypto/sr25519-wasm.js"
import { devPair } from "../../support/epochs.js"

type Case = { readonly label: string; readonly sig: Uint8Array; readonly msg: Uint8Array; readonly pub: Uint8Array; readonly expected: boolean }

const pairs = ["//Alice", "//Bob", "//Miner1", "//Validator1"].map(devPair)

const flip = (b: Uint8Array, i: number) => {
  const out = b.slice()
  out[i % out.length] = out[i % out.length]! ^ (1 << (i % 8))
  return out
}

/** Valid, wrapped, tampered and malformed inputs, with what a correct verifier answers. */
const cases = fc
  .tuple(fc.nat(pairs.length - 1), fc.string({ maxLength: 80 }), fc.nat(200), fc.nat(3), fc.uint8Array({ maxLength: 70 }))
  .map(([p, text, i, other, junk]): ReadonlyArray<Case> => {
    const pair = pairs[p]!
    const msg = stringToU8a(text)
    const raw = pair.sign(msg)
    const wrapped = pair.sign(u8aWrapBytes(msg))
    const stranger = pairs[(p + 1 + other % (pairs.length - 1)) % pairs.length]!
    return [
      { label: "valid", sig: raw, msg, pub: pair.publicKey, expected: true },
      { label: "wrapped", sig: wrapped, msg, pub: pair.publicKey, expected: true },
      { label: "tampered signature", sig: flip(raw, i), msg, pub: pair.publicKey, expected: false },
      { label: "tampered message", sig: raw, msg: flip(stringToU8a(`${text}.`), i), pub: pair.publicKey, expected: false },
      { label: "other key", sig: raw, msg, pub: stranger.publicKey, expected: false },
      { label: "malformed signature", sig: junk.length === 64 ? flip(junk, 0) : junk, msg, pub: pair.publicKey, expected: false },
      { label: "malformed key", sig: raw, msg, pub: junk.length === 32 ? new Uint8Array(31) : junk, expected: false }
    ]
  })

describe("sr25519 adapters agree", () => {
  it.effect("wasm-crypto and util-crypto give the same answer, and the right one, on every input", () =>
    Effect.gen(function*() {
      const a = yield* wasm.make
      const b = yield* polkadot.make
      const samples = fc.sample(cases, { numRuns: 60, seed: 46 }).flat()
      for (const c of samples) {
        const [x, y] = [yield* a.verify(c.sig, c.msg, c.pub), yield* b.verify(c.sig, c.msg, c.pub)]
        expect(x, c.label).toBe(y)
        // Random 64-byte junk forging a signature is not a realistic outcome.
        expect(x, c.label).toBe(c.expected)
      }
    }))
})
