import { afterAll, describe, expect, it } from "@effect/vitest"
import { schnorr } from "@noble/curves/secp256k1.js"
import { Context, Effect, Layer, ManagedRuntime } from "effect"
import { verifySchnorr } from "../../../adapters/crypto/schnorr-libsecp.js"
import * as Pool from "../../../adapters/crypto/verify-pool.js"
import { SchnorrVerifier } from "../../../ports/schnorr-verifier.js"
import { schnorrVerifierContract } from "../../contracts/schnorr-verifier.js"
import { sr25519VerifierContract } from "../../contracts/sr25519-verifier.js"

// One pool for the file: the contracts provide their layer per call, and each build would start threads.
const shared = ManagedRuntime.make(Layer.mergeAll(Pool.schnorrLayer, Pool.sr25519Layer).pipe(Layer.provide(Pool.layer(2))))
afterAll(() => shared.dispose())
const fromShared = Layer.effectContext(Effect.map(shared.runtimeEffect, (rt) => rt.context))
schnorrVerifierContract("worker threads", Layer.orDie(fromShared))
sr25519VerifierContract("worker threads", Layer.orDie(fromShared))

describe("the verifier pool", () => {
  it.scoped("answers 500 concurrent verifications, each with its own answer, spread over its threads", () =>
    Effect.gen(function*() {
      const v = Context.get(yield* Layer.build(Pool.schnorrLayer.pipe(Layer.provide(Pool.layer(2)))), SchnorrVerifier)
      const inputs = Array.from({ length: 500 }, (_, i) => {
        const sk = schnorr.utils.randomSecretKey()
        const msg = new Uint8Array(32).fill(i % 256)
        const sig = schnorr.sign(msg, sk)
        // Every third one is forged: answers must not be crossed between requests.
        if (i % 3 === 0) sig[10]! ^= 1
        return { sig, msg, pub: schnorr.getPublicKey(sk), valid: i % 3 !== 0 }
      })
      const answers = yield* Effect.forEach(inputs, (x) => v.verify(x.sig, x.msg, x.pub), { concurrency: "unbounded" })
      expect(answers).toEqual(inputs.map((x) => x.valid))
      expect(inputs.every((x) => verifySchnorr(x.sig, x.msg, x.pub) === x.valid)).toBe(true)
    }))

  it.scoped("a thread that dies hands back what it held, and with none left verification runs in-process", () =>
    Effect.gen(function*() {
      const p = yield* Pool.make(1, Pool.tsEntry(new URL("../../support/dying-verify-worker.ts", import.meta.url)))
      const sk = schnorr.utils.randomSecretKey()
      const msg = new Uint8Array(32).fill(9)
      const sig = schnorr.sign(msg, sk)
      expect(p.threads()).toBe(1)
      // The thread takes this one and exits: the answer still comes, from this thread.
      expect(yield* p.verify(0, sig, msg, schnorr.getPublicKey(sk))).toBe(true)
      expect(p.threads()).toBe(0)
      sig[0]! ^= 1
      expect(yield* p.verify(0, sig, msg, schnorr.getPublicKey(sk))).toBe(false)
    }))
})
