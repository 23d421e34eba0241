import { Keyring } from "@polkadot/keyring"
import { schnorr } from "@noble/curves/secp256k1.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { Effect } from "effect"
import * as Libsecp from "../../adapters/crypto/schnorr-libsecp.js"
import * as Noble from "../../adapters/crypto/schnorr-noble.js"
import * as Polkadot from "../../adapters/crypto/sr25519-polkadot.js"
import * as Wasm from "../../adapters/crypto/sr25519-wasm.js"
import type { SchnorrVerifier } from "../../ports/schnorr-verifier.js"
import type { Sr25519Verifier } from "../../ports/sr25519-verifier.js"
import { alternate, opsPerSecond, row } from "../harness.js"

const N = 256
// Verifications per fiber: the app verifies inside a running fiber, so
// starting one per call (about 20 µs) would be a cost of the bench, not of the adapter.
const PER_RUN = 16

interface Triple {
  readonly sig: Uint8Array
  readonly msg: Uint8Array
  readonly pub: Uint8Array
}

/** Verifies/s of an adapter through its port, every input valid. */
const verifiesPerSecond = (v: SchnorrVerifier["Type"] | Sr25519Verifier["Type"], inputs: ReadonlyArray<Triple>) => {
  const batch = (first: number) =>
    Effect.gen(function*() {
      for (let k = 0; k < PER_RUN; k++) {
        const x = inputs[(first + k) % inputs.length]!
        if (!(yield* v.verify(x.sig, x.msg, x.pub))) return yield* Effect.die("a valid signature did not verify")
      }
    })
  return () => opsPerSecond((i) => Effect.runSync(batch(i * PER_RUN))) * PER_RUN
}

/** Valid BIP-340 triples, as the respond route sees them. */
const schnorrInputs = () =>
  Array.from({ length: N }, (_, i) => {
    const sk = schnorr.utils.randomSecretKey()
    const msg = sha256(new TextEncoder().encode(`challenge ${i}`))
    return { sig: schnorr.sign(msg, sk), msg, pub: schnorr.getPublicKey(sk) }
  })

/** Single-core verifies/s of both Schnorr adapters, through the port inside a fiber, as the app calls them. */
export const schnorrVerify = Effect.gen(function*() {
  const inputs = schnorrInputs()
  const fast = yield* Libsecp.make
  const reference = yield* Noble.make
  const [ours, base] = alternate(verifiesPerSecond(fast, inputs), verifiesPerSecond(reference, inputs))
  return row({
    id: 1,
    name: "Schnorr verify",
    ours: { label: "libsecp256k1 WASM (tiny-secp256k1)", value: ours, unit: "verify/s" },
    baseline: { label: "@noble/curves", value: base, unit: "verify/s" },
    target: { op: ">=", value: 5 }
  })
})

/** Single-core verifies/s of both sr25519 adapters. */
export const sr25519Verify = Effect.gen(function*() {
  const keyring = new Keyring({ type: "sr25519" })
  const inputs = Array.from({ length: 64 }, (_, i) => {
    const pair = keyring.addFromUri(`//bench${i}`)
    const msg = new TextEncoder().encode(`miner:status:${pair.address}:2025-10-01T16-00-00:${1_760_000_000 + i}`)
    return { sig: pair.sign(msg), msg, pub: pair.publicKey }
  })
  const fast = yield* Wasm.make
  const reference = yield* Polkadot.make
  const [ours, base] = alternate(verifiesPerSecond(fast, inputs), verifiesPerSecond(reference, inputs))
  return row({
    id: 2,
    name: "sr25519 verify",
    ours: { label: "@polkadot/wasm-crypto", value: ours, unit: "verify/s" },
    baseline: { label: "@polkadot/util-crypto (pure JS)", value: base, unit: "verify/s" },
    target: { op: ">=", value: 4 }
  })
})
